"""The same protocol requests against `dakg serve` and against Oxigraph's own server, loaded with
the same graph: what Oxigraph answers, we answer; what it refuses, we refuse with the same status.

Where we differ on purpose, the case says so (`ours` is our status, Oxigraph's is `theirs`).
"""

from __future__ import annotations

import io
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from dakg.store.dataset import Dataset
from helpers.server import HOST, free_port, live_server_fixture
from rdflib.query import Result

live_server = live_server_fixture()
OXIGRAPH = str(Path(sys.executable).parent / "oxigraph")
MYNUMBER = "https://w3id.org/dakg/id/initiative/mynumber-card"
PILLARS_GRAPH = "https://w3id.org/dakg/graph/data/pillars"


@pytest.fixture(scope="module")
def oxigraph(tmp_path_factory, root) -> str:
    """Oxigraph's server (the PyPI `oxigraph` package) on a free port, with our graph loaded."""
    if not Path(OXIGRAPH).exists():
        pytest.fail(
            "the oxigraph server is not installed (pip install oxigraph; it is a test extra)"
        )
    folder = tmp_path_factory.mktemp("oxigraph")
    dump = folder / "dakg.nq"
    Dataset.load(root).store.dump(str(dump), format=ox.RdfFormat.N_QUADS)
    location = folder / "db"
    subprocess.run(
        [OXIGRAPH, "load", "--location", str(location), "--file", str(dump)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    port = free_port()
    log = open(folder / "server.log", "wb")  # closed with the server, below
    process = subprocess.Popen(
        [
            OXIGRAPH,
            "serve-read-only",
            "--location",
            str(location),
            "--bind",
            f"{HOST}:{port}",
            "--union-default-graph",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    base = f"http://{HOST}:{port}"
    try:
        wait_for(base + "/query?query=ASK%7B%7D", process, folder / "server.log")
        yield base + "/query"
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=15)
        log.close()


def wait_for(url: str, process: subprocess.Popen, log: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"oxigraph exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            if httpx.get(url, timeout=5.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"oxigraph did not answer within {timeout:g} s")


LABELS = f"SELECT ?p ?o WHERE {{ <{MYNUMBER}> ?p ?o }} ORDER BY ?p ?o"
FORM = {"content-type": "application/x-www-form-urlencoded"}
SPARQL_QUERY = {"content-type": "application/sparql-query"}

# (id, method, request arguments, our status, Oxigraph's status)
CASES = [
    ("get", "GET", {"params": {"query": LABELS}}, 200, 200),
    ("post-form", "POST", {"data": {"query": LABELS}}, 200, 200),
    ("post-body", "POST", {"content": LABELS.encode(), "headers": SPARQL_QUERY}, 200, 200),
    (
        "post-body-latin1-charset",
        "POST",
        {
            "content": b"ASK {}",
            "headers": {"content-type": "application/sparql-query; charset=iso-8859-1"},
        },
        200,
        200,
    ),
    (
        "accept-json",
        "GET",
        {"params": {"query": "ASK {}"}, "headers": {"accept": "application/json"}},
        200,
        200,
    ),
    (
        "accept-xml",
        "GET",
        {"params": {"query": "ASK {}"}, "headers": {"accept": "application/xml"}},
        200,
        200,
    ),
    (
        "accept-q",
        "GET",
        {
            "params": {"query": "ASK {}"},
            "headers": {"accept": "text/csv;q=0.5, application/sparql-results+xml;q=0.9"},
        },
        200,
        200,
    ),
    (
        "default-graph-uri",
        "GET",
        {"params": {"query": "ASK {}", "default-graph-uri": PILLARS_GRAPH}},
        200,
        200,
    ),
    (
        "named-graph-uri",
        "GET",
        {"params": {"query": "ASK {}", "named-graph-uri": PILLARS_GRAPH}},
        200,
        200,
    ),
    ("malformed", "GET", {"params": {"query": "SELECT * WHERE { ?s ?p }"}}, 400, 400),
    ("two-queries", "GET", {"params": [("query", "ASK {}"), ("query", "ASK {}")]}, 400, 400),
    (
        "query-in-url-and-body",
        "POST",
        {"params": {"query": "ASK {}"}, "content": b"ASK {}", "headers": SPARQL_QUERY},
        400,
        400,
    ),
    (
        "query-in-url-and-form",
        "POST",
        {"params": {"query": "ASK {}"}, "data": {"query": "ASK {}"}},
        400,
        400,
    ),
    # On purpose: a form POST's dataset may be in its URL too, as the W3C protocol tests send
    # it (query_post_form); Oxigraph refuses it there.
    (
        "graph-in-url-and-form",
        "POST",
        {
            "params": {"default-graph-uri": PILLARS_GRAPH},
            "data": {"query": "ASK {}", "default-graph-uri": PILLARS_GRAPH},
        },
        200,
        400,
    ),
    ("no-query-in-form", "POST", {"data": {"foo": "1"}}, 400, 400),
    (
        "non-utf8-body",
        "POST",
        {"content": b'ASK { FILTER ("\xff") }', "headers": SPARQL_QUERY},
        400,
        400,
    ),
    (
        "wrong-media-type",
        "POST",
        {"content": b"ASK {}", "headers": {"content-type": "text/plain"}},
        415,
        415,
    ),
    (
        "not-acceptable",
        "GET",
        {"params": {"query": "ASK {}"}, "headers": {"accept": "image/png"}},
        406,
        406,
    ),
    (
        "construct-as-csv",
        "GET",
        {"params": {"query": "CONSTRUCT WHERE { ?s ?p ?o }"}, "headers": {"accept": "text/csv"}},
        406,
        406,
    ),
    (
        "select-as-turtle",
        "GET",
        {"params": {"query": "ASK {}"}, "headers": {"accept": "text/turtle"}},
        406,
        406,
    ),
    ("empty-media-type", "POST", {"content": b"ASK {}", "headers": {"content-type": ""}}, 415, 415),
    # Deliberate differences:
    # Oxigraph answers 404 to other methods on its query route; Fuseki and the protocol say 405.
    ("put", "PUT", {"content": b"ASK {}"}, 405, 404),
    # Oxigraph answers 400 with no Content-Type; a missing media type is an unsupported one (Fuseki: 415).
    ("no-media-type", "POST", {"content": b"ASK {}"}, 415, 400),
    # Oxigraph decodes a URL lossily; we refuse bytes that are not UTF-8, in the URL as in the body.
    ("non-utf8-url", "GET", {"url_suffix": "?query=ASK%7B%20FILTER(%22%FF%22)%7D"}, 400, 200),
    # Oxigraph runs the query of a form that also holds an update; we refuse the ambiguity.
    ("query-and-update", "POST", {"data": {"query": "ASK {}", "update": "CLEAR ALL"}}, 400, 200),
]


def send(client: httpx.Client, endpoint: str, method: str, arguments: dict) -> httpx.Response:
    arguments = dict(arguments)
    url = endpoint + arguments.pop("url_suffix", "")
    return client.request(method, url, **arguments)


@pytest.mark.parametrize(
    ("method", "arguments", "ours", "theirs"),
    [case[1:] for case in CASES],
    ids=[case[0] for case in CASES],
)
def test_same_status_as_oxigraph(live_server, oxigraph, method, arguments, ours, theirs):
    with httpx.Client(timeout=60.0) as client:
        mine = send(client, live_server.sparql, method, arguments)
        reference = send(client, oxigraph, method, arguments)
    assert reference.status_code == theirs, reference.text
    assert mine.status_code == ours, mine.text
    if ours == theirs == 200:
        assert (
            mine.headers["content-type"].split(";")[0]
            == reference.headers["content-type"].split(";")[0]
        )


QUERIES = {
    "labels": LABELS,
    "pillars": "SELECT ?p ?label WHERE { ?p a <https://w3id.org/dakg/def/Pillar> ; <http://www.w3.org/2000/01/rdf-schema#label> ?label } ORDER BY ?p ?label",
    "group-by": "SELECT ?type (COUNT(*) AS ?n) WHERE { ?s a ?type } GROUP BY ?type ORDER BY ?type",
    "graphs": "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g ORDER BY ?g",
}


@pytest.mark.parametrize("name", sorted(QUERIES))
@pytest.mark.parametrize("kind", ["json", "xml", "csv", "tsv"])
def test_same_answers_as_oxigraph(live_server, oxigraph, name, kind):
    accept = {
        "json": "application/sparql-results+json",
        "xml": "application/sparql-results+xml",
        "csv": "text/csv",
        "tsv": "text/tab-separated-values",
    }[kind]
    with httpx.Client(timeout=60.0) as client:
        answers = [
            client.get(endpoint, params={"query": QUERIES[name]}, headers={"accept": accept})
            for endpoint in (live_server.sparql, oxigraph)
        ]
    rows = [[tuple(r) for r in Result.parse(io.BytesIO(a.content), format=kind)] for a in answers]
    assert rows[0] == rows[1]
    assert rows[0]
