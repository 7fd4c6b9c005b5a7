"""The service on its three stores: in memory, on disk (oxigraph:PATH) and on a real Oxigraph server
(sparql:URL), loaded with the real `dakg load`. The same answers on all three, and an engine that
goes away and comes back."""

from __future__ import annotations

import gc
import json
import os
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from unittest import mock
from urllib.parse import quote

import httpx
import pyoxigraph as ox
import pytest
from dakg.settings import Settings
from dakg.sparql.library import list_queries, parse_query_file
from dakg.sparql.values import bind_values
from dakg.store.backends import RESULTS_JSON as RESULTS
from dakg.store.backends import RemoteStore, StoreConfig, StoreSettingError, StoreUnavailable
from dakg.store.dataset import UNKNOWN, Dataset
from dakg.web.app import create_app
from fastapi.testclient import TestClient
from helpers import ROOT
from helpers.engine import DAKG, OxigraphServer, dakg_load
from helpers.server import free_port, start_server

ID = "https://w3id.org/dakg/id/"
STORES = ("memory", "disk", "remote")
# Values for the parameters that have no default, by name.
SAMPLES = {
    "entity": ox.NamedNode(ID + "initiative/mynumber-card"),
    "indicator": ox.NamedNode(ID + "indicator/gbizid-prime-accounts-issued"),
    "graph": ox.NamedNode("https://w3id.org/dakg/graph/data/initiatives/mynumber-card"),
    "namespace": ox.Literal(ID),
}
QUERY_FILES = sorted(
    [
        *(ROOT / "queries").glob("*.rq"),
        *(
            path
            for folder in ("resources", "pictures", "store")
            for path in (ROOT / "service" / "sparql" / "rq" / folder).glob("*.rq")
        ),
    ]
)
ENTITIES = (
    "initiative/mynumber-card",
    "pillar/digital-resilience",
    "agency/digital-agency",
    "indicator/gbizid-prime-accounts-issued",
)


# ---- the stores ---------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[OxigraphServer]:
    """A real Oxigraph server, loaded by `dakg load` through the Graph Store Protocol."""
    server = OxigraphServer.start(tmp_path_factory.mktemp("oxigraph") / "data")
    try:
        dakg_load(server.store, server.env)
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def disk(tmp_path_factory: pytest.TempPathFactory) -> str:
    """An on-disk store loaded by `dakg load` (twice: the second run must change nothing)."""
    store = f"oxigraph:{tmp_path_factory.mktemp('disk') / 'store'}"
    dakg_load(store)
    dakg_load(store, None, "--replace")
    return store


@pytest.fixture(scope="session")
def clients(dataset: Dataset, disk: str, engine: OxigraphServer) -> Iterator[dict[str, TestClient]]:
    """An app on each store (the same code, chosen by the store setting alone)."""
    apps = {
        "memory": create_app(Settings.from_env(root=ROOT), dataset),
        "disk": create_app(Settings.from_env(root=ROOT, store=disk)),
        "remote": create_app(Settings.from_env(root=ROOT, store=engine.store)),
    }
    with (
        TestClient(apps["memory"]) as memory,
        TestClient(apps["disk"]) as on_disk,
        TestClient(apps["remote"]) as remote,
    ):
        yield {"memory": memory, "disk": on_disk, "remote": remote}


@pytest.fixture(scope="session")
def stores(clients: dict[str, TestClient]) -> dict[str, ox.Store | RemoteStore]:
    return {name: client.app.state.dataset.store for name, client in clients.items()}


# ---- comparing answers -------------------------------------------------------------------------


def term_key(term: object) -> str:
    """A term as text, every blank node the same (their labels differ from store to store)."""
    return "_:b" if isinstance(term, ox.BlankNode) else str(term)


def answer_of(result: object) -> object:
    """A query's answer in a form that compares across stores."""
    if isinstance(result, ox.QueryBoolean):
        return bool(result)
    if isinstance(result, ox.QueryTriples):
        return sorted(
            " ".join(term_key(t) for t in (x.subject, x.predicate, x.object)) for x in result
        )
    names = [v.value for v in result.variables]
    return sorted(tuple(term_key(row[n]) for n in names) for row in result)


def bindings_for(path: Path) -> dict[ox.Variable, object]:
    """Each parameter bound to its default, else to a sample value."""
    bound: dict[ox.Variable, object] = {}
    for param in parse_query_file(path).parameters:
        if param.default is not None:
            bound[ox.Variable(param.name)] = param.to_term(param.default)
        elif param.name in SAMPLES:
            bound[ox.Variable(param.name)] = SAMPLES[param.name]
    return bound


def answers_on(stores: dict[str, object], text: str, bound: dict) -> dict[str, object]:
    """Each store's answer to a query, its parameters bound (by substitutions in pyoxigraph, a
    VALUES block on an engine)."""
    return {
        name: answer_of(store.query(text, use_default_graph_as_union=True, substitutions=bound))
        for name, store in stores.items()
    }


@pytest.mark.parametrize("path", QUERY_FILES, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_every_saved_query_gives_the_same_answer_on_every_store(stores, path: Path) -> None:
    """Substitutions in pyoxigraph, a VALUES block on the engine: the same rows."""
    text = path.read_text(encoding="utf-8")
    bound = bindings_for(path)
    answers = answers_on(stores, text, bound)
    assert answers["memory"] == answers["disk"] == answers["remote"]
    if path.parent.name == "queries":  # the published queries all answer with their defaults
        assert answers["memory"] not in ([], False)


# Saved queries with optional parameters given, which their defaults leave out (the filters on
# a fiscal year and on dates are written differently from the rest).
GIVEN = [
    ("milestones", {"fiscal_year": "2022", "lang": "ja"}),
    ("milestones", {"fiscal_year": "2025", "lang": "en"}),
    ("milestones", {"from": "2022-04-01", "to": "2023-03-31", "lang": "ja"}),
]


def given_bindings(name: str, values: dict[str, str]) -> tuple[str, dict[ox.Variable, object]]:
    """A saved query's text and its parameters bound to the given values."""
    query = parse_query_file(ROOT / "queries" / f"{name}.rq")
    params = {param.name: param for param in query.parameters}
    return query.text, {ox.Variable(k): params[k].to_term(v) for k, v in values.items()}


@pytest.mark.parametrize(("name", "values"), GIVEN, ids=lambda v: str(v))
def test_saved_queries_with_their_optional_parameters_answer_the_same_on_every_store(
    stores, name: str, values: dict[str, str]
) -> None:
    text, bound = given_bindings(name, values)
    answers = answers_on(stores, text, bound)
    assert answers["memory"] == answers["disk"] == answers["remote"]
    assert answers["memory"]


def test_values_binding_gives_the_same_answer_as_substitution(dataset: Dataset) -> None:
    """The VALUES rewrite (how every store binds parameters) against pyoxigraph's own
    substitutions, on the embedded store: every saved query with its parameters."""
    for path in QUERY_FILES:
        text, bound = path.read_text(encoding="utf-8"), bindings_for(path)
        substituted = dataset.store.query(
            text, use_default_graph_as_union=True, substitutions=bound
        )
        rewritten = dataset.store.query(bind_values(text, bound), use_default_graph_as_union=True)
        assert answer_of(substituted) == answer_of(rewritten), path.name


@pytest.mark.parametrize("name", [q.name for q in list_queries(ROOT / "queries")])
def test_every_api_route_answers_the_same_on_every_store(clients, name: str) -> None:
    answers = {}
    for store, client in clients.items():
        response = client.get(f"/api/queries/{name}", params={"limit": "1000"})
        assert response.status_code == 200, (store, response.text)
        answers[store] = sorted(json.dumps(row, sort_keys=True) for row in response.json())
    assert answers["memory"] == answers["disk"] == answers["remote"]


SELECT = f"SELECT ?p ?o WHERE {{ <{ID}initiative/mynumber-card> ?p ?o }}"
CONSTRUCT = f"CONSTRUCT {{ <{ID}initiative/mynumber-card> ?p ?o }} WHERE {{ <{ID}initiative/mynumber-card> ?p ?o }}"
ASK = f"ASK {{ <{ID}initiative/mynumber-card> ?p ?o }}"


def normalised(response: httpx.Response) -> object:
    """An answer body as a comparable value: rows or triples sorted, blank nodes blanked."""
    media = response.headers["content-type"].split(";")[0]
    if media == "application/sparql-results+json":
        body = response.json()
        if "boolean" in body:
            return body["boolean"]
        return sorted(json.dumps(b, sort_keys=True) for b in body["results"]["bindings"])
    if media in ("text/csv", "text/tab-separated-values"):
        lines = response.text.splitlines()
        return lines[0], sorted(lines[1:])
    rdf = ox.RdfFormat.from_media_type(media)
    assert rdf is not None, media
    return sorted(
        " ".join(term_key(t) for t in (x.subject, x.predicate, x.object))
        for x in ox.parse(response.content, format=rdf)
    )


@pytest.mark.parametrize(
    ("query", "accept"),
    [
        (SELECT, "application/sparql-results+json"),
        (SELECT, "text/csv"),
        (CONSTRUCT, "text/turtle"),
        (CONSTRUCT, "application/n-triples"),
        (ASK, "application/sparql-results+json"),
        (ASK, "application/sparql-results+xml"),
    ],
)
def test_sparql_answers_the_same_on_every_store(clients, query: str, accept: str) -> None:
    answers = {}
    for store, client in clients.items():
        get = client.get("/sparql", params={"query": query}, headers={"accept": accept})
        post = client.post(
            "/sparql",
            content=query,
            headers={"accept": accept, "content-type": "application/sparql-query"},
        )
        for response in (get, post):
            assert response.status_code == 200, (store, response.text)
            assert response.headers["content-type"].startswith(accept), store
        if accept.endswith("xml"):
            answers[store] = "true" in get.text
        else:
            answers[store] = normalised(get)
    assert answers["memory"] == answers["disk"] == answers["remote"]


def test_the_protocol_checks_stay_local_on_every_store(clients) -> None:
    for store, client in clients.items():
        assert client.get("/sparql", params={"query": "SELEKT"}).status_code == 400, store
        assert client.put("/sparql").status_code == 405, store
        assert (
            client.post("/sparql", content="x", headers={"content-type": "text/plain"}).status_code
            == 415
        ), store
        assert (
            client.get("/sparql", params={"query": SELECT}, headers={"accept": "image/png"})
        ).status_code == 406, store
        update = client.post("/sparql", data={"update": "CLEAR ALL"})
        assert update.status_code == 403, store
        head = client.head("/sparql", params={"query": ASK})
        assert head.status_code == 200 and not head.content, store
        page = client.get("/sparql", params={"query": ASK}, headers={"accept": "text/html"})
        assert page.headers["content-type"].startswith("text/html"), store


@pytest.mark.parametrize("entity", ENTITIES)
def test_id_and_doc_answer_the_same_on_every_store(clients, entity: str) -> None:
    turtle, html = {}, {}
    for store, client in clients.items():
        redirect = client.get(f"/id/{entity}", follow_redirects=False)
        assert redirect.status_code == 303, store
        location = redirect.headers["location"]
        response = client.get(location, headers={"accept": "text/turtle"})
        assert response.status_code == 200, store
        turtle[store] = normalised(response)
        page = client.get(location, headers={"accept": "text/html"})
        assert page.status_code == 200, store
        version = client.app.state.dataset.version
        html[store] = page.text.replace(version, "VERSION")
    assert turtle["memory"] == turtle["disk"] == turtle["remote"]
    assert html["memory"] == html["disk"] == html["remote"]


def test_the_nquads_dump_is_the_same_on_every_store(clients) -> None:
    dumps = {}
    for store, client in clients.items():
        response = client.get("/download/dakg.nq")
        assert response.status_code == 200, store
        dumps[store] = sorted(
            " ".join(term_key(t) for t in q)
            for q in ox.parse(response.content, format=ox.RdfFormat.N_QUADS)
        )
    assert dumps["memory"] == dumps["disk"] == dumps["remote"]


def test_health_on_every_store(clients) -> None:
    health = {store: client.get("/health") for store, client in clients.items()}
    for store, response in health.items():
        assert response.status_code == 200, store
        assert response.json()["status"] == "ok"
    counts = {store: (r.json()["triples"], r.json()["graphs"]) for store, r in health.items()}
    assert counts["memory"] == counts["disk"] == counts["remote"]
    assert health["remote"].json()["store"].startswith("sparql:http://127.0.0.1:")


def test_the_home_page_and_pictures_on_every_store(clients) -> None:
    for store, client in clients.items():
        assert client.get("/", headers={"accept": "text/html"}).status_code == 200, store
        assert client.get("/pictures/timeline.svg").status_code == 200, store


# ---- the engine goes away ----------------------------------------------------------------------


def test_an_engine_stopped_and_restarted(tmp_path: Path) -> None:
    """503 within the timeout while the engine is down, answers again once it is back."""
    server = OxigraphServer.start(tmp_path / "data")
    try:
        dakg_load(server.store, server.env)
        settings = Settings.from_env(root=ROOT, store=server.store, query_timeout=3.0)
        with TestClient(create_app(settings)) as client:
            assert client.get("/health").status_code == 200
            assert client.get("/api/agencies").status_code == 200
            server.stop()
            # (/api/agencies itself is in the answer cache, kept for its dataset version)
            for path in ("/health", "/api/agencies?lang=en", "/id/initiative/mynumber-card"):
                started = time.monotonic()
                response = client.get(path, follow_redirects=True)
                assert response.status_code == 503, (path, response.text)
                assert time.monotonic() - started < 3.5
                assert "Traceback" not in response.text
            assert client.get("/health").json()["status"] == "unavailable"
            sparql = client.get("/sparql", params={"query": ASK}, headers={"accept": "image/png"})
            assert sparql.status_code == 406  # negotiated here, before the engine is asked
            sparql = client.get("/sparql", params={"query": ASK})
            assert sparql.status_code == 503
            server.restart()
            assert client.get("/health").status_code == 200
            assert client.get("/api/agencies").status_code == 200
            assert client.get("/sparql", params={"query": ASK}).json()["boolean"] is True
    finally:
        server.stop()


def test_the_service_starts_while_the_engine_is_down(tmp_path: Path) -> None:
    server = OxigraphServer.start(tmp_path / "data")
    try:
        dakg_load(server.store, server.env)
        server.stop()
        settings = Settings.from_env(root=ROOT, store=server.store, query_timeout=3.0)
        with TestClient(create_app(settings)) as client:
            assert client.app.state.dataset.version == UNKNOWN
            health = client.get("/health")
            assert health.status_code == 503
            assert health.json()["status"] == "unavailable"
            server.restart()
            health = client.get("/health")
            assert health.status_code == 200
            assert health.json()["version"] != UNKNOWN
            assert health.json()["triples"] > 4000
            page = client.get("/doc/initiative/mynumber-card", headers={"accept": "text/html"})
            assert page.status_code == 200
    finally:
        server.stop()


# ---- the settings and the command --------------------------------------------------------------


def test_store_settings() -> None:
    assert StoreConfig.parse("memory").kind == "memory"
    assert StoreConfig.parse("oxigraph:/tmp/x").location == "/tmp/x"
    env = {"DAKG_SPARQL_USER": "u", "DAKG_SPARQL_PASSWORD": "secret"}
    remote = StoreConfig.parse("sparql:http://h/q", env)
    assert (remote.kind, remote.user, remote.password) == ("sparql", "u", "secret")
    assert "secret" not in remote.describe()
    for bad in ("sparql:ftp://x", "oxigraph:", "postgres:x", "memory:x"):
        with pytest.raises(StoreSettingError):
            StoreConfig.parse(bad)


def test_an_unreachable_engine_is_a_store_error() -> None:
    config = StoreConfig.parse(f"sparql:http://127.0.0.1:{free_port()}/query")
    remote = RemoteStore(config, timeout=2.0)
    with pytest.raises(StoreUnavailable):
        remote.query("ASK {}")
    remote.close()


def test_load_twice_leaves_the_same_counts(engine: OxigraphServer) -> None:
    """Over SPARQL Update this time (no GSP URL); the report names the graphs and checks counts."""
    env = {"DAKG_SPARQL_UPDATE_URL": engine.base + "/update"}
    first = dakg_load(engine.store, env)
    second = dakg_load(engine.store, env, "--replace")
    assert "counts checked" in first and "counts checked" in second
    assert "27/27 graphs" in second or "graphs," in second
    health = httpx.get(
        engine.query_url,
        params={"query": "SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }"},
        headers={"accept": "text/csv"},
    )
    assert health.text.split()[1] == str(len(Dataset.load(ROOT).store))


def test_dakg_serve_on_an_external_engine(engine: OxigraphServer) -> None:
    """The real command, configured by --store alone."""
    server = start_server(args=("--store", engine.store))
    try:
        health = httpx.get(server.url("/health"), timeout=10).json()
        assert health["status"] == "ok" and health["store"] == engine.store
        response = httpx.get(
            server.sparql,
            params={"query": ASK},
            headers={"accept": "application/sparql-results+json"},
            timeout=10,
        )
        assert response.json()["boolean"] is True
        answer = httpx.get(server.url("/api/agencies?lang=en"), timeout=10)
        assert answer.status_code == 200 and answer.json()
        entity = quote("initiative/mynumber-card")
        assert httpx.get(server.url(f"/doc/{entity}"), timeout=10).status_code == 200
    finally:
        server.stop()


@pytest.fixture
def silent_engine() -> Iterator[str]:
    """A port that takes connections and never answers: an engine far too slow."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        yield f"sparql:http://127.0.0.1:{sock.getsockname()[1]}/query"


def test_a_slow_engine_gets_504_within_the_timeout(silent_engine: str) -> None:
    settings = Settings.from_env(root=ROOT, store=silent_engine, query_timeout=1.0)
    started = time.monotonic()
    app = create_app(settings)
    assert time.monotonic() - started < 5  # one timeout at start, not one per saved query
    with TestClient(app) as client:
        for path, status in (
            ("/health", 503),
            ("/api/agencies", 504),
            ("/sparql?query=ASK{}", 504),
        ):
            started = time.monotonic()
            response = client.get(path)
            assert response.status_code == status, (path, response.text)
            assert time.monotonic() - started < 2.5
            assert "did not answer within 1 s" in response.text


def test_updates_reach_the_engine_and_change_the_version(tmp_path: Path) -> None:
    server = OxigraphServer.start(tmp_path / "data")
    try:
        dakg_load(server.store, server.env)
        settings = Settings.from_env(root=ROOT, store=server.store, update_token="secret")
        with mock.patch.dict(os.environ, server.env), TestClient(create_app(settings)) as client:
            before = client.app.state.dataset.version
            triple = f'<{ID}x/1> <http://www.w3.org/2000/01/rdf-schema#label> "x"'
            update = f"INSERT DATA {{ GRAPH <https://w3id.org/dakg/graph/extra> {{ {triple} }} }}"
            response = client.post(
                "/sparql", data={"update": update}, headers={"authorization": "Bearer secret"}
            )
            assert response.status_code == 204, response.text
            assert client.app.state.dataset.version != before
            ask = client.get("/sparql", params={"query": f"ASK {{ {triple} }}"})
            assert ask.json()["boolean"] is True
            description = client.get("/sparql", headers={"accept": "text/turtle"})
            assert (
                description.status_code == 200
                and b"sparql-service-description" in description.content
            )
            assert client.get("/.well-known/void").status_code == 200
    finally:
        server.stop()


def test_dakg_query_on_each_store(disk: str, engine: OxigraphServer) -> None:
    answers = {}
    for store in ("memory", disk, engine.store):
        done = subprocess.run(
            [str(DAKG), "query", "agencies", "--format", "csv", "--store", store],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
            cwd=str(ROOT),
        )
        assert done.returncode == 0, done.stderr
        lines = done.stdout.splitlines()
        answers[store] = (lines[0], sorted(lines[1:]))
    assert len(set(map(str, answers.values()))) == 1


def test_updates_on_a_disk_store_stay(tmp_path: Path) -> None:
    """With an update token the on-disk store is opened for writing, and an update outlives the app."""
    store = f"oxigraph:{tmp_path / 'store'}"
    dakg_load(store)
    triple = f'<{ID}x/1> <http://www.w3.org/2000/01/rdf-schema#label> "x"'
    update = f"INSERT DATA {{ GRAPH <https://w3id.org/dakg/graph/extra> {{ {triple} }} }}"
    settings = Settings.from_env(root=ROOT, store=store, update_token="secret")
    app = create_app(settings)
    with TestClient(app) as client:
        response = client.post(
            "/sparql", data={"update": update}, headers={"authorization": "Bearer secret"}
        )
        assert response.status_code == 204, response.text
    del app, client
    gc.collect()  # the app's store holds the folder's lock until it is collected (no close())
    reader = Dataset.open(ROOT, store, read_only=True)
    assert bool(reader.query(f"ASK {{ {triple} }}"))


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"DAKG_SPARQL_USER": "u", "DAKG_SPARQL_PASSWORD": "pw-secret"}, "Basic dTpwdy1zZWNyZXQ="),
        ({"DAKG_SPARQL_TOKEN": "tok-secret"}, "Bearer tok-secret"),
        ({}, None),
    ],
)
def test_credentials_are_sent_and_a_refusal_is_503(
    env: dict[str, str], expected: str | None
) -> None:
    seen: list[str | None] = []

    def engine(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        if request.headers.get("authorization") is None:
            return httpx.Response(401, text="who are you?")
        body = {"head": {}, "boolean": True}
        return httpx.Response(200, json=body, headers={"content-type": RESULTS})

    config = StoreConfig.parse("sparql:http://engine.invalid/query", env)
    remote = RemoteStore(config, timeout=2.0)
    remote.client = httpx.Client(transport=httpx.MockTransport(engine), auth=config.auth())
    if expected is None:
        with pytest.raises(StoreUnavailable, match="credentials"):
            remote.query("ASK {}")
    else:
        assert bool(remote.query("ASK {}")) is True
    assert seen == [expected]
    assert "secret" not in repr(config) and "secret" not in config.describe()
    remote.close()


def test_an_unfinished_load_into_an_engine_is_reported(tmp_path: Path) -> None:
    """A `dakg load` into an engine that stops half-way (a source that does not parse, after one
    that loaded) leaves the engine marked: /health says `incomplete` (503) and `dakg serve`
    refuses it; a load that finishes clears the mark, which no dump or graph count shows."""
    server = OxigraphServer.start(tmp_path / "data")
    try:
        bad = tmp_path / "broken.ttl"
        bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
        good = ROOT / "data" / "ttl" / "pillars.ttl"
        env = {**os.environ, "DAKG_ROOT": str(ROOT), **server.env}
        stopped = subprocess.run(
            [str(DAKG), "load", "--to", server.store, str(good), str(bad)],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert stopped.returncode == 2, stopped.stderr
        settings = Settings.from_env(root=ROOT, store=server.store)
        with mock.patch.dict(os.environ, server.env), TestClient(create_app(settings)) as client:
            health = client.get("/health")
            assert health.status_code == 503 and health.json()["status"] == "incomplete"
        refused = subprocess.run(
            [str(DAKG), "serve", "--port", "1", "--store", server.store],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert refused.returncode == 2 and "did not finish" in refused.stderr
        dakg_load(server.store, server.env, str(good))
        with mock.patch.dict(os.environ, server.env), TestClient(create_app(settings)) as client:
            health = client.get("/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            dump = client.get("/download/dakg.nq").text
            assert "load-incomplete" not in dump
    finally:
        server.stop()
