"""HTTP: `dakg serve` against the Oxigraph server and rdflib-endpoint, on the same quads.

Three queries, each never-seen (a varying parameter, and a counter in LIMIT so that no two texts
are the same, across rounds too) and repeated (one text, again and again):

- lookup: every triple of one entity;
- GROUP BY: milestones per pillar and date qualifier due on or after a date;
- CONSTRUCT: every triple of the milestones, figures and events of one initiative, as Turtle.

Each server is measured in turn (the order rotates from round to round) by the same bounded
loopback load generator; the ratio to Oxigraph is taken per round, and the table gives medians.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from dataclasses import asdict, replace
from pathlib import Path

from common import Table, median, ms, num, ratio, verdict
from datasets import CACHE, Data
from loadgen import Result, Workload, measure, run_python
from servers import Server, get, start_dakg, start_oxigraph, start_rdflib, wait_idle

ID = "https://w3id.org/dakg/id/"
PREFIXES = (
    "PREFIX dakg: <https://w3id.org/dakg/def/>\nPREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n"
)
LOOKUP = "SELECT ?p ?o WHERE { <" + ID + "{value}> ?p ?o } LIMIT {n}"
GROUP_BY = (
    PREFIXES
    + """SELECT ?pillar ?qualifier (COUNT(DISTINCT ?initiative) AS ?initiatives)
  (COUNT(?milestone) AS ?milestones) (MIN(?due) AS ?first) (MAX(?due) AS ?last)
WHERE {
  ?initiative a dakg:Initiative ; dakg:pillar ?pillar .
  ?milestone a dakg:Milestone ; dakg:initiative ?initiative ;
    dakg:dateQualifier ?qualifier ; dakg:latestDate ?due .
  FILTER (?due >= "{value}"^^xsd:date)
}
GROUP BY ?pillar ?qualifier ORDER BY ?pillar ?qualifier LIMIT {n}"""
)
CONSTRUCT = (
    PREFIXES
    + "CONSTRUCT { ?item ?p ?o } WHERE { ?item dakg:initiative <"
    + ID
    + "initiative/{value}> ; ?p ?o } LIMIT {n}"
)
JSON = "application/sparql-results+json"
TURTLE = "text/turtle"
SCENARIOS = (
    ("lookup", True),
    ("lookup", False),
    ("group-by", True),
    ("group-by", False),
    ("construct", True),
    ("construct", False),
)
SERVERS = ("dakg", "dakg-1w", "dakg-no-lookup", "dakg-threads", "oxigraph", "rdflib")
# Targets at 100k: (minimum ratio to Oxigraph, maximum p99 in seconds or None).
TARGETS = {
    ("lookup", True): (0.3, 0.005),
    ("group-by", True): (0.9, 0.040),
    ("group-by", False): (5.0, None),
    ("construct", True): (0.5, None),
}


def entity_keys(data: Data) -> dict[str, tuple[str, ...]]:
    """Values for the varying parameter: entity paths, initiative keys, dates."""
    from dakg.store.dataset import Dataset

    store = Dataset.load(data.root).store
    query = f"""SELECT DISTINCT ?s WHERE {{ ?s a ?type
        FILTER (STRSTARTS(STR(?s), "{ID}initiative/") || STRSTARTS(STR(?s), "{ID}milestone/")
            || STRSTARTS(STR(?s), "{ID}observation/") || STRSTARTS(STR(?s), "{ID}indicator/"))
    }} ORDER BY ?s"""
    rows = store.query(query, use_default_graph_as_union=True)
    entities = tuple(row["s"].value.removeprefix(ID) for row in rows)
    initiatives = tuple(
        e.removeprefix("initiative/") for e in entities if e.startswith("initiative/")
    )
    start = dt.date(2021, 9, 1)
    dates = tuple((start + dt.timedelta(days=d)).isoformat() for d in range(0, 1800))
    return {"lookup": entities, "group-by": dates, "construct": initiatives}


def workload(kind: str, vary: bool, values: dict[str, tuple[str, ...]], path: str) -> Workload:
    template, accept = {
        "lookup": (LOOKUP, JSON),
        "group-by": (GROUP_BY, JSON),
        "construct": (CONSTRUCT, TURTLE),
    }[kind]
    # Spread the values: consecutive requests hit different parts of the graph.
    pool = values[kind]
    spread = list(pool)
    random.Random(8).shuffle(spread)
    middle = pool[len(pool) // 2]
    return Workload(path, accept, template, tuple(spread) if vary else (middle,), 10_000_000, vary)


def answer_size(server: Server, wl: Workload, timeout: float) -> int:
    """Rows (SELECT) or triples (CONSTRUCT) of the workload's first request.

    -1 for an error status, -2 for no answer within the time-out.
    """
    import pyoxigraph as ox

    status, body = get(server.endpoint, wl.query(0), wl.accept, timeout=timeout)
    if status == 0:
        return -2
    if status != 200:
        return -1
    if wl.accept == JSON:
        return len(json.loads(body)["results"]["bindings"])
    return sum(1 for _ in ox.parse(body, format=ox.RdfFormat.TURTLE))


def start(name: str, data: Data, timeout: float, logs: Path) -> Server:
    if name.startswith("dakg"):
        return start_dakg(data.root, timeout, logs / f"{name}.log", name=name)
    if name == "oxigraph":
        return start_oxigraph(data.ensure_nquads(), timeout, logs / "oxigraph.log")
    return start_rdflib(data.ensure_nquads(), timeout, logs / "rdflib.log")


def run_size(data: Data, opts, log=print) -> dict:
    """Every scenario on every server, opts.rounds rounds; servers up for the whole size."""
    values = entity_keys(data)
    logs = CACHE / "logs" / data.label
    logs.mkdir(parents=True, exist_ok=True)
    servers: dict[str, Server] = {}
    runs: list[dict] = []
    try:
        for name in opts.servers:
            log(f"http {data.label}: starting {name}")
            servers[name] = start(name, data, opts.startup_timeout, logs)
        agree = check_answers(servers, values, opts.slow_timeout)
        # A server that gave no answer to a query within the time-out is not loaded with it.
        unanswered = {(n, k) for k, sizes in agree.items() for n, v in sizes.items() if v == -2}
        for server in servers.values():
            wait_idle(server, timeout=300)
        for rnd in range(opts.rounds):
            order = list(servers)[rnd % len(servers) :] + list(servers)[: rnd % len(servers)]
            for index, (kind, vary) in enumerate(SCENARIOS):
                for name in order:
                    server = servers[name]
                    wl = workload(kind, vary, values, server.path)
                    wl = wl.with_offset(wl.offset + 1_000_000 * (rnd * 10 + index))
                    if name == "rdflib" and rnd >= opts.rdflib_rounds:
                        continue
                    if (name, kind) in unanswered:
                        result = no_answer(opts.slow_timeout)
                    else:
                        result = measure_one(server, wl, opts)
                        wait_idle(server, timeout=300)
                    if result.requests == 0:
                        unanswered.add((name, kind))
                    runs.append(
                        {
                            "size": data.label,
                            "round": rnd,
                            "query": kind,
                            "vary": vary,
                            "server": name,
                            **asdict(result),
                            "rps": result.rps,
                        }
                    )
                log(f"http {data.label}: round {rnd + 1} {kind} {'fresh' if vary else 'repeated'}")
        single = single_connection(servers, values, unanswered, opts)
        memory = {name: s.peak_mb() for name, s in servers.items()}
        startup = {name: s.startup_s for name, s in servers.items()}
        loads = {name: s.load_s for name, s in servers.items()}
    finally:
        for server in servers.values():
            server.stop()
    return {
        "size": data.label,
        "triples": data.triples,
        "runs": runs,
        "single": single,
        "agree": agree,
        "peak_mb": memory,
        "startup_s": startup,
        "load_s": loads,
    }


def measure_one(server: Server, wl: Workload, opts) -> Result:
    """Warm up, then measure: the load generator for a server that answers in under
    opts.slow_s; a slow one gets one connection and a fixed request count instead (eight
    connections queued on a server that takes seconds per answer would only leave it busy
    while the next server is measured)."""
    warm = wl.with_offset(wl.offset + 500_000) if wl.vary else wl
    probe = run_python(server.port, warm, 1, 3, opts.warmup, opts.slow_timeout)
    if probe.requests == 0:
        return no_answer(opts.slow_timeout)
    if probe.p50 > opts.slow_s:
        if probe.p50 > opts.slow_cap / 2:
            # Answers this slow: the probe's own requests are the measurement.
            return replace(probe, tool="python, 1 connection")
        wait_idle(server, timeout=300)
        result = run_python(
            server.port, wl, 1, opts.slow_requests, opts.slow_cap, opts.slow_timeout
        )
        return replace(result, tool="python, 1 connection")
    run_python(
        server.port,
        warm.with_offset(warm.offset + 1000),
        opts.connections,
        opts.connections * 3,
        opts.warmup,
    )
    return measure(server.port, wl, opts.connections, opts.duration, opts.requests, opts.tool)


def single_connection(servers: dict[str, Server], values, unanswered: set, opts) -> list[dict]:
    """Latency without concurrency: one connection, never-seen queries, a fixed count."""
    out = []
    for name, server in servers.items():
        for index, kind in enumerate(("lookup", "group-by", "construct")):
            if (name, kind) in unanswered:
                continue
            wl = workload(kind, True, values, server.path)
            wl = wl.with_offset(wl.offset + 1_000_000 * (opts.rounds * 10 + index))
            result = run_python(
                server.port, wl, 1, opts.single_requests, opts.slow_cap, opts.slow_timeout
            )
            wait_idle(server, timeout=300)
            out.append({"server": name, "query": kind, **asdict(result)})
    return out


def single_table(results: list[dict]) -> Table:
    rows = []
    for result in results:
        for r in result.get("single", []):
            rows.append(
                (
                    result["size"],
                    r["query"],
                    r["server"],
                    str(r["requests"]),
                    ms(r["p50"], 2),
                    ms(r["p99"], 2),
                )
            )
    return Table(
        "HTTP latency at one connection (never-seen queries, Python client, no concurrency)",
        ("size", "query", "server", "requests", "p50 ms", "p99 ms"),
        rows,
    )


def no_answer(timeout: float) -> Result:
    return Result(f"no answer within {timeout:.0f} s", 0, 0.0, float("nan"), float("nan"), 1)


def check_answers(servers: dict[str, Server], values, timeout: float) -> dict[str, dict[str, int]]:
    """Every server's answer size for each query (-1 an error, -2 no answer in time)."""
    sizes: dict[str, dict[str, int]] = {}
    for kind in ("lookup", "group-by", "construct"):
        sizes[kind] = {
            name: answer_size(s, workload(kind, True, values, s.path), timeout)
            for name, s in servers.items()
        }
    return sizes


def summarise(result: dict) -> list[dict]:
    """Per scenario and server: medians over rounds, and the per-round ratio to Oxigraph."""
    out = []
    runs = result["runs"]
    for kind, vary in SCENARIOS:
        per_round: dict[int, dict[str, dict]] = {}
        for r in runs:
            if r["query"] == kind and r["vary"] == vary:
                per_round.setdefault(r["round"], {})[r["server"]] = r
        for name in SERVERS:
            mine = [rs[name] for rs in per_round.values() if name in rs]
            if not mine:
                continue
            ratios = [
                rs[name]["rps"] / rs["oxigraph"]["rps"]
                for rs in per_round.values()
                if name in rs and "oxigraph" in rs and rs["oxigraph"]["rps"] > 0
            ]
            out.append(
                {
                    "size": result["size"],
                    "query": kind,
                    "vary": vary,
                    "server": name,
                    "rps": median([r["rps"] for r in mine]),
                    "p50": median([r["p50"] for r in mine]),
                    "p99": median([r["p99"] for r in mine]),
                    "requests": sum(r["requests"] for r in mine),
                    "errors": sum(r["errors"] for r in mine),
                    "tools": sorted({r["tool"] for r in mine}),
                    "ratios": ratios,
                    "ratio": median(ratios) if ratios else float("nan"),
                }
            )
    return out


def target_text(row: dict) -> str:
    target = TARGETS.get((row["query"], row["vary"]))
    if row["server"] != "dakg" or not target or row["size"] != "100k":
        return ""
    min_ratio, max_p99 = target
    ok = row["ratio"] >= min_ratio and (max_p99 is None or row["p99"] <= max_p99)
    text = f"≥ {min_ratio}×" + (f", p99 ≤ {max_p99 * 1000:.0f} ms" if max_p99 else "")
    return f"{text}: {verdict(ok)}"


def table(results: list[dict]) -> Table:
    rows = []
    notes = []
    for result in results:
        for row in summarise(result):
            rows.append(
                (
                    row["size"],
                    row["query"] + (" (never-seen)" if row["vary"] else " (repeated)"),
                    row["server"],
                    num(row["rps"], 0),
                    ms(row["p50"], 2),
                    ms(row["p99"], 2),
                    ratio(row["ratio"]),
                    " / ".join(ratio(x) for x in row["ratios"]),
                    str(row["errors"]),
                    ", ".join(row["tools"]),
                    target_text(row),
                )
            )
        agree = result["agree"]
        shown = {-1: "error", -2: "no answer in time"}
        answers = "; ".join(
            f"{kind}: " + ", ".join(f"{n} {shown.get(v, v)}" for n, v in sizes.items())
            for kind, sizes in agree.items()
        )
        memory = ", ".join(f"{n} {v:.0f} MB" for n, v in result["peak_mb"].items())
        notes.append(
            f"{result['size']} ({result['triples']:,} triples): answer sizes (rows / triples) {answers}; peak RSS {memory}."
        )
    return Table(
        "HTTP (requests per second, latency, ratio to Oxigraph in the same round)",
        (
            "size",
            "query",
            "server",
            "req/s",
            "p50 ms",
            "p99 ms",
            "ratio to Oxigraph",
            "per round",
            "errors",
            "load generator",
            "target (100k)",
        ),
        rows,
        tuple(notes),
    )
