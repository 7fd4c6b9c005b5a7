"""Fuzzing: random and mutated SPARQL, headers, API parameters and Turtle for `dakg validate`.

Whatever a client sends, the service answers it: never a 5xx (but the 503 of the query time
limit), never a stack trace or a file path, never a hang; a 400 says what is wrong and a 422
names the parameter at fault. Whatever Turtle `dakg validate` reads, it gives a verdict (0 or 1)
or says why it cannot (2, with the file and the line of a syntax error), never a traceback.

Inputs start from real ones (the saved queries of queries/, the protocol's own examples, the
files of data/ttl/) and are mutated: characters and tokens deleted, duplicated and inserted,
random unicode, NUL bytes, huge numbers, deep nesting. Runs are derandomised, so CI sees the
same examples every time.
"""

from __future__ import annotations

import contextlib
import io
import logging
import os
import re
import socket
import subprocess
import sys
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import parse_qsl, quote, urlencode

import httpx
import pyoxigraph as ox
import pytest
from dakg import cli
from dakg.settings import Settings
from dakg.web.app import create_app
from dakg.web.endpoint import refusals, requests
from fastapi.testclient import TestClient
from helpers import ROOT
from helpers.server import DAKG, live_server_fixture
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

QUERY_TIMEOUT = 2  # seconds: the endpoint's time limit in these tests
# The real server, with its query worker processes and the same short time limit.
live_server = live_server_fixture({"DAKG_QUERY_TIMEOUT": str(QUERY_TIMEOUT)})

REQUEST_TIMEOUT = 30.0  # seconds: an answer slower than this is a hang
TIME_LIMIT = re.compile(rf"took longer than the {QUERY_TIMEOUT:g} s this endpoint allows")
STACK_TRACE = re.compile(r"Traceback \(most recent call last\)|File \"[^\"]+\", line \d+")
SOURCE_PATH = re.compile(r"(?:/[\w.-]+)+\.py\b|site-packages")

MYNUMBER = "https://w3id.org/dakg/id/initiative/mynumber-card"
GRAPHS = [
    "https://w3id.org/dakg/graph/data/pillars",
    "https://w3id.org/dakg/graph/data/initiatives/mynumber-card",
    "https://w3id.org/dakg/graph/ontology/dakg",
]
PROTOCOL_QUERIES = [
    "SELECT * WHERE { ?s ?p ?o } LIMIT 3",
    f'PREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\nSELECT ?label WHERE {{ <{MYNUMBER}> rdfs:label ?label FILTER (lang(?label) = "ja") }}',
    "PREFIX dakg: <https://w3id.org/dakg/def/>\nSELECT (COUNT(DISTINCT ?pillar) AS ?pillars) WHERE { ?pillar a dakg:Pillar }",
    f"CONSTRUCT {{ <{MYNUMBER}> ?p ?o }} WHERE {{ <{MYNUMBER}> ?p ?o }}",
    f"DESCRIBE <{MYNUMBER}>",
    f"ASK {{ <{MYNUMBER}> a ?type }}",
    f"SELECT ?g (COUNT(*) AS ?n) FROM NAMED <{GRAPHS[0]}> WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g",
    'SELECT ?x WHERE { VALUES ?x { 1 2.5 "three"@en <urn:four> } } ORDER BY DESC(?x) OFFSET 1',
    'SELECT (STRLEN(REPLACE("abc", "b+", "x")) AS ?n) (NOW() AS ?t) WHERE {}',
]
SAVED_QUERIES = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "queries").glob("*.rq"))]
SEEDS = SAVED_QUERIES + PROTOCOL_QUERIES

TOKENS = [
    "{", "}", "(", ")", "[", "]", "<", ">", '"', "'", '"""', "\\", "#", "?", "$", ".", ";", ",",
    "*", "+", "-", "/", "|", "^", "^^", "@", "_:", "a", "!", "!=", "&&", "||", "=",
    "SELECT", "DISTINCT", "WHERE", "FILTER", "OPTIONAL", "UNION", "MINUS", "GRAPH", "FROM",
    "FROM NAMED", "VALUES", "BIND", "AS", "GROUP BY", "HAVING", "ORDER BY", "LIMIT", "OFFSET",
    "CONSTRUCT", "DESCRIBE", "ASK", "PREFIX", "BASE", "SERVICE", "LOAD", "INSERT DATA",
    "DELETE WHERE", "CLEAR ALL", "EXISTS", "NOT EXISTS", "COUNT(*)", "REGEX(", "STR(", "LANG(",
    "xsd:date(", "<http://example.org/f>(", "?x", "?label", "$p", "dakg:Initiative", "rdfs:label",
    "<urn:x>", "<>", "<http://exa mple>", "<file:///etc/passwd>", '"2022-13-45"^^xsd:date',
    '"x"@', '"x"@ja-JP-x-private', "1e400", "-0.0e-400", "99999999999999999999999999999999",
    "18446744073709551616", "0x10", "NaN", "INF", "\x00", "\ufeff", "\u202e", "\U0001f600",
    "\u3000", "日本語", "\r\n", "\t", "%00", "%", "&", "=",
]  # fmt: skip
HUGE_NUMBERS = ["9" * 40, "1" + "0" * 400, "1e999999", "-9" * 30, "0." + "0" * 300 + "1"]
BRACKETS = [("{", "}"), ("(", ")"), ("[ ?p ", "]"), ("{ FILTER EXISTS ", "}"), ("STR(", ")")]

# Characters for text: anything but lone surrogates (which no client can send in UTF-8).
ANY_CHAR = st.characters(exclude_categories=("Cs",))
ANY_TEXT = st.text(ANY_CHAR, max_size=40)

FUZZ = {
    "deadline": None,
    "derandomize": True,
    "database": None,
    "suppress_health_check": [HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
}


# ---- the app under test, and how it is asked --------------------------------------------------


@pytest.fixture(scope="module")
def client(dataset) -> Iterator[TestClient]:
    """The app in this process, with a short query time limit. Queries run in the app's own
    threads (a query past the limit is answered 503 and left to finish); the query worker
    processes are exercised through the real server below."""
    app_settings = Settings.from_env(root=ROOT, query_timeout=QUERY_TIMEOUT, query_processes=0)
    with TestClient(create_app(app_settings, dataset), raise_server_exceptions=False) as local:
        yield local


# The first request that got no answer: every later one fails at once rather than queue behind it.
HUNG: list[str] = []


def fetch(client: TestClient, method: str, url: str, **kwargs) -> httpx.Response:
    """One request to the in-process app; an answer slower than REQUEST_TIMEOUT is a hang."""
    if HUNG:
        pytest.fail(f"the app stopped answering at an earlier request: {HUNG[0]}")
    answers: list[httpx.Response] = []
    errors: list[BaseException] = []

    def ask() -> None:
        try:
            answers.append(client.request(method, url, **kwargs))
        except BaseException as error:  # handed to the test below
            errors.append(error)

    thread = threading.Thread(target=ask, name="fuzz-request", daemon=True)
    thread.start()
    thread.join(REQUEST_TIMEOUT)
    if errors:
        raise errors[0]
    if not answers:
        HUNG.append(f"{method} {url[:300]} {kwargs!r:.300}")
        pytest.fail(f"no answer within {REQUEST_TIMEOUT:g} s (a hang): {HUNG[0]}")
    return answers[0]


def check_answer(response: httpx.Response, what: object = "") -> None:
    """Never a server error (but the time limit's 503), never a stack trace or a source path;
    a 400 says what is wrong."""
    status, text = response.status_code, response.text
    context = f"{what!r:.600}\n-> {status}: {text[:600]}"
    if status >= 500:
        assert status == 503 and TIME_LIMIT.search(text), context
    assert not STACK_TRACE.search(text), context
    if status >= 400:
        assert not SOURCE_PATH.search(text), context
        assert str(ROOT) not in text, context
    if status == 400:
        assert text.strip(), context


# ---- mutations --------------------------------------------------------------------------------


def mutate(data: st.DataObject, text: str, steps: int = 4) -> str:
    """The text with a few random edits: spans deleted and duplicated, tokens, random unicode,
    NUL bytes and huge numbers inserted, words swapped, a span wrapped in deep brackets."""
    for _ in range(data.draw(st.integers(1, steps), label="edits")):
        size = len(text)
        start = data.draw(st.integers(0, size), label="at")
        end = min(size, start + data.draw(st.integers(0, 40), label="span"))
        edit = data.draw(
            st.sampled_from(
                ["delete", "duplicate", "token", "unicode", "number", "swap", "nest", "nul"]
            ),
            label="edit",
        )
        if edit == "delete":
            text = text[:start] + text[end:]
        elif edit == "duplicate":
            text = text[:end] + text[start:end] * data.draw(st.integers(2, 50)) + text[end:]
        elif edit == "token":
            token = data.draw(st.sampled_from(TOKENS), label="token")
            text = text[:start] + f" {token} " + text[start:]
        elif edit == "unicode":
            text = text[:start] + data.draw(ANY_TEXT, label="unicode") + text[start:]
        elif edit == "number":
            number = data.draw(st.sampled_from(HUGE_NUMBERS), label="number")
            text = text[:start] + f" {number} " + text[start:]
        elif edit == "swap":
            words = text.split(" ")
            i, j = (data.draw(st.integers(0, len(words) - 1)) for _ in range(2))
            words[i], words[j] = words[j], words[i]
            text = " ".join(words)
        elif edit == "nest":
            opener, closer = data.draw(st.sampled_from(BRACKETS), label="brackets")
            depth = data.draw(st.sampled_from([1, 3, 10, 60, 70, 300, 3000]), label="depth")
            text = text[:start] + opener * depth + text[start:end] + closer * depth + text[end:]
        else:
            text = text[:start] + "\x00" + text[start:]
    return text


def send_query(client: TestClient, how: str, query: str, **params) -> httpx.Response:
    """A query by GET, by POSTed form or as an application/sparql-query body."""
    extra = [(k, v) for k, values in params.items() for v in values]
    if how == "get":
        url = "/sparql?" + urlencode([("query", query), *extra])
        return fetch(client, "GET", url)
    if how == "form":
        return fetch(
            client,
            "POST",
            "/sparql",
            content=urlencode([("query", query), *extra]).encode(),
            headers={"content-type": "application/x-www-form-urlencoded"},
        )
    url = "/sparql" + ("?" + urlencode(extra) if extra else "")
    return fetch(
        client,
        "POST",
        url,
        content=query.encode("utf-8"),
        headers={"content-type": "application/sparql-query"},
    )


HOW = st.sampled_from(["get", "form", "body"])


# ---- 1. SPARQL ----------------------------------------------------------------------------------


def test_every_seed_query_is_answered(client) -> None:
    """The unmutated seeds are good queries: each gets its answer (the fuzzing starts from them)."""
    for query in SEEDS:
        response = send_query(client, "form", query)
        assert response.status_code == 200, (query[:200], response.text[:300])


@settings(max_examples=200, **FUZZ)
@given(data=st.data(), how=HOW)
def test_mutated_queries_never_make_a_server_error(client, data, how) -> None:
    query = mutate(data, data.draw(st.sampled_from(SEEDS), label="seed"))
    check_answer(send_query(client, how, query), query)


@settings(max_examples=40, **FUZZ)
@given(query=st.text(ANY_CHAR, max_size=300), how=HOW)
def test_random_text_as_a_query_is_refused_with_a_message(client, query, how) -> None:
    check_answer(send_query(client, how, query), query)


@settings(max_examples=30, **FUZZ)
@given(
    data=st.data(),
    tokens=st.lists(st.sampled_from(TOKENS), min_size=1, max_size=30),
    how=HOW,
)
def test_token_soup_never_makes_a_server_error(client, data, tokens, how) -> None:
    query = " ".join(tokens)
    check_answer(send_query(client, how, query), query)


GRAPH_VALUE = st.one_of(
    st.sampled_from(GRAPHS),
    st.sampled_from(["", " ", "urn:x", "relative", "http://exa mple/", "<urn:x>", "http://[::1"]),
    ANY_TEXT,
    st.builds(lambda g, t: g + t, st.sampled_from(GRAPHS), ANY_TEXT),
)
FORMAT_VALUE = st.one_of(
    st.sampled_from(
        ["json", "xml", "csv", "tsv", "turtle", "ttl", "nt", "jsonld", "rdfxml", "html", "n3"]
        + ["text/csv", "application/sparql-results+json;q=0.1", "*/*", "text/*", "", ","]
    ),
    ANY_TEXT,
)


@settings(max_examples=80, **FUZZ)
@given(
    data=st.data(),
    default=st.lists(GRAPH_VALUE, max_size=3),
    named=st.lists(GRAPH_VALUE, max_size=3),
    formats=st.lists(FORMAT_VALUE, max_size=2),
    output=st.lists(FORMAT_VALUE, max_size=1),
    how=HOW,
)
def test_random_protocol_parameters_never_make_a_server_error(
    client, data, default, named, formats, output, how
) -> None:
    query = data.draw(st.sampled_from(PROTOCOL_QUERIES), label="query")
    params = {
        "default-graph-uri": default,
        "named-graph-uri": named,
        "format": formats,
        "output": output,
    }
    response = send_query(client, how, query, **params)
    check_answer(response, (query, params))


# URL-encoded parameters: the endpoint's decoder against the standard library's, on bytes that
# are mostly what encoders send (escapes, '+', '=', '&') and sometimes what they never send (a
# stray '%', a backslash, bytes that are not UTF-8, escapes of such bytes).
ENCODED_PIECES = st.sampled_from(
    rb"% %2 %41 %e3%81%82 %E3%81 %ff %5C %5Cx41 \ \x41 \N{COMMA} \u0041 + = & a query %00 %0A"
    rb" %25 %2B %26 %3D %zz %4g %C3 %A9 %82".split()
    + [b"\xe3\x81\x82", b"\xff", b"\xc3", b"\xa9", b"\x82"]
)


@settings(max_examples=400, **FUZZ)
@example(pieces=[b"%C3", b"\xa9"], text="")  # an escape and a raw byte make a character: 400
@example(pieces=[b"a=", b"\xc3", b"%A9"], text="")
@given(
    pieces=st.lists(st.one_of(ENCODED_PIECES, st.binary(max_size=4)), max_size=12),
    text=st.text(ANY_CHAR, max_size=30),
)
def test_url_encoded_parameters_decode_as_the_standard_library_does(pieces, text) -> None:
    for raw in (b"".join(pieces), urlencode({"query": text, "x": text[::-1]}).encode()):
        try:
            expected = parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
        except UnicodeDecodeError:
            with pytest.raises(refusals.ProtocolError) as refused:
                requests.parse_params(raw, "URL query string")
            assert refused.value.status == 400 and "not valid UTF-8" in str(refused.value)
        else:
            assert requests.parse_params(raw, "URL query string") == expected


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { ?s ?p " + "[ ?p " * 250 + "1" + "]" * 250 + " }",
        "SELECT * WHERE { ?s ?p " + "(" * 400 + "1" + ")" * 400 + " }",
        "SELECT * WHERE " + "{" * 3000 + "}" * 3000,
        "ASK {" + " FILTER EXISTS {" * 1000 + "}" * 1000 + "}",
        "SELECT * WHERE { FILTER(" + "STR(" * 1200 + "1" + ")" * 1200 + ") }",
        "ASK { FILTER(" + "! " * 10000 + "true) }",
    ],
    ids=["blank-nodes", "collections", "groups", "exists", "functions", "not"],
)
def test_deep_nesting_within_the_length_limit_is_refused_with_400(client, query) -> None:
    """Nesting that would overflow the engine's stack is refused before it runs."""
    for how in ("get", "body"):
        response = send_query(client, how, query)
        check_answer(response, query[:80])
        assert response.status_code == 400, response.text[:300]
        assert "levels deep" in response.text


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE " + "{" * 60 + "}" * 60,
        "SELECT * WHERE { FILTER(" + "(" * 60 + "true" + ")" * 60 + ") }",
        'SELECT ("' + "{([" * 300 + '" AS ?x) WHERE {} # ' + "[" * 300,
        f"ASK {{ <{MYNUMBER}> ?p ?o FILTER(?o != <urn:{'(' * 100}>) }}",
    ],
    ids=["groups", "expressions", "brackets-in-a-string-and-a-comment", "brackets-in-an-iri"],
)
def test_nesting_within_the_limit_is_answered(client, query) -> None:
    response = send_query(client, "form", query)
    assert response.status_code == 200, response.text[:300]


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { BIND(<http://example.org/f>(1) AS ?x) }",
        "PREFIX ex: <http://example.org/>\nSELECT (ex:nothing(?s) AS ?x) WHERE { ?s ?p ?o } LIMIT 1",
    ],
    ids=["custom-function", "custom-function-in-projection"],
)
def test_an_unknown_function_is_a_client_error(client, query) -> None:
    """pyoxigraph refuses a function it does not know when it evaluates the query: the client's
    mistake, told as such (a mistyped prefix turns xsd:date(...) into one)."""
    response = send_query(client, "form", query)
    check_answer(response, query)
    assert 400 <= response.status_code < 500


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * WHERE { " + " ".join(f"<urn:s{i}> <urn:p> ?o{i} ." for i in range(1500)) + " }",
        "SELECT * WHERE { FILTER(true" + " && true" * 10000 + ") }",
        "SELECT * WHERE { {} " + "UNION {} " * 8000 + "}",
        "SELECT * WHERE { ?s <urn:a>" + "/<urn:a>" * 3000 + " ?o }",
    ],
    ids=["triple-patterns", "conjunction", "unions", "property-path"],
)
def test_a_long_flat_query_within_the_length_limit_is_answered(live_server, query) -> None:
    """Long lists are not nesting: within the length limit they get an answer, a 4xx or the
    time limit's 503, and the endpoint goes on answering. Through the real server: pyoxigraph
    recurses on such lists and may take its process down."""
    with httpx.Client(base_url=live_server.base, timeout=REQUEST_TIMEOUT) as http:
        check_answer(http.post("/sparql", data={"query": query}), query[:80])
        after = http.post("/sparql", data={"query": "ASK {}"})
        assert after.status_code == 200, after.text


# ---- 2. headers -------------------------------------------------------------------------------

ROUTES = [
    "/sparql?" + urlencode({"query": PROTOCOL_QUERIES[0]}),
    "/sparql?" + urlencode({"query": PROTOCOL_QUERIES[3]}),
    "/sparql",
    "/id/initiative/mynumber-card",
    "/id/initiative",
    "/doc/initiative/mynumber-card",
    "/doc/initiative/mynumber-card.ttl",
    "/doc/agency/no-such-agency",
    "/def/",
    "/api/initiatives",
    "/api/milestones?fiscal_year=2022",
    "/api/queries/timeline",
    "/download/",
    "/download/dakg.ttl",
    "/.well-known/void",
    "/",
]
MEDIA = [
    "application/sparql-results+json", "application/sparql-results+xml", "text/csv",
    "text/tab-separated-values", "text/turtle", "application/n-triples", "application/ld+json",
    "application/rdf+xml", "application/json", "text/html", "application/xhtml+xml", "image/svg+xml",
    "text/*", "application/*", "*/*", "*", "/", "text/", "/json", "a/b/c", "text/html;level=1",
]  # fmt: skip
Q_VALUE = st.one_of(
    st.sampled_from(["1", "0", "0.5", "0.001", "1.0", "-1", "2", "1e999", "nan", "inf", "", "x"]),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
)
MEDIA_RANGE = st.builds(
    lambda media, q, extra: media + (f";q={q}" if q is not None else "") + extra,
    st.one_of(st.sampled_from(MEDIA), st.text(st.characters(max_codepoint=255), max_size=20)),
    st.none() | Q_VALUE,
    st.sampled_from(["", ";charset=utf-8", ";level=1", ";", ";=", ";q", ";q=1;q=0"]),
)


def field_value(text: str) -> bytes:
    """A header value as bytes a client can send: no CR, LF or NUL, no outer whitespace."""
    raw = text.encode("utf-8", errors="ignore")
    return re.sub(rb"[\x00-\x08\x0a-\x1f\x7f]", b"", raw).strip(b" \t") or b"x"


ACCEPT = st.one_of(
    st.lists(MEDIA_RANGE, min_size=1, max_size=8).map(", ".join),
    st.text(ANY_CHAR, max_size=60),
    st.builds(lambda r, n: ", ".join([r] * n), MEDIA_RANGE, st.integers(50, 400)),
).map(field_value)
ETAG_VALUE = st.one_of(
    st.sampled_from(["*", 'W/"abc"', '"abc"', "W/", '""', ", ,", 'W/"' + "x" * 500 + '"']),
    st.text(ANY_CHAR, max_size=40),
).map(field_value)
CONTENT_TYPE = st.one_of(
    st.sampled_from(
        ["application/sparql-query", "application/x-www-form-urlencoded", "application/json"]
        + ["application/sparql-update", "text/plain", "multipart/form-data; boundary=x", ";", ""]
    ).map(lambda t: t + "; charset=latin-1" if t.startswith("application/sparql") else t),
    st.text(ANY_CHAR, max_size=40),
).map(field_value)
AUTHORIZATION = st.one_of(
    st.sampled_from(["Bearer", "Bearer ", "Bearer x", "Basic Zm9vOmJhcg==", "bearer \u00e9"]),
    st.text(ANY_CHAR, max_size=40),
).map(field_value)
ACCEPT_LANGUAGE = st.one_of(
    st.sampled_from(["ja", "en", "en-GB,en;q=0.9,ja;q=0.8", "*", "fr;q=0", "ja;q=x", "-", ";;;"]),
    st.text(ANY_CHAR, max_size=40),
).map(field_value)
HEADERS = st.fixed_dictionaries(
    {},
    optional={
        "accept": ACCEPT,
        "if-none-match": ETAG_VALUE,
        "content-type": CONTENT_TYPE,
        "authorization": AUTHORIZATION,
        "accept-language": ACCEPT_LANGUAGE,
    },
)


@settings(max_examples=150, **FUZZ)
@given(route=st.sampled_from(ROUTES), headers=HEADERS, method=st.sampled_from(["GET", "HEAD"]))
def test_random_headers_never_make_a_server_error(client, route, headers, method) -> None:
    response = fetch(client, method, route, headers=headers, follow_redirects=False)
    check_answer(response, (method, route, headers))


@settings(max_examples=50, **FUZZ)
@given(
    data=st.data(),
    headers=HEADERS,
    body=st.sampled_from(["query", "update", "junk"]),
)
def test_random_headers_on_posted_queries_never_make_a_server_error(
    client, data, headers, body
) -> None:
    if body == "query":
        content = data.draw(st.sampled_from(PROTOCOL_QUERIES)).encode()
    elif body == "update":
        content = b"update=" + quote("INSERT DATA { <urn:a> <urn:b> <urn:c> }").encode()
    else:
        content = data.draw(st.binary(max_size=200), label="body")
    response = fetch(client, "POST", "/sparql", content=content, headers=headers)
    check_answer(response, (headers, content))
    assert response.status_code != 204, "an update went through without a token"


# ---- 3. API parameters ------------------------------------------------------------------------

# A value each path parameter is known by (the rest come from the OpenAPI document).
PATH_EXAMPLES = {
    "initiative": "mynumber-card",
    "agency": "mhlw",
    "indicator": "gbizid-prime-accounts-issued",
    "pillar": "digital-resilience",
    "standard": "jp-pint",
}
TYPE_EXAMPLES = {
    "integer": ["2022", "0", "-1", "100"],
    "string": ["mynumber-card", "2022-04-01", "ja", "FY2022"],
}


@pytest.fixture(scope="module")
def operations(client) -> list[tuple[str, list[dict]]]:
    """Every GET route of /api with its parameters, from the OpenAPI document."""
    spec = client.get("/openapi.json").json()
    found = [
        (path, item["get"].get("parameters", []))
        for path, item in spec["paths"].items()
        if path.startswith("/api/") and "get" in item
    ]
    assert len(found) > 10
    return found


def seed_values(parameter: dict) -> list[str]:
    """Good values of a parameter: its enum, default and example, or typical ones."""
    schema = parameter.get("schema", {})
    values = [str(v) for v in schema.get("enum", [])]
    if "default" in schema:
        values.append(str(schema["default"]))
    if parameter["name"] in PATH_EXAMPLES:
        values.append(PATH_EXAMPLES[parameter["name"]])
    if schema.get("format") == "date":
        values += ["2022-04-01", "2021-09-01"]
    return values or TYPE_EXAMPLES.get(schema.get("type", "string"), ["x"])


def parameter_value(data: st.DataObject, parameter: dict) -> str:
    seed = data.draw(st.sampled_from(seed_values(parameter)), label="seed value")
    kind = data.draw(st.sampled_from(["seed", "mutated", "text", "odd"]), label="kind")
    if kind == "seed":
        return seed
    if kind == "mutated":
        return mutate(data, seed, steps=2)
    if kind == "text":
        return data.draw(ANY_TEXT, label="text")
    odd = HUGE_NUMBERS + ["", " ", "\x00", "-0", "1.5", "1e3", "%", "../..", seed * 200]
    return data.draw(st.sampled_from(odd), label="odd value")


@settings(max_examples=120, **FUZZ)
@given(data=st.data(), headers=HEADERS)
def test_mutated_api_parameters_never_make_a_server_error(
    client, operations, data, headers
) -> None:
    """One parameter is fuzzed, the others are good; a 422 names the parameter at fault."""
    path, parameters = data.draw(st.sampled_from(operations), label="route")
    fuzzed = data.draw(st.sampled_from(parameters), label="parameter") if parameters else None
    query: list[tuple[str, str]] = []
    url = path
    for parameter in parameters:
        name = parameter["name"]
        if parameter is fuzzed:
            value = parameter_value(data, parameter)
        elif parameter["in"] == "path" or parameter.get("required"):
            value = seed_values(parameter)[0]
        else:
            continue
        if parameter["in"] == "path":
            url = url.replace("{" + name + "}", quote(value, safe="") or "%20")
        else:
            query.append((name, value))
    if data.draw(st.booleans(), label="repeat a parameter") and query:
        query.append(query[-1])
    full = url + ("?" + urlencode(query) if query else "")
    response = fetch(client, "GET", full, headers=headers)
    check_answer(response, (full, headers))
    if response.status_code == 422:
        detail = response.json()["detail"][0]
        named = detail["loc"][-1]
        assert named in {p["name"] for p in parameters}, (full, detail)
        assert named in detail["msg"], (full, detail)


@settings(max_examples=40, **FUZZ)
@given(data=st.data())
def test_unknown_and_odd_api_parameter_names_never_make_a_server_error(
    client, operations, data
) -> None:
    path, _ = data.draw(st.sampled_from([op for op in operations if "{" not in op[0]]))
    name = data.draw(st.one_of(ANY_TEXT, st.sampled_from(["limit", "offset", "format", "bom"])))
    value = data.draw(ANY_TEXT)
    full = path + "?" + urlencode([(name, value)])
    response = fetch(client, "GET", full)
    check_answer(response, full)
    assert response.status_code in (200, 422), (full, response.text[:300])


# ---- a few through the real server, with raw HTTP ----------------------------------------------


def raw_request(port: int, request: bytes) -> bytes:
    """Send bytes as they are (no client to tidy them up) and read the answer."""
    with socket.create_connection(("127.0.0.1", port), timeout=REQUEST_TIMEOUT) as sock:
        sock.sendall(request)
        chunks = []
        with contextlib.suppress(TimeoutError, ConnectionResetError):
            while chunk := sock.recv(65536):
                chunks.append(chunk)
    return b"".join(chunks)


RAW_REQUESTS = [
    b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: x\r\nAccept: \xff\xfe\x80;q=\xc3\xa9\r\n"
    b"Connection: close\r\n\r\n",
    b"GET /doc/initiative/mynumber-card HTTP/1.1\r\nHost: x\r\nAccept-Language: \xe6\x97\xa5;q=\xff\r\n"
    b"If-None-Match: \x80\x81\r\nConnection: close\r\n\r\n",
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/sparql-query\r\n"
    b"Content-Length: 7\r\nConnection: close\r\n\r\nASK{}\xff\xfe",
    b"POST /sparql HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\n"
    b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n6\r\nquery=\r\n3\r\n%ff\r\n0\r\n\r\n",
    b"GET /api/milestones?fiscal_year=%ff%fe HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /api/initiatives/%00 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    b"GET /.well-known/void HTTP/1.1\r\nHost: x\r\nAccept: "
    + b"text/turtle;q=0.1, " * 700
    + b"\r\nConnection: close\r\n\r\n",
]


def test_raw_malformed_requests_through_the_real_server(live_server) -> None:
    for request in RAW_REQUESTS:
        answer = raw_request(live_server.port, request)
        status_line = answer.split(b"\r\n", 1)[0]
        match = re.match(rb"HTTP/1\.1 (\d{3})", status_line)
        assert match, (request[:120], answer[:200])
        status = int(match.group(1))
        body = answer.split(b"\r\n\r\n", 1)[-1].decode("utf-8", errors="replace")
        assert status < 500, (request[:120], answer[:400])
        assert not STACK_TRACE.search(body), body[:400]
    assert httpx.get(live_server.url("/health"), timeout=REQUEST_TIMEOUT).status_code == 200


@settings(max_examples=15, **FUZZ)
@given(data=st.data(), route=st.sampled_from(ROUTES), headers=HEADERS)
def test_random_headers_through_the_real_server(live_server, data, route, headers) -> None:
    with httpx.Client(base_url=live_server.base, timeout=REQUEST_TIMEOUT) as http:
        response = http.get(route, headers=headers)
        check_answer(response, (route, headers))
        query = mutate(data, data.draw(st.sampled_from(PROTOCOL_QUERIES)), steps=2)
        posted = http.post("/sparql", content=query.encode(), headers={
            **headers, "content-type": b"application/sparql-query"
        })  # fmt: skip
        check_answer(posted, (query, headers))


# ---- 4. Turtle for `dakg validate` -------------------------------------------------------------

TURTLE_FILES = sorted((ROOT / "data" / "ttl").rglob("*.ttl"))
TURTLE_TOKENS = [
    ".", ";", ",", "[", "]", "(", ")", "<", ">", '"', '"""', "'", "@prefix", "PREFIX", "@base",
    "a", "^^", "@", "_:b0", "dakg:", ":", "<urn:x>", "<>", "<http://exa mple/>", "rdfs:label",
    '"2022-13-45"^^xsd:date', '"x"^^xsd:integer', '"1e99999"^^xsd:double', '"x"@ja-',
    "true", "false", "1e400", "9" * 40, "-0", "\\u0000", "\\U0010FFFF", "\\", "#", "\ufeff",
    "\u202e", "日本語", "\U0001f600", "[" * 300, "(" * 300, "[ a [ a [ a [ a ]]]]",
]  # fmt: skip
LOCATION = re.compile(r":(\d+)(?::\d+)?: ")


def mutate_turtle(data: st.DataObject, text: bytes) -> bytes:
    """A Turtle file with a few edits: lines and spans deleted, duplicated or moved, tokens,
    random unicode and bytes that are not UTF-8 inserted, a typed literal made ill-typed."""
    for _ in range(data.draw(st.integers(1, 3), label="edits")):
        start = data.draw(st.integers(0, len(text)), label="at")
        end = min(len(text), start + data.draw(st.integers(0, 80), label="span"))
        edit = data.draw(
            st.sampled_from(["delete", "duplicate", "token", "unicode", "bytes", "line", "retype"]),
            label="edit",
        )
        if edit == "delete":
            text = text[:start] + text[end:]
        elif edit == "duplicate":
            text = text[:end] + text[start:end] * data.draw(st.integers(2, 5)) + text[end:]
        elif edit == "token":
            token = data.draw(st.sampled_from(TURTLE_TOKENS), label="token")
            text = text[:start] + f" {token} ".encode() + text[start:]
        elif edit == "unicode":
            text = text[:start] + data.draw(ANY_TEXT).encode() + text[start:]
        elif edit == "bytes":
            text = text[:start] + data.draw(st.binary(min_size=1, max_size=4)) + text[start:]
        elif edit == "retype":
            # A typed literal whose value is not of its type: a month 13, a word for a number.
            wrong = data.draw(st.sampled_from([rb'"\1-13-\2"^^', rb'"\1-02-30"^^', b'"x"^^']))
            text = re.sub(rb'"([0-9]{4})-[0-9]{2}-([0-9]{2})"\^\^', wrong, text, count=1)
        else:
            lines = text.split(b"\n")
            i = data.draw(st.integers(0, len(lines) - 1), label="line")
            lines.insert(data.draw(st.integers(0, len(lines))), lines.pop(i))
            text = b"\n".join(lines)
    return text


def syntax_error_line(path: Path) -> int | None:
    """The line of the file's first syntax error as pyoxigraph reads it (None: it parses)."""
    try:
        for _ in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.as_uri()):
            pass
    except SyntaxError as error:
        return error.lineno or 0
    return None


def validate_in_process(*args: str) -> tuple[int, str, str]:
    """`dakg validate ARGS` through the command's own main function: status, stdout, stderr."""
    out, err = io.StringIO(), io.StringIO()
    # What the libraries log reaches stderr in a real run (Python's last-resort handler); here
    # pytest would take it, so it is written to the same stderr.
    logged = logging.StreamHandler(err)
    logged.setLevel(logging.WARNING)
    logging.getLogger().addHandler(logged)
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                status = cli.main(["validate", *args])
            except SystemExit as exit_:
                status = exit_.code if isinstance(exit_.code, int) else 2
    finally:
        logging.getLogger().removeHandler(logged)
    return status, out.getvalue(), err.getvalue()


def check_verdict(path: Path, status: int, stdout: str, stderr: str) -> None:
    context = f"{path.name}: exit {status}\n{stderr[-1500:]}"
    assert status in (0, 1, 2), context
    assert "Traceback" not in stderr, context
    assert "internal error" not in stderr, context
    line = syntax_error_line(path)
    if line is not None:
        assert status == 2, context
        assert str(path) in stderr, context
        found = LOCATION.search(stderr.split(str(path), 1)[1])
        assert found and int(found.group(1)) == line, context
        assert stdout == "", context
    elif status == 2:
        assert stderr.startswith("dakg validate: "), context


@settings(max_examples=30, **FUZZ)
@given(data=st.data(), source=st.sampled_from(TURTLE_FILES))
def test_mutated_turtle_gets_a_verdict_or_its_syntax_error(tmp_path_factory, data, source) -> None:
    folder = tmp_path_factory.mktemp("mutated")
    path = folder / source.name
    path.write_bytes(mutate_turtle(data, source.read_bytes()))
    check_verdict(path, *validate_in_process(str(path)))


def dakg_validate(*args: str | Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "DAKG_ROOT": str(ROOT), "PYTHONWARNINGS": "ignore"}
    command = [str(DAKG if DAKG.exists() else Path(sys.executable).parent / "dakg")]
    return subprocess.run(
        [*command, "validate", *map(str, args)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_mutated_turtle_through_the_real_command(tmp_path) -> None:
    """A handful of mutated files through the installed command, two at a time, with the rest
    of data/ttl/ beside them (the run CI makes)."""
    cases = {
        "unclosed-string.ttl": b'PREFIX dakg: <https://w3id.org/dakg/def/>\n\n<urn:a> dakg:wording "x ;\n',
        "nul.ttl": b"PREFIX ex: <http://example.org/>\nex:a ex:b \x00 .\n",
        "latin-1.ttl": b'PREFIX ex: <http://example.org/>\n\nex:a ex:b "caf\xe9" .\n',
        "deep-lists.ttl": b"PREFIX ex: <http://example.org/>\nex:a ex:b "
        + b"(" * 5000 + b"1" + b")" * 5000 + b" .\n",
        "deep-blank-nodes.ttl": b"PREFIX ex: <http://example.org/>\nex:a ex:b "
        + b"[ ex:b " * 5000 + b"1" + b" ]" * 5000 + b" .\n",
        "bad-date.ttl": b"PREFIX ex: <http://example.org/>\nPREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
        b'ex:a ex:b "2022-13-45"^^xsd:date, "1e99999"^^xsd:double, "x"^^xsd:integer .\n',
    }  # fmt: skip
    pillars = (ROOT / "data" / "ttl" / "pillars.ttl").read_bytes()
    cases["pillars-truncated.ttl"] = pillars[: len(pillars) // 2]
    cases["pillars-reordered.ttl"] = b"\n".join(reversed(pillars.split(b"\n")))
    paths = []
    for name, content in cases.items():
        path = tmp_path / name
        path.write_bytes(content)
        paths.append(path)
    with ThreadPoolExecutor(max_workers=2) as pool:
        done = list(pool.map(dakg_validate, paths))
    assert syntax_error_line(paths[0]) == 3  # the unclosed string: what the command must report
    for path, run in zip(paths, done, strict=True):
        check_verdict(path, run.returncode, run.stdout, run.stderr)


@pytest.mark.parametrize(
    "wrong", [rb'"\1-13-\2"^^', rb'"\1-02-30"^^', b'"x"^^'], ids=["month-13", "feb-30", "word"]
)
def test_an_ill_typed_literal_gets_a_verdict_without_a_traceback(tmp_path, wrong) -> None:
    """A date that is no date in a real file: a verdict on it, with no library's traceback."""
    source = (ROOT / "data" / "ttl" / "initiatives" / "mynumber-card.ttl").read_bytes()
    text = re.sub(rb'"([0-9]{4})-[0-9]{2}-([0-9]{2})"\^\^', wrong, source, count=1)
    assert text != source
    path = tmp_path / "mynumber-card.ttl"
    path.write_bytes(text)
    check_verdict(path, *validate_in_process(str(path)))
