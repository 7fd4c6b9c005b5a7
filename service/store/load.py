"""`dakg load --to oxigraph:PATH | sparql:URL`: push the graph where the service will read it.

Each source file goes into its own named graph, replacing whatever that graph held, so running
the command twice leaves the same graphs with the same triples. `--replace` also drops the named
graphs of the store that no source feeds (a file renamed or removed since the last load).
Afterwards the triples of every graph are counted in the store and compared with the source.

An external engine is written through the Graph Store Protocol when DAKG_SPARQL_GSP_URL is set
(PUT one graph per source, N-Triples), else through SPARQL Update (DROP SILENT GRAPH, then
INSERT DATA in chunks) at DAKG_SPARQL_UPDATE_URL.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

import pyoxigraph as ox
from dakg.rdf.namespaces import GRAPH
from dakg.rdf.sources import GRAPH_DIRS, RdfSourceError, Source, graph_name, turtle_files
from dakg.settings import Settings
from dakg.store.backends import StoreConfig, StoreSettingError, as_store, open_store
from dakg.store.base import Store
from dakg.store.embedded import load_source

# Sources between two flushes of an on-disk store.
FLUSH_EVERY = 200


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--to",
        required=True,
        metavar="STORE",
        help="oxigraph:PATH (pyoxigraph's on-disk store) or sparql:QUERY_URL (an external engine)",
    )
    parser.add_argument(
        "--replace",
        action="store_true",
        help="also drop the store's named graphs that no source feeds",
    )
    parser.add_argument(
        "paths",
        nargs="*",
        help=f"Turtle files or folders (default: {', '.join(GRAPH_DIRS)} of the project)",
    )


@dataclass(frozen=True)
class Loaded:
    """One source as loaded: its graph, the triples it holds, the triples the store counts."""

    graph: str
    expected: int
    counted: int | None = None


class Progress:
    """A text progress bar on stderr: one line redrawn on a terminal, a line a step otherwise."""

    def __init__(self, total: int, out: TextIO = sys.stderr, width: int = 30):
        self.total, self.out, self.width = total, out, width
        self.done = 0
        self.triples = 0
        self.redraw = out.isatty()

    def step(self, name: str, triples: int) -> None:
        self.done += 1
        self.triples += triples
        filled = self.width * self.done // max(1, self.total)
        bar = "#" * filled + "-" * (self.width - filled)
        line = f"[{bar}] {self.done}/{self.total} graphs, {self.triples} triples  {name}"
        if self.redraw:
            self.out.write("\r\x1b[K" + line)
            if self.done == self.total:
                self.out.write("\n")
        else:
            self.out.write(line + "\n")
        self.out.flush()


def read_source(source: Source) -> ox.Store:
    """A source file parsed into its graph of a scratch in-memory store (duplicates counted once)."""
    scratch = ox.Store()
    load_source(source, scratch)
    return scratch


def put(store: Store, source: Source, scratch: ox.Store) -> None:
    """Replace the source's named graph of the store with its triples."""
    quads = scratch.quads_for_pattern(None, None, None, ox.NamedNode(source.graph))
    store.replace_graph(source.graph, quads, len(scratch))


def load(
    config: StoreConfig,
    sources: list[Source],
    replace: bool,
    timeout: float,
    out: TextIO = sys.stderr,
) -> tuple[list[Loaded], list[str]]:
    """Load every source into its graph of the store, then count; (the graphs, the graphs dropped)."""
    if not config.kind.persistent:
        raise StoreSettingError("dakg load needs --to oxigraph:PATH or --to sparql:QUERY_URL")
    if not sources:
        raise RdfSourceError("(no input)", "no Turtle files to load")
    store = as_store(open_store(config, timeout), config)
    store.mark_load()  # removed below once the counts are checked
    try:
        progress = Progress(len(sources), out)
        expected: dict[str, int] = {}
        for source in sources:
            scratch = read_source(source)
            expected[source.graph] = len(scratch)
            put(store, source, scratch)
            progress.step(source.graph, len(scratch))
            if progress.done % FLUSH_EVERY == 0:
                store.flush()
        counts = store.graph_counts()
        if all(counts.get(graph, 0) == n for graph, n in expected.items()):
            store.unmark_load()
        # Only the project's graphs: never an engine's own (Virtuoso's virtrdf#) or anyone else's.
        ours = {g for g in counts if g.startswith(GRAPH)}
        dropped = sorted(ours - set(expected)) if replace else []
        for graph in dropped:
            store.drop_graph(graph)
        store.flush()
        return [Loaded(g, n, counts.get(g, 0)) for g, n in expected.items()], dropped
    finally:
        store.close()
        del store


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Load, check the counts, and say what was done."""
    config = StoreConfig.parse(args.to)
    root = settings.root
    targets = [Path(p) for p in args.paths] or [root / d for d in GRAPH_DIRS]
    sources = [Source(f, graph_name(root, f)) for f in turtle_files(targets)]
    started = time.monotonic()
    loaded, dropped = load(config, sources, args.replace, settings.query_timeout)
    elapsed = time.monotonic() - started
    wrong = [item for item in loaded if item.counted != item.expected]
    for item in wrong:
        print(
            f"dakg load: {item.graph}: {item.counted} triples in the store, "
            f"{item.expected} in the source",
            file=sys.stderr,
        )
    for graph in dropped:
        print(f"dakg load: dropped {graph} (no source feeds it)", file=sys.stderr)
    total = sum(item.expected for item in loaded)
    print(
        f"dakg load: {len(loaded)} graphs, {total} triples into {config.describe()} "
        f"in {elapsed:.1f} s; counts {'checked' if not wrong else 'WRONG'}",
        file=sys.stderr,
    )
    return 1 if wrong else 0
