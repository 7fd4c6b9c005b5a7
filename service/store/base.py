"""What a store is to the service: its kind, told once from the setting, and the operations asked
of every store, whichever holds the graph.

Callers ask the kind what they need to know (is the graph in this process, does it outlive it, is
it an external engine) instead of comparing setting names or testing classes, so that a new kind
of store is one more member here and one more implementation of `Store`.
"""

from __future__ import annotations

import enum
import string
from collections.abc import Iterable, Iterator
from typing import Protocol

import pyoxigraph as ox
from dakg.packaged import internal_queries

QUERIES_DIR = internal_queries("store")

# While `dakg load` fills a store it is marked, and the mark goes once its counts are checked: a
# store that still has it holds a load that did not finish (or whose counts were wrong). On disk
# the mark is a file in the store's folder; on an engine, a graph of its own (not one of the
# project's graphs, which all begin with .../graph/).
LOAD_MARKER = "dakg-load-incomplete"
LOAD_MARKER_GRAPH = "https://w3id.org/dakg/load-incomplete"


class StoreKind(enum.StrEnum):
    """The kinds of store a setting names (their values are the setting's own words)."""

    MEMORY = "memory"
    OXIGRAPH = "oxigraph"
    SPARQL = "sparql"

    @property
    def embedded(self) -> bool:
        """The graph is a pyoxigraph Store in this process (in memory or on disk)."""
        return self is not StoreKind.SPARQL

    @property
    def remote(self) -> bool:
        """The graph is in an external SPARQL engine, reached over HTTP."""
        return self is StoreKind.SPARQL

    @property
    def persistent(self) -> bool:
        """The graph outlives this process (on disk or in an engine): nothing is loaded at start."""
        return self is not StoreKind.MEMORY

    @property
    def on_disk(self) -> bool:
        """The graph is pyoxigraph's store in a folder, which other processes may open too."""
        return self is StoreKind.OXIGRAPH


class Store(Protocol):
    """The operations the service asks of a store: pyoxigraph's query API (which `ox.Store` has
    and `RemoteStore` speaks over the SPARQL 1.1 Protocol), and the upkeep of `dakg load`
    (replacing a graph, the mark of a load under way, writing out, closing)."""

    def query(
        self, query: str, **arguments
    ) -> ox.QuerySolutions | ox.QueryBoolean | ox.QueryTriples:
        """A query's answer as pyoxigraph's result objects."""
        ...

    def update(self, update: str, base_iri: str | None = None) -> None: ...

    def named_graphs(self) -> Iterator[ox.NamedNode]: ...

    def graph_counts(self) -> dict[str, int]:
        """The number of triples of each named graph."""
        ...

    def __len__(self) -> int: ...

    def replace_graph(self, graph: str, quads: Iterable[ox.Quad], size: int) -> None:
        """The named graph's triples become these (`size` of them)."""
        ...

    def drop_graph(self, graph: str) -> None: ...

    def mark_load(self) -> None:
        """Mark the store as holding a load under way (removed once its counts are checked)."""
        ...

    def unmark_load(self) -> None: ...

    def load_incomplete(self) -> bool:
        """Whether the store holds a load that did not finish."""
        ...

    def ping(self) -> None:
        """Raise StoreError when the store cannot answer now."""
        ...

    def flush(self) -> None:
        """Write out what is buffered, so memory stays bounded during a long load."""
        ...

    def close(self) -> None: ...


def service_query(name: str) -> str:
    """A fixed protocol query of queries/service/ (counts, graph lists, dumps)."""
    return (QUERIES_DIR / f"{name}.rq").read_text(encoding="utf-8")


def service_update(name: str, **terms: str) -> str:
    """An update of queries/service/ (`name.ru`), its `$placeholders` filled with the given
    N-Triples terms or text; a placeholder left unfilled is an error (KeyError)."""
    template = string.Template((QUERIES_DIR / f"{name}.ru").read_text(encoding="utf-8"))
    return template.substitute(terms)


def graph_counts(store) -> dict[str, int]:
    """The number of triples of each named graph of a store (pyoxigraph's or an engine)."""
    rows = store.query(service_query("graph-counts"))
    return {row["g"].value: int(row["n"].value) for row in rows}
