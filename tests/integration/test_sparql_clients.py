"""Real SPARQL clients against a real `dakg serve`: SPARQLWrapper in every format, rdflib's SPARQLStore."""

from __future__ import annotations

import csv
import io
import uuid
import warnings

import pytest
import rdflib
from helpers.server import live_server_fixture
from rdflib.compare import isomorphic
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import (
    CSV,
    JSON,
    JSONLD,
    N3,
    POST,
    POSTDIRECTLY,
    RDFXML,
    TSV,
    TURTLE,
    URLENCODED,
    XML,
    SPARQLWrapper,
)
from SPARQLWrapper.SPARQLExceptions import QueryBadFormed

live_server = live_server_fixture()
TOKEN = "clients-token-" + uuid.uuid4().hex
token_server = live_server_fixture({"DAKG_UPDATE_TOKEN": TOKEN})

MYNUMBER = "https://w3id.org/dakg/id/initiative/mynumber-card"
LABEL_JA = "マイナンバーカードの普及"
ROWS_QUERY = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?p ?o WHERE {{ <{MYNUMBER}> ?p ?o }} ORDER BY ?p ?o"""
CONSTRUCT_QUERY = f"CONSTRUCT {{ <{MYNUMBER}> ?p ?o }} WHERE {{ <{MYNUMBER}> ?p ?o }}"
PILLARS_QUERY = """PREFIX dakg: <https://w3id.org/dakg/def/>
PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?pillar ?label WHERE { ?pillar a dakg:Pillar ; rdfs:label ?label FILTER (lang(?label) = "ja") }
ORDER BY ?pillar"""


def wrapper(endpoint: str, fmt: str, query: str) -> SPARQLWrapper:
    sparql = SPARQLWrapper(endpoint, returnFormat=fmt)
    sparql.setTimeout(60)
    sparql.setQuery(query)
    return sparql


def select_rows(endpoint: str, fmt: str, method: str = "GET") -> list[tuple[str, str]]:
    """The (p, o) rows of ROWS_QUERY through SPARQLWrapper's own conversion, as text."""
    sparql = wrapper(endpoint, fmt, ROWS_QUERY)
    if method == POST:
        sparql.setMethod(POST)
    with warnings.catch_warnings():
        warnings.simplefilter(
            "error", RuntimeWarning
        )  # a content type SPARQLWrapper did not ask for
        converted = sparql.query().convert()
    if fmt == JSON:
        return [(b["p"]["value"], b["o"]["value"]) for b in converted["results"]["bindings"]]
    if fmt == XML:
        found = []
        for result in converted.getElementsByTagName("result"):
            values = {}
            for binding in result.getElementsByTagName("binding"):
                node = next(n for n in binding.childNodes if n.nodeType == n.ELEMENT_NODE)
                values[binding.getAttribute("name")] = "".join(
                    t.data for t in node.childNodes if t.nodeType == t.TEXT_NODE
                )
            found.append((values["p"], values["o"]))
        return found
    text = converted.decode("utf-8")
    if fmt == CSV:
        reader = csv.reader(io.StringIO(text))
        assert next(reader) == ["p", "o"]
        return [tuple(row) for row in reader]
    lines = text.splitlines()
    assert lines[0] == "?p\t?o"
    return [tuple(tsv_value(v) for v in line.split("\t")) for line in lines[1:]]


def tsv_value(term: str) -> str:
    """The lexical value of a term written as in N-Triples (the TSV results format)."""
    return str(rdflib.util.from_n3(term))


@pytest.fixture(scope="module")
def json_rows(live_server) -> list[tuple[str, str]]:
    return select_rows(live_server.sparql, JSON)


@pytest.mark.parametrize("fmt", [JSON, XML, CSV, TSV])
@pytest.mark.parametrize("method", ["GET", POST])
def test_sparqlwrapper_select_in_every_result_format(live_server, json_rows, fmt, method):
    found = select_rows(live_server.sparql, fmt, method)
    assert found == json_rows
    assert ("http://www.w3.org/2000/01/rdf-schema#label", LABEL_JA) in found


def test_sparqlwrapper_select_values(live_server):
    sparql = wrapper(live_server.sparql, JSON, PILLARS_QUERY)
    bindings = sparql.queryAndConvert()["results"]["bindings"]
    assert len(bindings) == 3
    assert all(b["label"]["xml:lang"] == "ja" for b in bindings)


@pytest.mark.parametrize("fmt", [JSON, XML])
def test_sparqlwrapper_ask(live_server, fmt):
    sparql = wrapper(live_server.sparql, fmt, f"ASK {{ <{MYNUMBER}> ?p ?o }}")
    converted = sparql.queryAndConvert()
    if fmt == JSON:
        assert converted["boolean"] is True
    else:
        assert converted.getElementsByTagName("boolean")[0].firstChild.data == "true"


PARSERS = {"text/turtle": "turtle", "application/n-triples": "nt"}


def as_graph(converted: rdflib.Graph | bytes, content_type: str) -> rdflib.Graph:
    """SPARQLWrapper's conversion: a Graph for RDF/XML and JSON-LD, the bytes for Turtle and N3."""
    if isinstance(converted, rdflib.Graph):
        return converted
    return rdflib.Graph().parse(data=converted, format=PARSERS[content_type])


@pytest.fixture(scope="module")
def turtle_graph(live_server) -> rdflib.Graph:
    response = rdflib.Graph()
    sparql = wrapper(live_server.sparql, TURTLE, CONSTRUCT_QUERY)
    return response.parse(data=sparql.query().convert(), format="turtle")


@pytest.mark.parametrize(
    ("fmt", "accept", "content_type"),
    [
        (TURTLE, None, "text/turtle"),
        (N3, None, "text/turtle"),
        (N3, "application/n-triples", "application/n-triples"),
        (JSONLD, None, "application/ld+json"),
        (RDFXML, None, "application/rdf+xml"),
        (XML, None, "application/rdf+xml"),
    ],
    ids=["turtle", "n3", "n-triples", "json-ld", "rdf-xml", "xml"],
)
def test_sparqlwrapper_construct_in_every_graph_format(
    live_server, turtle_graph, fmt, accept, content_type
):
    sparql = wrapper(live_server.sparql, fmt, CONSTRUCT_QUERY)
    if accept:
        sparql.setOnlyConneg(True)
        sparql.addCustomHttpHeader("Accept", accept)
    result = sparql.query()
    assert result.info()["content-type"].split(";")[0] == content_type
    graph = as_graph(result.convert(), content_type)
    assert (
        rdflib.URIRef(MYNUMBER),
        rdflib.RDFS.label,
        rdflib.Literal(LABEL_JA, lang="ja"),
    ) in graph
    assert isomorphic(graph, turtle_graph)


@pytest.mark.parametrize("encoding", [URLENCODED, POSTDIRECTLY])
def test_sparqlwrapper_post_encodings(live_server, json_rows, encoding):
    sparql = wrapper(live_server.sparql, JSON, ROWS_QUERY)
    sparql.setMethod(POST)
    sparql.setRequestMethod(encoding)
    bindings = sparql.queryAndConvert()["results"]["bindings"]
    assert [(b["p"]["value"], b["o"]["value"]) for b in bindings] == json_rows


def test_sparqlwrapper_reports_a_malformed_query(live_server):
    sparql = wrapper(live_server.sparql, JSON, "SELECT * WHERE { ?s ?p }")
    with pytest.raises(QueryBadFormed) as caught:
        sparql.query()
    assert "error at 1:" in str(caught.value)


def test_sparqlwrapper_update_with_the_token(token_server):
    subject = f"https://w3id.org/dakg/id/test/{uuid.uuid4().hex}"
    sparql = SPARQLWrapper(token_server.sparql)
    sparql.setTimeout(60)
    sparql.setMethod(POST)
    sparql.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    sparql.setQuery(
        f'INSERT DATA {{ <{subject}> <http://www.w3.org/2000/01/rdf-schema#label> "x" }}'
    )
    assert sparql.query().response.status == 204
    ask = wrapper(token_server.sparql, JSON, f"ASK {{ <{subject}> ?p ?o }}")
    assert ask.queryAndConvert()["boolean"] is True


@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore_select(live_server, method):
    store = SPARQLStore(live_server.sparql, method=method)
    graph = rdflib.Graph(store=store)
    rows = list(graph.query(PILLARS_QUERY))
    assert len(rows) == 3
    labels = {str(row.label) for row in rows}
    assert all(isinstance(row.pillar, rdflib.URIRef) for row in rows)
    assert all(label for label in labels)


def test_rdflib_sparqlstore_triples_and_ask(live_server):
    graph = rdflib.Graph(store=SPARQLStore(live_server.sparql))
    subject = rdflib.URIRef(MYNUMBER)
    labels = set(graph.objects(subject, rdflib.RDFS.label))
    assert rdflib.Literal(LABEL_JA, lang="ja") in labels
    assert graph.query(f"ASK {{ <{MYNUMBER}> ?p ?o }}").askAnswer is True
    described = graph.query(CONSTRUCT_QUERY).graph
    assert (subject, rdflib.RDFS.label, rdflib.Literal(LABEL_JA, lang="ja")) in described
