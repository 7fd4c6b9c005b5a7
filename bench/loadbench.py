"""Load: time and peak memory to load a graph, each load in a fresh process.

Engines: `embedded` (what `dakg serve` does: Dataset.load, one bulk load per file into its named
graph, in memory), `embedded-nq` (the same quads from one N-Quads file, to show the per-file cost),
`disk` (the same per-file loader into an on-disk pyoxigraph Store(path); each bulk load there
writes its own files, so it runs only up to `disk_max` triples), `disk-nq` (one bulk load of the
N-Quads file into Store(path)), and `rdflib` (an rdflib Dataset parsing every file: what a user
would pick instead).

    python bench/loadbench.py child ENGINE ROOT   # one load; prints a JSON line
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    BENCH,
    Table,
    current_rss_mb,
    median,
    num,
    peak_rss_mb,
    run_child,
    verdict,
)
from datasets import Data  # noqa: E402

ENGINES = ("embedded", "embedded-nq", "disk", "disk-nq", "rdflib")
TARGETS_S = {"100k": 0.5, "1M": 5.0}
TARGET_MB_100K = 150


def load_embedded(root: Path) -> int:
    from dakg.store.dataset import Dataset

    return Dataset.load(root).triples


def load_embedded_nq(root: Path) -> int:
    import pyoxigraph as ox

    store = ox.Store()
    store.bulk_load(path=str(root / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
    return len(store)


def load_disk(root: Path) -> int:
    import pyoxigraph as ox
    from dakg.rdf.sources import graph_sources
    from dakg.store.embedded import load_sources

    with tempfile.TemporaryDirectory(prefix="dakg-bench-disk-") as folder:
        store = ox.Store(folder)
        load_sources(graph_sources(root), store)
        store.flush()
        count = len(store)
        del store
    return count


def load_disk_nq(root: Path) -> int:
    import pyoxigraph as ox

    with tempfile.TemporaryDirectory(prefix="dakg-bench-disk-") as folder:
        store = ox.Store(folder)
        store.bulk_load(path=str(root / "dataset.nq"), format=ox.RdfFormat.N_QUADS)
        store.flush()
        count = len(store)
        del store
    return count


def load_rdflib(root: Path) -> int:
    import rdflib
    from dakg.rdf.sources import graph_sources

    dataset = rdflib.Dataset()
    for source in graph_sources(root):
        dataset.graph(rdflib.URIRef(source.graph)).parse(source.path, format="turtle")
    return len(list(dataset.quads()))


def child(engine: str, root: Path) -> dict:
    """One load in this process: seconds, triples, memory before and at peak."""
    import dakg.store.dataset  # noqa: F401
    import pyoxigraph  # noqa: F401  (imports are not part of the load)
    import rdflib  # noqa: F401

    base = current_rss_mb()
    loader = {
        "embedded": load_embedded,
        "embedded-nq": load_embedded_nq,
        "disk": load_disk,
        "disk-nq": load_disk_nq,
        "rdflib": load_rdflib,
    }[engine]
    start = time.perf_counter()
    triples = loader(root)
    seconds = time.perf_counter() - start
    peak = peak_rss_mb()
    return {"seconds": seconds, "triples": triples, "base_mb": base, "peak_mb": peak}


def measure(data: Data, engine: str, rounds: int, timeout: float) -> dict:
    """Median seconds and memory over rounds, each in a fresh process."""
    if engine.endswith("-nq"):
        data.ensure_nquads()
    runs = []
    for _ in range(rounds):
        result = run_child([str(BENCH / "loadbench.py"), "child", engine, str(data.root)], timeout)
        if "error" in result:
            return {"engine": engine, "error": result["error"]}
        runs.append(result)
    return {
        "engine": engine,
        "size": data.label,
        "triples": runs[0]["triples"],
        "rounds": rounds,
        "seconds": median([r["seconds"] for r in runs]),
        "seconds_all": [r["seconds"] for r in runs],
        "peak_mb": median([r["peak_mb"] for r in runs]),
        "base_mb": median([r["base_mb"] for r in runs]),
    }


def run(
    datas: list[Data],
    rounds: int,
    rdflib_max: int,
    timeout: float,
    log=print,
    disk_max: int = 200_000,
) -> list[dict]:
    """Every engine at every size (rdflib and per-file disk loads only up to their maximum)."""
    results = []
    for data in datas:
        for engine in ENGINES:
            if (engine == "rdflib" and data.triples > rdflib_max) or (
                engine == "disk" and data.triples > disk_max
            ):
                continue
            single = engine in ("rdflib", "disk") or data.triples > 200_000
            n = 1 if single else rounds
            log(f"load {data.label}: {engine} x{n}")
            results.append({**measure(data, engine, n, timeout), "size": data.label})
    return results


def table(results: list[dict]) -> Table:
    rows = []
    by_size: dict[str, dict[str, dict]] = {}
    for r in results:
        by_size.setdefault(r["size"], {})[r["engine"]] = r
    for size, engines in by_size.items():
        rdf = engines.get("rdflib", {})
        for engine, r in engines.items():
            if "error" in r:
                rows.append((size, engine, "–", r["error"], "", "", "", ""))
                continue
            target = TARGETS_S.get(size) if engine == "embedded" else None
            speedup = rdf.get("seconds", float("nan")) / r["seconds"] if rdf else float("nan")
            rows.append(
                (
                    size,
                    engine,
                    f"{r['triples']:,}",
                    num(r["seconds"], 3),
                    num(r["peak_mb"], 0),
                    num(r["peak_mb"] - r["base_mb"], 0),
                    num(speedup, 1) + "×" if engine != "rdflib" and rdf else "",
                    f"< {target} s: {verdict(r['seconds'] < target)}" if target else "",
                )
            )
    return Table(
        "Load",
        (
            "size",
            "engine",
            "triples",
            "median s",
            "peak MB",
            "MB over baseline",
            "vs rdflib",
            "target",
        ),
        rows,
        (
            "Each load in a fresh process; peak MB is the process's peak RSS (Python, pyoxigraph and "
            "rdflib imported), 'over baseline' subtracts the RSS before loading. rdflib and the "
            "per-file on-disk load run once per size, the others take the median of the rounds "
            "(one round above 200k triples). The per-file on-disk load runs only on small sizes "
            "(--disk-per-file-max): each bulk load into an on-disk store writes its own files, "
            "tens of milliseconds per file.",
        ),
    )


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "child":
        print(json.dumps(child(sys.argv[2], Path(sys.argv[3]))))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
