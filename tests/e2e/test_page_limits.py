"""The linked-data pages run their queries through the one executor, so a page whose description
takes longer than the endpoint's time limit is refused with the executor's 503, as a /sparql
query would be, while other pages and a /sparql lookup go on answering."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pyoxigraph as ox
import pytest
from dakg.settings import Settings
from dakg.store.dataset import Dataset
from dakg.web.app import create_app
from fastapi.testclient import TestClient
from helpers import ROOT

TIME_LIMIT = 0.5
CARD = "https://w3id.org/dakg/id/initiative/mynumber-card"
# Enough links to the card that its description's incoming links (about a second to read and
# serialise) take several times the limit, while every other query of its page takes a fraction.
LINKS = 400_000
LOOKUP = f"SELECT ?label WHERE {{ <{CARD}> <http://www.w3.org/2000/01/rdf-schema#label> ?label }}"


def linked_to_the_card() -> Dataset:
    """The project's graph with LINKS more subjects that each link to the card."""
    dataset = Dataset.load(ROOT)
    card, link = ox.NamedNode(CARD), ox.NamedNode("https://example.org/links")
    graph = ox.NamedNode("https://example.org/graph/links")
    dataset.store.extend(
        ox.Quad(ox.NamedNode(f"https://example.org/linker/{i}"), link, card, graph)
        for i in range(LINKS)
    )
    return dataclasses.replace(dataset, triples=len(dataset.store))


@pytest.fixture(scope="module")
def slow_dataset() -> Dataset:
    return linked_to_the_card()


@pytest.fixture(params=[0, 1], ids=["threads", "workers"])
def client(request, slow_dataset: Dataset) -> Iterator[TestClient]:
    """The endpoint with a short time limit and caps past the card's description, so that only
    the time limit can refuse it: on the query threads, then on a query worker."""
    settings = Settings.from_env(
        query_timeout=TIME_LIMIT,
        query_processes=request.param,
        max_result_rows=10 * LINKS,
        max_result_bytes=1024 * 1024 * 1024,
    )
    with TestClient(create_app(settings, slow_dataset)) as local:
        yield local


@pytest.mark.parametrize("accept", ["text/turtle", "text/html"])
def test_a_page_past_the_time_limit_answers_503_and_the_endpoint_goes_on(
    client: TestClient, accept: str
) -> None:
    page = client.get("/doc/initiative/mynumber-card", headers={"Accept": accept})
    assert page.status_code == 503, page.text[:500]
    assert f"took longer than the {TIME_LIMIT:g} s this endpoint allows" in page.text
    assert "Traceback" not in page.text
    lookup = client.get("/sparql", params={"query": LOOKUP})
    assert lookup.status_code == 200 and "マイナンバーカード" in lookup.text
    other = client.get("/doc/agency/digital-agency", headers={"Accept": "text/turtle"})
    assert other.status_code == 200 and "digital-agency" in other.text


def test_the_card_is_described_when_the_limit_allows(slow_dataset: Dataset) -> None:
    """The same page within a limit it fits in: the refusal above is the limit's alone."""
    settings = Settings.from_env(
        query_timeout=60, max_result_rows=10 * LINKS, max_result_bytes=1024 * 1024 * 1024
    )
    with TestClient(create_app(settings, slow_dataset)) as local:
        page = local.get(
            "/doc/initiative/mynumber-card", headers={"Accept": "text/turtle"}, timeout=120
        )
    assert page.status_code == 200
    assert "https://example.org/linker/" in page.text


def test_a_picture_past_the_result_caps_is_refused_with_the_cap(dataset: Dataset) -> None:
    """The pictures' queries run within the endpoint's caps: a timeline of more milestones than
    a query may return is refused (422) with the cap's message, not drawn in part."""
    settings = Settings.from_env(max_result_rows=3, query_processes=0)
    with TestClient(create_app(settings, dataset)) as local:
        timeline = local.get("/pictures/timeline.svg", params={"lang": "en"})
        lookup = local.get("/sparql", params={"query": LOOKUP})
    assert timeline.status_code == 422, timeline.text[:500]
    assert "more than 3 rows, the most this endpoint returns" in timeline.text
    assert "<svg" not in timeline.text
    assert lookup.status_code == 200
