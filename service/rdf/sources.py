"""The hand-edited RDF sources of the graph: where they are, which named graph each one feeds."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
from dakg.errors import InputError
from dakg.rdf.namespaces import GRAPH, PUBLIC_BASE

# The folders whose Turtle files make up the served graph, relative to the project root.
GRAPH_DIRS = ("ontology", "data/ttl")
# Every hand-edited RDF folder (checked by `dakg fmt`).
RDF_DIRS = ("ontology", "data/ttl", "shapes")


class RdfSourceError(InputError):
    """A source that cannot be read: names the file, the line and the column at fault (the
    input is at fault: exit 2)."""

    def __init__(
        self, path: Path | str, message: str, line: int | None = None, column: int | None = None
    ):
        self.path = str(path)
        self.line = line
        self.column = column
        super().__init__(message)

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return f"{where}: {self.message}"


@dataclass(frozen=True)
class Source:
    """One Turtle file and the named graph it is loaded into."""

    path: Path
    graph: str


def turtle_files(paths: list[Path]) -> list[Path]:
    """Every .ttl file under the given files or folders, sorted; a missing path is an error."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found.extend(sorted(p for p in path.rglob("*.ttl") if p.is_file()))
        elif path.is_file():
            found.append(path)
        else:
            raise RdfSourceError(path, "no such file or folder")
    return found


def graph_name(root: Path, path: Path) -> str:
    """The named graph of a source: https://w3id.org/dakg/graph/ + its path without `ttl/` and `.ttl`."""
    try:
        rel = path.resolve().relative_to(root.resolve())
    except ValueError:
        rel = Path(path.name)
    parts = [p for p in rel.with_suffix("").parts if p != "ttl"]
    return GRAPH + "/".join(parts)


def graph_sources(root: Path, dirs: tuple[str, ...] = GRAPH_DIRS) -> list[Source]:
    """The sources of the served graph under a project root."""
    files = turtle_files([root / d for d in dirs])
    return [Source(path=f, graph=graph_name(root, f)) for f in files]


def syntax_error(path: Path, error: SyntaxError) -> RdfSourceError:
    """Turn a parser's SyntaxError into an error naming the file, line and column."""
    message = error.msg if getattr(error, "msg", None) else str(error)
    return RdfSourceError(
        path, message, getattr(error, "lineno", None), getattr(error, "offset", None)
    )


def check_turtle(path: Path) -> None:
    """Parse a Turtle file fully, raising RdfSourceError at the first syntax error."""
    try:
        for _ in ox.parse(
            path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri()
        ):
            pass
    except SyntaxError as error:
        raise syntax_error(path, error) from None
    except (OSError, UnicodeDecodeError, ValueError) as error:
        raise RdfSourceError(path, str(error)) from None


# Blank nodes of the sources are published as skolem IRIs (RDF 1.1 Concepts 3.5) under this
# namespace, the same from every store, worker and restart: each query worker parses the sources
# itself, and blank nodes would get new labels in each (so the same query would answer
# differently from one request to the next).
GENID = PUBLIC_BASE + ".well-known/genid/"
# A blank node label as Turtle writes it (BLANK_NODE_LABEL, a trailing `.` ends the statement).
_LABEL = re.compile(r"_:([\w][\w.\-\u00b7]*)")


def may_hold_blank_nodes(data: bytes) -> bool:
    """Whether Turtle text can hold a blank node: `_:label`, `[ ]` or a collection `( )`."""
    return b"_:" in data or b"[" in data or b"(" in data


def is_skolem(term: object) -> bool:
    """Whether a term is a source's blank node as published (a skolem IRI under GENID)."""
    return isinstance(term, ox.NamedNode) and term.value.startswith(GENID)


def skolemised(source: Source, data: bytes) -> Iterator[ox.Quad]:
    """A source's triples in its graph, each blank node replaced by its skolem IRI: a digest of
    the graph (named by the file's path in the project) and of the node's label, or, for a node
    the file writes without one (`[ ]`, a collection's), of its place among those nodes in the
    file (the parser reads a file in one order)."""
    graph = ox.NamedNode(source.graph)
    # The parser keeps the labels the file writes, and gives each node written without one a
    # random label, which the file does not hold.
    text = data.decode("utf-8", errors="replace")
    written = {label.rstrip(".") for label in _LABEL.findall(text)}
    names: dict[str, ox.NamedNode] = {}
    unlabelled = 0

    def skolem(node):
        nonlocal unlabelled
        if not isinstance(node, ox.BlankNode):
            return node
        found = names.get(node.value)
        if found is None:
            label = node.value
            if label in written:
                key = f"_:{label}"
            else:
                key, unlabelled = f"#{unlabelled}", unlabelled + 1
            digest = hashlib.blake2b(f"{source.graph}\n{key}".encode(), digest_size=16)
            found = names[label] = ox.NamedNode(GENID + digest.hexdigest())
        return found

    triples = ox.parse(data, format=ox.RdfFormat.TURTLE, base_iri=source.path.resolve().as_uri())
    for triple in triples:
        yield ox.Quad(skolem(triple.subject), triple.predicate, skolem(triple.object), graph)
