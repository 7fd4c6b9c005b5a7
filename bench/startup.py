"""Start-up: seconds from launching a server to its first answered query.

- `dakg serve`, in memory (what it does today: parse data/ttl/ and ontology/ at start);
- on disk: `dakg serve` cannot open an on-disk store yet, so the figure is a fresh Python process
  that imports the service and pyoxigraph, opens an existing pyoxigraph Store(path) and answers
  a query (the lower bound of a `dakg serve` on disk);
- peers: the Oxigraph server in memory (empty start, then the data POSTed: both shown), the
  Oxigraph server read-only on an on-disk store made by `oxigraph load`, and rdflib-endpoint.

    python bench/startup.py child-disk STORE   # prints a JSON line
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, PYTHON, ROOT, Table, median, num, verdict  # noqa: E402
from datasets import Data  # noqa: E402
from servers import (  # noqa: E402
    oxigraph_load,
    start_dakg,
    start_oxigraph,
    start_oxigraph_disk,
    start_rdflib,
)


def child_disk(location: Path) -> dict:
    """In this process: open an on-disk store and answer a query (imports included)."""
    import pyoxigraph as ox

    import service.app  # noqa: F401  (what a server process imports)

    store = ox.Store(str(location))
    answer = store.query("ASK { ?s ?p ?o }", use_default_graph_as_union=True)
    return {"answer": bool(answer)}


def disk_store(data: Data, folder: Path) -> Path:
    """The data (the same quads and named graphs) bulk-loaded into an on-disk pyoxigraph store."""
    import pyoxigraph as ox

    store = ox.Store(str(folder))
    store.bulk_load(path=str(data.ensure_nquads()), format=ox.RdfFormat.N_QUADS)
    store.flush()
    del store
    return folder


def time_child_disk(location: Path, timeout: float) -> float:
    start = time.perf_counter()
    subprocess.run(
        [PYTHON, str(BENCH / "startup.py"), "child-disk", str(location)],
        check=True,
        capture_output=True,
        timeout=timeout,
        cwd=ROOT,
    )
    return time.perf_counter() - start


def rounds_of(fn, rounds: int) -> float:
    samples = []
    for _ in range(rounds):
        samples.append(fn())
    return median(samples)


def server_startup(start, rounds: int) -> tuple[float, float]:
    """Median start-up and (for Oxigraph in memory) data-load seconds of a server."""
    startups, loads = [], []
    for _ in range(rounds):
        server = start()
        try:
            startups.append(server.startup_s)
            loads.append(server.load_s)
        finally:
            server.stop()
    return median(startups), median(loads)


def run(datas: list[Data], rounds: int, timeout: float, log=print) -> list[dict]:
    return [run_one(data, rounds, timeout, log) for data in datas]


def run_one(data: Data, rounds: int, timeout: float, log=print) -> dict:
    """Every server's start-up on one dataset."""
    scratch = Path(tempfile.mkdtemp(prefix="dakg-bench-startup-"))
    try:
        nquads = data.ensure_nquads()
        log(f"start-up {data.label}: dakg serve")
        dakg, _ = server_startup(lambda: start_dakg(data.root, timeout), rounds)
        log(f"start-up {data.label}: on-disk store opened in process")
        store = disk_store(data, scratch / "pyoxigraph")
        disk = rounds_of(lambda: time_child_disk(store, timeout), rounds)
        log(f"start-up {data.label}: oxigraph (memory, disk), rdflib-endpoint")
        ox_mem, ox_load = server_startup(lambda: start_oxigraph(nquads, timeout), rounds)
        oxigraph_load(nquads, scratch / "oxigraph", timeout)
        ox_disk, _ = server_startup(
            lambda: start_oxigraph_disk(scratch / "oxigraph", timeout), rounds
        )
        rdf, _ = server_startup(lambda: start_rdflib(nquads, timeout), 1)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    return {
        "size": data.label,
        "triples": data.triples,
        "dakg_memory": dakg,
        "dakg_disk_in_process": disk,
        "oxigraph_memory": ox_mem,
        "oxigraph_memory_load": ox_load,
        "oxigraph_disk": ox_disk,
        "rdflib": rdf,
    }


def table(results: list[dict]) -> Table:
    rows = []
    for r in results:
        target = f"< 2 s: {verdict(r['dakg_memory'] < 2)}" if r["size"] == "real" else ""
        rows += [
            (r["size"], "dakg serve, in memory", num(r["dakg_memory"], 2), target),
            (
                r["size"],
                "on-disk pyoxigraph store, opened in a fresh process (dakg serve cannot yet)",
                num(r["dakg_disk_in_process"], 2),
                "",
            ),
            (
                r["size"],
                "Oxigraph server, in memory: start + POST of the data",
                f"{num(r['oxigraph_memory'], 2)} + {num(r['oxigraph_memory_load'], 2)}",
                "",
            ),
            (r["size"], "Oxigraph server, read-only on disk", num(r["oxigraph_disk"], 2), ""),
            (r["size"], "rdflib-endpoint", num(r["rdflib"], 2), ""),
        ]
    return Table(
        "Start-up (seconds from launch to the first answered query, median)",
        ("data", "server", "seconds", "target"),
        rows,
    )


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "child-disk":
        print(json.dumps(child_disk(Path(sys.argv[2]))))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
