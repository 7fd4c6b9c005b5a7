"""A live `dakg serve` for tests that talk to a real server over HTTP.

`live_server_fixture()` makes a session-scoped pytest fixture that starts the real command (the
venv's `dakg serve`, through subprocess) on a free 127.0.0.1 port, waits for /health and stops it
when the session ends. Servers are kept on the pytest config, by their environment, so every
test module that asks for the same environment shares one server. The server reads the store
under test (DAKG_TEST_STORE=memory, disk or remote: see conftest's `service_store`); one that takes
updates gets a store of its own:

    from helpers.server import live_server_fixture

    live_server = live_server_fixture()                       # the project's graph, read-only
    token_server = live_server_fixture({"DAKG_UPDATE_TOKEN": "secret"})

    def test_health(live_server):
        assert httpx.get(live_server.url("/health")).json()["status"] == "ok"
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from helpers import ROOT

DAKG = Path(sys.executable).parent / "dakg"
HOST = "127.0.0.1"
START_TIMEOUT = 90.0
STOP_TIMEOUT = 15.0
SERVERS = pytest.StashKey[dict]()


def free_port() -> int:
    """A port nothing listens on now (the OS picks it; the server binds it a moment later)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


@dataclass
class LiveServer:
    """A running server process and where to reach it."""

    process: subprocess.Popen
    port: int
    log_path: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def sparql(self) -> str:
        return self.url("/sparql")

    def url(self, path: str = "/") -> str:
        return self.base + path

    def log(self) -> str:
        """What the server printed so far (for failure messages)."""
        try:
            return self.log_path.read_text(encoding="utf-8", errors="replace")[-4000:]
        except OSError:
            return ""

    def stop(self) -> None:
        """Stop gracefully (SIGINT, as Ctrl+C would), then kill if it does not stop in time."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=STOP_TIMEOUT)
        self.log_path.unlink(missing_ok=True)


def start_server(
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
    timeout: float = START_TIMEOUT,
    root: Path = ROOT,
) -> LiveServer:
    """Start `dakg serve` on a free loopback port and wait until /health answers 200."""
    last_error = ""
    for _attempt in range(3):
        server = _spawn(env or {}, args, root)
        ready, last_error = _wait_ready(server, timeout)
        if ready:
            return server
        server.stop()
        if "address already in use" not in last_error.lower():
            break
    raise RuntimeError(f"dakg serve did not start: {last_error}")


def _spawn(env: Mapping[str, str], args: tuple[str, ...], root: Path) -> LiveServer:
    port = free_port()
    log = tempfile.NamedTemporaryFile(prefix="dakg-serve-", suffix=".log", delete=False)
    environment = {**os.environ, "DAKG_ROOT": str(root), **env}
    process = subprocess.Popen(
        [str(DAKG), "serve", "--host", HOST, "--port", str(port), *args],
        stdin=subprocess.DEVNULL,
        stdout=log,
        stderr=subprocess.STDOUT,
        env=environment,
        cwd=str(root),
    )
    log.close()
    return LiveServer(process, port, Path(log.name), dict(env))


def _wait_ready(server: LiveServer, timeout: float) -> tuple[bool, str]:
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                return False, f"exited with {server.process.returncode}:\n{server.log()}"
            try:
                if client.get(server.url("/health")).status_code == 200:
                    return True, ""
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    return False, f"no answer from /health within {timeout:g} s:\n{server.log()}"


def store_env(
    request: pytest.FixtureRequest, env: Mapping[str, str], root: Path = ROOT
) -> dict[str, str]:
    """Where a server reads the graph: the store under test (conftest's `service_store`, chosen by
    DAKG_TEST_STORE); nothing to add in memory. A server that takes updates (DAKG_UPDATE_TOKEN),
    or reads another project folder than the checkout, gets a store of its own, so its updates
    reach no other server."""
    stores = request.getfixturevalue("service_store")
    if root != ROOT:
        return stores.new(root).env
    store = stores.new() if env.get("DAKG_UPDATE_TOKEN") else stores.shared
    return store.env


def live_server_fixture(
    env: Mapping[str, str] | None = None, args: tuple[str, ...] = (), root: Path = ROOT
) -> Callable[..., LiveServer]:
    """A session-scoped fixture giving a live server with this environment (shared by modules),
    serving the project folder `root` (the checkout's by default)."""
    key = (tuple(sorted((env or {}).items())), tuple(args), str(root))

    @pytest.fixture(scope="session")
    def fixture(request: pytest.FixtureRequest) -> LiveServer:
        servers = request.config.stash.setdefault(SERVERS, {})
        server = servers.get(key)
        if server is None or server.process.poll() is not None:
            environment = {**store_env(request, env or {}, root), **(env or {})}
            server = start_server(environment, args, root=root)
            servers[key] = server
            request.config.add_cleanup(server.stop)
        return server

    return fixture
