"""The endpoint bounds what one client can take: a time limit that stops the query (its worker
process is killed, others go on answering), caps on rows, bytes and query length, a memory cap
per worker, and federation only to allow-listed endpoints."""

from __future__ import annotations

import concurrent.futures
import contextlib
import http.server
import json
import os
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from dakg.settings import Settings
from dakg.sparql.federation import NetworkRefused, check, network_uses
from dakg.store.dataset import Dataset
from dakg.web import forking
from dakg.web.app import create_app
from dakg.web.server import http_workers
from fastapi.testclient import TestClient
from helpers import ROOT
from helpers.server import DAKG, HOST, live_server_fixture, start_server

TIME_LIMIT = 2.0
# One HTTP worker, whose query workers are its children (the tests count them).
limited_server = live_server_fixture(
    {
        "DAKG_WORKERS": "1",
        "DAKG_QUERY_TIMEOUT": str(TIME_LIMIT),
        "DAKG_MAX_RESULT_ROWS": "500",
        "DAKG_MAX_RESULT_BYTES": "50000",
        "DAKG_MAX_QUERY_CHARS": "5000",
    }
)
# Every triple three times over: far past any time limit, and no answer before it ends.
CROSS_PRODUCT = "SELECT (COUNT(*) AS ?n) WHERE { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }"
LOOKUP = "SELECT ?label WHERE { <https://w3id.org/dakg/id/initiative/mynumber-card> <http://www.w3.org/2000/01/rdf-schema#label> ?label }"


def worker_pids(server_pid: int) -> set[int]:
    """The server's child processes: its query workers."""
    children: set[int] = set()
    for task in Path(f"/proc/{server_pid}/task").iterdir():
        text = (task / "children").read_text().split()
        children.update(int(pid) for pid in text)
    return children


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def replaced_total(client: httpx.Client) -> int:
    for line in client.get("/metrics").text.splitlines():
        if line.startswith("dakg_query_workers_replaced_total "):
            return int(line.split()[1])
    raise AssertionError("/metrics has no dakg_query_workers_replaced_total")


@pytest.fixture(scope="module")
def client(limited_server) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=limited_server.base, timeout=30.0) as http:
        yield http


def test_a_pathological_query_is_stopped_while_another_client_is_answered(
    limited_server, client
) -> None:
    assert client.get("/sparql", params={"query": LOOKUP}).status_code == 200  # workers are up
    before = worker_pids(limited_server.process.pid)
    replaced = replaced_total(client)
    assert len(before) >= 2
    outcome: dict = {}

    def pathological() -> None:
        started = time.monotonic()
        with httpx.Client(base_url=limited_server.base, timeout=30.0) as other:
            response = other.get("/sparql", params={"query": CROSS_PRODUCT})
        outcome.update(status=response.status_code, text=response.text)
        outcome["seconds"] = time.monotonic() - started

    thread = threading.Thread(target=pathological)
    thread.start()
    time.sleep(0.5)
    started = time.monotonic()
    # A query text of its own, so that no cached answer stands in for running it.
    lookup = client.get("/sparql", params={"query": LOOKUP + "\n# while the other runs"})
    lookup_seconds = time.monotonic() - started
    still_running = thread.is_alive()
    thread.join(timeout=TIME_LIMIT + 10)

    assert lookup.status_code == 200 and "マイナンバーカード" in lookup.text
    assert still_running, "the lookup was answered only after the pathological query ended"
    assert lookup_seconds < TIME_LIMIT
    assert outcome["status"] == 503
    assert f"{TIME_LIMIT:g} s" in outcome["text"]
    assert TIME_LIMIT <= outcome["seconds"] <= TIME_LIMIT + 1.0
    # The stopped query's process is gone (with all it held) within the limit and a second,
    # and a new worker took its place.
    deadline = time.monotonic() + 1.0
    while time.monotonic() < deadline and not before - worker_pids(limited_server.process.pid):
        time.sleep(0.02)
    after = worker_pids(limited_server.process.pid)
    gone = before - after
    assert len(gone) == 1 and not any(alive(pid) for pid in gone)
    assert len(after) == len(before)
    assert replaced_total(client) == replaced + 1
    assert client.get("/sparql", params={"query": LOOKUP + "\n# after"}).status_code == 200


CARD_LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/dakg/id/initiative/mynumber-card> ?p ?o }"


def occupy_workers(base: str, count: int) -> tuple[list[threading.Thread], list[int]]:
    """`count` clients, each running a query far past the time limit (each its own text)."""
    statuses: list[int] = []

    def pathological(n: int) -> None:
        with httpx.Client(base_url=base, timeout=30.0) as other:
            response = other.get("/sparql", params={"query": f"{CROSS_PRODUCT} # {n}"})
        statuses.append(response.status_code)

    threads = [threading.Thread(target=pathological, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    time.sleep(0.5)
    return threads, statuses


def test_a_lookup_is_answered_while_every_worker_is_busy(limited_server, client) -> None:
    """A one-entity lookup of a subject with few triples is answered in the server's process:
    it waits for no query worker, even when every worker runs a query past the limit."""
    assert client.get("/sparql", params={"query": LOOKUP}).status_code == 200  # workers are up
    workers = len(worker_pids(limited_server.process.pid))
    threads, statuses = occupy_workers(limited_server.base, workers)
    started = time.monotonic()
    lookup = client.get("/sparql", params={"query": CARD_LOOKUP + " LIMIT 1000"})
    seconds = time.monotonic() - started
    busy = all(thread.is_alive() for thread in threads)
    for thread in threads:
        thread.join(timeout=TIME_LIMIT + 10)
    assert lookup.status_code == 200 and "マイナンバーカード" in lookup.text
    assert busy, "a worker was free: the test proves nothing"
    assert seconds < TIME_LIMIT / 2
    assert statuses == [503] * workers


def test_a_lookup_of_a_subject_past_the_cap_waits_for_a_worker() -> None:
    """With the cap below the subject's triples, the same lookup goes to the (busy) worker: it
    is answered only once the query there has been stopped at the time limit."""
    server = start_server(
        {
            "DAKG_WORKERS": "1",
            "DAKG_QUERY_TIMEOUT": str(TIME_LIMIT),
            "DAKG_QUERY_PROCESSES": "1",
            "DAKG_LOOKUP_TRIPLES": "3",
        }
    )
    try:
        with httpx.Client(base_url=server.base, timeout=30.0) as http:
            assert http.get("/sparql", params={"query": LOOKUP}).status_code == 200
            threads, statuses = occupy_workers(server.base, 1)
            started = time.monotonic()
            lookup = http.get("/sparql", params={"query": CARD_LOOKUP + " LIMIT 1000"})
            seconds = time.monotonic() - started
            for thread in threads:
                thread.join(timeout=TIME_LIMIT + 10)
        # Sent 0.5 s after the long query, it waits until that one is stopped (at the limit),
        # then gets the fresh worker (200) or runs out of time itself (503).
        assert seconds > TIME_LIMIT - 0.5 - 0.2
        assert lookup.status_code in (200, 503)
        assert statuses == [503]
    finally:
        server.stop()


def test_too_many_rows_is_refused_with_the_cap(client) -> None:
    over = client.get(
        "/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 501", "format": "csv"}
    )
    assert over.status_code == 422
    assert "more than 500 rows" in over.text and "LIMIT" in over.text
    within = client.get(
        "/sparql", params={"query": "SELECT ?s WHERE { ?s ?p ?o } LIMIT 500", "format": "csv"}
    )
    assert within.status_code == 200
    assert within.text.count("\r\n") == 501  # the header and 500 rows


def test_too_many_triples_is_refused_with_the_cap(client) -> None:
    # Short triples (a fresh blank node each), so that the row cap, not the byte cap, is reached.
    query = "CONSTRUCT { ?x <urn:p> 1 } WHERE { ?s ?p ?o BIND(BNODE() AS ?x) } LIMIT {}"
    over = client.get("/sparql", params={"query": query.replace("{}", "501")})
    assert over.status_code == 422 and "more than 500 triples" in over.text
    within = client.get(
        "/sparql",
        params={"query": query.replace("{}", "100")},
        headers={"accept": "application/n-triples"},
    )
    assert within.status_code == 200 and within.text.count("\n") == 100


def test_too_many_bytes_is_refused_with_the_cap(client) -> None:
    query = "SELECT * WHERE { ?s ?p ?o } LIMIT 400"
    over = client.get("/sparql", params={"query": query, "format": "xml"})
    assert over.status_code == 422 and "larger than 50000 bytes" in over.text
    small = client.get("/sparql", params={"query": query.replace("400", "20"), "format": "xml"})
    assert small.status_code == 200 and small.text.count("<result>") == 20


def test_a_query_past_the_length_cap_is_413(client) -> None:
    long_query = "# " + "x" * 5000 + "\nASK { ?s ?p ?o }"
    for response in (
        client.get("/sparql", params={"query": long_query}),
        client.post("/sparql", data={"query": long_query}),
        client.post(
            "/sparql",
            content=long_query.encode(),
            headers={"content-type": "application/sparql-query"},
        ),
    ):
        assert response.status_code == 413
        assert f"{len(long_query)} characters" in response.text and "5000" in response.text
    assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200


def test_a_query_that_needs_more_memory_than_a_worker_may_have_is_stopped(dataset) -> None:
    settings = Settings.from_env(query_memory_bytes=768 * 1024 * 1024, query_timeout=60)
    app = create_app(settings, dataset)
    hungry = CROSS_PRODUCT.replace("SELECT (COUNT(*) AS ?n)", "SELECT *") + " ORDER BY ?a ?d ?g"
    with TestClient(app) as local:
        answer = local.get("/sparql", params={"query": hungry + " LIMIT 1"})
        assert answer.status_code == 503
        assert "worker process" in answer.text and "memory" in answer.text
        assert "Traceback" not in answer.text
        assert local.get("/sparql", params={"query": LOOKUP}).status_code == 200
        assert app.state.query_pool.restarts == 1


def test_the_memory_cap_counts_from_the_open_store_so_a_small_one_still_answers(dataset) -> None:
    # 64 MiB is less than a worker holds with its store open (its threads' stacks and arenas
    # alone reserve more): counted from nothing, no worker could start.
    settings = Settings.from_env(query_memory_bytes=64 * 1024 * 1024, query_timeout=60)
    app = create_app(settings, dataset)
    with TestClient(app) as local:
        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        answer = local.get(
            "/sparql",
            params={"query": count},
            headers={"accept": "application/sparql-results+json"},
        )
        assert answer.status_code == 200, answer.text
        assert int(answer.json()["results"]["bindings"][0]["n"]["value"]) > 1000
        assert app.state.query_pool.restarts == 0


# ---- federation to allow-listed endpoints only ---------------------------------------------


class Recorder:
    """A loopback HTTP server that records each request and answers like a SPARQL endpoint."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        seen = self.seen

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
                seen.append(self.path)
                if self.path.endswith(".ttl"):
                    body = b"<http://example.org/s> <http://example.org/p> 'loaded' .\n"
                    kind = "text/turtle"
                else:
                    body = json.dumps(
                        {
                            "head": {"vars": ["x"]},
                            "results": {
                                "bindings": [{"x": {"type": "literal", "value": "from afar"}}]
                            },
                        }
                    ).encode()
                    kind = "application/sparql-results+json"
                self.send_response(200)
                self.send_header("content-type", kind)
                self.send_header("content-length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:  # noqa: N802
                self.rfile.read(int(self.headers.get("content-length") or 0))
                self.do_GET()

            def log_message(self, *args) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/sparql"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def recorders() -> Iterator[tuple[Recorder, Recorder]]:
    allowed, other = Recorder(), Recorder()
    yield allowed, other
    allowed.close()
    other.close()


def test_service_reaches_an_allow_listed_endpoint_and_no_other(dataset, recorders) -> None:
    allowed, other = recorders
    settings = Settings.from_env(federation_allow=(allowed.url,))
    with TestClient(create_app(settings, dataset)) as local:
        reached = local.get(
            "/sparql",
            params={"query": f"SELECT ?x WHERE {{ SERVICE <{allowed.url}> {{ ?x ?y ?z }} }}"},
        )
        assert reached.status_code == 200, reached.text
        assert "from afar" in reached.text
        assert len(allowed.seen) == 1
        prefixed = local.get(
            "/sparql",
            params={
                "query": f"PREFIX far: <{allowed.url[:-6]}> "
                "SELECT ?x WHERE { SERVICE far:sparql { ?x ?y ?z } }"
            },
        )
        assert prefixed.status_code == 200 and "from afar" in prefixed.text
        for query in (
            f"SELECT * WHERE {{ SERVICE <{other.url}> {{ ?x ?y ?z }} }}",
            f"SELECT * WHERE {{ SERVICE SILENT <{other.url}> {{ ?x ?y ?z }} }}",
            f"SELECT * WHERE {{ VALUES ?e {{ <{other.url}> }} SERVICE ?e {{ ?x ?y ?z }} }}",
            f"SELECT * WHERE {{ ?s ?p ?o .SERVICE<{other.url}>{{ ?x ?y ?z }} }}",
        ):
            refused = local.get("/sparql", params={"query": query})
            assert refused.status_code == 403, query
            assert "allow" in refused.text
    assert other.seen == []


def test_load_reaches_an_allow_listed_address_only(dataset, recorders) -> None:
    allowed, other = recorders
    source = allowed.url.replace("/sparql", "/data.ttl")
    settings = Settings.from_env(federation_allow=(source,), update_token="secret-token")
    token = {"authorization": "Bearer secret-token"}
    with TestClient(create_app(settings, Dataset.load(ROOT))) as local:  # its own: updated
        loaded = local.post(
            "/sparql",
            data={"update": f"LOAD <{source}> INTO GRAPH <http://example.org/g>"},
            headers=token,
        )
        assert loaded.status_code == 204, loaded.text
        found = local.get(
            "/sparql",
            params={"query": "SELECT ?o WHERE { GRAPH <http://example.org/g> { ?s ?p ?o } }"},
        )
        assert "loaded" in found.text
        refused = local.post(
            "/sparql",
            data={"update": f"LOAD <{other.url.replace('/sparql', '/data.ttl')}>"},
            headers=token,
        )
        assert refused.status_code == 403
    assert allowed.seen == ["/data.ttl"] and other.seen == []


def test_network_uses_name_their_targets() -> None:
    uses = network_uses(
        "PREFIX e: <http://example.org/> SELECT * { SERVICE e:one { ?a ?b ?c } "
        "SERVICE SILENT <http://example.org/two> { ?a ?b ?c } SERVICE ?x { ?a ?b ?c } "
        "?s ?p ?o.SERVICE?y{} }"
    )
    assert [(u.keyword, u.target) for u in uses] == [
        ("SERVICE", "http://example.org/one"),
        ("SERVICE", "http://example.org/two"),
        ("SERVICE", None),
        ("SERVICE", None),
    ]
    check("SELECT * { ?s ?p 'SERVICE <http://x/>' }", ())
    with pytest.raises(NetworkRefused, match="nothing from the network"):
        check("LOAD <http://example.org/x>", ())
    with pytest.raises(NetworkRefused, match="allow-list"):
        check("LOAD <http://example.org/x>", ("http://example.org/y",))


def test_every_worker_answers_from_the_same_updated_store() -> None:
    """An update's result reaches every query worker as it is, not run again in each (which would
    mint a different UUID in each copy)."""
    settings = Settings.from_env(update_token="secret-token", query_processes=2)
    app = create_app(settings, Dataset.load(ROOT))
    token = {"authorization": "Bearer secret-token"}
    update = "INSERT { <http://example.org/s> <http://example.org/id> ?u } WHERE { BIND(STRUUID() AS ?u) }"
    with TestClient(app) as local:
        assert local.post("/sparql", data={"update": update}, headers=token).status_code == 204
        seen = set()
        for n in range(6):  # distinct texts: no cached answer, and both workers asked in turn
            answer = local.get(
                "/sparql",
                params={"query": f"SELECT ?u WHERE {{ <http://example.org/s> ?p ?u }} # {n}"},
            )
            (row,) = answer.json()["results"]["bindings"]
            seen.add(row["u"]["value"])
        assert len(seen) == 1
        assert all(worker.generation == 1 for worker in app.state.query_pool._workers)


def command_line(pid: int) -> str:
    return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()


def http_workers_of(server_pid: int, count: int) -> dict[int, set[int]]:
    """The server's HTTP workers (its children) with their query workers, once `count` HTTP
    workers each have theirs (they start them as they start)."""
    deadline = time.monotonic() + 60
    while True:
        found = {pid: worker_pids(pid) for pid in worker_pids(server_pid)}
        if (len(found) == count and all(found.values())) or time.monotonic() > deadline:
            return found
        time.sleep(0.1)


def metric_value(text: str, name: str) -> int:
    for line in text.splitlines():
        if line.startswith(name + " "):
            return int(line.split()[1])
    raise AssertionError(f"{name} not in /metrics")


@pytest.mark.parametrize("workers", ["2", "3"])
def test_several_http_workers_serve_one_port_and_count_together(workers: str) -> None:
    """`dakg serve --workers N` in memory: N HTTP processes forked from the one that loaded the
    graph, behind one port, each with its own query workers; /metrics, whichever answers it,
    counts every worker's requests."""
    server = start_server({"DAKG_QUERY_PROCESSES": "1"}, args=("--workers", workers))
    try:
        found = http_workers_of(server.process.pid, int(workers))
        assert len(found) == int(workers)
        for http_worker, query_workers in found.items():
            assert "dakg serve" in command_line(http_worker)  # forked, not spawned
            (query_worker,) = query_workers
            assert "dakg.execution.worker" in command_line(query_worker)
        with httpx.Client(base_url=server.base, timeout=30.0) as http:
            for n in range(30):
                answer = http.get("/sparql", params={"query": f"ASK {{ ?s ?p ?o }} # {n}"})
                assert answer.status_code == 200 and answer.json()["boolean"] is True
            assert http.get("/health").json()["status"] == "ok"
            deadline = time.monotonic() + 10
            while True:  # each worker shares its counters within a second
                seen = [http.get("/metrics").text for _ in range(4)]
                misses = [metric_value(text, "dakg_cache_misses_total") for text in seen]
                if misses == [30] * 4 or time.monotonic() > deadline:
                    break
                time.sleep(0.2)
        assert misses == [30] * 4
        assert all('dakg_requests_total{route="/sparql",status="200"} 30' in t for t in seen)
    finally:
        server.stop()
    assert server.process.returncode == 0
    for query_workers in found.values():  # gone with their HTTP workers
        assert not any(alive(pid) for pid in query_workers)


def test_a_killed_http_worker_leaves_no_query_worker_behind() -> None:
    """SIGKILL an HTTP worker that is busy with a long query: its query workers (the busy one
    included) end with it, within a few seconds, and are not left to run on unlimited."""
    import signal
    import threading

    server = start_server(
        {"DAKG_QUERY_PROCESSES": "2", "DAKG_QUERY_TIMEOUT": "60"}, args=("--workers", "2")
    )
    try:
        found = http_workers_of(server.process.pid, 2)

        def long_query() -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(server.url("/sparql"), params={"query": CROSS_PRODUCT}, timeout=70)

        for _ in range(2):  # one lands on each HTTP worker, or both on one: either way one is busy
            threading.Thread(target=long_query, daemon=True).start()
        time.sleep(1.5)
        victim, orphans = next(iter(found.items()))
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 10
        while any(alive(pid) for pid in orphans) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(alive(pid) for pid in orphans), orphans
    finally:
        server.stop()


ESTABLISHED, LISTEN = "01", "0A"  # TCP states as /proc/net/tcp writes them


def tcp_sockets(pid: int, port: int, state: str) -> set[str]:
    """The TCP sockets on this local port, in this state, that the process holds (their inodes,
    from Linux's /proc)."""
    held = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        with contextlib.suppress(OSError):
            held.add(os.readlink(fd))
    found = set()
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port, inode = int(fields[1].rsplit(":", 1)[1], 16), fields[9]
        if local_port == port and fields[3] == state and f"socket:[{inode}]" in held:
            found.add(inode)
    return found


def test_a_forked_worker_that_dies_is_forked_again() -> None:
    """The parent forks a new HTTP worker (from the loaded graph) in place of one that dies, on
    the dead one's listening socket, and the port goes on answering throughout."""
    server = start_server({"DAKG_QUERY_PROCESSES": "1"}, args=("--workers", "2"))
    try:
        before = http_workers_of(server.process.pid, 2)
        time.sleep(forking.SHORTEST_LIFE + 0.5)  # past the age at which a worker is replaced
        victim = min(before)
        victims_socket = tcp_sockets(victim, server.port, LISTEN)
        os.kill(victim, signal.SIGKILL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            now = set(worker_pids(server.process.pid))
            if victim not in now and len(now) == 2:
                break
            time.sleep(0.1)
        after = http_workers_of(server.process.pid, 2)
        assert victim not in after and len(after) == 2
        # The new worker accepts on the socket the dead one listened on (and its queue).
        (successor,) = set(after) - set(before)
        assert tcp_sockets(successor, server.port, LISTEN) == victims_socket
        with httpx.Client(base_url=server.base, timeout=30.0) as http:
            for n in range(10):
                answer = http.get("/sparql", params={"query": f"ASK {{ ?s ?p ?o }} # {n}"})
                assert answer.status_code == 200
        assert "starting another" in server.log()
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_connections_opened_together_are_spread_over_the_workers() -> None:
    """Connections a client opens all at once (a pool, a load generator) do not all land on the
    worker that wakes first: each worker accepts on a listening socket of its own and the kernel
    spreads the connections over them, so every worker holds its share."""
    server = start_server({"DAKG_QUERY_PROCESSES": "1"}, args=("--workers", "2"))
    opened: list[socket.socket] = []
    try:
        workers = sorted(http_workers_of(server.process.pid, 2))
        assert len(workers) == 2
        listening = [tcp_sockets(pid, server.port, LISTEN) for pid in workers]
        assert all(len(own) == 1 for own in listening) and listening[0] != listening[1]
        # The parent holds them all, so that a worker forked again takes over its socket.
        assert tcp_sockets(server.process.pid, server.port, LISTEN) == set.union(*listening)
        opened = [socket.create_connection((HOST, server.port), timeout=30) for _ in range(32)]
        for sock in opened:  # answered, so accepted by a worker
            sock.sendall(f"GET /health HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
        for sock in opened:
            assert sock.recv(65536).startswith(b"HTTP/1.1 200")
        held = [len(tcp_sockets(pid, server.port, ESTABLISHED)) for pid in workers]
        # Spread at random, each of 32 lands on either: fewer than 4 on one is a 3e-6 chance.
        assert sum(held) == 32 and min(held) >= 4, held
    finally:
        for sock in opened:
            sock.close()
        server.stop()


def test_a_second_server_on_the_same_port_is_refused() -> None:
    """The workers share their port with one another only: another `dakg serve` on it stops
    with the address in use (it would otherwise take a share of the connections unseen), and
    the first goes on answering."""
    server = start_server({"DAKG_QUERY_PROCESSES": "1"}, args=("--workers", "2"))
    try:
        second = subprocess.run(
            [str(DAKG), "serve", "--host", HOST, "--port", str(server.port), "--workers", "2"],
            capture_output=True,
            text=True,
            timeout=60,
            env={**os.environ, "DAKG_ROOT": str(ROOT), "DAKG_QUERY_PROCESSES": "1"},
        )
        assert second.returncode != 0
        assert "address already in use" in (second.stdout + second.stderr).lower()
        assert httpx.get(server.url("/health"), timeout=30).status_code == 200
    finally:
        server.stop()
    assert server.process.returncode == 0


def test_a_read_only_endpoint_has_one_http_worker_per_core() -> None:
    cores = os.cpu_count() or 1
    assert http_workers(Settings()) == cores
    assert http_workers(Settings(workers=3)) == 3
    # An update must reach the one copy of the embedded store; an engine holds its own.
    assert http_workers(Settings(update_token="secret")) == 1
    engine = "sparql:http://127.0.0.1:7878/query"
    assert http_workers(Settings(update_token="secret", store=engine)) == cores


live_server = live_server_fixture()


def test_large_answers_arrive_whole_from_the_workers(live_server) -> None:
    """Answers far larger than a socket's buffer, several at once, come back whole from the
    query workers (the server's event loop may make their sockets non-blocking)."""
    with httpx.Client(base_url=live_server.base, timeout=30.0) as http:
        replaced = replaced_total(http)
        count = http.get(
            "/sparql", params={"query": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"}
        ).json()["results"]["bindings"][0]["n"]["value"]

    def fetch(n: int) -> httpx.Response:
        query = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ ?s ?p ?o }} # {n}"
        with httpx.Client(base_url=live_server.base, timeout=30.0) as other:
            return other.get(
                "/sparql", params={"query": query}, headers={"accept": "application/n-triples"}
            )

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        answers = list(pool.map(fetch, range(8)))
    for answer in answers:
        assert answer.status_code == 200, answer.text
        assert len(answer.content) > 500_000  # several times a socket buffer
        assert answer.text.count("\n") == int(count)
    with httpx.Client(base_url=live_server.base, timeout=30.0) as http:
        assert replaced_total(http) == replaced


def test_a_worker_query_past_the_limit_is_stopped_in_process_too(dataset) -> None:
    """The pool on the app's own event loop (no uvicorn): a query past the limit is answered 503
    at the limit, not waited for, and the next query is answered by a fresh worker."""
    app = create_app(Settings.from_env(query_timeout=2, query_processes=1), dataset)
    long_query = "SELECT * WHERE { " + " ".join(f"?s{i} ?p{i} ?o{i} ." for i in range(1500)) + " }"
    outcome: dict = {}

    def run() -> None:
        with TestClient(app) as local:
            started = time.monotonic()
            outcome["long"] = local.post("/sparql", data={"query": long_query})
            outcome["seconds"] = time.monotonic() - started
            outcome["next"] = local.get("/sparql", params={"query": "ASK { ?s ?p ?o }"})

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(timeout=30)
    assert not thread.is_alive(), "the service waited for a query past its limit"
    assert outcome["long"].status_code == 503 and "2 s" in outcome["long"].text
    assert outcome["seconds"] < 3.0
    assert outcome["next"].status_code == 200 and outcome["next"].json()["boolean"] is True
    assert app.state.query_pool.restarts == 1


def test_a_worker_that_died_while_idle_is_replaced_before_the_next_query(dataset) -> None:
    """A query worker killed from outside between queries (out of memory, say) is replaced
    when it is next taken: the next client is answered, not told its query stopped it."""
    app = create_app(Settings.from_env(query_processes=1), dataset)
    with TestClient(app) as local:
        assert local.get("/sparql", params={"query": "ASK { ?s ?p ?o } # 1"}).status_code == 200
        (worker,) = app.state.query_pool._workers
        worker.process.kill()
        worker.process.wait()
        answer = local.get("/sparql", params={"query": "ASK { ?s ?p ?o } # 2"})
        assert answer.status_code == 200 and answer.json()["boolean"] is True
        assert app.state.query_pool.restarts == 1


def test_several_workers_refuse_updates_on_their_own_copies() -> None:
    """Each HTTP worker would apply an update to its own store: refused at start (exit 2)."""
    result = subprocess.run(
        [str(DAKG), "serve", "--workers", "2", "--port", "9"],
        env={**os.environ, "DAKG_UPDATE_TOKEN": "secret-token", "DAKG_ROOT": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "--workers" in result.stderr and "read-only" in result.stderr
    assert "secret-token" not in result.stderr + result.stdout
