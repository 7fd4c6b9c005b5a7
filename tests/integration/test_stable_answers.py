"""Identical requests get byte-identical answers, one ETag, from every query worker: a source's
blank nodes are published as skolem IRIs (`{base}.well-known/genid/...`) that every worker,
restart and store derives alike, from the file and the node's label or place in it.

A real server on a fixture project with blank nodes of each kind Turtle has (labelled,
anonymous and nested, a collection's), its answer cache off so that every request is evaluated
again, by each of its query workers in turn."""

from __future__ import annotations

import re

import httpx
import pyoxigraph as ox
import pytest
from dakg.rdf.sources import GENID, Source, graph_sources, skolemised
from dakg.store.embedded import load_sources
from helpers import FIXTURES
from helpers.server import live_server_fixture

PROJECT = FIXTURES / "project"
WORKERS = 3
stable_server = live_server_fixture(
    {"DAKG_QUERY_PROCESSES": str(WORKERS), "DAKG_CACHE_ENTRIES": "0", "DAKG_LOOKUP_TRIPLES": "0"},
    root=PROJECT,
)
EX = "http://example.org/fixture#"
REQUESTS = 20

QUERIES = {
    "select": ("SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 10", "text/csv"),
    "select-json": (
        "SELECT ?s ?p ?o WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 10",
        "application/sparql-results+json",
    ),
    "construct": (
        "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o } ORDER BY ?s ?p ?o LIMIT 10",
        "application/n-triples",
    ),
    "construct-turtle": (f"CONSTRUCT WHERE {{ <{EX}a> ?p ?o . ?o ?q ?v }}", "text/turtle"),
    "describe": (f"DESCRIBE <{EX}a> <{EX}b>", "application/n-triples"),
}


@pytest.fixture(scope="module")
def client(stable_server) -> httpx.Client:
    with httpx.Client(base_url=stable_server.base, timeout=60.0) as http:
        yield http


@pytest.mark.parametrize("name", list(QUERIES))
def test_identical_requests_get_one_body_and_one_etag(client, name):
    query, accept = QUERIES[name]
    answers = [
        client.get("/sparql", params={"query": query}, headers={"accept": accept})
        for _ in range(REQUESTS)
    ]
    assert {a.status_code for a in answers} == {200}
    bodies = {a.content for a in answers}
    assert len(bodies) == 1, f"{len(bodies)} different bodies"
    assert len({a.headers["etag"] for a in answers}) == 1
    assert GENID.encode() in bodies.pop()


def test_the_answers_hold_no_blank_node(client):
    query = "SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o FILTER isBlank(?s) } UNION { ?s ?p ?o FILTER isBlank(?o) } }"
    response = client.get("/sparql", params={"query": query}, headers={"accept": "text/csv"})
    assert response.text.split() == ["n", "0"]


def expected_iris() -> set[str]:
    """The skolem IRIs this process derives from the fixture's files on its own."""
    return {
        term.value
        for source in graph_sources(PROJECT)
        for quad in skolemised(source, source.path.read_bytes())
        for term in (quad.subject, quad.object)
        if isinstance(term, ox.NamedNode) and term.value.startswith(GENID)
    }


def test_the_skolem_iris_are_those_any_process_derives_from_the_files(client):
    """Workers, restarts and stores agree: the server's IRIs (on the store under test, from its
    query workers) are those this test process derives from the files by itself."""
    query = f'SELECT DISTINCT ?x WHERE {{ {{ ?x ?p ?o }} UNION {{ ?s ?p ?x }} FILTER STRSTARTS(STR(?x), "{GENID}") }}'
    response = client.get("/sparql", params={"query": query}, headers={"accept": "text/csv"})
    served = set(response.text.split()[1:])
    expected = expected_iris()
    # _:one and _:two, three anonymous nodes of ex:a (one nested), three of ex:b, three list cells
    assert len(expected) == 2 + 3 + 3 + 3
    assert served == expected
    dump = client.get("/download/dakg.nt").text
    assert set(re.findall(rf"<({re.escape(GENID)}[0-9a-f]+)>", dump)) == expected


def test_a_label_keeps_its_iri_when_other_nodes_come_and_go(tmp_path):
    """A labelled node's IRI comes from its label and file, not from its place among the others;
    the same file loaded twice (a restart, another worker) gives the same IRIs."""
    first = tmp_path / "first.ttl"
    first.write_text("PREFIX ex: <http://example.org/>\nex:a ex:p _:x .\n_:x ex:q 1 .\n")
    second = tmp_path / "second.ttl"
    second.write_text(
        "PREFIX ex: <http://example.org/>\nex:a ex:r [ ex:s 2 ] .\nex:a ex:p _:x .\n_:x ex:q 1 .\n"
    )
    graph = "https://w3id.org/dakg/graph/data/same"
    one = {str(q) for q in skolemised(Source(first, graph), first.read_bytes())}
    two = {str(q) for q in skolemised(Source(second, graph), second.read_bytes())}
    assert one < two
    again = load_sources([Source(second, graph)])
    assert {str(q) for q in again} == two
    assert not any(isinstance(t, ox.BlankNode) for q in again for t in (q.subject, q.object))
    other = {str(q) for q in skolemised(Source(first, graph + "-other"), first.read_bytes())}
    assert not one & other  # another file's _:x is another node
