"""A large graph on disk: generate it, `dakg load` it into an on-disk store, serve it.

    python bench/run.py --only scale                # 1M triples (about 3-5 minutes)
    python bench/run.py --only scale --scale-size 100k

Measured, each once (the load alone takes a minute or two at 1M):

- `dakg load --to oxigraph:PATH` of the generated folder into a new store: wall seconds, the peak
  resident memory of the load process, the store's size on disk;
- `dakg serve --store oxigraph:PATH`: seconds from launch to the first answered query, and the
  server's resident memory then;
- a few queries, each timed on its first answer: a one-entity lookup at /sparql, an entity's
  page (HTML), a saved query through the REST API, /health; then the server's resident memory
  (now and its peak).
"""

from __future__ import annotations

import sys
import urllib.parse
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import Table, current_rss_mb, num, peak_rss_of  # noqa: E402
from datasets import CACHE, Data  # noqa: E402
from servers import start_dakg  # noqa: E402
from startup import dakg_load, timed_get  # noqa: E402

ID = "https://w3id.org/dakg/id/"
LOOKUP = (
    "SELECT ?p ?o WHERE { <" + ID + "initiative/syn-000123> ?p ?o }"
)  # one synthetic initiative, present at every size


def queries() -> list[tuple[str, str, str]]:
    """(what, path, Accept) of the queries asked after start, in order."""
    sparql = "/sparql?" + urllib.parse.urlencode({"query": LOOKUP})
    return [
        ("lookup at /sparql (one initiative's triples)", sparql, "application/sparql-results+json"),
        ("an entity's page, HTML", "/doc/initiative/syn-000123", "text/html"),
        ("an entity's page, Turtle", "/doc/initiative/syn-000123", "text/turtle"),
        ("REST API: /api/agencies", "/api/agencies", "application/json"),
        ("/health", "/health", "application/json"),
    ]


def run(data: Data, timeout: float, log=print) -> dict:
    """Load the data into a new on-disk store, serve it, ask a few queries."""
    location = CACHE / f"store-{data.label}-{data.root.name}"
    log(f"scale {data.label}: dakg load --to oxigraph:{location}")
    load = dakg_load(data.root, location, timeout)
    result: dict = {"size": data.label, "triples": data.triples, "load": load}
    if "error" in load:
        return result
    log(f"scale {data.label}: dakg serve --store oxigraph:{location}")
    server = start_dakg(data.root, timeout, env={"DAKG_STORE": f"oxigraph:{location}"})
    try:
        result["startup_s"] = server.startup_s
        result["rss_at_start_mb"] = current_rss_mb(server.proc.pid)
        asked = []
        for what, path, accept in queries():
            answer = timed_get(server, path, accept, timeout)
            asked.append({"what": what, **answer})
            log(f"scale {data.label}: {what}: {num(answer['seconds'], 3)} s")
        result["queries"] = asked
        result["rss_after_mb"] = current_rss_mb(server.proc.pid)
        result["peak_rss_mb"] = peak_rss_of(server.proc.pid)
    finally:
        server.stop()
    return result


def table(results: list[dict]) -> Table:
    rows = []
    for r in results:
        load = r["load"]
        size = f"{r['size']} ({r['triples']:,} triples)"
        if "error" in load:
            rows.append((size, "dakg load --to oxigraph:PATH", load["error"], ""))
            continue
        rows.append(
            (
                size,
                "dakg load --to oxigraph:PATH",
                f"{num(load['seconds'], 1)} s",
                f"peak {num(load['peak_mb'], 0)} MB (load process); "
                f"{num(load['disk_mb'], 0)} MB on disk",
            )
        )
        rows.append(
            (
                size,
                "dakg serve --store oxigraph:PATH, to the first answered query",
                f"{num(r.get('startup_s'), 2)} s",
                f"RSS {num(r.get('rss_at_start_mb'), 0)} MB",
            )
        )
        for q in r.get("queries", []):
            status = q.get("status")
            note = q.get("error") or (
                f"{q['bytes']:,} bytes" + ("" if status == 200 else f", status {status}")
            )
            rows.append((size, f"then: {q['what']}", f"{num(q['seconds'], 3)} s", note))
        rows.append(
            (
                size,
                "server memory after these queries",
                f"{num(r.get('rss_after_mb'), 0)} MB RSS",
                f"peak {num(r.get('peak_rss_mb'), 0)} MB",
            )
        )
    return Table(
        "A large graph on disk: `dakg load`, then `dakg serve` on it (one run each)",
        ("data", "step", "time", "memory / size"),
        rows,
        (
            "The load is a fresh process (peak resident memory from the kernel's accounting of "
            "that process); each query is the first of its kind after start (nothing cached).",
        ),
    )
