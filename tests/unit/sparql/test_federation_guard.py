"""No way past the federation guard: SERVICE and LOAD are found wherever the engine would read
them, and the query workers could not reach the network even if the guard missed one.

A recording HTTP listener on loopback stands for the address a client would make the server
fetch: every test that sends a bypass spelling asserts that it saw nothing.
"""

from __future__ import annotations

import http.server
import subprocess
import sys
import threading
from collections.abc import Iterator

import pytest
from dakg.sparql import federation
from dakg.sparql.form import MAX_NESTING, TooDeep, check_nesting
from dakg.sparql.lexer import max_depth, tokens
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st


class Recorder:
    """A loopback HTTP server that keeps the path of every request it gets."""

    def __init__(self) -> None:
        seen = self.seen = []

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                seen.append(self.path)
                body = b'{"head":{"vars":[]},"results":{"bindings":[{}]}}'
                self.send_response(200)
                self.send_header("content-type", "application/sparql-results+json")
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/sparql"


@pytest.fixture(scope="module")
def recorder() -> Iterator[Recorder]:
    listener = Recorder()
    yield listener
    listener.server.shutdown()


# The spellings that passed the old guard, and others of the same families. `{t}` is the target.
BYPASSES = [
    "SELECT * WHERE {{ SERVICE <{t}> {{ ?s ?p ?o }} }}",
    "select * {{ service silent <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p trueSERVICE <{t}> {{ ?x ?y ?z }} }}",
    "SELECT * WHERE {{ ?s ?p 1SERVICE <{t}> {{ ?x ?y ?z }} }}",
    "SELECT * WHERE {{ ?s ?p 1.5e3SERVICE <{t}> {{ ?x ?y ?z }} }}",
    "PREFIX e: <http://e/> SELECT * WHERE {{ ?s ?p e:a\\#b .\n SERVICE <{t}> {{ ?x ?y ?z }} }}",
    "PREFIX e: <http://e/> SELECT * WHERE {{ ?s ?p e:a\\'b . SERVICE <{t}> {{ ?x ?y ?z }} }}",
    "SELECT * WHERE {{ \\u0053ERVICE <{t}> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVIC\\u0045 <{t}> {{ ?s ?p ?o }} }}",
    "PREFIX : <{t}> SELECT * WHERE {{ SERVICE:{{ ?s ?p ?o }} }}",
    "PREFIX : <{t}> SELECT * WHERE {{ ?a ?b ?c . SERVICE: {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ ?s ?p ?o.SERVICE <{t}> {{ ?a ?b ?c }} }}",
    "SELECT * WHERE {{ []SERVICE <{t}> {{ ?a ?b ?c }} }}",
    'SELECT * WHERE {{ ?s ?p "x"SERVICE <{t}> {{ ?a ?b ?c }} }}',
    "SELECT * WHERE {{ FILTER(?a<?b)SERVICE<{t}>{{?s ?p ?o}} }}",
    "PREFIX e: <{t}> SELECT * WHERE {{ SERVICE e: {{ ?s ?p ?o }} }}",
    "BASE <{t}> SELECT * WHERE {{ SERVICE <> {{ ?s ?p ?o }} }}",
    "SELECT * WHERE {{ SERVICE ?endpoint {{ ?s ?p ?o }} VALUES ?endpoint {{ <{t}> }} }}",
]


@pytest.mark.parametrize("spelling", BYPASSES)
def test_every_spelling_is_found(spelling: str) -> None:
    text = spelling.format(t="http://127.0.0.1:9/sparql")
    assert federation.network_uses(text), text
    with pytest.raises(federation.NetworkRefused):
        federation.check(text, ())


@pytest.mark.parametrize(
    "text",
    [
        "LOAD <http://127.0.0.1:9/x.ttl> INTO GRAPH <http://g>",
        "INSERT DATA { <a:s> <a:p> 1 } ; trueLOAD <http://127.0.0.1:9/x.ttl>",
        "lo\\u0061d <http://127.0.0.1:9/x.ttl>",
    ],
)
def test_load_is_found(text: str) -> None:
    assert [use.keyword for use in federation.network_uses(text)] == ["LOAD"]


@pytest.mark.parametrize(
    "text",
    [
        'SELECT * WHERE { ?s ?p "SERVICE <http://x/>" }',
        "SELECT ?service WHERE { ?service a <http://example.org/SERVICE> }",
        "# SERVICE <http://x/>\nSELECT * WHERE { ?s ?p ?o }",
        "PREFIX ex: <http://ex/> SELECT * WHERE { ?s ex:SERVICE ?o ; ex:load ?x }",
        "PREFIX dakg: <https://w3id.org/dakg/def/> SELECT ?s { ?s a dakg:DigitalService }",
        "SELECT ?services ?loaded WHERE { ?services ?p ?loaded }",
        "SELECT * WHERE { ?s ?p '''LOAD <http://x/>''' }",
        "SELECT * WHERE { ?s ?p 'it''s \\' SERVICE' }",
    ],
)
def test_words_in_strings_iris_comments_and_names_are_not_keywords(text: str) -> None:
    assert federation.network_uses(text) == []


def test_an_allow_listed_target_passes_and_only_it() -> None:
    allowed = ("http://127.0.0.1:9/sparql",)
    federation.check("SELECT * { SERVICE <http://127.0.0.1:9/sparql> { ?s ?p ?o } }", allowed)
    federation.check(
        "PREFIX e: <http://127.0.0.1:9/> SELECT * { SERVICE SILENT e:sparql { ?s ?p ?o } }", allowed
    )
    for text in (
        "SELECT * { SERVICE <http://127.0.0.1:9/sparql2> { ?s ?p ?o } }",
        "SELECT * { SERVICE ?e { ?s ?p ?o } }",
        "BASE <http://127.0.0.1:9/> SELECT * { SERVICE <sparql> { ?s ?p ?o } }",
        "SELECT * { SERVICEx <http://127.0.0.1:9/sparql> { ?s ?p ?o } }",
    ):
        with pytest.raises(federation.NetworkRefused):
            federation.check(text, allowed)


# ---------------------------------------------------------------- the guard against the engine

ENGINE = """
import sys, pyoxigraph as ox
store = ox.Store()
xsd = "http://www.w3.org/2001/XMLSchema#"
s, p = ox.NamedNode("http://e/s"), ox.NamedNode("http://e/p")
for o in (ox.Literal("o"), ox.Literal("x"), ox.Literal("true", datatype=ox.NamedNode(xsd + "boolean")),
          ox.Literal("1", datatype=ox.NamedNode(xsd + "integer")),
          ox.Literal("1.5e3", datatype=ox.NamedNode(xsd + "double")), ox.NamedNode("http://e/a#b"),
          ox.NamedNode("http://e/a'b"), ox.NamedNode("http://e/o")):
    store.add(ox.Quad(s, p, o))
text = sys.stdin.read()
try:
    if sys.argv[1] == "update":
        store.update(text)
    else:
        result = store.query(text)
        if not isinstance(result, ox.QueryBoolean):
            list(result)
    print("ran")
except SyntaxError as error:
    print("SyntaxError", error)
except Exception as error:
    print(type(error).__name__, error)
"""


def engine_run(kind: str, text: str) -> str:
    """Run a query or update on pyoxigraph in a process of its own, with the network open: what
    it said ("ran", or its error)."""
    return subprocess.run(
        [sys.executable, "-c", ENGINE, kind], input=text, text=True, capture_output=True,
        timeout=60,
    ).stdout  # fmt: skip


@pytest.mark.parametrize("spelling", BYPASSES)
def test_the_spellings_are_real(recorder: Recorder, spelling: str) -> None:
    """Run by pyoxigraph with the network open, each spelling either reaches the listener or is
    no query pyoxigraph runs (a syntax error, an unbound endpoint): the guard refuses what the
    engine would fetch, and errs only towards refusing."""
    text = spelling.format(t=recorder.url)
    before = len(recorder.seen)
    said = engine_run("query", text)
    fetched = len(recorder.seen) > before
    assert fetched or said.startswith("SyntaxError") or "unbound" in said, (text, said)


# Fragments the differential fuzz glues around a SERVICE call, in the families of the bypasses.
GLUE = st.sampled_from(
    ["", " ", "\n", "true", "false", "1", "1.", "1e3", "a", "?o", "?o.", "[]", "\"x\"", "'x'",
     "e:a", "e:a\\#b\n", "e:a\\'b", "e:", ":", "# c\n", ".", ";", ",", "<http://e/o>", "\\u0020"]
)  # fmt: skip
KEYWORD = st.sampled_from(
    ["SERVICE", "service", "Service", "\\u0053ERVICE", "SERV\\u0049CE", "SERVICE SILENT",
     "SERVICE:", "SERVICEx", "xSERVICE"]
)  # fmt: skip


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(before=GLUE, keyword=KEYWORD, after=st.sampled_from([" ", "", "\n"]))
def test_differential_fuzz_the_guard_refuses_whatever_the_engine_fetches(
    recorder: Recorder, before: str, keyword: str, after: str
) -> None:
    """Generated texts, each run by the guard and by pyoxigraph with the network open: whenever
    pyoxigraph fetches from the listener, the guard refused the text."""
    target = f"<{recorder.url}>" if not keyword.endswith(":") else ""
    prefix = f"PREFIX e: <http://e/> PREFIX : <{recorder.url}> "
    text = f"{prefix}SELECT * WHERE {{ ?s ?p {before}{keyword}{after}{target} {{ ?x ?y ?z }} }}"
    refused = bool(federation.network_uses(text))
    before_count = len(recorder.seen)
    engine_run("query", text)
    fetched = len(recorder.seen) > before_count
    assert refused or not fetched, text


# ---------------------------------------------------------------- nesting, as the engine reads it


def test_nesting_is_counted_past_escapes_and_comment_tricks() -> None:
    deep = "{" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1)
    for text in (
        f"SELECT * WHERE {deep}",
        f"PREFIX e: <http://e/> SELECT * WHERE {{ ?s ?p e:a\\#b . {deep} }}",
        "SELECT * WHERE " + "\\u007B" * (MAX_NESTING + 1) + "}" * (MAX_NESTING + 1),
    ):
        with pytest.raises(TooDeep):
            check_nesting(text)
    check_nesting('SELECT * WHERE { ?s ?p "' + "{" * 200 + '" }')
    assert max_depth(list(tokens("SELECT * { OPTIONAL { FILTER(!!(?x)) } }"))) == 5


# ---------------------------------------------------------------- through the real endpoint


def test_the_endpoint_refuses_every_spelling_and_sends_nothing(recorder: Recorder) -> None:
    """Every spelling, and LOAD, sent to a real `dakg serve` on loopback: 403, and the listener
    sees nothing; an update nested too deep is refused before it is run."""
    import httpx
    from helpers.server import start_server

    before = len(recorder.seen)
    server = start_server({"DAKG_UPDATE_TOKEN": "secret-token", "DAKG_WORKERS": "1"})
    auth = {"Authorization": "Bearer secret-token"}
    try:
        with httpx.Client(base_url=server.base, timeout=30.0) as client:
            for spelling in BYPASSES:
                answer = client.get("/sparql", params={"query": spelling.format(t=recorder.url)})
                assert answer.status_code == 403, (spelling, answer.text)
            for update in (
                f"LOAD <{recorder.url}>",
                f"INSERT DATA {{ <a:s> <a:p> 1 }} ; trueLOAD <{recorder.url}>",
            ):
                answer = client.post("/sparql", data={"update": update}, headers=auth)
                assert answer.status_code == 403 and "LOAD" in answer.text
            deep = "INSERT DATA { " + "[ <a:p> " * 300 + "1" + " ]" * 300 + " }"
            answer = client.post("/sparql", data={"update": deep}, headers=auth)
            assert answer.status_code == 400 and "nests more than" in answer.text
            assert client.get("/health").json()["status"] == "ok"
    finally:
        server.stop()
    assert len(recorder.seen) == before


# ---------------------------------------------------------------- the sandbox

SANDBOXED = """
import socket, sys
from dakg.execution.sandbox import deny_network
import pyoxigraph as ox
deny_network()
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=2)
    print("connected")
except PermissionError:
    print("refused")
try:
    list(ox.Store().query("SELECT * {{ SERVICE <http://127.0.0.1:%s/sparql> {{ ?s ?p ?o }} }}" % sys.argv[1]))
    print("fetched")
except OSError as error:
    print("service refused")
a, b = socket.socketpair()
a.send(b"x")
print("unix", b.recv(1).decode())
"""


def test_a_sandboxed_process_reaches_no_address(recorder: Recorder) -> None:
    """What the query workers run under: no TCP connection and no SERVICE fetch succeeds, while
    the Unix sockets they talk over still work."""
    before = len(recorder.seen)
    done = subprocess.run(
        [sys.executable, "-c", SANDBOXED.replace("{{", "{").replace("}}", "}"), str(recorder.port)],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.stdout.split("\n")[:3] == ["refused", "service refused", "unix x"], done.stderr
    assert len(recorder.seen) == before


def test_query_workers_are_sandboxed_and_die_with_their_parent(recorder: Recorder) -> None:
    """A query worker of a real app cannot fetch even a SERVICE the guard let through (here: the
    guard is bypassed by calling the pool directly), and ends when its parent is killed."""
    script = f"""
import asyncio, os, sys
from dakg.web.app import query_pool
from dakg.store.dataset import Dataset
from dakg.execution.messages import Limits, Query
from dakg.settings import Settings
settings = Settings.from_env(query_processes=1)
dataset = Dataset.load(settings.root)
pool = query_pool(settings, dataset)
async def main():
    text = "SELECT * {{ SERVICE <{recorder.url}> {{ ?s ?p ?o }} }}"
    message = Query(text, {{"use_default_graph_as_union": True}}, "json", "turtle", Limits())
    reply = await pool.run(message, 30)
    print("reply", reply, flush=True)
    print("worker", pool._workers[0].process.pid, flush=True)
    os._exit(0)
asyncio.run(main())
"""
    before = len(recorder.seen)
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=120
    )
    assert "worker" in done.stdout, done.stdout + done.stderr
    assert len(recorder.seen) == before, done.stdout
    worker = int(done.stdout.split("worker")[-1].split()[0])
    import os
    import time

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            os.kill(worker, 0)
        except ProcessLookupError:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"query worker {worker} outlived its parent")


def test_dakg_validate_fetches_nothing_a_shape_names(recorder: Recorder, tmp_path) -> None:
    """A pull request's shapes cannot make CI fetch an address: `dakg validate` runs with no
    network (and pySHACL would otherwise run the SERVICE through rdflib)."""
    import shutil
    from pathlib import Path

    shapes = tmp_path / "shapes.ttl"
    shapes.write_text(
        "@prefix sh: <http://www.w3.org/ns/shacl#> .\n@prefix ex: <http://example.org/> .\n"
        "ex:S a sh:NodeShape ; sh:targetClass ex:C ; sh:sparql [ a sh:SPARQLConstraint ;\n"
        f'  sh:select "SELECT $this WHERE {{ SERVICE <{recorder.url}> {{ ?a ?b ?c }} }}" ] .\n',
        encoding="utf-8",
    )
    data = tmp_path / "data.ttl"
    data.write_text("@prefix ex: <http://example.org/> .\nex:x a ex:C .\n", encoding="utf-8")
    dakg = shutil.which("dakg") or str(Path(sys.executable).parent / "dakg")
    before = len(recorder.seen)
    subprocess.run(
        [dakg, "validate", "--shapes", str(shapes), "--checks", str(tmp_path), str(data)],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert len(recorder.seen) == before


def test_an_allowed_load_fetches_only_its_own_address(tmp_path) -> None:
    """LOAD of an allow-listed document: a Turtle document is added to its graph; a JSON-LD
    document whose @context is elsewhere is refused without that address being fetched (the
    engine's own LOAD would fetch it); a redirect is not followed."""
    from dakg.settings import Settings
    from dakg.web.app import create_app
    from fastapi.testclient import TestClient

    seen: list[str] = []

    class Documents(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            seen.append(self.path)
            port = self.server.server_address[1]
            kinds = {
                "/doc.ttl": ("text/turtle", b"<http://e/s> <http://e/p> 'loaded' ."),
                "/doc.jsonld": (
                    "application/ld+json",
                    b'{"@context": "http://127.0.0.1:%d/context", "@id": "http://e/s", "p": 1}'
                    % port,
                ),
            }
            if self.path == "/moved":
                self.send_response(302)
                self.send_header("location", f"http://127.0.0.1:{port}/elsewhere")
                self.send_header("content-length", "0")
                self.end_headers()
                return
            media, body = kinds.get(self.path, ("text/plain", b"no"))
            self.send_response(200)
            self.send_header("content-type", media)
            self.send_header("content-length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Documents)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    allowed = (f"{base}/doc.ttl", f"{base}/doc.jsonld", f"{base}/moved")
    try:
        app = create_app(Settings.from_env(update_token="t", federation_allow=allowed))
        auth = {"Authorization": "Bearer t"}
        with TestClient(app) as client:
            before = client.get("/health").json()["triples"]
            done = client.post(
                "/sparql",
                data={"update": f"LOAD <{base}/doc.ttl> INTO GRAPH <http://e/g>"},
                headers=auth,
            )
            assert done.status_code in (200, 204), done.text
            ask = client.get(
                "/sparql",
                params={
                    "query": "ASK { GRAPH <http://e/g> { <http://e/s> <http://e/p> 'loaded' } }"
                },
                headers={"accept": "application/sparql-results+json"},
            )
            assert ask.json()["boolean"] is True
            refused = client.post(
                "/sparql", data={"update": f"LOAD <{base}/doc.jsonld>"}, headers=auth
            )
            assert refused.status_code == 502 and "context" in refused.text.lower()
            moved = client.post("/sparql", data={"update": f"LOAD <{base}/moved>"}, headers=auth)
            assert moved.status_code == 502 and "302" in moved.text
            silent = client.post(
                "/sparql", data={"update": f"LOAD SILENT <{base}/moved>"}, headers=auth
            )
            assert silent.status_code in (200, 204)
            mixed = client.post(
                "/sparql",
                data={"update": f"INSERT DATA {{ <a:s> <a:p> 1 }} ; LOAD <{base}/doc.ttl>"},
                headers=auth,
            )
            assert mixed.status_code == 400 and "one operation" in mixed.text
            assert client.get("/health").json()["triples"] == before + 1
    finally:
        server.shutdown()
    assert "/context" not in seen and "/elsewhere" not in seen
    assert seen.count("/doc.ttl") == 1
