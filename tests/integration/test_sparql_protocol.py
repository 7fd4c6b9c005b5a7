"""The SPARQL 1.1 Protocol at /sparql, over raw HTTP against a real `dakg serve`.

Every protocol case of the issue has its status code here: 200, 204, 304, 400 (each malformed
request), 401, 403, 405, 406, 413, 415 and 503.
"""

from __future__ import annotations

import email.utils
import io
import os
import re
import subprocess
import uuid

import httpx
import pytest
import rdflib
from dakg.settings import Settings
from dakg.sparql.form import query_shape
from dakg.web.app import create_app
from fastapi.testclient import TestClient
from helpers.server import DAKG, HOST, free_port, live_server_fixture
from rdflib.compare import isomorphic
from rdflib.query import Result

live_server = live_server_fixture()
TOKEN = "test-token-" + uuid.uuid4().hex
token_server = live_server_fixture({"DAKG_UPDATE_TOKEN": TOKEN})

MYNUMBER = "https://w3id.org/dakg/id/initiative/mynumber-card"
PILLARS_GRAPH = "https://w3id.org/dakg/graph/data/pillars"
LABEL_QUERY = f"""PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>
SELECT ?label WHERE {{ <{MYNUMBER}> rdfs:label ?label FILTER (lang(?label) = "ja") }}"""
PILLAR_COUNT = """PREFIX dakg: <https://w3id.org/dakg/def/>
SELECT (COUNT(DISTINCT ?pillar) AS ?pillars) WHERE { ?pillar a dakg:Pillar }"""
DESCRIBE_QUERY = f"CONSTRUCT {{ <{MYNUMBER}> ?p ?o }} WHERE {{ <{MYNUMBER}> ?p ?o }}"
COUNT_ALL = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
ASK_QUERY = f"ASK {{ <{MYNUMBER}> a ?type }}"

RESULT_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {
    "turtle": "text/turtle",
    "nt": "application/n-triples",
    "json-ld": "application/ld+json",
    "xml": "application/rdf+xml",
}


@pytest.fixture(scope="module")
def client(live_server) -> httpx.Client:
    with httpx.Client(base_url=live_server.base, timeout=60.0) as http:
        yield http


def media_type(response: httpx.Response) -> str:
    return response.headers["content-type"].split(";")[0].strip()


def rows(response: httpx.Response) -> list[tuple]:
    """The solutions of a SELECT answer in any of the four result formats, as rdflib terms."""
    kind = {v: k for k, v in RESULT_TYPES.items()}[media_type(response)]
    result = Result.parse(io.BytesIO(response.content), format=kind)
    return [tuple(row) for row in result]


def single_value(response: httpx.Response) -> str:
    data = response.json()
    (binding,) = data["results"]["bindings"]
    (term,) = binding.values()
    return term["value"]


# ---- queries: the three ways in, and what comes back ---------------------------------------


def test_get_answers_sparql_json_by_default(client):
    response = client.get("/sparql", params={"query": LABEL_QUERY})
    assert response.status_code == 200
    assert media_type(response) == "application/sparql-results+json"
    assert single_value(response) == "マイナンバーカードの普及"
    label = response.json()["results"]["bindings"][0]["label"]
    assert label == {"type": "literal", "value": "マイナンバーカードの普及", "xml:lang": "ja"}


def test_post_form_and_post_body_give_the_same_answer_as_get(client):
    by_get = client.get("/sparql", params={"query": PILLAR_COUNT})
    by_form = client.post("/sparql", data={"query": PILLAR_COUNT})
    by_body = client.post(
        "/sparql",
        content=PILLAR_COUNT.encode(),
        headers={"content-type": "application/sparql-query"},
    )
    for response in (by_get, by_form, by_body):
        assert response.status_code == 200, response.text
        assert single_value(response) == "3"
    assert by_get.content == by_form.content == by_body.content


def test_post_body_with_a_charset_parameter(client):
    response = client.post(
        "/sparql",
        content=LABEL_QUERY.encode(),
        headers={"content-type": "application/sparql-query; charset=UTF-8"},
    )
    assert response.status_code == 200
    assert single_value(response) == "マイナンバーカードの普及"


@pytest.mark.parametrize("kind", sorted(RESULT_TYPES))
def test_select_in_each_result_format(client, kind):
    response = client.get(
        "/sparql", params={"query": LABEL_QUERY}, headers={"accept": RESULT_TYPES[kind]}
    )
    assert response.status_code == 200
    assert media_type(response) == RESULT_TYPES[kind]
    assert [str(value) for (value,) in rows(response)] == ["マイナンバーカードの普及"]


def test_the_four_result_formats_give_the_same_rows(client):
    query = f"""PREFIX dakg: <https://w3id.org/dakg/def/>
    SELECT ?p ?o WHERE {{ <{MYNUMBER}> ?p ?o }} ORDER BY ?p ?o"""
    answers = {
        kind: rows(client.get("/sparql", params={"query": query}, headers={"accept": media}))
        for kind, media in RESULT_TYPES.items()
    }
    assert len(answers["json"]) > 10
    # JSON, XML and TSV keep every term exactly; CSV keeps the lexical values.
    assert answers["json"] == answers["xml"] == answers["tsv"]
    as_text = {kind: [tuple(map(str, row)) for row in found] for kind, found in answers.items()}
    assert as_text["csv"] == as_text["json"]


@pytest.mark.parametrize("kind", sorted(RESULT_TYPES))
def test_ask_in_each_result_format(client, kind):
    response = client.get(
        "/sparql", params={"query": ASK_QUERY}, headers={"accept": RESULT_TYPES[kind]}
    )
    assert response.status_code == 200
    assert media_type(response) == RESULT_TYPES[kind]
    body = response.text
    if kind == "json":
        assert response.json() == {"head": {}, "boolean": True}
    elif kind == "xml":
        assert "<boolean>true</boolean>" in body
    else:
        assert body.strip().splitlines()[-1] == "true"


def parse_graph(response: httpx.Response) -> rdflib.Graph:
    formats = {
        "text/turtle": "turtle",
        "application/n-triples": "nt",
        "application/ld+json": "json-ld",
        "application/rdf+xml": "xml",
    }
    return rdflib.Graph().parse(data=response.content, format=formats[media_type(response)])


def test_construct_in_each_graph_format_gives_the_same_graph(client):
    graphs = {}
    for kind, media in GRAPH_TYPES.items():
        response = client.get(
            "/sparql", params={"query": DESCRIBE_QUERY}, headers={"accept": media}
        )
        assert response.status_code == 200, response.text
        assert media_type(response) == media
        graphs[kind] = parse_graph(response)
    label = rdflib.Literal("マイナンバーカードの普及", lang="ja")
    assert (rdflib.URIRef(MYNUMBER), rdflib.RDFS.label, label) in graphs["turtle"]
    for kind, graph in graphs.items():
        assert isomorphic(graph, graphs["turtle"]), kind


def test_describe_and_construct_default_to_turtle(client):
    for query in (DESCRIBE_QUERY, f"DESCRIBE <{MYNUMBER}>"):
        response = client.get("/sparql", params={"query": query})
        assert response.status_code == 200
        assert response.headers["content-type"] == "text/turtle; charset=utf-8"
        assert len(parse_graph(response)) > 10


@pytest.mark.parametrize(
    ("query", "accept", "expected"),
    [
        (LABEL_QUERY, "*/*", "application/sparql-results+json"),
        (LABEL_QUERY, "application/json", "application/sparql-results+json"),
        (LABEL_QUERY, "application/xml", "application/sparql-results+xml"),
        (
            LABEL_QUERY,
            "text/csv;q=0.5, application/sparql-results+xml;q=0.9",
            "application/sparql-results+xml",
        ),
        (LABEL_QUERY, "text/*", "text/csv"),
        (LABEL_QUERY, "text/tab-separated-values, */*;q=0.1", "text/tab-separated-values"),
        (LABEL_QUERY, "text/csv, */*", "text/csv"),
        (DESCRIBE_QUERY, "*/*", "text/turtle"),
        (DESCRIBE_QUERY, "application/json", "application/ld+json"),
        (DESCRIBE_QUERY, "application/xml", "application/rdf+xml"),
        (DESCRIBE_QUERY, "application/n-triples;q=1, text/turtle;q=0.5", "application/n-triples"),
    ],
    ids=lambda v: v if len(v) < 60 else None,
)
def test_accept_negotiation(client, query, accept, expected):
    response = client.get("/sparql", params={"query": query}, headers={"accept": accept})
    assert response.status_code == 200
    assert media_type(response) == expected


@pytest.mark.parametrize(
    ("query", "value", "expected"),
    [
        (LABEL_QUERY, "json", "application/sparql-results+json"),
        (LABEL_QUERY, "xml", "application/sparql-results+xml"),
        (LABEL_QUERY, "csv", "text/csv"),
        (LABEL_QUERY, "tsv", "text/tab-separated-values"),
        (DESCRIBE_QUERY, "turtle", "text/turtle"),
        (DESCRIBE_QUERY, "ttl", "text/turtle"),
        (DESCRIBE_QUERY, "ntriples", "application/n-triples"),
        (DESCRIBE_QUERY, "nt", "application/n-triples"),
        (DESCRIBE_QUERY, "jsonld", "application/ld+json"),
        (DESCRIBE_QUERY, "rdfxml", "application/rdf+xml"),
        (DESCRIBE_QUERY, "xml", "application/rdf+xml"),
        (DESCRIBE_QUERY, "application/n-triples", "application/n-triples"),
    ],
)
def test_format_parameter_overrides_accept(client, query, value, expected):
    response = client.get(
        "/sparql", params={"query": query, "format": value}, headers={"accept": "image/png"}
    )
    assert response.status_code == 200, response.text
    assert media_type(response) == expected


def test_default_graph_uri_replaces_the_union(client):
    union = client.get("/sparql", params={"query": COUNT_ALL})
    pillars = client.get("/sparql", params={"query": COUNT_ALL, "default-graph-uri": PILLARS_GRAPH})
    in_graph = client.get(
        "/sparql",
        params={
            "query": f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{PILLARS_GRAPH}> {{ ?s ?p ?o }} }}"
        },
    )
    assert 0 < int(single_value(pillars)) == int(single_value(in_graph))
    assert int(single_value(pillars)) < int(single_value(union))


def test_named_graph_uri_limits_the_named_graphs(client):
    query = "SELECT DISTINCT ?g WHERE { GRAPH ?g { ?s ?p ?o } }"
    everything = client.get("/sparql", params={"query": query}).json()["results"]["bindings"]
    assert len(everything) > 5
    only = client.post(
        "/sparql",
        data={"query": query, "named-graph-uri": PILLARS_GRAPH},
    ).json()["results"]["bindings"]
    assert [b["g"]["value"] for b in only] == [PILLARS_GRAPH]
    # With named graphs named and no default graph, the default graph is empty.
    empty = client.post("/sparql", data={"query": COUNT_ALL, "named-graph-uri": PILLARS_GRAPH})
    assert single_value(empty) == "0"


def test_from_in_the_query_is_honoured(client):
    query = f"SELECT (COUNT(*) AS ?n) FROM <{PILLARS_GRAPH}> WHERE {{ ?s ?p ?o }}"
    by_from = client.get("/sparql", params={"query": query})
    by_protocol = client.get(
        "/sparql", params={"query": COUNT_ALL, "default-graph-uri": PILLARS_GRAPH}
    )
    assert single_value(by_from) == single_value(by_protocol)


# ---- caching ---------------------------------------------------------------------------------


def test_repeated_queries_carry_an_etag_and_revalidate_with_304(client):
    first = client.get("/sparql", params={"query": PILLAR_COUNT})
    etag = first.headers["etag"]
    assert etag.startswith('W/"')
    assert "max-age=" in first.headers["cache-control"]
    assert "Accept" in first.headers["vary"]
    second = client.get("/sparql", params={"query": PILLAR_COUNT})
    assert second.headers["etag"] == etag and second.content == first.content
    again = client.get("/sparql", params={"query": PILLAR_COUNT}, headers={"if-none-match": etag})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == etag
    other = client.get(
        "/sparql", params={"query": PILLAR_COUNT}, headers={"if-none-match": 'W/"other"'}
    )
    assert other.status_code == 200


def test_each_format_has_its_own_etag(client):
    tags = {
        client.get("/sparql", params={"query": PILLAR_COUNT}, headers={"accept": m}).headers["etag"]
        for m in RESULT_TYPES.values()
    }
    assert len(tags) == len(RESULT_TYPES)


def test_head_gives_the_headers_without_a_body(client):
    response = client.head("/sparql", params={"query": PILLAR_COUNT})
    assert response.status_code == 200
    assert media_type(response) == "application/sparql-results+json"
    assert response.content == b""


# ---- errors: every status ------------------------------------------------------------------

BAD = "SELECT * WHERE {\n  ?s ?p ?o .\n  FILTER (?o = )\n}"
FORM = {"content-type": "application/x-www-form-urlencoded"}
SPARQL_QUERY = {"content-type": "application/sparql-query"}
SPARQL_UPDATE = "application/sparql-update"

ERRORS = [
    ("malformed-query", "GET", {"params": {"query": BAD}}, 400, "Parse error: error at "),
    ("malformed-query-post", "POST", {"data": {"query": "SELEKT * {}"}}, 400, "1:1"),
    ("two-queries", "GET", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, "2 times"),
    (
        "two-queries-form",
        "POST",
        {"content": b"query=ASK+%7B%7D&query=ASK+%7B%7D", "headers": FORM},
        400,
        "2 times",
    ),
    (
        "query-in-url-and-body",
        "POST",
        {"params": {"query": "ASK {}"}, "content": b"ASK {}", "headers": SPARQL_QUERY},
        400,
        "both",
    ),
    (
        "query-in-url-and-form",
        "POST",
        {"params": {"query": "ASK {}"}, "data": {"query": "ASK {}"}},
        400,
        "URL",
    ),
    (
        "query-and-update",
        "POST",
        {"data": {"query": "ASK {}", "update": "CLEAR ALL"}},
        400,
        "not both",
    ),
    ("no-query-in-form", "POST", {"data": {"format": "json"}}, 400, "Missing"),
    (
        "non-utf8-body",
        "POST",
        {"content": b'ASK { FILTER ("\xff") }', "headers": SPARQL_QUERY},
        400,
        "UTF-8",
    ),
    ("non-utf8-form", "POST", {"content": b"query=ASK+%7B%7D%FF", "headers": FORM}, 400, "UTF-8"),
    ("non-utf8-url", "GET", {"url": "/sparql?query=ASK%7B%7D%FF"}, 400, "UTF-8"),
    ("update-by-get", "GET", {"params": {"update": "CLEAR ALL"}}, 400, "POST"),
    ("graphs-without-query", "GET", {"params": {"default-graph-uri": PILLARS_GRAPH}}, 400, "query"),
    (
        "bad-graph-iri",
        "GET",
        {"params": {"query": "ASK {}", "default-graph-uri": "not an iri"}},
        400,
        "IRI",
    ),
    (
        "unknown-format",
        "GET",
        {"params": {"query": "ASK {}", "format": "yaml"}},
        400,
        "Unknown format",
    ),
    (
        "results-not-acceptable",
        "GET",
        {"params": {"query": "ASK {}"}, "headers": {"accept": "image/png"}},
        406,
        "application/sparql-results+json",
    ),
    (
        "graph-not-acceptable",
        "GET",
        {"params": {"query": DESCRIBE_QUERY}, "headers": {"accept": "text/csv"}},
        406,
        "text/turtle",
    ),
    (
        "select-as-turtle",
        "GET",
        {"params": {"query": LABEL_QUERY}, "headers": {"accept": "text/turtle"}},
        406,
        "text/csv",
    ),
    (
        "csv-for-construct",
        "GET",
        {"params": {"query": DESCRIBE_QUERY, "format": "csv"}},
        406,
        "turtle",
    ),
    (
        "wrong-media-type",
        "POST",
        {"content": b"ASK {}", "headers": {"content-type": "text/plain"}},
        415,
        "text/plain",
    ),
    (
        "no-media-type",
        "POST",
        {"content": b"ASK {}", "headers": {"content-type": ""}},
        415,
        "Unsupported",
    ),
    ("json-body", "POST", {"json": {"query": "ASK {}"}}, 415, "application/json"),
    ("put", "PUT", {"content": b"ASK {}"}, 405, "PUT"),
    ("delete", "DELETE", {}, 405, "DELETE"),
    ("patch", "PATCH", {"content": b"x"}, 405, "PATCH"),
    (
        "update-without-token-configured",
        "POST",
        {"data": {"update": "CLEAR ALL"}},
        403,
        "read-only",
    ),
    (
        "update-body-without-token-configured",
        "POST",
        {"content": b"CLEAR ALL", "headers": {"content-type": "application/sparql-update"}},
        403,
        "read-only",
    ),
    (
        "too-large",
        "POST",
        {"content": b"#" * (1024 * 1024 + 1), "headers": SPARQL_QUERY},
        413,
        "larger",
    ),
]


@pytest.mark.parametrize(
    ("method", "kwargs", "status", "fragment"),
    [case[1:] for case in ERRORS],
    ids=[case[0] for case in ERRORS],
)
def test_protocol_errors(client, method, kwargs, status, fragment):
    kwargs = dict(kwargs)
    url = kwargs.pop("url", "/sparql")
    response = client.request(method, url, **kwargs)
    assert response.status_code == status, response.text
    assert fragment in response.text
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    if status == 405:
        assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"


def test_a_parse_error_names_the_line_and_column(client):
    response = client.get("/sparql", params={"query": BAD})
    assert response.status_code == 400
    position = re.match(r"Parse error: error at (\d+):(\d+): expected ", response.text)
    assert position, response.text
    assert int(position[1]) >= 3  # the error is on the FILTER line or just after it


def test_the_store_is_unchanged_after_a_refused_update(client):
    before = single_value(client.get("/sparql", params={"query": COUNT_ALL}))
    client.post("/sparql", data={"update": "CLEAR ALL"})
    assert single_value(client.get("/sparql", params={"query": COUNT_ALL})) == before


def test_plain_options_lists_the_methods(client):
    response = client.options("/sparql")
    assert response.status_code == 204
    assert response.headers["allow"] == "GET, HEAD, POST, OPTIONS"


@pytest.mark.embedded_only(reason="pyoxigraph's own time limit; an engine's is 504 (test_stores)")
def test_a_slow_query_is_stopped_with_503(service_store):
    settings = Settings.from_env(query_timeout=0.05)
    app = create_app(settings, service_store.dataset())
    # About 0.4 s of work here: well past the limit, yet short, since on a store that runs
    # queries in the server's threads a query past its limit runs on to its end
    # (tests/e2e/test_limits.py checks that a worker's query is killed).
    slow = "SELECT (COUNT(*) AS ?n) WHERE { ?a a ?t . ?d ?e ?f }"
    with TestClient(app) as local:
        response = local.get("/sparql", params={"query": slow})
    assert response.status_code == 503
    assert "0.05 s" in response.text


# ---- CORS ------------------------------------------------------------------------------------


def test_cors_on_get_and_post(client):
    origin = {"origin": "https://notebook.example.org"}
    got = client.get("/sparql", params={"query": ASK_QUERY}, headers=origin)
    posted = client.post("/sparql", data={"query": ASK_QUERY}, headers=origin)
    for response in (got, posted):
        assert response.headers["access-control-allow-origin"] == "*"
        assert "etag" in response.headers["access-control-expose-headers"].lower()


def test_cors_preflight(client):
    response = client.options(
        "/sparql",
        headers={
            "origin": "https://notebook.example.org",
            "access-control-request-method": "POST",
            "access-control-request-headers": "content-type, authorization",
        },
    )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    assert "POST" in response.headers["access-control-allow-methods"]
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


# ---- no query: service description, query page; /health --------------------------------------

SD = rdflib.Namespace("http://www.w3.org/ns/sparql-service-description#")
VOID = rdflib.Namespace("http://rdfs.org/ns/void#")
FORMATS = rdflib.Namespace("http://www.w3.org/ns/formats/")


@pytest.mark.parametrize(
    "accept", [None, "text/turtle", "application/rdf+xml", "application/ld+json"]
)
def test_service_description(client, live_server, accept):
    headers = {"accept": accept} if accept else {}
    response = client.get("/sparql", headers=headers)
    assert response.status_code == 200
    graph = parse_graph(response)
    endpoint = rdflib.URIRef(live_server.sparql)
    assert (endpoint, rdflib.RDF.type, SD.Service) in graph
    assert (endpoint, SD.endpoint, endpoint) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Query) in graph
    assert (endpoint, SD.supportedLanguage, SD.SPARQL11Update) not in graph
    formats = set(graph.objects(endpoint, SD.resultFormat))
    for name in (
        "SPARQL_Results_JSON",
        "SPARQL_Results_XML",
        "SPARQL_Results_CSV",
        "SPARQL_Results_TSV",
        "Turtle",
        "N-Triples",
        "JSON-LD",
        "RDF_XML",
    ):
        assert FORMATS[name] in formats
    dataset = graph.value(endpoint, SD.defaultDataset)
    triples = int(graph.value(dataset, VOID.triples))
    health = client.get("/health").json()
    assert triples == health["triples"]
    assert len(list(graph.objects(dataset, SD.namedGraph))) == health["graphs"]


def test_no_query_and_no_rdf_accepted_is_a_406(client):
    response = client.get("/sparql", headers={"accept": "application/sparql-results+json"})
    assert response.status_code == 406
    assert "text/turtle" in response.text  # what the service description is available as
    assert "'query' parameter" in response.text


def test_browsers_get_the_query_page(client):
    browser = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    for params in ({}, {"query": LABEL_QUERY}):
        response = client.get("/sparql", params=params, headers={"accept": browser})
        assert response.status_code == 200
        assert media_type(response) == "text/html"
        assert "script-src 'self';" in response.headers["content-security-policy"]
        assert 'id="dakg-config"' in response.text


def test_health(client):
    response = client.get("/health")
    assert response.status_code == 200
    health = response.json()
    assert health["status"] == "ok"
    assert health["triples"] > 1000
    assert health["graphs"] >= 5
    assert len(health["version"]) == 16


# ---- updates with a token ---------------------------------------------------------------------


def test_update_needs_the_token_and_changes_the_version(token_server):
    subject = f"https://w3id.org/dakg/id/test/{uuid.uuid4().hex}"
    update = (
        f'INSERT DATA {{ <{subject}> <http://www.w3.org/2000/01/rdf-schema#label> "inserted"@en }}'
    )
    check = f"SELECT ?label WHERE {{ <{subject}> ?p ?label }}"
    with httpx.Client(base_url=token_server.base, timeout=60.0) as http:
        before = http.get("/sparql", params={"query": check})
        assert before.json()["results"]["bindings"] == []
        # Data that may change at any time is always revalidated.
        assert before.headers["cache-control"] == "public, no-cache"
        version = http.get("/health").json()["version"]

        missing = http.post("/sparql", data={"update": update})
        assert missing.status_code == 401
        assert missing.headers["www-authenticate"].startswith("Bearer")
        wrong = http.post(
            "/sparql", data={"update": update}, headers={"authorization": "Bearer wrong"}
        )
        assert wrong.status_code == 403
        basic = http.post(
            "/sparql", data={"update": update}, headers={"authorization": f"Basic {TOKEN}"}
        )
        assert basic.status_code == 401
        assert http.get("/sparql", params={"query": check}).content == before.content

        bad = http.post(
            "/sparql",
            content=b"INSERT DATA { <a:b> }",
            headers={
                "content-type": "application/sparql-update",
                "authorization": f"Bearer {TOKEN}",
            },
        )
        assert bad.status_code == 400
        assert "Parse error" in bad.text

        done = http.post(
            "/sparql", data={"update": update}, headers={"authorization": f"Bearer {TOKEN}"}
        )
        assert done.status_code == 204, done.text
        after = http.get("/sparql", params={"query": check})
        assert single_value(after) == "inserted"
        assert after.headers["etag"] != before.headers["etag"]
        stale = http.get(
            "/sparql", params={"query": check}, headers={"if-none-match": before.headers["etag"]}
        )
        assert stale.status_code == 200
        assert http.get("/health").json()["version"] != version


def test_update_as_a_body_with_the_token(token_server):
    subject = f"https://w3id.org/dakg/id/test/{uuid.uuid4().hex}"
    with httpx.Client(base_url=token_server.base, timeout=60.0) as http:
        done = http.post(
            "/sparql",
            content=f"INSERT DATA {{ <{subject}> a <https://w3id.org/dakg/def/Test> }}".encode(),
            headers={
                "content-type": "application/sparql-update",
                "authorization": f"Bearer {TOKEN}",
            },
        )
        assert done.status_code == 204
        ask = http.get("/sparql", params={"query": f"ASK {{ <{subject}> a ?t }}"})
        assert ask.json()["boolean"] is True
        description = http.get("/sparql", headers={"accept": "text/turtle"})
        assert "SPARQL11Update" in description.text


# ---- negotiation and query shapes, without a server ---------------------------------------


@pytest.mark.parametrize(
    ("text", "form", "names_dataset"),
    [
        ("SELECT * { ?s ?p ?o }", "SELECT", False),
        ("  # a comment with CONSTRUCT\nask {}", "ASK", False),
        (
            "BASE <http://x/#> PREFIX : <http://x/> PREFIX ex:<http://e/#a> DESCRIBE :a",
            "DESCRIBE",
            False,
        ),
        (
            "PREFIX from: <http://x/from#> CONSTRUCT { ?s ?p ?o } FROM <http://g> WHERE { ?s ?p ?o }",
            "CONSTRUCT",
            True,
        ),
        ('SELECT ?from WHERE { ?s ?p "FROM" } # FROM', "SELECT", False),
        ("SELECT * FROM NAMED <http://g> { GRAPH ?g { ?s ?p ?o } }", "SELECT", True),
        ("INSERT DATA { <a:a> <a:b> <a:c> }", None, False),
        ("", None, False),
    ],
)
def test_query_shape(text, form, names_dataset):
    shape = query_shape(text)
    assert shape.form == form
    assert shape.names_dataset is names_dataset


# ---- start-up ----------------------------------------------------------------------------------


@pytest.mark.memory_only(reason="only the in-memory service loads the Turtle files itself")
def test_serve_refuses_a_graph_that_does_not_load(tmp_path):
    (tmp_path / "ontology").mkdir()
    (tmp_path / "data" / "ttl").mkdir(parents=True)
    (tmp_path / "ontology" / "ok.ttl").write_text("<https://e/a> <https://e/p> 1 .\n")
    (tmp_path / "data" / "ttl" / "broken.ttl").write_text("<https://e/a> <https://e/p> .\n")
    port = free_port()
    done = subprocess.run(
        [str(DAKG), "serve", "--host", HOST, "--port", str(port)],
        env={**os.environ, "DAKG_ROOT": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2
    assert "broken.ttl:1:" in done.stderr
    assert "Uvicorn running" not in done.stderr


def test_an_update_resolves_relative_iris_against_the_endpoint_and_moves_last_modified(
    token_server,
):
    key = uuid.uuid4().hex
    update = f'INSERT DATA {{ <relative/{key}> <#label> "relative" }}'
    check = f"SELECT ?p ?o WHERE {{ <{token_server.base}/relative/{key}> ?p ?o }}"
    auth = {"authorization": f"Bearer {TOKEN}"}
    with httpx.Client(base_url=token_server.base, timeout=60.0) as http:
        before = http.get("/sparql", params={"query": check})
        modified = before.headers["last-modified"]
        assert before.json()["results"]["bindings"] == []
        done = http.post(
            "/sparql", content=update.encode(), headers={"content-type": SPARQL_UPDATE, **auth}
        )
        assert done.status_code == 204, done.text
        after = http.get("/sparql", params={"query": check})
        (binding,) = after.json()["results"]["bindings"]
        assert binding["p"]["value"] == f"{token_server.base}/sparql#label"
        assert binding["o"]["value"] == "relative"
        # The data changed since the time the client holds: a full answer, with a later time.
        since = http.get(
            "/sparql", params={"query": check}, headers={"if-modified-since": modified}
        )
        assert since.status_code == 200
        later = email.utils.parsedate_to_datetime(since.headers["last-modified"])
        assert later > email.utils.parsedate_to_datetime(modified)
