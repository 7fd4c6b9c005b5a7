"""Start-up reads nothing that grows with the graph: the OpenAPI examples run when the OpenAPI is
first asked for, the pages' entities and labels when a page first needs them (on an on-disk store
one IRI at a time; an entity's page never needs the list of every entity), and the answers are
the same as when everything was read at start."""

from __future__ import annotations

import gc
import threading
import time
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from dakg.settings import Settings
from dakg.sparql.library import list_queries
from dakg.store.dataset import Dataset
from dakg.web import api
from dakg.web.app import create_app
from dakg.web.linked_data.describe import Describer
from fastapi.testclient import TestClient
from helpers import ROOT

ASK = {"query": "ASK { ?s ?p ?o }"}
PAGES = (
    "/doc/initiative/mynumber-card",
    "/doc/agency/digital-agency",
    "/doc/pillar/digital-resilience",
    "/def/Initiative",
)


@pytest.fixture
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[str]]:
    """Every example query run, and every whole-graph read of the pages, by name."""
    seen: dict[str, list[str]] = {"examples": [], "labels": [], "entities": []}
    example_rows = api.example_rows

    def spy_examples(dataset, query):
        seen["examples"].append(query.name)
        return example_rows(dataset, query)

    def spy(name: str, method):
        def wrapped(self, *args, **kwargs):
            seen[name].append(name)
            return method(self, *args, **kwargs)

        return wrapped

    monkeypatch.setattr(api, "example_rows", spy_examples)
    monkeypatch.setattr(Describer, "labels", spy("labels", Describer.labels))
    monkeypatch.setattr(Describer, "entities", spy("entities", Describer.entities))
    return seen


@pytest.fixture(scope="module")
def disk_store(tmp_path_factory: pytest.TempPathFactory, dataset: Dataset) -> Iterator[str]:
    """The project's graph (the same named graphs) in an on-disk store."""
    folder = tmp_path_factory.mktemp("startup") / "store"
    dump = folder.parent / "dakg.nq"
    dataset.store.dump(dump, format=ox.RdfFormat.N_QUADS)
    store = ox.Store(str(folder))
    store.bulk_load(path=str(dump), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    gc.collect()
    yield f"oxigraph:{folder}"


def test_the_app_starts_without_running_the_example_queries(dataset: Dataset, calls) -> None:
    app = create_app(Settings.from_env(root=ROOT), dataset)
    with TestClient(app) as client:
        assert client.get("/sparql", params=ASK).status_code == 200
        assert calls == {"examples": [], "labels": [], "entities": []}

        spec = client.get("/openapi.json").json()
        queries = list_queries(ROOT / "queries")
        # Each query runs once, though some are published at two paths.
        assert sorted(calls["examples"]) == sorted(q.name for q in queries)
        for query in queries:
            rows = api.example_rows(dataset, query)
            # The OpenAPI document leaves out null values.
            expected = [{k: v for k, v in row.items() if v is not None} for row in rows]
            paths = [f"/api/queries/{query.name}"] + ([query.route] if query.route else [])
            for path in paths:
                content = spec["paths"][path]["get"]["responses"]["200"]["content"]
                assert content["application/json"]["example"] == expected, path
            if not any(p.required for p in query.parameters):
                assert rows, query.name
        ran = len(calls["examples"])
        assert client.get("/openapi.json").json() == spec
        assert len(calls["examples"]) == ran  # built once


def test_the_openapi_document_is_built_off_the_event_loop(
    dataset: Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Its examples may take minutes on a large store: meanwhile the service answers, and a
    second request for the document waits for the one build rather than starting another."""
    example_rows = api.example_rows
    built: list[str] = []

    def slow_examples(dataset, query):
        built.append(query.name)
        time.sleep(0.1)  # some 20 queries: two seconds in all
        return example_rows(dataset, query)

    monkeypatch.setattr(api, "example_rows", slow_examples)
    app = create_app(Settings.from_env(root=ROOT), dataset)
    with TestClient(app) as client:
        documents: list[dict] = []

        def fetch() -> None:
            documents.append(client.get("/openapi.json").json())

        fetchers = [threading.Thread(target=fetch) for _ in range(2)]
        for fetcher in fetchers:
            fetcher.start()
        time.sleep(0.3)
        started = time.monotonic()
        health = client.get("/health")
        answered = time.monotonic() - started
        building = any(fetcher.is_alive() for fetcher in fetchers)
        for fetcher in fetchers:
            fetcher.join(timeout=60)
        assert health.status_code == 200
        assert building, "the document was built before the test could ask anything else"
        assert answered < 0.5
        assert len(documents) == 2 and documents[0] == documents[1]
        assert "/api/queries/milestones" in documents[0]["paths"]
        assert sorted(built) == sorted(set(built))  # each example query ran once
        assert client.get("/docs").status_code == 200
        assert "/openapi.json" in client.get("/docs").text


def test_the_pages_read_entities_and_labels_on_first_use(dataset: Dataset, calls) -> None:
    app = create_app(Settings.from_env(root=ROOT), dataset)
    with TestClient(app) as client:
        assert client.get("/sparql", params=ASK).status_code == 200
        assert calls["labels"] == calls["entities"] == []
        assert client.get("/", headers={"accept": "text/html"}).status_code == 200
        assert client.get("/id/initiative", headers={"accept": "text/html"}).status_code == 200
        # Read once, then kept.
        assert calls["labels"] == ["labels"]
        assert calls["entities"] == ["entities"]


def test_on_disk_the_pages_read_only_the_labels_they_show(
    dataset: Dataset, disk_store: str, calls
) -> None:
    memory = create_app(Settings.from_env(root=ROOT), dataset)
    disk = create_app(Settings.from_env(root=ROOT, store=disk_store))
    html = {"accept": "text/html"}
    with TestClient(memory) as in_memory, TestClient(disk) as on_disk:
        for path in PAGES:
            expected = in_memory.get(path, headers=html)
            calls["labels"].clear()
            answer = on_disk.get(path, headers=html)
            assert answer.status_code == expected.status_code == 200, path
            assert answer.text == expected.text, path
            assert calls["labels"] == [], path
            if path.startswith("/doc/"):  # an entity's page needs no list of every entity
                assert calls["entities"] == [], path
        for path, accept in (("/id/initiative", "text/html"), ("/id/initiative", "text/turtle")):
            expected = in_memory.get(path, headers={"accept": accept})
            answer = on_disk.get(path, headers={"accept": accept})
            assert answer.status_code == 200, path
            assert answer.text == expected.text, (path, accept)
        versions = (memory.state.dataset.version, disk.state.dataset.version)
        home = [c.get("/", headers=html).text for c in (in_memory, on_disk)]
        assert home[0].replace(versions[0], "V") == home[1].replace(versions[1], "V")
