"""A real Oxigraph server (PyPI `oxigraph`, `oxigraph serve`) for the tests of external stores.

`OxigraphServer.start(location)` runs it on a free 127.0.0.1 port with its data in `location`
and the union of the named graphs as its default graph; `stop()` and `restart()` (same port, same
folder) let a test take the engine away and bring it back. `dakg_load()` runs the real
`dakg load` command. Every wait is bounded.

`ServiceStores` gives the service tests their store, chosen by DAKG_TEST_STORE: `memory` (the
default), `disk` (a temporary `oxigraph:PATH` store) or `remote` (a real `oxigraph serve` on a free
loopback port with a temporary folder), both filled by the real `dakg load`.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
from dakg.store.dataset import Dataset

from helpers.server import HOST, ROOT, free_port

BIN = Path(sys.executable).parent
OXIGRAPH = BIN / "oxigraph"
DAKG = BIN / "dakg"
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0
LOAD_TIMEOUT = 120.0


@dataclass
class OxigraphServer:
    """A running `oxigraph serve` and its URLs."""

    location: Path
    port: int
    process: subprocess.Popen | None = None

    @classmethod
    def start(cls, location: Path) -> OxigraphServer:
        server = cls(location, free_port())
        server.restart()
        return server

    @property
    def base(self) -> str:
        return f"http://{HOST}:{self.port}"

    @property
    def query_url(self) -> str:
        return self.base + "/query"

    @property
    def store(self) -> str:
        """The dakg store setting that reads this server."""
        return "sparql:" + self.query_url

    @property
    def env(self) -> dict[str, str]:
        """The settings of its update and Graph Store Protocol URLs."""
        return {
            "DAKG_SPARQL_UPDATE_URL": self.base + "/update",
            "DAKG_SPARQL_GSP_URL": self.base + "/store",
        }

    def restart(self) -> None:
        """Start the server (again) on its port and folder; wait until it answers queries."""
        log = open(self.location.parent / f"oxigraph-{self.port}.log", "ab")  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                str(OXIGRAPH),
                "serve",
                "--location",
                str(self.location),
                "--bind",
                f"{HOST}:{self.port}",
                "--union-default-graph",
            ],
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        wait_until_answering(self.process, self.query_url, "oxigraph serve", START_TIMEOUT)

    def stop(self) -> None:
        """Stop the server (SIGTERM, then kill) and wait until it has exited."""
        stop_engine(self.process, STOP_TIMEOUT)


def wait_until_answering(
    process: subprocess.Popen,
    query_url: str,
    name: str,
    timeout: float,
    log: Callable[[], str] = lambda: "",
) -> None:
    """Wait until an engine started as `process` answers `ASK {}` at its query URL; stop it and
    fail (with its log) if it exits or does not answer in time."""
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=5.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise RuntimeError(f"{name} exited with {process.returncode}:\n{log()}")
            try:
                if client.get(query_url, params={"query": "ASK {}"}).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    stop_engine(process, timeout)
    raise RuntimeError(f"{name} did not answer within {timeout:g} s:\n{log()}")


def stop_engine(process: subprocess.Popen | None, timeout: float) -> None:
    """SIGTERM (an engine closes its store), then kill if it does not stop in time."""
    if process is None or process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=timeout)


def dakg_load(store: str, env: dict[str, str] | None = None, *args: str) -> str:
    """Run `dakg load --to STORE`; its stderr (the progress and the report). Fails on exit != 0."""
    done = subprocess.run(
        [str(DAKG), "load", "--to", store, *args],
        env={**os.environ, "DAKG_ROOT": str(ROOT), **(env or {})},
        cwd=str(ROOT),
        capture_output=True,
        text=True,
        timeout=LOAD_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr


# ---- the store the service tests run on --------------------------------------------------------

STORE_KINDS = ("memory", "disk", "remote")


def store_kind() -> str:
    """The store the service tests run on: DAKG_TEST_STORE=memory (default), disk or remote."""
    kind = os.environ.get("DAKG_TEST_STORE", "").strip().lower() or "memory"
    if kind not in STORE_KINDS:
        raise ValueError(f"DAKG_TEST_STORE={kind!r}: expected one of {', '.join(STORE_KINDS)}")
    return kind


@dataclass
class StoreUnderTest:
    """One store of the kind under test, holding the graph of `root` as `dakg load` puts it."""

    kind: str
    root: Path
    setting: str = "memory"
    engine: OxigraphServer | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment that points `dakg serve` at this store (nothing in memory)."""
        if self.kind == "memory":
            return {}
        return {"DAKG_STORE": self.setting, **(self.engine.env if self.engine else {})}

    def dataset(self, read_only: bool = True, timeout: float = 10.0) -> Dataset:
        """The store as the service reads it: a new Dataset (its own engine client) each call."""
        if self.kind == "memory":
            return Dataset.load(self.root)
        return Dataset.open(self.root, self.setting, timeout, read_only=read_only)


class ServiceStores:
    """The stores of one kind (DAKG_TEST_STORE) the service tests run on.

    `shared` holds the project's graph, read by every read-only server and app of the session;
    `new(root)` makes another one (for a server that takes updates, or for a graph of a test's
    own): a temporary on-disk store or a real `oxigraph serve` on a free port, filled by the real
    `dakg load`. `close()` stops every engine started.
    """

    def __init__(self, kind: str, folders: Callable[[str], Path], memory: Dataset | None = None):
        self.kind = kind
        self.folders = folders
        self.memory = memory
        self.engines: list[OxigraphServer] = []
        self._shared: StoreUnderTest | None = None

    @property
    def shared(self) -> StoreUnderTest:
        if self._shared is None:
            self._shared = self.new()
        return self._shared

    def dataset(self) -> Dataset:
        """The project's graph on the store under test, for an in-process app (`create_app`).
        In memory the session's one dataset, as before; elsewhere a new Dataset each call, since
        an app's lifespan closes its engine client."""
        if self.kind == "memory" and self.memory is not None:
            return self.memory
        return self.shared.dataset()

    def load(self, root: Path) -> Dataset:
        """The graph of another project folder (ontology/, data/ttl/) on a new store of the kind."""
        return self.new(root).dataset()

    def new(self, root: Path = ROOT) -> StoreUnderTest:
        if self.kind == "memory":
            return StoreUnderTest("memory", root)
        env = {"DAKG_ROOT": str(root)}
        if self.kind == "disk":
            store = StoreUnderTest("disk", root, f"oxigraph:{self.folders('disk') / 'store'}")
            dakg_load(store.setting, env)
            return store
        engine = OxigraphServer.start(self.folders("oxigraph") / "data")
        self.engines.append(engine)
        dakg_load(engine.store, {**engine.env, **env})
        return StoreUnderTest("remote", root, engine.store, engine)

    def close(self) -> None:
        for engine in self.engines:
            engine.stop()
