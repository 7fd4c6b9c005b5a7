"""One-entity lookups are answered in the server's process: which queries qualify, that their
subject's triples are counted first, and that their answers are the workers' answers."""

from __future__ import annotations

from collections import Counter

import pytest
from dakg.execution.lookup import Lookup, few_triples, lookup_of
from dakg.settings import Settings
from dakg.store.dataset import Dataset
from dakg.web.app import create_app
from dakg.web.endpoint.answers import is_small
from fastapi.testclient import TestClient
from helpers import ROOT

CARD = "https://w3id.org/dakg/id/initiative/mynumber-card"
LOOKUPS = {
    f"SELECT ?p ?o WHERE {{ <{CARD}> ?p ?o }}": CARD,
    f"SELECT ?p ?o WHERE {{ <{CARD}> ?p ?o }} LIMIT 12": CARD,
    "PREFIX init: <https://w3id.org/dakg/id/initiative/>\nSELECT * { init:x ?p ?o . }": (
        "https://w3id.org/dakg/id/initiative/x"
    ),
    "select distinct ?o where { <http://a.example/b> a ?o } order by ?o limit 3 offset 1": (
        "http://a.example/b"
    ),
    'ASK { <http://a.example/b> <http://a.example/p> "x" }': "http://a.example/b",
    "SELECT ?p WHERE { <http://a.example/b> ?p ?o.}": "http://a.example/b",
    "PREFIX : <http://e.example/> SELECT ?p WHERE { :b ?p ?o }": "http://e.example/b",
}
NOT_LOOKUPS = [
    "SELECT ?p ?o WHERE { ?s ?p ?o }",  # no subject
    "SELECT ?o WHERE { ?x ?p <http://a.example/b> }",  # the IRI is the object
    # property paths: their cost is not bounded by one subject's triples
    "SELECT ?o WHERE { <http://a.example/b> <http://a.example/p>* ?o }",
    "PREFIX ex: <http://e.example/> SELECT ?o WHERE { <http://a.example/b> ex:p/ex:q ?o }",
    "PREFIX ex: <http://e.example/> SELECT ?o WHERE { <http://a.example/b> ex:p* ?o }",
    "PREFIX ex: <http://e.example/> SELECT ?o WHERE { <http://a.example/b> ex:p? ?o }",
    "PREFIX ex: <http://e.example/> SELECT ?o WHERE { <http://a.example/b> ex:p|ex:q ?o }",
    "PREFIX ex: <http://e.example/> SELECT ?o WHERE { ex:b ex:p+ ?o }",
    "SELECT ?o WHERE { <http://a.example/b> ^<http://a.example/p> ?o }",
    "SELECT ?o WHERE { <http://a.example/b> !<http://a.example/p> ?o }",
    # more than one pattern, or anything beside it
    "SELECT ?o WHERE { <http://a.example/b> ?p ?o . ?o ?q ?r }",
    "SELECT ?o WHERE { <http://a.example/b> ?p ?o, ?x }",
    "SELECT ?o WHERE { <http://a.example/b> ?p ?o; ?q ?x }",
    "SELECT ?o WHERE { <http://a.example/b> ?p ?o FILTER(?o) }",
    "SELECT ?o WHERE { <http://a.example/b> ?p ?o SERVICE <http://x.example/> {} }",
    "SELECT ?o WHERE { { <http://a.example/b> ?p ?o } }",
    "SELECT ?o WHERE { <http://a.example/b> ?p ?o } VALUES ?o { 1 }",
    "SELECT ?o WHERE { <http://a.example/b> ?p [] }",
    "SELECT ?o WHERE { <http://a.example/b> ?p (?o) }",
    "SELECT (COUNT(*) AS ?n) WHERE { <http://a.example/b> ?p ?o }",
    "SELECT ?o WHERE { <http://a.example/b> ?p ?o } ORDER BY DESC(?o)",
    "SELECT ?o WHERE { <http://a.example/b> ?p ?o } LIMIT ?x",
    "SELECT ?o WHERE { <http://a.example/b> ?p ?o } # a comment",
    "SELECT ?o FROM <http://g.example/> WHERE { <http://a.example/b> ?p ?o }",
    # subjects that are not one known IRI
    "SELECT ?o WHERE { _:b ?p ?o }",
    "SELECT ?o WHERE { <b> ?p ?o }",  # relative
    "BASE <http://a.example/> SELECT ?o WHERE { <b> ?p ?o }",
    "SELECT ?o WHERE { undeclared:b ?p ?o }",
    # other forms
    "CONSTRUCT WHERE { <http://a.example/b> ?p ?o }",
    "DESCRIBE <http://a.example/b>",
    f"SELECT ?p ?o WHERE {{ <{CARD}> ?p ?o }}" + " " * 2000,  # past the length looked at
]


@pytest.mark.parametrize("query", sorted(LOOKUPS))
def test_one_pattern_on_one_subject_is_a_lookup(query: str) -> None:
    form = "ASK" if query.startswith("ASK") else "SELECT"
    assert lookup_of(query) == Lookup(form, LOOKUPS[query])


@pytest.mark.parametrize("query", NOT_LOOKUPS)
def test_anything_more_is_not_a_lookup(query: str) -> None:
    assert lookup_of(query) is None


def test_a_subject_is_small_up_to_the_cap(dataset: Dataset) -> None:
    count = sum(1 for _ in dataset.store.quads_for_pattern(_node(CARD), None, None, None))
    assert count > 2
    assert few_triples(dataset.store, CARD, count)
    assert not few_triples(dataset.store, CARD, count - 1)
    assert few_triples(dataset.store, "https://w3id.org/dakg/id/no-such-thing", 0)
    assert not few_triples(dataset.store, "not an IRI", 1000)


def _node(iri: str):
    import pyoxigraph as ox

    return ox.NamedNode(iri)


FORMATS = ("json", "xml", "csv", "tsv")


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_lookup_answers_as_a_worker_does(dataset: Dataset, fmt: str) -> None:
    """The same lookup answered in the process (the default) and by a query worker (the cap at
    0 turns the shortcut off) gives the same bytes in every results format."""
    query = f"SELECT ?p ?o WHERE {{ <{CARD}> ?p ?o }} ORDER BY ?p ?o"
    ask = f"ASK {{ <{CARD}> ?p ?o }}"
    answers = []
    for cap in (1000, 0):
        settings = Settings.from_env(lookup_triples=cap, query_processes=1)
        with TestClient(create_app(settings, dataset)) as client:
            answers.append(
                [
                    client.get("/sparql", params={"query": text, "format": fmt})
                    for text in (query, ask)
                ]
            )
    (here, here_ask), (worker, worker_ask) = answers
    assert here.status_code == worker.status_code == 200
    assert here.content == worker.content and len(here.content) > 200
    assert here.headers["content-type"] == worker.headers["content-type"]
    assert here_ask.content == worker_ask.content


def test_a_lookup_that_asks_for_no_results_format_is_406(dataset: Dataset) -> None:
    with TestClient(create_app(Settings.from_env(), dataset)) as client:
        response = client.get(
            "/sparql",
            params={"query": f"SELECT ?p ?o WHERE {{ <{CARD}> ?p ?o }}"},
            headers={"accept": "text/turtle"},
        )
    assert response.status_code == 406
    assert "application/sparql-results+json" in response.text


def test_a_malformed_lookup_is_400_with_the_parser_message(dataset: Dataset) -> None:
    with TestClient(create_app(Settings.from_env(), dataset)) as client:
        response = client.get(
            "/sparql", params={"query": f"SELECT ?p ?o WHERE {{ <{CARD}> A ?o }}"}
        )
    assert response.status_code == 400
    assert response.text.startswith("Parse error:")


def test_the_largest_subject_is_known_in_memory_and_spares_the_counting(dataset: Dataset) -> None:
    counts = Counter(quad.subject for quad in dataset.store)
    assert dataset.largest_subject == max(counts.values())
    largest = dataset.largest_subject
    # Below the largest, the subject's own triples are counted; at or above it, none are.
    assert is_small(dataset, CARD, largest)
    assert is_small(dataset, "https://w3id.org/dakg/id/no-such-thing", largest - 1)  # counted: 0
    assert is_small(dataset, "not an IRI", largest)  # not counted: known small
    assert not is_small(dataset, "not an IRI", largest - 1)  # counted: no such subject IRI


def test_an_update_makes_the_largest_subject_unknown(dataset: Dataset) -> None:
    settings = Settings.from_env(update_token="secret-token", query_processes=0)
    app = create_app(settings, Dataset.load(ROOT))
    assert app.state.dataset.largest_subject is not None
    update = "INSERT DATA { GRAPH <http://example.org/g> { <http://example.org/s> <http://example.org/p> 1 } }"
    with TestClient(app) as client:
        answer = client.post(
            "/sparql", data={"update": update}, headers={"authorization": "Bearer secret-token"}
        )
        assert answer.status_code == 204
        assert app.state.dataset.largest_subject is None
        found = client.get(
            "/sparql", params={"query": "SELECT ?o WHERE { <http://example.org/s> ?p ?o }"}
        )
    assert found.status_code == 200 and found.json()["results"]["bindings"][0]["o"]["value"] == "1"


def test_a_graph_named_twice_is_read_once(dataset: Dataset) -> None:
    """The protocol's dataset is a set of graphs: naming one twice does not double the answer
    (so a lookup with graphs named, which goes the way of every other query, stays bounded)."""
    graph = "https://w3id.org/dakg/graph/data/initiatives/mynumber-card"
    query = f"SELECT ?p ?o WHERE {{ <{CARD}> ?p ?o }}"
    with TestClient(create_app(Settings.from_env(query_processes=1), dataset)) as client:
        once = client.get("/sparql", params={"query": query, "default-graph-uri": graph})
        many = client.get(
            "/sparql", params=[("query", query)] + [("default-graph-uri", graph)] * 50
        )
    rows = once.json()["results"]["bindings"]
    assert once.status_code == many.status_code == 200 and len(rows) > 2
    assert many.json()["results"]["bindings"] == rows
