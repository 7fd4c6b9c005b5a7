"""Validators on every answer that has one, against a real server: `Last-Modified` next to each
`ETag` (one time per dataset version), `If-Modified-Since` honoured (and `If-None-Match` first,
as RFC 9110 asks), and both exposed to pages of other origins (CORS)."""

from __future__ import annotations

import email.utils
from urllib.parse import quote

import httpx
import pytest
from helpers.server import live_server_fixture

live_server = live_server_fixture()

MYNUMBER = "https://w3id.org/dakg/id/initiative/mynumber-card"
SELECT = quote(f"SELECT ?p ?o WHERE {{ <{MYNUMBER}> ?p ?o }} ORDER BY ?p ?o LIMIT 3", safe="")
COUNT = quote("SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }", safe="")
CONSTRUCT = quote(f"CONSTRUCT {{ <{MYNUMBER}> ?p ?o }} WHERE {{ <{MYNUMBER}> ?p ?o }}", safe="")
HTML = {"accept": "text/html"}
TURTLE = {"accept": "text/turtle"}

# Every kind of answer that carries an ETag, with the Accept it is asked with.
ROUTES = {
    "sparql-lookup": (f"/sparql?query={SELECT}", {}),
    "sparql-worker": (f"/sparql?query={COUNT}", {"accept": "text/csv"}),
    "sparql-construct": (f"/sparql?query={CONSTRUCT}", TURTLE),
    "sparql-description": ("/sparql", TURTLE),
    "sparql-page": ("/sparql", HTML),
    "doc": ("/doc/initiative/mynumber-card", TURTLE),
    "doc-html": ("/doc/initiative/mynumber-card", HTML),
    "def": ("/def/", TURTLE),
    "id-type": ("/id/initiative", TURTLE),
    "void": ("/.well-known/void", TURTLE),
    "dump": ("/download/dakg.nt", {}),
    "picture": ("/pictures/timeline.svg", {}),
}


@pytest.fixture(scope="module")
def client(live_server) -> httpx.Client:
    with httpx.Client(base_url=live_server.base, timeout=60.0) as http:
        yield http


def moment(header: str) -> float:
    return email.utils.parsedate_to_datetime(header).timestamp()


@pytest.mark.parametrize("route", list(ROUTES))
def test_last_modified_goes_with_the_etag_and_if_modified_since_is_honoured(client, route):
    path, headers = ROUTES[route]
    first = client.get(path, headers=headers)
    assert first.status_code == 200, first.text
    etag, modified = first.headers["etag"], first.headers["last-modified"]
    assert first.headers["last-modified"].endswith(" GMT")
    again = client.get(path, headers=headers)
    assert (again.headers["etag"], again.headers["last-modified"]) == (etag, modified)

    held = client.get(path, headers={**headers, "if-modified-since": modified})
    assert held.status_code == 304
    assert held.content == b""
    assert (held.headers["etag"], held.headers["last-modified"]) == (etag, modified)

    earlier = email.utils.formatdate(moment(modified) - 1, usegmt=True)
    older = client.get(path, headers={**headers, "if-modified-since": earlier})
    assert older.status_code == 200
    assert older.content == first.content

    # If-None-Match decides when both are sent: another ETag means the client's copy is stale.
    stale = client.get(
        path, headers={**headers, "if-modified-since": modified, "if-none-match": 'W/"other"'}
    )
    assert stale.status_code == 200
    by_tag = client.get(path, headers={**headers, "if-none-match": etag})
    assert by_tag.status_code == 304
    assert by_tag.headers["last-modified"] == modified

    unreadable = client.get(path, headers={**headers, "if-modified-since": "yesterday"})
    assert unreadable.status_code == 200


def test_one_time_for_the_whole_dataset_version(client):
    """Every answer drawn from the data says the same time: when this version's data changed."""
    times = {
        client.get(path, headers=headers).headers["last-modified"]
        for name, (path, headers) in ROUTES.items()
        if name != "sparql-page"
    }
    assert len(times) == 1


@pytest.mark.parametrize("route", list(ROUTES))
def test_the_validators_are_exposed_to_other_origins(client, route):
    path, headers = ROUTES[route]
    response = client.get(path, headers={**headers, "origin": "https://example.org"})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"etag", "last-modified"} <= exposed


@pytest.mark.parametrize("route", ["doc", "def", "id-type"])
def test_linked_data_pages_expose_the_validators_without_an_origin_too(client, route):
    """The linked-data answers carry their CORS headers on every request (a cache may hand
    them to a page of any origin)."""
    path, headers = ROUTES[route]
    response = client.get(path, headers=headers)
    exposed = {
        h.strip().lower() for h in response.headers["access-control-expose-headers"].split(",")
    }
    assert {"etag", "last-modified", "link", "vary"} <= exposed


def test_cors_preflight_allows_the_conditional_headers(client):
    response = client.options(
        "/doc/initiative/mynumber-card",
        headers={
            "origin": "https://example.org",
            "access-control-request-method": "GET",
            "access-control-request-headers": "If-Modified-Since, If-None-Match",
        },
    )
    assert response.status_code == 200
    allowed = response.headers["access-control-allow-headers"].lower()
    assert "if-modified-since" in allowed and "if-none-match" in allowed


def test_an_unacceptable_service_description_is_a_406(client):
    response = client.get("/sparql", headers={"accept": "image/png"})
    assert response.status_code == 406
    assert "text/turtle" in response.text
