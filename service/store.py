"""The embedded store: pyoxigraph in memory, one named graph per source file."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox

from .sources import (
    RdfSourceError,
    Source,
    graph_sources,
    may_hold_blank_nodes,
    skolemised,
    syntax_error,
)


def load_sources(sources: list[Source], store: ox.Store | None = None) -> ox.Store:
    """Load every source into its named graph; any unreadable file stops the load with no store."""
    if not sources:
        raise RdfSourceError("(no input)", "no Turtle files to load")
    target = store if store is not None else ox.Store()
    for source in sources:
        load_source(source, target)
    return target


def load_source(source: Source, store: ox.Store) -> None:
    """Load one source into its named graph, its blank nodes as their skolem IRIs (the one place
    every store, query worker and dump gets the sources from); an unreadable file names its
    file, line and column."""
    try:
        data = source.path.read_bytes()
        if may_hold_blank_nodes(data):
            store.extend(list(skolemised(source, data)))
            return
        store.bulk_load(
            data,
            format=ox.RdfFormat.TURTLE,
            base_iri=source.path.resolve().as_uri(),
            to_graph=ox.NamedNode(source.graph),
        )
    except SyntaxError as error:
        raise syntax_error(source.path, error) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise RdfSourceError(source.path, str(error)) from None


def load_project(root: Path) -> ox.Store:
    """The project's graph (ontology/ and data/ttl/) in a new in-memory store."""
    return load_sources(graph_sources(root))


def union_query(store: ox.Store, query: str, **kwargs):
    """Run a query with the default graph as the union of all named graphs."""
    return store.query(query, use_default_graph_as_union=True, **kwargs)
