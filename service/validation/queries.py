"""The queries the validation runs itself: the files of sparql/rq/validation/, by name."""

from __future__ import annotations

import functools
from collections.abc import Iterable

import pyoxigraph as ox
from dakg import packaged
from dakg.rdf.sources import RdfSourceError
from dakg.sparql.library import query_texts
from dakg.validation.rdfio import ox_term
from dakg.validation.shapes import blanked
from rdflib.term import Node


@functools.cache
def internal_queries() -> dict[str, str]:
    """The queries of rq/validation/ by name, read once."""
    return query_texts(packaged.internal_queries("validation"))


def internal_query(name: str) -> str:
    """The text of one query of rq/validation/."""
    try:
        return internal_queries()[name]
    except KeyError:
        raise RdfSourceError(f"rq/validation/{name}.rq", "no such query") from None


def union_query(store: ox.Store, query: str) -> ox.QuerySolutions:
    return store.query(query, use_default_graph_as_union=True)


def with_values(query: str, targets: Iterable[Node], variable: str = "$this") -> str:
    """The query with `VALUES $this {...}` (or another variable) as the first element of its WHERE
    clause, the targets written as RDF terms."""
    brace = blanked(query).index("{")
    values = " ".join(str(ox_term(t)) for t in targets)
    return f"{query[: brace + 1]}\n    VALUES {variable} {{ {values} }}\n{query[brace + 1 :]}"
