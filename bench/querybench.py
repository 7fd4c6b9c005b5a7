"""Saved queries in process: median and p99 latency of every query of queries/ at each size.

Each query runs on the project's embedded store (pyoxigraph, union default graph) with parameters
chosen from the data (the middle initiative, an agency with partners, a standard with a basedOn
chain ...), and its rows are read to the end. The same query through rdflib's engine is the peer,
at the sizes it can bear.

    python bench/querybench.py child ROOT BUDGET_S RDFLIB(0|1)   # prints a JSON line
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import BENCH, Table, median, ms, percentile, run_child, timed_for, verdict  # noqa: E402
from datasets import Data  # noqa: E402

TARGET_MEDIAN_S = 0.025
PREFIX = "PREFIX dakg: <https://w3id.org/dakg/def/>\n"
# For each IRI type a parameter can take, a query listing candidates in a stable order.
PROBES = {
    "initiative": "SELECT ?x WHERE { ?x a dakg:Initiative ; dakg:number ?n "
    "FILTER EXISTS { ?x dakg:standard ?s } } ORDER BY ?n",
    "agency": "SELECT ?x WHERE { ?i dakg:partnerAgency ?x } GROUP BY ?x ORDER BY DESC(COUNT(?i)) ?x",
    "indicator": "SELECT ?x WHERE { ?o dakg:indicator ?x } GROUP BY ?x ORDER BY DESC(COUNT(?o)) ?x",
    "standard": "SELECT DISTINCT ?x WHERE { ?x dakg:basedOn/dakg:basedOn ?y } ORDER BY ?x",
    "pillar": "SELECT ?x WHERE { ?x a dakg:Pillar ; dakg:number ?n } ORDER BY ?n",
}


def pick(store, kind: str) -> str | None:
    """The middle candidate of a probe (the first for agencies and indicators: the busiest)."""
    rows = [
        row["x"].value
        for row in store.query(PREFIX + PROBES[kind], use_default_graph_as_union=True)
    ]
    if not rows:
        return None
    return rows[0] if kind in ("agency", "indicator") else rows[len(rows) // 2]


def parameters(store, query) -> dict[str, str]:
    """Values for the query's IRI parameters, chosen from the data; the defaults for the rest.

    Optional parameters without a default stay unbound: the query then lists everything.
    """
    values = {}
    for param in query.parameters:
        if param.base_type == "iri" and (param.required or param.default is not None):
            value = pick(store, param.argument or "initiative")
            if value is not None:
                values[param.name] = value
    return values


def to_rdflib(term):
    import pyoxigraph as ox
    import rdflib

    if isinstance(term, ox.NamedNode):
        return rdflib.URIRef(term.value)
    if term.language:
        return rdflib.Literal(term.value, lang=term.language)
    return rdflib.Literal(term.value, datatype=rdflib.URIRef(term.datatype.value))


def rdflib_dataset(root: Path):
    import rdflib
    from dakg.rdf.sources import graph_sources

    dataset = rdflib.Dataset(default_union=True)
    for source in graph_sources(root):
        dataset.graph(rdflib.URIRef(source.graph)).parse(source.path, format="turtle")
    return dataset


def rdflib_timing(rdf, text: str, bindings: dict) -> dict:
    """rdflib's rows and median seconds: one run when a run takes over a second, else up to ten."""
    samples = []
    rows = 0
    while len(samples) < 10 and sum(samples) < 2 and (not samples or samples[0] < 1):
        start = time.perf_counter()
        rows = len(list(rdf.query(text, initBindings=bindings)))
        samples.append(time.perf_counter() - start)
    return {"rdflib_rows": rows, "rdflib_median": median(samples), "rdflib_runs": len(samples)}


def child(root: Path, budget_s: float, with_rdflib: bool) -> list[dict]:
    """Every saved query at this root: latencies in seconds, rows, and rdflib's where asked."""
    from dakg.sparql.library import list_queries, run_query
    from dakg.store.dataset import Dataset

    dataset = Dataset.load(root)
    store = dataset.store
    rdf = rdflib_dataset(root) if with_rdflib else None
    results = []
    for query in list_queries(root / "queries"):
        values = parameters(store, query)
        rows = len(list(run_query(store, query, values)))
        samples = timed_for(
            lambda q=query, v=values: list(run_query(store, q, v)), 20, 2000, budget_s
        )
        entry = {
            "query": query.name,
            "params": values,
            "rows": rows,
            "runs": len(samples),
            "median": median(samples),
            "p99": percentile(samples, 99),
        }
        if rdf is not None:
            bindings = {str(k.value): to_rdflib(v) for k, v in query.bindings(values).items()}
            entry.update(rdflib_timing(rdf, query.text, bindings))
        results.append(entry)
    return results


def run(
    datas: list[Data], budget_s: float, rdflib_sizes: set[str], timeout: float, log=print
) -> list[dict]:
    """Every saved query at every size; through rdflib too at rdflib_sizes."""
    out = []
    for data in datas:
        with_rdflib = data.label in rdflib_sizes
        log(f"saved queries {data.label}" + (" (and rdflib)" if with_rdflib else ""))
        result = run_child(
            [
                str(BENCH / "querybench.py"),
                "child",
                str(data.root),
                str(budget_s),
                str(int(with_rdflib)),
            ],
            timeout,
        )
        if isinstance(result, dict) and "error" in result:
            out.append({"size": data.label, "error": result["error"]})
            continue
        out.extend({**r, "size": data.label} for r in result["queries"])
    return out


def table(results: list[dict], sizes: list[str]) -> Table:
    by_query: dict[str, dict[str, dict]] = {}
    for r in results:
        if "error" in r:
            continue
        by_query.setdefault(r["query"], {})[r["size"]] = r
    header = ["query"]
    for size in sizes:
        header += [f"{size} median ms", f"{size} p99 ms", f"{size} rows"]
    header += ["rdflib median ms (same data)", "target (< 25 ms median at 100k)"]
    rows = []
    for name, per_size in sorted(by_query.items()):
        row = [name]
        for size in sizes:
            r = per_size.get(size, {})
            row += [ms(r.get("median"), 2), ms(r.get("p99"), 2), str(r.get("rows", "–"))]
        rdf = next((per_size[s] for s in sizes if "rdflib_median" in per_size.get(s, {})), None)
        if rdf:
            speed = rdf["rdflib_median"] / rdf["median"]
            mismatch = "" if rdf["rdflib_rows"] == rdf["rows"] else f", {rdf['rdflib_rows']} rows!"
            row.append(
                f"{ms(rdf['rdflib_median'], 1)} at {rdf['size']} ({speed:.0f}× slower{mismatch})"
            )
        else:
            row.append("–")
        at100 = per_size.get("100k")
        row.append(verdict(at100["median"] < TARGET_MEDIAN_S) if at100 else "–")
        rows.append(tuple(row))
    errors = [f"{r['size']}: {r['error']}" for r in results if "error" in r]
    return Table(
        "Saved queries in process (pyoxigraph embedded store)", tuple(header), rows, tuple(errors)
    )


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "child":
        queries = child(Path(sys.argv[2]), float(sys.argv[3]), sys.argv[4] == "1")
        print(json.dumps({"queries": queries}))
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
