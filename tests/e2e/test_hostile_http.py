"""No handful of connections can starve or exhaust a real `dakg serve`: slow heads, slow bodies,
silent sockets, oversized headers and connection floods are cut off (each bounded to a few
seconds and a few hundred sockets), while a normal client's lookups keep answering. And a
client's Host header is never copied into what the server publishes.
"""

from __future__ import annotations

import contextlib
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from helpers.server import HOST, live_server_fixture

HEADER_TIMEOUT, BODY_TIMEOUT = 2, 2
guarded_server = live_server_fixture(
    {
        "DAKG_HEADER_TIMEOUT": str(HEADER_TIMEOUT),
        "DAKG_BODY_TIMEOUT": str(BODY_TIMEOUT),
        "DAKG_MAX_CONNECTIONS": "120",
        "DAKG_WORKERS": "1",
    }
)
LOOKUP = "SELECT ?p ?o WHERE { <https://w3id.org/dakg/id/initiative/mynumber-card> ?p ?o }"


def connect(port: int) -> socket.socket:
    sock = socket.create_connection((HOST, port), timeout=10)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def closed_by_server(sock: socket.socket, within: float) -> bytes | None:
    """What the server sent before closing the connection (a reset counts as closed: the kernel
    resets a connection closed with unread data), or None if it was still open."""
    sock.settimeout(within)
    received = b""
    try:
        while chunk := sock.recv(65536):
            received += chunk
    except TimeoutError:
        return None
    except ConnectionResetError:
        pass
    return received


@contextlib.contextmanager
def lookups_answer(base: str) -> Iterator[list[float]]:
    """A normal client looking one entity up over and over; yields its latencies (seconds)."""
    latencies: list[float] = []
    errors: list[str] = []
    stop = threading.Event()

    def run() -> None:
        with httpx.Client(base_url=base, timeout=10.0) as http:
            while not stop.is_set():
                started = time.monotonic()
                try:
                    answer = http.get("/sparql", params={"query": LOOKUP})
                    if answer.status_code != 200:
                        errors.append(f"{answer.status_code} {answer.text[:100]}")
                except httpx.HTTPError as error:
                    errors.append(repr(error))
                latencies.append(time.monotonic() - started)
                time.sleep(0.05)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield latencies
    finally:
        stop.set()
        thread.join(timeout=30)
    assert not errors, errors[:5]
    assert len(latencies) >= 5, latencies


def test_slow_heads_are_cut_off_while_lookups_answer(guarded_server) -> None:
    """Sixty clients sending a valid head a few bytes at a time (slowloris)."""
    with lookups_answer(guarded_server.base):
        slow = [connect(guarded_server.port) for _ in range(60)]
        for sock in slow:
            sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        while time.monotonic() - started < HEADER_TIMEOUT + 2:
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.send(b"X-a: b\r\n")
            time.sleep(0.25)
        answers = [closed_by_server(sock, 2) for sock in slow]
        for sock in slow:
            sock.close()
    assert all(a is not None for a in answers), "a slow head was still being read"
    assert all(a == b"" or a.startswith(b"HTTP/1.1 408") for a in answers), answers[:3]


def test_silent_sockets_are_closed_and_do_not_use_up_connections(guarded_server) -> None:
    with lookups_answer(guarded_server.base):
        silent = [connect(guarded_server.port) for _ in range(100)]
        answers = [closed_by_server(sock, HEADER_TIMEOUT + 3) for sock in silent]
        for sock in silent:
            sock.close()
    assert all(a is not None for a in answers), "a silent socket was kept open"
    assert any(a.startswith(b"HTTP/1.1 408") for a in answers if a)


def test_a_connection_past_the_limit_is_refused_at_once(guarded_server) -> None:
    held = [connect(guarded_server.port) for _ in range(120)]
    try:
        time.sleep(0.3)
        extra = connect(guarded_server.port)
        answer = closed_by_server(extra, 2)
        extra.close()
        assert answer is not None and answer.startswith(b"HTTP/1.1 503")
        assert b"retry-after: 1" in answer.lower()
    finally:
        for sock in held:
            sock.close()
    time.sleep(0.5)
    assert httpx.get(guarded_server.url("/health"), timeout=10).status_code == 200


def test_a_slow_body_is_cut_off(guarded_server) -> None:
    sock = connect(guarded_server.port)
    sock.sendall(
        b"POST /sparql HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/sparql-query\r\n"
        b"Content-Length: 1000\r\n\r\nSELECT"
    )
    started = time.monotonic()
    answer = closed_by_server(sock, BODY_TIMEOUT + 3)
    sock.close()
    assert answer is not None and answer.startswith(b"HTTP/1.1 408"), answer
    assert time.monotonic() - started < BODY_TIMEOUT + 2


def rss_kib(pid: int) -> int:
    """Resident memory of a process and its children, in KiB, from /proc."""
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for one in pids:
        with contextlib.suppress(FileNotFoundError):
            for line in Path(f"/proc/{one}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
    return total


def test_oversized_headers_are_refused_and_pin_no_memory(guarded_server) -> None:
    """200 requests with a 1 MB Accept header: each gets 431 before the header is read, and the
    server's memory after them is within 10 % of before."""
    with httpx.Client(base_url=guarded_server.base, timeout=10.0) as http:
        for _ in range(20):  # warm up
            http.get("/sparql", params={"query": LOOKUP})
    before = rss_kib(guarded_server.process.pid)
    huge = b"text/csv;q=0.5," * (1024 * 1024 // 15)
    for _ in range(200):
        sock = connect(guarded_server.port)
        with contextlib.suppress(OSError):
            sock.sendall(
                b"GET /sparql?query=ASK%7B%7D HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: " + huge
            )
        answer = closed_by_server(sock, 5)
        sock.close()
        assert answer is not None and (answer == b"" or answer.startswith(b"HTTP/1.1 431")), answer
    after = rss_kib(guarded_server.process.pid)
    assert after <= before * 1.10, (before, after)
    many = b"".join(b"X-A%d: 1\r\n" % i for i in range(150))
    sock = connect(guarded_server.port)
    sock.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n" + many + b"\r\n")
    answer = closed_by_server(sock, 5)
    sock.close()
    assert answer is not None and answer.startswith(b"HTTP/1.1 431")


def test_a_long_accept_header_is_not_remembered() -> None:
    from dakg.rdf import formats
    from dakg.web import conneg

    negotiator = conneg.Negotiator()
    for i in range(50):
        with pytest.raises(conneg.NotAcceptable):
            negotiator.pick(formats.RESULTS, (), f"image/png;q=0.{i}," + "x" * 1000)
    assert negotiator.pick(formats.RESULTS, (), "text/csv") is formats.CSV
    assert len(negotiator._choices) == 1


def test_a_strangers_host_is_not_published(guarded_server) -> None:
    """Every distinct Host a client sends: the VoID, the service description and the JSON-LD
    context link name the server's own address, never the stranger's."""
    with httpx.Client(base_url=guarded_server.base, timeout=10.0) as http:
        for i in range(30):
            host = f"evil{i}.example"
            void = http.get("/.well-known/void", headers={"host": host}).text
            sd = http.get("/sparql", headers={"host": host, "accept": "text/turtle"}).text
            doc = http.get("/doc/initiative/mynumber-card.jsonld", headers={"host": host}).json()
            assert host not in void and host not in sd and host not in doc["@context"]
            assert f"http://{HOST}:{guarded_server.port}/sparql" in void
        own = http.get("/.well-known/void", headers={"host": f"localhost:{guarded_server.port}"})
        assert f"http://localhost:{guarded_server.port}/sparql" in own.text


def test_public_url_is_what_is_published() -> None:
    from dakg.settings import Settings
    from dakg.web.app import create_app
    from fastapi.testclient import TestClient

    app = create_app(Settings.from_env(public_url="https://dakg.example.org/"))
    with TestClient(app) as client:
        void = client.get("/.well-known/void", headers={"host": "evil.example"}).text
    assert "https://dakg.example.org/sparql" in void and "evil.example" not in void


# ---------------------------------------------------------------- fair sharing of the workers

fair_server = live_server_fixture(
    {"DAKG_QUERY_PROCESSES": "2", "DAKG_QUERY_TIMEOUT": "3", "DAKG_WORKERS": "1"}
)
HEAVY = "SELECT (COUNT(*) AS ?n) WHERE {{ ?a ?b ?c . ?d ?e ?f . ?g ?h ?i }} # {}"


def client_from(address: str, base: str) -> httpx.Client:
    """An HTTP client whose connections come from a loopback address of its own (a client of
    its own to the server)."""
    return httpx.Client(
        base_url=base, timeout=30.0, transport=httpx.HTTPTransport(local_address=address)
    )


def test_heavy_clients_leave_a_worker_for_the_others(fair_server) -> None:
    """Four clients keep sending queries that run to the time limit; a fifth client's small
    queries, saved queries and lookups keep answering (without the worker kept for others, its
    small queries would wait behind the heavy ones past the limit and get 503), and a heavy query
    that waited its whole limit without running is told so (503, Retry-After), not that it ran
    too long."""
    stop = threading.Event()
    heavy_answers: list[tuple[int, str]] = []

    def heavy(address: str) -> None:
        with client_from(address, fair_server.base) as http:
            n = 0
            while not stop.is_set():
                n += 1
                answer = http.get("/sparql", params={"query": HEAVY.format(f"{address} {n}")})
                heavy_answers.append((answer.status_code, answer.text, answer.headers))

    threads = [threading.Thread(target=heavy, args=(f"127.0.0.{i}",)) for i in range(2, 6)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(7)  # two rounds of heavy queries: each of their clients is now known as heavy
        with client_from("127.0.0.9", fair_server.base) as light:
            for n in range(12):
                small = light.get(
                    "/sparql",
                    params={"query": f"SELECT (COUNT(?p) AS ?n) WHERE {{ ?p a ?t }} # {n}"},
                )
                api = light.get("/api/initiatives", params={"limit": str(n + 1)})
                look = light.get("/sparql", params={"query": LOOKUP})
                assert (small.status_code, api.status_code, look.status_code) == (200, 200, 200), (
                    small.text,
                    api.text,
                )
                time.sleep(0.2)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
    statuses = {status for status, _, _ in heavy_answers}
    assert statuses <= {503}, statuses
    queued = [text for _, text, _ in heavy_answers if "did not run" in text]
    assert queued and all("took longer" not in text for text in queued)
    assert all(h.get("retry-after") for s, t, h in heavy_answers if "did not run" in t)


def test_sigterm_stops_a_server_busy_with_an_update() -> None:
    """An update that would run for minutes does not keep the server from stopping."""
    import signal

    from helpers.server import start_server

    server = start_server({"DAKG_UPDATE_TOKEN": "secret-token", "DAKG_WORKERS": "1"})
    try:
        update = "INSERT { ?a <urn:x> ?d } WHERE { GRAPH ?x { ?a ?b ?c } GRAPH ?y { ?d ?e ?f } GRAPH ?z { ?g ?h ?i } }"

        def send() -> None:
            with contextlib.suppress(httpx.HTTPError):
                httpx.post(
                    server.url("/sparql"),
                    data={"update": update},
                    headers={"authorization": "Bearer secret-token"},
                    timeout=60,
                )

        sender = threading.Thread(target=send, daemon=True)
        sender.start()
        time.sleep(1.5)
        assert server.process.poll() is None
        server.process.send_signal(signal.SIGTERM)
        server.process.wait(timeout=15)
    finally:
        server.stop()


# ---------------------------------------------------------------- an unfinished load


def test_an_unfinished_load_is_refused_and_reported(tmp_path) -> None:
    """A `dakg load` that stops half-way (here: a source that does not parse, after one that
    loaded) leaves the on-disk store marked: `dakg serve` refuses it, and serves it only when
    told, with /health saying `incomplete` (503); a load that finishes clears the mark."""
    import subprocess

    from dakg.store.base import LOAD_MARKER
    from helpers.server import DAKG, ROOT, free_port

    store = tmp_path / "store"
    good = ROOT / "data" / "ttl" / "pillars.ttl"
    bad = tmp_path / "broken.ttl"
    bad.write_text("<urn:a> <urn:b> .\n", encoding="utf-8")
    env = {**os.environ, "DAKG_ROOT": str(ROOT)}
    stopped = subprocess.run(
        [str(DAKG), "load", "--to", f"oxigraph:{store}", str(good), str(bad)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert stopped.returncode == 2 and (store / LOAD_MARKER).exists(), stopped.stderr
    refused = subprocess.run(
        [str(DAKG), "serve", "--port", "1", "--store", f"oxigraph:{store}"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert refused.returncode == 2 and "did not finish" in refused.stderr
    port = free_port()
    server = subprocess.Popen(
        [str(DAKG), "serve", "--port", str(port), "--store", f"oxigraph:{store}"],
        env={**env, "DAKG_ALLOW_INCOMPLETE": "1", "DAKG_WORKERS": "1"},
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                health = httpx.get(f"http://{HOST}:{port}/health", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None and time.monotonic() < deadline
                time.sleep(0.2)
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert health.status_code == 503 and health.json()["status"] == "incomplete"
    done = subprocess.run(
        [str(DAKG), "load", "--to", f"oxigraph:{store}", str(good)],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0 and not (store / LOAD_MARKER).exists(), done.stderr


def test_an_update_past_the_time_limit_is_stopped_and_changes_nothing() -> None:
    """An update runs in a query worker with the query's time limit: past it the worker is
    killed, the update has changed nothing, and the endpoint answers on; a quick update after it
    is applied and seen by every worker."""
    from dakg.settings import Settings
    from dakg.web.app import create_app
    from fastapi.testclient import TestClient

    app = create_app(
        Settings.from_env(update_token="t", query_timeout=2, query_processes=2, workers=1)
    )
    auth = {"Authorization": "Bearer t"}
    with TestClient(app) as client:
        before = client.get("/health").json()["triples"]
        slow = client.post(
            "/sparql",
            data={
                "update": "INSERT { ?a <urn:x> ?d } WHERE { GRAPH ?x { ?a ?b ?c } GRAPH ?y { ?d ?e ?f } GRAPH ?z { ?g ?h ?i } }"
            },
            headers=auth,
        )
        assert slow.status_code == 503 and "update took longer" in slow.text, slow.text
        assert client.get("/health").json()["triples"] == before
        quick = client.post(
            "/sparql", data={"update": "INSERT DATA { <urn:s> <urn:p> 'after' }"}, headers=auth
        )
        assert quick.status_code in (200, 204), quick.text
        assert client.get("/health").json()["triples"] == before + 1
        for _ in range(4):  # every query worker has the update
            found = client.get(
                "/sparql",
                params={"query": "SELECT ?o WHERE { <urn:s> <urn:p> ?o FILTER(?o != 1) }"},
                headers={"accept": "text/csv"},
            )
            assert "after" in found.text, found.text


# ---------------------------------------------------------------- logs and secrets


def test_forwarded_for_counts_only_from_a_trusted_proxy() -> None:
    from dakg.settings import Settings
    from dakg.web.app import create_app
    from dakg.web.clients import client_address
    from starlette.requests import Request

    def request_from(app, peer: str, forwarded: str) -> Request:
        headers = [(b"x-forwarded-for", forwarded.encode())]
        return Request({"type": "http", "app": app, "client": (peer, 1), "headers": headers})

    plain = create_app(Settings.from_env())
    behind = create_app(Settings.from_env(trusted_proxies=("10.0.0.1",)))
    assert client_address(request_from(plain, "10.0.0.1", "203.0.113.9")) == "10.0.0.1"
    assert client_address(request_from(behind, "10.0.0.1", "198.51.100.7, 203.0.113.9")) == (
        "203.0.113.9"
    )
    assert client_address(request_from(behind, "192.0.2.5", "203.0.113.9")) == "192.0.2.5"


def test_wrong_tokens_are_logged_and_limited(caplog) -> None:
    from dakg.settings import Settings
    from dakg.web.app import create_app
    from fastapi.testclient import TestClient

    app = create_app(Settings.from_env(update_token="right", query_processes=0))
    update = {"update": "INSERT DATA { <urn:a> <urn:b> 1 }"}
    with TestClient(app) as client, caplog.at_level("WARNING", logger="dakg.web.endpoint.updates"):
        statuses = [
            client.post(
                "/sparql", data=update, headers={"authorization": "Bearer wrong"}
            ).status_code
            for _ in range(11)
        ]
        assert statuses == [403] * 10 + [429]
        right = client.post("/sparql", data=update, headers={"authorization": "Bearer right"})
        assert right.status_code == 429  # the client waits out the minute, right token or not
    assert sum("wrong token" in r.getMessage() for r in caplog.records) == 10
    assert all("right" not in r.getMessage() for r in caplog.records)


def test_query_workers_inherit_no_secret(monkeypatch) -> None:
    from dakg.settings import Settings
    from dakg.web.app import create_app
    from fastapi.testclient import TestClient

    monkeypatch.setenv("DAKG_UPDATE_TOKEN", "token-of-the-service")
    monkeypatch.setenv("DAKG_SPARQL_PASSWORD", "password-of-the-engine")
    app = create_app(Settings.from_env(query_processes=1))
    with TestClient(app) as client:
        assert client.get("/sparql", params={"query": "ASK { ?s ?p ?o }"}).status_code == 200
        worker = app.state.query_pool._workers[0].process
        environment = Path(f"/proc/{worker.pid}/environ").read_bytes()
    assert b"token-of-the-service" not in environment
    assert b"password-of-the-engine" not in environment
