"""Memory of a whole `dakg serve` (every HTTP and query worker), and in-process query latency on
the in-memory store against the same graph in a read-only on-disk store.

    python bench/memory.py --root build/bench/data-100k-seed8 [--workers 2] [--query-processes 2]
    python bench/memory.py --root ... --pythonpath /tmp/before   # another checkout's package
    python bench/memory.py --root ... --latency                   # in-process latency only

Memory: the server is started on the project, every query worker is made to read the whole graph
(a COUNT and a GROUP BY over every triple, sent to all of them at once, the answer cache off), then
the resident memory of every process of the server's tree is read from /proc/PID/smaps_rollup:
RSS (pages shared between processes counted in each) and PSS (each shared page divided among the
processes that map it: their sum is what the processes hold), and the size of the query workers'
shared on-disk copy, which the page cache holds once on top of that. One JSON object on standard
output.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import free_port  # noqa: E402

BIN = Path(sys.executable).parent
WHOLE_GRAPH = (
    "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
    "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p ORDER BY ?p",
    "SELECT ?o (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?o ORDER BY DESC(?n) LIMIT 10",
)


def smaps_rollup(pid: int) -> dict[str, int]:
    """Rss, Pss, and their anonymous and file parts (kB) of one process."""
    values: dict[str, int] = {}
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as rollup:
        for line in rollup:
            parts = line.split()
            if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
                values[parts[0][:-1]] = int(parts[1])
    return values


def tree(root: int) -> list[int]:
    """The process and all its descendants."""
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        children.setdefault(ppid, []).append(int(entry.name))
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        todo.extend(children.get(pid, ()))
    return found


def role(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "?"
    return "query worker" if "dakg.execution.worker" in command else "http"


def ask(base: str, query: str) -> int:
    url = base + "/sparql?" + urllib.parse.urlencode({"query": query})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    with urllib.request.urlopen(request, timeout=120) as answer:
        answer.read()
        return answer.status


def serve_memory(args: argparse.Namespace) -> dict:
    port = free_port()
    env = {
        **os.environ,
        "DAKG_ROOT": str(Path(args.root).resolve()),
        "DAKG_QUERY_PROCESSES": str(args.query_processes),
        "DAKG_CACHE_ENTRIES": "0",
    }
    env.pop("DAKG_UPDATE_TOKEN", None)
    if args.pythonpath:
        env["PYTHONPATH"] = args.pythonpath
    command = [sys.executable, "-m", "dakg", "serve", "--port", str(port)]
    command += ["--workers", str(args.workers)]
    with tempfile.TemporaryFile() as log:
        server = subprocess.Popen(command, env=env, stdout=log, stderr=log)
        base = f"http://127.0.0.1:{port}"
        try:
            started = time.perf_counter()
            while True:
                try:
                    with urllib.request.urlopen(base + "/health", timeout=5) as health:
                        triples = json.load(health)["triples"]
                    break
                except OSError:
                    if server.poll() is not None or time.perf_counter() - started > 300:
                        log.seek(0)
                        raise SystemExit(log.read().decode(errors="replace")[-2000:]) from None
                    time.sleep(0.2)
            ready_s = time.perf_counter() - started
            # Every query worker of every HTTP worker reads the whole graph: many at once.
            rounds = args.workers * args.query_processes * 3
            with ThreadPoolExecutor(rounds) as pool:
                statuses = list(pool.map(lambda i: ask(base, WHOLE_GRAPH[i % 3]), range(rounds)))
            time.sleep(1.0)
            # The query workers' shared on-disk copy (none before it was made): read with pread,
            # its pages are in the page cache, once, and in no process's RSS.
            shared_mb = sum(
                f.stat().st_size
                for folder in Path(tempfile.gettempdir()).glob(f"dakg-store-{server.pid}-*")
                for f in folder.rglob("*")
                if f.is_file()
            ) / (1024 * 1024)
            processes = []
            for pid in tree(server.pid):
                try:
                    rollup = smaps_rollup(pid)
                except OSError:
                    continue
                processes.append({"pid": pid, "role": role(pid), **rollup})
        finally:
            server.terminate()
            server.wait(timeout=60)

    def total(key: str, which: str | None = None) -> float:
        kb = sum(p.get(key, 0) for p in processes if which is None or p["role"] == which)
        return round(kb / 1024, 1)

    return {
        "root": str(args.root),
        "triples": triples,
        "http_workers": args.workers,
        "query_processes_each": args.query_processes,
        "processes": len(processes),
        "ready_s": round(ready_s, 2),
        "statuses": sorted(set(statuses)),
        "rss_mb": total("Rss"),
        "pss_mb": total("Pss"),
        "pss_anon_mb": total("Pss_Anon"),
        "pss_file_mb": total("Pss_File"),
        "shared_copy_on_disk_mb": round(shared_mb, 1),
        "query_workers_rss_mb": total("Rss", "query worker"),
        "query_workers_pss_mb": total("Pss", "query worker"),
        "http_rss_mb": total("Rss", "http"),
        "http_pss_mb": total("Pss", "http"),
        "each": [
            {k: p[k] for k in ("pid", "role", "Rss", "Pss", "Pss_Anon", "Pss_File") if k in p}
            for p in processes
        ],
    }


def latency(args: argparse.Namespace) -> dict:
    """Median milliseconds of a one-entity lookup and of a GROUP BY over every triple, in this
    process, on the in-memory store and on its on-disk copy opened read-only."""
    import pyoxigraph as ox
    from dakg.store.dataset import Dataset
    from dakg.store.embedded import SharedCopy

    dataset = Dataset.load(Path(args.root))
    memory = dataset.store
    copy = SharedCopy.build(memory)
    disk = ox.Store.read_only(str(copy.store_path))
    (row,) = memory.query(
        "SELECT ?s WHERE { ?s a <https://w3id.org/dakg/def/Initiative> } ORDER BY ?s LIMIT 1",
        use_default_graph_as_union=True,
    )
    lookup = f"SELECT ?p ?o WHERE {{ <{row['s'].value}> ?p ?o }}"
    group = "SELECT ?p (COUNT(*) AS ?n) WHERE { ?s ?p ?o } GROUP BY ?p"

    def timed(store: ox.Store, query: str, times: int) -> float:
        samples = []
        for _ in range(times):
            started = time.perf_counter()
            list(store.query(query, use_default_graph_as_union=True))
            samples.append((time.perf_counter() - started) * 1000)
        return round(statistics.median(samples), 3)

    result = {"triples": len(memory)}
    for name, store in (("memory", memory), ("disk", disk)):
        timed(store, group, 1)  # the disk store's pages into the cache first
        result[name] = {
            "lookup_ms": timed(store, lookup, 200),
            "group_by_ms": timed(store, group, 5),
        }
    del disk
    copy.remove()
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--root", required=True, help="a project folder (bench/generate.py)")
    parser.add_argument("--workers", type=int, default=2, help="HTTP workers")
    parser.add_argument("--query-processes", type=int, default=2, help="query workers of each")
    parser.add_argument("--pythonpath", help="run another checkout's dakg package")
    parser.add_argument("--latency", action="store_true", help="in-process latency instead")
    args = parser.parse_args()
    result = latency(args) if args.latency else serve_memory(args)
    json.dump(result, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
