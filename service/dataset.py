"""The loaded dataset: the store, where its graphs came from, and the version answers are cached by."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from . import __version__
from .sources import Source, graph_sources
from .store import load_sources


@dataclass(frozen=True)
class Dataset:
    """A store loaded from the project's sources, with a version that changes when any source does."""

    store: ox.Store
    sources: tuple[Source, ...]
    version: str
    triples: int

    @classmethod
    def load(cls, root: Path) -> Dataset:
        """Load ontology/ and data/ttl/ into a new in-memory store (each file its own named graph)."""
        sources = graph_sources(root)
        store = load_sources(sources)
        digest = hashlib.sha256(__version__.encode())
        for source in sources:
            digest.update(source.graph.encode())
            digest.update(source.path.read_bytes())
        return cls(
            store=store,
            sources=tuple(sources),
            version=digest.hexdigest()[:16],
            triples=len(store),
        )

    def query(self, query: str, **kwargs):
        """Run a query with the default graph as the union of the named graphs."""
        return self.store.query(query, use_default_graph_as_union=True, **kwargs)
