"""A real Oxigraph server (PyPI `oxigraph`, `oxigraph serve`) for the tests of external stores.

`OxigraphServer.start(location)` runs it on a free 127.0.0.1 port with its data in `location`
and the union of the named graphs as its default graph; `stop()` and `restart()` (same port, same
folder) let a test take the engine away and bring it back. `dakg_load()` runs the real
`dakg load` command. Every wait is bounded.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
from server_fixture import HOST, ROOT, free_port

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
        deadline = time.monotonic() + START_TIMEOUT
        with httpx.Client(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if self.process.poll() is not None:
                    raise RuntimeError(f"oxigraph serve exited with {self.process.returncode}")
                try:
                    if client.post(self.query_url, data={"query": "ASK {}"}).status_code == 200:
                        return
                except httpx.TransportError:
                    pass
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"oxigraph serve did not answer within {START_TIMEOUT:g} s")

    def stop(self) -> None:
        """Stop the server (SIGTERM, then kill) and wait until it has exited."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=STOP_TIMEOUT)


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
