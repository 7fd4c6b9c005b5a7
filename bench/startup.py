"""Start-up: seconds from launching a server to its first answered query, and what comes after.

- `dakg serve`, in memory: parses data/ttl/ and ontology/ at every start;
- `dakg serve --store oxigraph:PATH`: opens an on-disk store filled beforehand by
  `dakg load --to oxigraph:PATH` (the load is timed too, with the peak memory of its process);
- for both, once, right after start: the first `/openapi.json` (the saved queries' examples are
  read then, not at start) and the first home page (the pages' entity list is read then);
- peers: the Oxigraph server in memory (empty start, then the data POSTed: both shown), the
  Oxigraph server read-only on an on-disk store made by `oxigraph load`, and rdflib-endpoint.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BIN, Table, current_rss_mb, median, num, verdict  # noqa: E402
from datasets import Data  # noqa: E402
from servers import (  # noqa: E402
    Server,
    oxigraph_load,
    start_dakg,
    start_oxigraph,
    start_oxigraph_disk,
    start_rdflib,
)

TARGET_S = 2.0


def run_measured(args: list[str], env: dict, timeout: float) -> dict:
    """Run a command to its end: wall seconds, the peak resident memory of its process (MB, from
    the kernel's accounting of that one child) and its exit status."""
    started = time.perf_counter()
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            args, stdout=subprocess.DEVNULL, stderr=err, env={**os.environ, **env}
        )
        deadline = started + timeout
        while True:
            pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
            if pid:
                break
            if time.perf_counter() > deadline:
                proc.kill()
                pid, status, usage = os.wait4(proc.pid, 0)
                return {"error": f"timed out after {timeout:.0f} s"}
            time.sleep(0.05)
        seconds = time.perf_counter() - started
        proc.returncode = os.waitstatus_to_exitcode(status)
        err.seek(0)
        tail = err.read().decode("utf-8", "replace").strip().splitlines()[-1:]
    result = {"seconds": seconds, "peak_mb": usage.ru_maxrss / 1024, "status": proc.returncode}
    if proc.returncode != 0:
        result["error"] = f"exit {proc.returncode}: {' / '.join(tail)}"
    return result


def dakg_load(root: Path, location: Path, timeout: float) -> dict:
    """`dakg load --to oxigraph:PATH` of a project folder into a new store: time, peak MB, size."""
    shutil.rmtree(location, ignore_errors=True)
    args = [str(BIN / "dakg"), "load", "--to", f"oxigraph:{location}"]
    result = run_measured(args, {"DAKG_ROOT": str(root)}, timeout)
    result["disk_mb"] = folder_mb(location)
    return result


def folder_mb(folder: Path) -> float:
    if not folder.is_dir():
        return float("nan")
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file()) / 1024 / 1024


def timed_get(server: Server, path: str, accept: str, timeout: float) -> dict:
    """One GET on a running server: seconds to the whole answer, status and size."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{server.port}{path}", headers={"Accept": accept}
    )
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        body, status = error.read(), error.code
    except (OSError, TimeoutError) as error:
        return {"path": path, "error": str(error), "seconds": time.perf_counter() - started}
    return {
        "path": path,
        "status": status,
        "bytes": len(body),
        "seconds": time.perf_counter() - started,
    }


FIRST_USES = (("/openapi.json", "application/json"), ("/", "text/html"))


def dakg_startup(root: Path, timeout: float, rounds: int, env: dict | None = None) -> dict:
    """Median start-up of `dakg serve` over the rounds; after the first round's start, the first
    `/openapi.json` and home page, timed; RSS at start and after them."""
    startups, firsts, rss = [], [], {}
    for number in range(rounds):
        server = start_dakg(root, timeout, env=env)
        try:
            startups.append(server.startup_s)
            if number == 0:
                rss["at_start_mb"] = current_rss_mb(server.proc.pid)
                firsts = [timed_get(server, p, a, timeout) for p, a in FIRST_USES]
                rss["after_mb"] = current_rss_mb(server.proc.pid)
        finally:
            server.stop()
    return {"seconds": median(startups), "rounds": startups, "first": firsts, **rss}


def server_startup(start, rounds: int) -> tuple[float, float]:
    """Median start-up and (for Oxigraph in memory) data-load seconds of a peer server."""
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
        log(f"start-up {data.label}: dakg serve, in memory")
        memory = dakg_startup(data.root, timeout, rounds)
        log(f"start-up {data.label}: dakg load, then dakg serve on disk")
        store = scratch / "dakg"
        load = dakg_load(data.root, store, timeout)
        disk = (
            dakg_startup(data.root, timeout, rounds, {"DAKG_STORE": f"oxigraph:{store}"})
            if "error" not in load
            else {"error": load["error"]}
        )
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
        "dakg_memory": memory["seconds"],
        "dakg_disk": disk.get("seconds", float("nan")),
        "dakg_memory_detail": memory,
        "dakg_disk_detail": disk,
        "dakg_load": load,
        "oxigraph_memory": ox_mem,
        "oxigraph_memory_load": ox_load,
        "oxigraph_disk": ox_disk,
        "rdflib": rdf,
    }


def first_use(detail: dict, path: str) -> str:
    found = next((f for f in detail.get("first", []) if f["path"] == path), None)
    if found is None:
        return "–"
    if "error" in found:
        return f"no answer ({found['error']})"
    return f"{num(found['seconds'], 2)}" + (
        "" if found["status"] == 200 else f" ({found['status']})"
    )


def table(results: list[dict]) -> Table:
    rows = []
    for r in results:
        target = f"< 2 s: {verdict(r['dakg_memory'] < TARGET_S)}" if r["size"] == "real" else ""
        load = r.get("dakg_load", {})
        for name, key in (("in memory", "dakg_memory"), ("on disk", "dakg_disk")):
            detail = r.get(f"{key}_detail", {})
            rows.append(
                (
                    r["size"],
                    f"dakg serve, {name}",
                    num(r[key], 2),
                    first_use(detail, "/openapi.json"),
                    first_use(detail, "/"),
                    f"{num(detail.get('at_start_mb'), 0)} / {num(detail.get('after_mb'), 0)}",
                    target if key == "dakg_memory" else "",
                )
            )
        if "seconds" in load:
            rows.append(
                (
                    r["size"],
                    "dakg load --to oxigraph:PATH (before the on-disk start)",
                    f"{num(load['seconds'], 2)} (peak {num(load['peak_mb'], 0)} MB, "
                    f"{num(load['disk_mb'], 0)} MB on disk)",
                    "",
                    "",
                    "",
                    "",
                )
            )
        rows += [
            (
                r["size"],
                "Oxigraph server, in memory: start + POST of the data",
                f"{num(r['oxigraph_memory'], 2)} + {num(r['oxigraph_memory_load'], 2)}",
                "",
                "",
                "",
                "",
            ),
            (
                r["size"],
                "Oxigraph server, read-only on disk",
                num(r["oxigraph_disk"], 2),
                "",
                "",
                "",
                "",
            ),
            (r["size"], "rdflib-endpoint", num(r["rdflib"], 2), "", "", "", ""),
        ]
    return Table(
        "Start-up (seconds from launch to the first answered query, median)",
        (
            "data",
            "server",
            "seconds",
            "then first /openapi.json s",
            "then first home page s",
            "RSS MB at start / after",
            "target",
        ),
        rows,
        (
            "The first `/openapi.json` runs every saved query once for its example rows, the first "
            "home page reads the list of entities: both are read on first use, not at start, and "
            "timed once, right after the first round's start. RSS is the server's resident "
            "memory right after start and after those two answers.",
        ),
    )
