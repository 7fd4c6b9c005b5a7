"""Reading the files a validation checks: Turtle into pyoxigraph (a syntax error names its file, line and column) and into rdflib for pySHACL, and terms between the two."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pyoxigraph as ox
import rdflib
from dakg.rdf.sources import RdfSourceError, syntax_error
from rdflib import BNode, Literal, URIRef
from rdflib.namespace import XSD
from rdflib.term import Node


def load_store(files: Iterable[Path]) -> ox.Store:
    """Parse Turtle files into a store, one named graph per file (its file: IRI), with the blank
    nodes parse_files gives (the same as the rdflib graphs': a result names one node)."""
    store = ox.Store()
    for path in files:
        graph = ox.NamedNode(path.resolve().as_uri())
        store.extend(ox.Quad(q.subject, q.predicate, q.object, graph) for q in parse_files([path]))
    return store


def parse_files(files: Iterable[Path]) -> Iterator[ox.Quad]:
    """The triples of Turtle files, literals exactly as written (a store normalises derived integer
    types), each blank node labelled by its file and its order there: every parse of a file gives
    the same nodes, and two files never share one."""
    for path in files:
        scope = hashlib.sha1(path.resolve().as_uri().encode()).hexdigest()[:10]
        labels: dict[str, ox.BlankNode] = {}
        with turtle_errors(path):
            for q in ox.parse(
                path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()
            ):
                yield ox.Quad(
                    labelled(q.subject, labels, scope),
                    q.predicate,
                    labelled(q.object, labels, scope),
                )


def labelled(term, labels: dict[str, ox.BlankNode], scope: str):
    """A term, a blank node replaced by the one of its file and order (see parse_files)."""
    if not isinstance(term, ox.BlankNode):
        return term
    found = labels.get(term.value)
    if found is None:
        found = labels[term.value] = ox.BlankNode(f"f{scope}b{len(labels)}")
    return found


@contextmanager
def turtle_errors(path: Path) -> Iterator[None]:
    """Turn a parser's or the file system's error into an RdfSourceError naming the file (and line)."""
    try:
        yield
    except SyntaxError as error:
        raise syntax_error(path, error) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise RdfSourceError(path, str(error)) from None


def to_rdflib(quads: Iterable[ox.Quad]) -> rdflib.Graph:
    """The triples of the quads as one rdflib graph (blank node ids kept)."""
    cache: dict[object, Node] = {}

    def term(t: object) -> Node:
        found = cache.get(t)
        if found is None:
            found = cache[t] = rdflib_term(t)
        return found

    graph = rdflib.Graph(bind_namespaces="none")
    # An ill-typed literal ("2022-13-01"^^xsd:date) is the shapes' to report (sh:datatype), not
    # rdflib's: its warning, with a traceback, is kept off standard error.
    term_log = logging.getLogger("rdflib.term")
    term_log.addFilter(ill_typed_warning)
    try:
        graph.addN((term(q.subject), term(q.predicate), term(q.object), graph) for q in quads)
    finally:
        term_log.removeFilter(ill_typed_warning)
    return graph


def ill_typed_warning(record: logging.LogRecord) -> bool:
    """False for rdflib's warning that a literal does not fit its datatype."""
    return not record.getMessage().startswith("Failed to convert Literal lexical form")


def rdflib_term(t: object) -> Node:
    """An rdflib term for a pyoxigraph term."""
    if isinstance(t, ox.NamedNode):
        return URIRef(t.value)
    if isinstance(t, ox.BlankNode):
        return BNode(t.value)
    assert isinstance(t, ox.Literal)
    if t.language:
        return Literal(t.value, lang=t.language)
    if t.datatype.value == str(XSD.string):
        return Literal(t.value)
    return Literal(t.value, datatype=URIRef(t.datatype.value), normalize=False)


def ox_term(t: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    """A pyoxigraph term for an rdflib term."""
    if isinstance(t, URIRef):
        return ox.NamedNode(str(t))
    if isinstance(t, BNode):
        return ox.BlankNode(str(t))
    assert isinstance(t, Literal)
    if t.language:
        return ox.Literal(str(t), language=t.language)
    return ox.Literal(str(t), datatype=ox.NamedNode(str(t.datatype or XSD.string)))


def store_from(graph: rdflib.Graph) -> ox.Store:
    """A store holding an rdflib graph's triples in its default graph."""
    store = ox.Store()
    store.extend(ox.Quad(ox_term(s), ox_term(p), ox_term(o)) for s, p, o in graph)
    return store
