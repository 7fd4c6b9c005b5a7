"""The W3C SPARQL 1.1 Protocol tests (rdf-tests, sparql/sparql11/protocol/manifest.ttl), sent to
a real `dakg serve` over HTTP: the manifest itself (tests/fixtures/w3c-protocol/) read and each
of its query cases' requests replayed as written, with the endpoint's path for its `/sparql/`;
and, below them, each case with checks of the answer's content the manifest leaves out.

The manifest's dataset cases name three graphs on the web (http://kasei.us/2009/09/sparql/data/
data1.rdf, data2.rdf, data3.rdf), each a document that describes itself. An endpoint that
fetches nothing serves them from a fixture project (tests/fixtures/project/data/ttl/w3c/), under
its own graph names: each case's request is the manifest's with those names in the place of the
kasei.us addresses. Update cases are here as far as a read-only endpoint answers them as the
manifest expects (every refusal it asks for before the update would run); the updates that
change the store are tested with a token in test_sparql_protocol.py.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from urllib.parse import quote

import httpx
import pytest
import rdflib
from helpers import FIXTURES
from helpers.server import live_server_fixture
from rdflib.query import Result

PROJECT = FIXTURES / "project"
fixture_server = live_server_fixture(root=PROJECT)

GRAPH = "https://w3id.org/dakg/graph/data/w3c/"
DATA1, DATA2, DATA3 = (GRAPH + f"data{n}" for n in (1, 2, 3))
FORM = "application/x-www-form-urlencoded"
DIRECT = "application/sparql-query"
UPDATE = "application/sparql-update"
RESULTS = ("application/sparql-results+xml", "application/sparql-results+json")
RESULT_TYPES = (*RESULTS, "text/csv", "text/tab-separated-values")
RDF_TYPES = ("application/rdf+xml", "text/turtle", "application/n-triples", "application/ld+json")


def enc(text: str) -> str:
    """Percent-encoded as the manifest writes its requests (%20 for a space)."""
    return quote(text, safe="")


@dataclass(frozen=True)
class Case:
    """One manifest case: its request and what the manifest expects of the answer."""

    method: str
    target: str  # the path and query string, as in the manifest's request line
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    status: tuple[int, ...] = (200,)
    types: tuple[str, ...] = ()
    # The answer's meaning: the boolean of an ASK, or the triples or rows that must be there.
    boolean: bool | None = None
    triples: frozenset[tuple[str, str, str]] = frozenset()
    rows: frozenset[tuple[str, ...]] | None = None


def ask(data: str) -> str:
    return f"ASK {{ <{data}> ?p ?o }}"


TWO_DEFAULT = f"ASK {{ <{DATA1}> ?p ?o . <{DATA2}> ?p ?o }}"
TWO_NAMED = f"ASK {{ GRAPH ?g1 {{ <{DATA1}> ?p ?o }} GRAPH ?g2 {{ <{DATA2}> ?p ?o }} }}"
FULL = "SELECT ?g ?x ?s WHERE { ?x ?y ?o OPTIONAL { GRAPH ?g { ?s ?p ?v } } }"
UPDATE_TEXT = "PREFIX dc: <http://purl.org/dc/elements/1.1/> INSERT DATA { <s> dc:title 'x' }"

CASES: dict[str, Case] = {
    "query_get": Case("GET", "/sparql?query=" + enc("ASK {}"), types=RESULTS, boolean=True),
    # The form's dataset is in the URL, the query in the body.
    "query_post_form": Case(
        "POST",
        "/sparql?default-graph-uri=" + enc(DATA1),
        {"Content-Type": FORM},
        b"query=" + enc(ask(DATA1)).encode(),
        types=RESULTS,
        boolean=True,
    ),
    "query_post_direct": Case(
        "POST", "/sparql", {"Content-Type": DIRECT}, b"ASK {}", types=RESULTS, boolean=True
    ),
    "query_dataset_default_graph": Case(
        "GET",
        f"/sparql?query={enc(ask(DATA1))}&default-graph-uri={enc(DATA1)}",
        types=RESULTS,
        boolean=True,
    ),
    "query_dataset_default_graphs_get": Case(
        "GET",
        f"/sparql?query={enc(TWO_DEFAULT)}&default-graph-uri={enc(DATA1)}"
        f"&default-graph-uri={enc(DATA2)}",
        types=RESULTS,
        boolean=True,
    ),
    "query_dataset_default_graphs_post": Case(
        "POST",
        "/sparql",
        {"Content-Type": FORM},
        f"query={enc(TWO_DEFAULT)}&default-graph-uri={enc(DATA1)}"
        f"&default-graph-uri={enc(DATA2)}".encode(),
        types=RESULTS,
        boolean=True,
    ),
    "query_dataset_named_graphs_post": Case(
        "POST",
        "/sparql",
        {"Content-Type": FORM},
        f"query={enc(TWO_NAMED)}&named-graph-uri={enc(DATA1)}"
        f"&named-graph-uri={enc(DATA2)}".encode(),
        types=RESULTS,
        boolean=True,
    ),
    "query_dataset_named_graphs_get": Case(
        "GET",
        f"/sparql?query={enc(TWO_NAMED)}&named-graph-uri={enc(DATA1)}&named-graph-uri={enc(DATA2)}",
        types=RESULTS,
        boolean=True,
    ),
    "query_dataset_full": Case(
        "GET",
        f"/sparql?query={enc(FULL)}&default-graph-uri={enc(DATA3)}"
        f"&named-graph-uri={enc(DATA1)}&named-graph-uri={enc(DATA2)}",
        types=RESULTS,
        rows=frozenset({(DATA1, DATA3, DATA1), (DATA2, DATA3, DATA2)}),
    ),
    # The protocol's dataset wins over the query's FROM.
    "query_multiple_dataset": Case(
        "GET",
        f"/sparql?query={enc(f'ASK FROM <{DATA2}> {{ <{DATA1}> ?p ?o }}')}"
        f"&default-graph-uri={enc(DATA1)}",
        types=RESULTS,
        boolean=True,
    ),
    "query_content_type_select": Case(
        "POST",
        "/sparql",
        {"Content-Type": DIRECT, "Accept": ", ".join(RESULT_TYPES)},
        b"SELECT (1 AS ?value) {}",
        types=RESULT_TYPES,
        rows=frozenset({("1",)}),
    ),
    "query_content_type_ask": Case(
        "POST",
        "/sparql",
        {"Content-Type": DIRECT, "Accept": ", ".join(RESULTS)},
        b"ASK {}",
        types=RESULTS,
        boolean=True,
    ),
    "query_content_type_describe": Case(
        "POST",
        "/sparql",
        {"Content-Type": DIRECT, "Accept": ", ".join(RDF_TYPES)},
        b"DESCRIBE <http://example.org/>",
        types=RDF_TYPES,
    ),
    # Relative IRIs: resolved against the endpoint's URL.
    "query_content_type_construct": Case(
        "POST",
        "/sparql",
        {"Content-Type": DIRECT, "Accept": ", ".join(RDF_TYPES)},
        b"CONSTRUCT { <s> <p> 1 } WHERE {}",
        types=RDF_TYPES,
        triples=frozenset({("{root}s", "{root}p", "1")}),
    ),
    "bad_query_method": Case("PUT", "/sparql?query=" + enc("ASK {}"), status=(405,)),
    "bad_multiple_queries": Case(
        "GET", f"/sparql?query={enc('ASK {}')}&query={enc('SELECT * {}')}", status=(400,)
    ),
    "bad_query_wrong_media_type": Case(
        "POST", "/sparql", {"Content-Type": "text/plain"}, b"ASK {}", status=(415,)
    ),
    "bad_query_missing_form_type": Case(
        "POST", "/sparql", {}, b"query=" + enc("ASK {}").encode(), status=(415,)
    ),
    "bad_query_missing_direct_type": Case("POST", "/sparql", {}, b"ASK {}", status=(415,)),
    "bad_query_non_utf8": Case(
        "POST",
        "/sparql",
        {"Content-Type": f"{DIRECT}; charset=UTF-8"},
        'ASK { FILTER(?x = "é") }'.encode("iso-8859-1"),
        status=(400,),
    ),
    "bad_query_syntax": Case("GET", "/sparql?query=" + enc("ASK {"), status=(400,)),
    "bad_update_get": Case("GET", "/sparql?update=" + enc(UPDATE_TEXT), status=(400,)),
    "bad_multiple_updates": Case(
        "POST",
        "/sparql",
        {"Content-Type": FORM},
        f"update={enc(UPDATE_TEXT)}&update={enc('CLEAR NAMED')}".encode(),
        status=(400,),
    ),
    "bad_update_wrong_media_type": Case(
        "POST", "/sparql", {"Content-Type": "text/plain"}, UPDATE_TEXT.encode(), status=(415,)
    ),
    "bad_update_missing_form_type": Case(
        "POST", "/sparql", {}, b"update=" + enc(UPDATE_TEXT).encode(), status=(415,)
    ),
    "bad_update_non_utf8": Case(
        "POST",
        "/sparql",
        {"Content-Type": f"{UPDATE}; charset=UTF-8"},
        "INSERT DATA { <s> <p> 'é' }".encode("iso-8859-1"),
        status=(400,),
    ),
    "bad_update_dataset_conflict": Case(
        "POST",
        f"/sparql?using-named-graph-uri={enc(DATA1)}",
        {"Content-Type": UPDATE},
        f"WITH <{DATA1}> DELETE {{ ?s ?p ?o }} USING <{DATA2}> WHERE {{ ?s ?p ?o }}".encode(),
        status=(400,),
    ),
}


@pytest.fixture(scope="module")
def client(fixture_server) -> httpx.Client:
    with httpx.Client(base_url=fixture_server.base, timeout=60.0) as http:
        yield http


def send(client: httpx.Client, case: Case) -> httpx.Response:
    """The case's request byte for byte: its target as written, its body, only its headers."""
    request = client.build_request(case.method, case.target, content=case.body)
    for name in ("content-type", "accept"):
        if name in request.headers and name not in {k.lower() for k in case.headers}:
            del request.headers[name]
    request.headers.update(case.headers)
    if "accept" not in request.headers:
        request.headers["accept"] = "*/*"
    return client.send(request)


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


def result_of(response: httpx.Response) -> Result:
    formats = dict(zip(RESULT_TYPES, ("xml", "json", "csv", "tsv"), strict=True))
    return Result.parse(io.BytesIO(response.content), format=formats[media_type(response)])


def graph_of(response: httpx.Response) -> rdflib.Graph:
    formats = dict(zip(RDF_TYPES, ("xml", "turtle", "nt", "json-ld"), strict=True))
    return rdflib.Graph().parse(data=response.content, format=formats[media_type(response)])


@pytest.mark.parametrize("name", list(CASES))
def test_w3c_protocol_case(client, fixture_server, name):
    case = CASES[name]
    response = send(client, case)
    assert response.status_code in case.status, response.text
    if response.status_code >= 400:
        assert response.headers["content-type"] == "text/plain; charset=utf-8"
        assert response.text.strip(), "a refusal says why"
        return
    assert media_type(response) in case.types
    if case.boolean is not None:
        assert result_of(response).askAnswer is case.boolean
    if case.rows is not None:
        found = {tuple(str(term) for term in row) for row in result_of(response)}
        assert found == case.rows
    if case.triples:
        root = fixture_server.base + "/"  # the endpoint's URL, /sparql, resolves <s> here
        found = {tuple(str(term) for term in triple) for triple in graph_of(response)}
        expected = {tuple(t.replace("{root}", root) for t in triple) for triple in case.triples}
        assert found == expected


def test_the_dataset_cases_are_false_without_the_protocol_graphs(client):
    """The dataset cases' answers come from the graphs they name: the same ASK of data1 over
    data2 alone is false, so their `true` could not be had by any dataset."""
    target = f"/sparql?query={enc(ask(DATA1))}&default-graph-uri={enc(DATA2)}"
    response = send(client, Case("GET", target))
    assert response.status_code == 200
    assert result_of(response).askAnswer is False
    form = send(
        client,
        Case(
            "POST",
            "/sparql?default-graph-uri=" + enc(DATA2),
            {"Content-Type": FORM},
            b"query=" + enc(ask(DATA1)).encode(),
        ),
    )
    assert result_of(form).askAnswer is False


def test_a_form_post_takes_graphs_from_the_url_and_the_body_together(client):
    body = f"query={enc(TWO_DEFAULT)}&default-graph-uri={enc(DATA2)}".encode()
    response = send(
        client,
        Case("POST", "/sparql?default-graph-uri=" + enc(DATA1), {"Content-Type": FORM}, body),
    )
    assert response.status_code == 200, response.text
    assert result_of(response).askAnswer is True


def test_a_form_post_still_refuses_a_query_in_its_url(client):
    response = send(
        client,
        Case(
            "POST",
            "/sparql?query=" + enc("ASK {}"),
            {"Content-Type": FORM},
            b"query=" + enc("ASK {}").encode(),
        ),
    )
    assert response.status_code == 400
    assert "'query' cannot be given in the URL" in response.text


def test_relative_iris_resolve_against_the_endpoint_url(client, fixture_server):
    base = fixture_server.base + "/sparql"
    query = "SELECT ?x ?y WHERE { BIND (<s> AS ?x) BIND (<#frag> AS ?y) }"
    response = client.get("/sparql", params={"query": query})
    assert response.status_code == 200, response.text
    (binding,) = response.json()["results"]["bindings"]
    assert binding["x"]["value"] == fixture_server.base + "/s"
    assert binding["y"]["value"] == base + "#frag"
    # A BASE of the query's own wins, as the grammar says.
    own = client.get("/sparql", params={"query": "BASE <http://example.org/a/> " + query})
    (binding,) = own.json()["results"]["bindings"]
    assert binding["x"]["value"] == "http://example.org/a/s"


# ---------------------------------------------------------------- the manifest itself

MANIFEST = FIXTURES / "w3c-protocol" / "manifest.ttl"
MF = rdflib.Namespace("http://www.w3.org/2001/sw/DataAccess/tests/test-manifest#")
HT = rdflib.Namespace("http://www.w3.org/2011/http#")
CNT = rdflib.Namespace("http://www.w3.org/2011/content#")
HTS = "http://www.w3.org/2011/http-statusCodes#StatusCode"
KASEI = "http://kasei.us/2009/09/sparql/data/data{}.rdf"


def manifest_cases() -> list[tuple[str, list[dict]]]:
    """Each query case of the manifest (and each refusal of an update it asks for, which a
    read-only endpoint gives before anything would run) with its requests, as written."""
    graph = rdflib.Graph().parse(MANIFEST, format="turtle")
    cases = []
    for test in graph.subjects(rdflib.RDF.type, MF.ProtocolTest):
        name = str(test).rsplit("#", 1)[1]
        if not name.startswith(("query_", "bad_query", "bad_update", "bad_multiple")):
            continue
        action = graph.value(test, MF.action)
        requests = []
        for request in rdflib.collection.Collection(graph, graph.value(action, HT.requests)):
            body = graph.value(request, HT.body)
            headers = graph.value(request, HT.headers)
            expected = graph.value(request, HT.resp)
            requests.append(
                {
                    "method": str(graph.value(request, HT.methodName)),
                    "path": str(graph.value(request, HT.absolutePath)),
                    "headers": [
                        (str(graph.value(h, HT.fieldName)), str(graph.value(h, HT.fieldValue)))
                        for h in (rdflib.collection.Collection(graph, headers) if headers else [])
                    ],
                    "body": str(graph.value(body, CNT.chars)) if body else None,
                    "encoding": str(graph.value(body, CNT.characterEncoding) or "UTF-8")
                    if body
                    else None,
                    "status": {
                        str(s).removeprefix(HTS) for s in graph.objects(expected, MF.expectedStatus)
                    },
                    "boolean": graph.value(expected, MF.expectedBoolean),
                    "format": str(graph.value(expected, MF.expectedFormat) or ""),
                }
            )
        cases.append((name, requests))
    return sorted(cases, key=lambda case: case[0])


def as_served(text: str) -> str:
    """A manifest request's text with the endpoint's path for the manifest's `/sparql/`, and the
    fixture graphs' names for the kasei.us documents (plain and percent-encoded)."""
    if text.startswith("/sparql/"):
        text = "/sparql" + text[len("/sparql/") :]
    for n, ours in ((1, DATA1), (2, DATA2), (3, DATA3)):
        text = text.replace(KASEI.format(n), ours).replace(enc(KASEI.format(n)), enc(ours))
    return text


MANIFEST_CASES = manifest_cases()


def test_the_manifest_has_every_query_case() -> None:
    names = {name for name, _ in MANIFEST_CASES}
    assert {"query_get", "query_post_form", "query_post_direct", "query_dataset_full",
            "query_content_type_construct", "bad_query_syntax", "bad_query_non_utf8"} <= names  # fmt: skip
    assert len(names) >= 20


@pytest.mark.parametrize(("name", "requests"), MANIFEST_CASES, ids=[n for n, _ in MANIFEST_CASES])
def test_the_manifests_own_requests(fixture_server, name, requests) -> None:
    with httpx.Client(base_url=fixture_server.base, timeout=30.0) as http:
        for request in requests:
            body = None
            if request["body"] is not None:
                body = as_served(request["body"]).encode(request["encoding"].lower())
            answer = http.request(
                request["method"],
                as_served(request["path"]),
                headers=request["headers"],
                content=body,
            )
            classes = {f"{answer.status_code // 100}xx"}
            assert classes & request["status"], (name, answer.status_code, answer.text[:300])
            media = answer.headers.get("content-type", "").split(";")[0]
            if request["format"] == "boolean" or request["boolean"] is not None:
                assert media in RESULTS, (name, media)
                result = Result.parse(io.BytesIO(answer.content), content_type=media)
                if request["boolean"] is not None:
                    assert result.askAnswer is request["boolean"].toPython(), name
            elif request["format"] == "RDF":
                assert media in RDF_TYPES, (name, media)
                rdflib.Graph().parse(data=answer.content, format=media)  # a graph it can read
            elif request["format"] == "tabular":
                assert media in RESULT_TYPES, (name, media)
