"""The one error hierarchy: every DakgError anywhere in dakg has an HTTP error status and an exit
status that agree (4xx: the input is at fault, exit 2; 5xx: exit 1), and the routes answer a
refusal with its status in the shape of their kind (JSON on the API, a page for people on the
linked-data pages, plain text on /sparql)."""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Iterator

import dakg
import pytest
from dakg.errors import EXIT_FAIL, EXIT_INPUT, DakgError, InputError, Unavailable
from dakg.settings import Settings
from dakg.store.backends import StoreTimeout, StoreUnavailable
from dakg.web import problems
from dakg.web.app import create_app
from dakg.web.endpoint.refusals import ProtocolError
from fastapi.testclient import TestClient
from starlette.requests import Request


def every_module() -> list[str]:
    """Every module of dakg but the one that runs the command when imported."""
    found = pkgutil.walk_packages(dakg.__path__, prefix="dakg.")
    return sorted(name for _, name, _ in found if not name.endswith("__main__"))


def subclasses(cls: type) -> Iterator[type]:
    for sub in cls.__subclasses__():
        yield sub
        yield from subclasses(sub)


for _module in every_module():
    importlib.import_module(_module)
ERRORS = sorted(set(subclasses(DakgError)), key=lambda c: (c.__module__, c.__qualname__))


def test_the_classes_are_found_in_every_package() -> None:
    modules = {cls.__module__ for cls in ERRORS}
    for expected in (
        "dakg.errors",
        "dakg.rdf.sources",
        "dakg.sparql.form",
        "dakg.sparql.federation",
        "dakg.sparql.library",
        "dakg.store.backends",
        "dakg.web.conneg",
        "dakg.web.search",
        "dakg.web.linked_data.routes",
    ):
        assert expected in modules, expected


@pytest.mark.parametrize("cls", ERRORS, ids=lambda c: f"{c.__module__}.{c.__qualname__}")
def test_status_and_exit_code_agree(cls: type[DakgError]) -> None:
    assert 400 <= cls.status <= 599, cls.status
    assert cls.exit_code in (EXIT_FAIL, EXIT_INPUT)
    assert cls.exit_code == (EXIT_INPUT if cls.status < 500 else EXIT_FAIL)
    # A refusal of the input is an InputError; a 5xx is the service's: unavailable (503, 504)
    # or a failure of its own (500).
    assert issubclass(cls, InputError) == (cls.status < 500)
    assert not issubclass(cls, Unavailable) or cls.status in (503, 504)


# ---- the shapes of the answers ----------------------------------------------------------------


def request_for(path: str) -> Request:
    return Request(
        {"type": "http", "method": "GET", "path": path, "headers": [], "query_string": b""}
    )


def test_plain_is_the_protocol_answer() -> None:
    """The protocol's refusal can be given by problems.plain, byte for byte and header for header."""
    refusal = ProtocolError(403, "not on the allow-list\n", {"www-authenticate": "Bearer"})
    mine = problems.plain(refusal.status, refusal.message, refusal.headers)
    theirs = refusal.response()
    assert (mine.status_code, mine.body) == (theirs.status_code, theirs.body)
    assert dict(mine.headers) == dict(theirs.headers)


@pytest.mark.parametrize(
    ("error", "status"),
    [(StoreUnavailable("the engine cannot be reached"), 503), (StoreTimeout("too slow"), 504)],
)
@pytest.mark.parametrize("path", ["/api/queries/x", "/doc/initiative/x", "/other"])
def test_a_store_that_cannot_answer_is_plain_text_everywhere(
    error: DakgError, status: int, path: str
) -> None:
    answer = problems.answer(request_for(path), error, page=None)
    assert answer.status_code == status
    assert answer.headers["content-type"] == "text/plain; charset=utf-8"
    assert answer.headers["retry-after"] == "5" and answer.headers["cache-control"] == "no-store"
    assert answer.body == str(error).encode() + b"\n"


@pytest.fixture(scope="module")
def client(dataset) -> Iterator[TestClient]:
    settings = Settings.from_env(query_processes=0)
    with TestClient(create_app(settings, dataset)) as test_client:
        yield test_client


HTML = {"Accept": "text/html"}
ROUTES = [
    # (what, path, headers, status, content type, text the body holds)
    ("API: a malformed parameter", "/api/initiatives?limit=0", {}, 422, "application/json", "limit"),
    ("API: a repeated parameter", "/api/initiatives/mynumber-card?initiative=x", {}, 422, "application/json", "initiative"),
    ("API: an entity not in the graph", "/api/initiatives/no-such-initiative", {}, 404, "application/json", "initiative"),
    ("API: a bad format", "/api/initiatives?format=xml", {}, 422, "application/json", "format"),
    ("page: not found", "/id/initiative/no-such-initiative", HTML, 404, "text/html", "no-such-initiative"),
    ("page: a bad format parameter", "/def/?format=nosuch", HTML, 400, "text/html", "nosuch"),
    ("page: a bad page number, for a program", "/doc/initiative/mynumber-card?page=zero", {"Accept": "text/turtle"}, 400, "text/turtle", "# 400 page 'zero' is not a positive integer: <https://w3id.org/dakg/id/initiative/mynumber-card>"),
    ("search: an empty query, as JSON", "/search?q=&format=json", {}, 422, "application/json", "'q'"),
    ("search: an empty query, as a page", "/search?q=", HTML, 422, "text/html", "&#39;q&#39;"),
    ("sparql: a query that does not parse", "/sparql?query=SELECT%20WHERE", {}, 400, "text/plain", "Parse error"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("path", "headers", "status", "media_type", "holds"),
    [row[1:] for row in ROUTES],
    ids=[row[0] for row in ROUTES],
)
def test_routes_answer_refusals_in_their_shape(
    client: TestClient, path: str, headers: dict, status: int, media_type: str, holds: str
) -> None:
    response = client.get(path, headers=headers)
    assert response.status_code == status, response.text[:300]
    assert response.headers["content-type"].split(";")[0] == media_type
    assert holds in response.text
    if media_type == "application/json" and path.startswith("/api/"):
        (problem,) = response.json()["detail"]
        assert problem["loc"][0] == "query" and problem["loc"][-1] in problem["msg"]
