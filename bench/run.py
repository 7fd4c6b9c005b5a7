"""Benchmarks of dakg against the servers and validators users would pick instead.

    python bench/run.py                       # the default run (`make bench`), under ~10 minutes
    python bench/run.py --only http --sizes 100k --rounds 5 --duration 5
    python bench/run.py --long                # pySHACL without a short cap, 1M for rdflib too

Prints a Markdown report and writes it, with the raw figures as JSON, to bench/results/.
Every speed is shown next to a peer measured in the same run on the same data; the machine is
shared and noisy, so the report gives medians and ratios, and its load average.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import httpbench  # noqa: E402
import loadbench  # noqa: E402
import querybench  # noqa: E402
import scale  # noqa: E402
import startup  # noqa: E402
import validbench  # noqa: E402
from common import BENCH, Table, machine, ms, num, verdict  # noqa: E402
from datasets import Data, real_data, synthetic  # noqa: E402
from generate import parse_size  # noqa: E402
from servers import available  # noqa: E402

SECTIONS = ("load", "queries", "http", "validate", "startup", "scale")
# What a run without --only measures (the scale section loads 1M triples on disk: minutes).
DEFAULT_SECTIONS = SECTIONS[:5]
README = BENCH / "README.md"
MARK_START = "<!-- results:start -->"
MARK_END = "<!-- results:end -->"


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--only",
        default=",".join(DEFAULT_SECTIONS),
        help=f"sections, comma-separated: {', '.join(SECTIONS)} (default: all but scale)",
    )
    p.add_argument("--sizes", default="10k,100k", help="sizes for queries, HTTP, validation")
    p.add_argument("--load-sizes", default="10k,100k,1M", help="sizes for the load benchmark")
    p.add_argument("--validate-sizes", default="real,10k,100k")
    p.add_argument("--startup-sizes", default="real,100k")
    p.add_argument("--scale-size", default="1M", help="the size loaded and served on disk")
    p.add_argument("--scale-timeout", type=float, default=1800, help="cap on the load, s")
    p.add_argument("--seed", type=int, default=8, help="generator seed")
    p.add_argument("--rounds", type=int, default=3, help="rounds of each measurement")
    p.add_argument("--duration", type=float, default=1, help="seconds of each HTTP load run")
    p.add_argument("--connections", type=int, default=8, help="concurrent HTTP connections")
    p.add_argument("--requests", type=int, default=3000, help="request count (Python client)")
    p.add_argument("--tool", choices=("auto", "wrk", "python"), default="auto")
    p.add_argument("--warmup", type=float, default=2, help="time cap of a warm-up, seconds")
    p.add_argument("--rdflib-rounds", type=int, default=1, help="HTTP rounds for rdflib-endpoint")
    p.add_argument("--slow-s", type=float, default=0.1, help="a slower answer: one connection")
    p.add_argument("--slow-requests", type=int, default=20)
    p.add_argument("--slow-cap", type=float, default=8, help="time cap for a slow server, s")
    p.add_argument("--slow-timeout", type=float, default=30, help="longest wait for one answer")
    p.add_argument("--single-requests", type=int, default=100, help="requests at one connection")
    p.add_argument("--query-budget", type=float, default=0.5, help="seconds per saved query")
    p.add_argument("--rdflib-load-max", type=parse_size, default=parse_size("200k"))
    p.add_argument("--rdflib-query-sizes", default="real", help="sizes with rdflib's engine too")
    p.add_argument("--disk-per-file-max", type=parse_size, default=parse_size("50k"))
    p.add_argument("--pyshacl-sizes", default="real,100k", help="sizes pySHACL runs at")
    p.add_argument("--pyshacl-timeout", type=float, default=30, help="cap on one pySHACL run, s")
    p.add_argument("--validate-timeout", type=float, default=300)
    p.add_argument("--startup-timeout", type=float, default=300)
    p.add_argument("--long", action="store_true", help="no short caps: pySHACL up to 1 h")
    p.add_argument("--out", type=Path, default=BENCH / "results")
    p.add_argument("--readme", action="store_true", help="put the report into bench/README.md")
    args = p.parse_args(argv)
    if args.long:
        args.pyshacl_timeout = max(args.pyshacl_timeout, 3600)
        args.validate_timeout = max(args.validate_timeout, 3600)
        args.rdflib_load_max = max(args.rdflib_load_max, parse_size("1M"))
        args.slow_cap = max(args.slow_cap, 30)
        args.slow_timeout = max(args.slow_timeout, 600)
    args.only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(args.only) - set(SECTIONS)
    if unknown:
        p.error(f"unknown sections: {', '.join(sorted(unknown))} (choose from {SECTIONS})")
    args.servers = tuple(name for name in httpbench.SERVERS if available(name))
    for name in sorted(set(httpbench.SERVERS) - set(args.servers)):
        log(f"http: {name} is not installed; its rows are left out")
    return args


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def labels(text: str) -> list[str]:
    return [x.strip() for x in text.split(",") if x.strip()]


def data_for(text: str, seed: int) -> list[Data]:
    out = []
    for label in labels(text):
        out.append(real_data() if label == "real" else synthetic(label, seed, log))
    return out


def run_sections(args: argparse.Namespace) -> dict:
    """Every asked-for section; raw results by section."""
    results: dict = {}
    if "load" in args.only:
        datas = data_for(args.load_sizes, args.seed)
        results["load"] = loadbench.run(
            datas,
            args.rounds,
            args.rdflib_load_max,
            args.validate_timeout,
            log,
            args.disk_per_file_max,
        )
    if "queries" in args.only:
        rdflib_sizes = set(labels(args.rdflib_query_sizes))
        extra = [s for s in labels(args.rdflib_query_sizes) if s not in labels(args.sizes)]
        results["queries"] = querybench.run(
            data_for(",".join(extra + labels(args.sizes)), args.seed),
            args.query_budget,
            rdflib_sizes,
            args.validate_timeout,
            log,
        )
    if "http" in args.only:
        results["http"] = [
            httpbench.run_size(data, args, log) for data in data_for(args.sizes, args.seed)
        ]
    if "validate" in args.only:
        timeouts = {
            "dakg": args.validate_timeout,
            "pyshacl": args.pyshacl_timeout,
            "pyshacl-turbo": args.validate_timeout,
        }
        pyshacl_sizes = set(labels(args.pyshacl_sizes))
        results["validate"] = [
            validbench.run_size(data, 1, timeouts, log, data.label in pyshacl_sizes)
            for data in data_for(args.validate_sizes, args.seed)
        ]
    if "startup" in args.only:
        results["startup"] = startup.run(
            data_for(args.startup_sizes, args.seed), args.rounds, args.startup_timeout, log
        )
    if "scale" in args.only:
        results["scale"] = [
            scale.run(data, args.scale_timeout, log)
            for data in data_for(args.scale_size, args.seed)
        ]
    return results


def targets(results: dict) -> Table:
    """Each target of the benchmark issue: what was measured, met or missed, and by how much."""
    rows: list[tuple[str, ...]] = []
    for row in (r for res in results.get("http", []) for r in httpbench.summarise(res)):
        key = (row["query"], row["vary"])
        if row["size"] != "100k" or row["server"] != "dakg" or key not in httpbench.TARGETS:
            continue
        min_ratio, max_p99 = httpbench.TARGETS[key]
        name = f"HTTP {row['query']} ({'never-seen' if row['vary'] else 'repeated'}) at 100k"
        goal = f"≥ {min_ratio}× Oxigraph" + (f", p99 ≤ {max_p99 * 1000:.0f} ms" if max_p99 else "")
        got = f"{row['ratio']:.2f}× (rounds: {', '.join(f'{x:.2f}' for x in row['ratios'])})"
        got += f", p99 {ms(row['p99'], 1)} ms"
        single = next(
            (
                r
                for res in results["http"]
                if res["size"] == row["size"]
                for r in res.get("single", [])
                if r["server"] == "dakg" and r["query"] == row["query"]
            ),
            None,
        )
        if max_p99 and single:
            got += f" under load (at one connection: p99 {ms(single['p99'], 1)} ms)"
        ok = row["ratio"] >= min_ratio and (max_p99 is None or row["p99"] <= max_p99)
        rows.append((name, goal, got, verdict(ok)))
    for res in results.get("http", []):
        summary = httpbench.summarise(res)
        by = {(r["query"], r["vary"], r["server"]): r for r in summary}
        floors = [
            by[(q, v, "dakg")]["rps"] / by[(q, v, "rdflib")]["rps"]
            for q, v in httpbench.SCENARIOS
            if (q, v, "rdflib") in by and by[(q, v, "rdflib")]["rps"] > 0
        ]
        silent = sorted(
            {q for q, v in httpbench.SCENARIOS if by.get((q, v, "rdflib"), {}).get("rps") == 0}
        )
        if floors:
            got = f"{min(floors):.0f}× to {max(floors):.0f}× faster"
            if silent:
                got += f"; rdflib-endpoint gave no answer in time to: {', '.join(silent)}"
            rows.append(
                (
                    f"HTTP above the rdflib-endpoint floor at {res['size']}",
                    "dakg faster than rdflib-endpoint on every query",
                    got,
                    verdict(min(floors) > 1),
                )
            )
        if res["size"] == "100k" and "dakg" in res["peak_mb"]:
            mb = res["peak_mb"]["dakg"]
            rows.append(
                (
                    "memory per worker at 100k",
                    "< 150 MB",
                    f"{mb:.0f} MB peak RSS of `dakg serve` after the HTTP runs",
                    verdict(mb < 150),
                )
            )
    rows += query_targets(results.get("queries", []))
    rows += load_targets(results.get("load", []))
    rows += validate_targets(results.get("validate", []))
    for res in results.get("startup", []):
        for name, key in (("in memory", "dakg_memory"), ("on disk", "dakg_disk")):
            seconds = res.get(key, float("nan"))
            rows.append(
                (
                    f"start-up at {res['size']}, {name}",
                    "< 2 s"
                    + (" (the target is set on the real data)" if res["size"] != "real" else ""),
                    f"{seconds:.2f} s",
                    verdict(seconds < startup.TARGET_S),
                )
            )
    for res in results.get("scale", []):
        if "startup_s" in res:
            rows.append(
                (
                    f"start-up at {res['size']} on disk",
                    "< 2 s (the real data's target)",
                    f"{res['startup_s']:.2f} s; load {res['load']['seconds']:.1f} s, "
                    f"peak {res['load']['peak_mb']:.0f} MB",
                    verdict(res["startup_s"] < startup.TARGET_S),
                )
            )
    return Table("Targets", ("target", "goal", "measured", "verdict"), rows)


def query_targets(results: list[dict]) -> list[tuple[str, ...]]:
    at100 = [r for r in results if r.get("size") == "100k" and "median" in r]
    if not at100:
        return []
    slow = sorted((r for r in at100 if r["median"] >= 0.025), key=lambda r: -r["median"])
    worst = max(at100, key=lambda r: r["median"])
    got = f"{len(at100) - len(slow)} of {len(at100)} under; slowest {worst['query']} "
    got += f"{ms(worst['median'], 1)} ms"
    if slow:
        got += " (over: " + ", ".join(f"{r['query']} {ms(r['median'], 1)} ms" for r in slow) + ")"
    return [
        ("saved queries in process at 100k", "every one < 25 ms median", got, verdict(not slow))
    ]


def load_targets(results: list[dict]) -> list[tuple[str, ...]]:
    rows = []
    for r in results:
        if r.get("engine") != "embedded" or "error" in r or r["size"] not in loadbench.TARGETS_S:
            continue
        goal = loadbench.TARGETS_S[r["size"]]
        got = f"{r['seconds']:.2f} s ({r['seconds'] / goal:.1f}× the target), peak {r['peak_mb']:.0f} MB"
        rows.append(
            (
                f"load {r['size']} into the embedded store",
                f"< {goal} s",
                got,
                verdict(r["seconds"] < goal),
            )
        )
    return rows


def validate_targets(results: list[dict]) -> list[tuple[str, ...]]:
    rows = []
    for res in results:
        engines = res["engines"]
        full, changed = engines["dakg"], engines["dakg-changed"]
        pyshacl, turbo = engines["pyshacl"], engines["pyshacl-turbo"]
        if "error" in full:
            rows.append((f"validation at {res['size']}", "", full["error"], "**missed**"))
            continue
        if res["size"] == "real":
            rows.append(
                (
                    "validation of the real data by `dakg validate`",
                    "< 3 s",
                    f"{full['seconds']:.2f} s",
                    verdict(full["seconds"] < 3),
                )
            )
        if res["size"] == "100k":
            limit = pyshacl.get("seconds", float("nan"))
            bound = " (pySHACL timed out: a lower bound)" if pyshacl.get("timeout") else ""
            rows.append(
                (
                    "validation at 100k",
                    "no slower than pySHACL alone",
                    f"{full['seconds']:.1f} s vs pySHACL {limit:.1f} s{bound}",
                    verdict(full["seconds"] <= limit),
                )
            )
        if "error" not in changed:
            speed = full["seconds"] / changed["seconds"]
            rows.append(
                (
                    f"`--changed-since` on one entity at {res['size']}",
                    "≥ 10× faster than the full run",
                    f"{changed['seconds']:.2f} s vs {full['seconds']:.2f} s: {speed:.1f}×",
                    verdict(speed >= 10),
                )
            )
        if "error" not in turbo:
            keys = ("violations", "warnings", "infos")
            same = all(turbo.get(k) == full.get(k) for k in keys)
            reference = pyshacl if "error" not in pyshacl else full
            name = "pySHACL" if reference is pyshacl else "dakg validate"
            rows.append(
                (
                    f"pyshacl-turbo at {res['size']} (optional fast path)",
                    "evaluate: speed, same results",
                    f"{turbo['seconds']:.2f} s vs {name} {reference['seconds']:.2f} s; "
                    + "/".join(str(turbo.get(k)) for k in keys)
                    + " results vs dakg validate's "
                    + "/".join(str(full.get(k)) for k in keys),
                    "same results" if same else "**different results**",
                )
            )
    return rows


def report(args: argparse.Namespace, results: dict, info: dict, seconds: float) -> str:
    """The whole Markdown report."""
    tables: list[Table] = [targets(results)]
    if "load" in results:
        tables.append(loadbench.table(results["load"]))
    if "queries" in results:
        sizes = list(dict.fromkeys(r["size"] for r in results["queries"]))
        tables.append(querybench.table(results["queries"], sizes))
    if "http" in results:
        tables.append(httpbench.table(results["http"]))
        tables.append(httpbench.single_table(results["http"]))
    if "validate" in results:
        tables.append(validbench.table(results["validate"]))
    if "startup" in results:
        tables.append(startup.table(results["startup"]))
    if "scale" in results:
        tables.append(scale.table(results["scale"]))
    head = [
        f"## Benchmark run {info['when']}",
        "",
        f"Machine: {info['machine']['cpu']}, {info['machine']['cores']} cores, "
        f"{info['machine']['memory_gb']} GB; {info['machine']['os']}; Python "
        f"{info['machine']['python']}; load average at start "
        f"{', '.join(map(str, info['machine']['load_average_at_start']))}, at the end "
        f"{', '.join(map(str, info.get('load_average_at_end', [])))} (a shared machine: other "
        "work ran alongside; compare the ratios, not the absolute times).",
        "",
        "Versions: "
        + ", ".join(f"{k} {v}" for k, v in info["machine"]["versions"].items())
        + f"; {info['machine']['wrk']}.",
        "",
        f"Options: `{' '.join(info['argv']) or '(defaults)'}`; {num(seconds / 60, 1)} minutes.",
        "",
    ]
    return "\n".join(head) + "\n".join(t.markdown() for t in tables)


def write(args: argparse.Namespace, text: str, raw: dict) -> Path:
    args.out.mkdir(parents=True, exist_ok=True)
    stamp = raw["info"]["when"].replace(":", "").replace("-", "").replace(" ", "-")
    path = args.out / f"{stamp}.md"
    path.write_text(text, encoding="utf-8")
    (args.out / f"{stamp}.json").write_text(
        json.dumps(raw, indent=1, default=str) + "\n", encoding="utf-8"
    )
    (args.out / "latest.md").write_text(text, encoding="utf-8")
    if args.readme and README.exists():
        readme = README.read_text(encoding="utf-8")
        if MARK_START in readme and MARK_END in readme:
            before = readme.split(MARK_START)[0]
            after = readme.split(MARK_END)[1]
            README.write_text(f"{before}{MARK_START}\n{text}\n{MARK_END}{after}", encoding="utf-8")
    return path


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    started = time.perf_counter()
    when = dt.datetime.now().strftime("%Y-%m-%d %H:%M")
    info = {"when": when, "machine": machine(), "argv": sys.argv[1:] if argv is None else argv}
    results = run_sections(args)
    info["load_average_at_end"] = [round(x, 2) for x in os.getloadavg()]
    text = report(args, results, info, time.perf_counter() - started)
    path = write(args, text, {"info": info, "results": results})
    print(text)
    log(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
