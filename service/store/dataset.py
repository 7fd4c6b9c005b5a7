"""The loaded dataset: the store, where its graphs came from, and the version answers are cached by."""

from __future__ import annotations

import hashlib
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

import pyoxigraph as ox
from dakg import __version__
from dakg.rdf.sources import Source, graph_sources
from dakg.sparql.values import bind_values
from dakg.store.backends import RemoteStore, StoreConfig, StoreError, as_store, open_store
from dakg.store.base import Store, graph_counts, service_query
from dakg.store.embedded import load_sources

log = logging.getLogger("dakg.store.dataset")

# The version of a dataset on an external engine that could not be reached yet.
UNKNOWN = "unknown"


@dataclass(frozen=True)
class Dataset:
    """A store loaded from the project's sources, with a version that changes when any source does.

    In memory the version is a hash of the source files. On disk or on an external engine the
    service loads nothing (`dakg load` did), so the version is a hash of the triple count of each
    named graph, computed at start, after each update and when an engine comes back.
    """

    # pyoxigraph's Store (in memory or on disk), or an engine: both answer pyoxigraph's query API.
    store: ox.Store | RemoteStore
    sources: tuple[Source, ...]
    version: str
    triples: int
    config: StoreConfig = field(default_factory=lambda: StoreConfig("memory"))
    # The most quads any one subject has, read as the store is loaded in memory (None: not
    # known, as on disk or after an update): a one-entity lookup needs no counting below it.
    largest_subject: int | None = None
    # When this version's data was last changed (seconds since the epoch; Last-Modified): the
    # newest source file in memory, the newest file of the store's folder on disk, the time the
    # version was first read from an engine or an update was applied.
    modified: float | None = None

    @classmethod
    def load(cls, root: Path) -> Dataset:
        """Load ontology/ and data/ttl/ into a new in-memory store (each file its own named graph)."""
        sources = graph_sources(root)
        store = load_sources(sources)
        digest = hashlib.sha256(__version__.encode())
        for source in sources:
            digest.update(source.graph.encode())
            digest.update(source.path.read_bytes())
        (row,) = store.query(service_query("largest-subject"))
        most = row["most"]
        return cls(
            store=store,
            sources=tuple(sources),
            version=digest.hexdigest()[:16],
            triples=len(store),
            largest_subject=int(most.value) if most is not None else 0,
            modified=max(source.path.stat().st_mtime for source in sources),
        )

    @classmethod
    def open(
        cls, root: Path, store: str = "memory", timeout: float = 10.0, read_only: bool = False
    ) -> Dataset:
        """The dataset a store setting names; an external engine that is down is not an error
        (the version stays unknown until it answers: see `refreshed`). An on-disk store opened
        `read_only` may be shared by several processes."""
        config = StoreConfig.parse(store)
        if not config.kind.persistent:
            return cls.load(root)
        dataset = cls(
            store=open_store(config, timeout, read_only),
            sources=tuple(graph_sources(root)),
            version=UNKNOWN,
            triples=0,
            config=config,
        )
        try:
            dataset = dataset.refreshed()
            if dataset.triples and not bool(dataset.query(service_query("default-graph"))):
                log.warning(
                    "store %s: the default graph is empty while the named graphs hold %d "
                    "triples; configure the engine's default graph as their union (README)",
                    config.describe(),
                    dataset.triples,
                )
            return dataset
        except StoreError as error:
            log.warning("store %s: %s", config.describe(), error.message)
            return dataset

    @property
    def persistent(self) -> bool:
        """Whether the graph lives outside this process's memory (on disk or in an engine)."""
        return self.config.kind.persistent

    @property
    def embedded(self) -> bool:
        """Whether the graph is a pyoxigraph Store in this process (`store` is an `ox.Store`)."""
        return self.config.kind.embedded

    @property
    def remote(self) -> bool:
        """Whether the graph is in an external engine (`store` is a `RemoteStore`)."""
        return self.config.kind.remote

    @property
    def engine(self) -> RemoteStore | None:
        """The external engine the graph is in, if it is in one (queries are passed to it)."""
        return self.store if self.config.kind.remote else None  # type: ignore[return-value]

    @property
    def in_memory(self) -> ox.Store | None:
        """The in-memory pyoxigraph Store, if the graph is one (the query workers get a copy)."""
        return self.store if not self.config.kind.persistent else None  # type: ignore[return-value]

    def shares_with_workers(self, writable: bool) -> bool:
        """Whether query worker processes can read this graph: in memory (a copy of it, or of
        its sources when it takes updates), or on disk when nothing writes to it; never on an
        engine, which bounds its own queries."""
        return not self.config.kind.persistent or (self.config.kind.on_disk and not writable)

    @property
    def upkeep(self) -> Store:
        """The store with every operation of `dakg.store.base.Store` (load marks, ping, close)."""
        return as_store(self.store, self.config)

    def load_incomplete(self) -> bool:
        """Whether the store holds a `dakg load` that did not finish."""
        return self.upkeep.load_incomplete()

    def ping(self) -> None:
        """Raise StoreError when the store cannot answer now."""
        self.upkeep.ping()

    def close(self) -> None:
        self.upkeep.close()

    def refreshed(self) -> Dataset:
        """The same store with its version and size read again (raises StoreError when down)."""
        counts = graph_counts(self.store)
        digest = hashlib.sha256(__version__.encode())
        for graph, count in sorted(counts.items()):
            digest.update(f"{graph}\t{count}\n".encode())
        version = digest.hexdigest()[:16]
        modified = self.modified if version == self.version else self.store_modified()
        return replace(self, version=version, triples=sum(counts.values()), modified=modified)

    def store_modified(self) -> float:
        """When the store's data last changed, as far as it shows: the newest file of an
        on-disk store's folder (`dakg load` writes them, a read-only store leaves them), else now."""
        folder = self.config.folder
        if folder is not None:
            times = [entry.stat().st_mtime for entry in folder.iterdir() if entry.is_file()]
            if times:
                return max(times)
        return time.time()

    def query(
        self, query: str, substitutions: Mapping[ox.Variable, object] | None = None, **kwargs
    ):
        """Run a query with the default graph as the union of the named graphs, its parameters
        bound by a VALUES block (service/sparql/values.py)."""
        return self.store.query(
            bind_values(query, substitutions), use_default_graph_as_union=True, **kwargs
        )
