"""The SPARQL servers compared, each started on 127.0.0.1, timed to its first answer, and stopped.

- `dakg`: `dakg serve` with DAKG_ROOT at the benchmark folder (the embedded in-memory store).
- `oxigraph`: the Oxigraph server of the PyPI `oxigraph` package, in memory (`oxigraph serve`
  without --location), with --union-default-graph; the same N-Quads are POSTed to its /store.
- `rdflib`: rdflib-endpoint (`rdflib-endpoint serve dataset.nq`), an rdflib Dataset with
  default_union=True.
"""

from __future__ import annotations

import atexit
import os
import shutil
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from common import BIN, free_port, peak_rss_of

ASK = "ASK { ?s ?p ?o }"
JSON = "application/sparql-results+json"
_RUNNING: list[subprocess.Popen] = []


@dataclass
class Server:
    """A running server: its SPARQL endpoint, process, and how long it took to answer."""

    name: str
    port: int
    path: str
    proc: subprocess.Popen
    startup_s: float = float("nan")
    load_s: float = 0.0
    notes: list[str] = field(default_factory=list)

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def peak_mb(self) -> float:
        return peak_rss_of(self.proc.pid)

    def stop(self) -> None:
        stop_process(self.proc)


def cpu_seconds(pid: int) -> float:
    """User and system CPU seconds a process has used (Linux /proc)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return float("nan")
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(server: Server, quiet_s: float = 0.3, timeout: float = 120) -> float:
    """Wait until the server has used no CPU for quiet_s (work queued by a load run is done)."""
    start = time.perf_counter()
    last = cpu_seconds(server.proc.pid)
    while time.perf_counter() - start < timeout:
        time.sleep(quiet_s)
        now = cpu_seconds(server.proc.pid)
        if now - last < 0.02:
            break
        last = now
    return time.perf_counter() - start


def stop_process(proc: subprocess.Popen) -> None:
    """Terminate a process this module started, then kill it if it lingers."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
    if proc in _RUNNING:
        _RUNNING.remove(proc)


@atexit.register
def _stop_all() -> None:
    for proc in list(_RUNNING):
        stop_process(proc)


def spawn(args: list[str], env: dict | None = None, log: Path | None = None) -> subprocess.Popen:
    """Start a process (its output to a log file, or nowhere) and remember it for the exit hook."""
    env = {**os.environ, **(env or {})}
    if log is None:
        proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT, env=env)
    else:
        with open(log, "wb") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    _RUNNING.append(proc)
    return proc


def get(url: str, query: str, accept: str = JSON, timeout: float = 30) -> tuple[int, bytes]:
    """GET a SPARQL query; (status, body), status 0 when the server does not answer."""
    full = f"{url}?{urllib.parse.urlencode({'query': query})}"
    request = urllib.request.Request(full, headers={"Accept": accept})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()
    except (OSError, TimeoutError):
        return 0, b""


def wait_ready(server: Server, started: float, timeout: float) -> float:
    """Poll until the endpoint answers a query; seconds since `started`."""
    deadline = started + timeout
    while time.perf_counter() < deadline:
        if server.proc.poll() is not None:
            raise RuntimeError(f"{server.name} exited with {server.proc.returncode}")
        status, _ = get(server.endpoint, ASK, timeout=2)
        if status == 200:
            return time.perf_counter() - started
        time.sleep(0.01)
    raise TimeoutError(f"{server.name} did not answer within {timeout:.0f} s")


# dakg's serving set-ups besides the default (one HTTP process, query workers one per core):
# two HTTP processes with one query worker each, and queries in the server's threads (no worker
# processes: no hard stop at the time limit), to measure what each costs or brings.
DAKG_VARIANTS = {
    "dakg": {},  # as `dakg serve` starts: one HTTP worker per core, one-entity lookups in them
    "dakg-1w": {"DAKG_WORKERS": "1"},  # one HTTP process
    "dakg-no-lookup": {"DAKG_LOOKUP_TRIPLES": "0"},  # every query to a query worker
    "dakg-threads": {"DAKG_QUERY_PROCESSES": "0"},  # queries in the HTTP workers' threads
}


def start_dakg(
    root: Path,
    timeout: float,
    log: Path | None = None,
    env: dict | None = None,
    name: str = "dakg",
) -> Server:
    port = free_port()
    args = [str(BIN / "dakg"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    started = time.perf_counter()
    environment = {"DAKG_ROOT": str(root), **DAKG_VARIANTS[name], **(env or {})}
    proc = spawn(args + ["--log-level", "warning"], environment, log)
    server = Server(name, port, "/sparql", proc)
    return _ready(server, started, timeout)


def start_oxigraph(nquads: Path, timeout: float, log: Path | None = None) -> Server:
    """Oxigraph in memory; the data goes in through the Graph Store Protocol after start-up."""
    port = free_port()
    args = [oxigraph_bin(), "serve", "--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    started = time.perf_counter()
    server = Server("oxigraph", port, "/query", spawn(args, log=log))
    _ready(server, started, timeout)
    begin = time.perf_counter()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/store",
        data=nquads.read_bytes(),
        headers={"Content-Type": "application/n-quads"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=timeout) as response:
        if response.status not in (200, 201, 204):
            raise RuntimeError(f"oxigraph /store answered {response.status}")
    server.load_s = time.perf_counter() - begin
    server.notes.append("in memory, data POSTed to /store")
    return server


def start_oxigraph_disk(location: Path, timeout: float) -> Server:
    """Oxigraph read-only on an on-disk store made by `oxigraph load` beforehand."""
    port = free_port()
    args = [oxigraph_bin(), "serve-read-only", "--location", str(location)]
    args += ["--bind", f"127.0.0.1:{port}", "--union-default-graph"]
    started = time.perf_counter()
    server = Server("oxigraph-disk", port, "/query", spawn(args))
    return _ready(server, started, timeout)


def oxigraph_load(nquads: Path, location: Path, timeout: float) -> float:
    """`oxigraph load` into an on-disk store; seconds."""
    start = time.perf_counter()
    subprocess.run(
        [oxigraph_bin(), "load", "--location", str(location), "--file", str(nquads)],
        check=True,
        capture_output=True,
        timeout=timeout,
    )
    return time.perf_counter() - start


def start_rdflib(nquads: Path, timeout: float, log: Path | None = None) -> Server:
    port = free_port()
    args = [str(BIN / "rdflib-endpoint"), "serve", str(nquads), "--host", "127.0.0.1"]
    started = time.perf_counter()
    server = Server("rdflib", port, "/", spawn(args + ["--port", str(port)], log=log))
    return _ready(server, started, timeout)


def _ready(server: Server, started: float, timeout: float) -> Server:
    try:
        server.startup_s = wait_ready(server, started, timeout)
    except Exception:
        server.stop()
        raise
    return server


def oxigraph_bin() -> str:
    path = BIN / "oxigraph"
    return str(path) if path.exists() else (shutil.which("oxigraph") or "oxigraph")


def available(name: str) -> bool:
    """Whether a server's command is installed."""
    commands = {"oxigraph": "oxigraph", "rdflib": "rdflib-endpoint"}
    command = commands.get(name, "dakg")
    return (BIN / command).exists() or shutil.which(command) is not None
