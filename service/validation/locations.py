"""Where each focus node is defined: the file and line of its subject in the Turtle sources, so that every result points at the text to change."""

from __future__ import annotations

import re
from collections.abc import Iterable
from pathlib import Path

import pyoxigraph as ox
import rdflib
from dakg.validation.focus import files_about
from dakg.validation.model import Location, Result
from dakg.validation.rdfio import rdflib_term
from rdflib import BNode, URIRef
from rdflib.term import Node


def index_locations(files: Iterable[Path]) -> dict[Node, Location]:
    """Where each subject starts a line (the canonical layout), prefixed names expanded per file."""
    found: dict[Node, Location] = {}
    for path in files:
        prefixes: dict[str, str] = {}
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            declared = re.match(r"(?:PREFIX|@prefix)\s+([\w.-]*):\s*<([^>]*)>", line, re.IGNORECASE)
            if declared:
                prefixes[declared.group(1)] = declared.group(2)
                continue
            if not line or line[0] in " \t#.])[" or line.upper().startswith("BASE"):
                continue
            node = subject_node(line.split()[0], prefixes)
            if node is not None and node not in found:
                found[node] = Location(path, number)
    return found


def subject_node(token: str, prefixes: dict[str, str]) -> URIRef | None:
    """The IRI a subject token (<iri> or prefix:local) stands for."""
    if token.startswith("<") and token.endswith(">"):
        return URIRef(token[1:-1])
    prefix, sep, local = token.partition(":")
    if sep and prefix in prefixes:
        return URIRef(prefixes[prefix] + re.sub(r"\\(.)", r"\1", local))
    return None


def locations_for(
    results: list[Result], files: list[Path], data: rdflib.Graph, store: ox.Store
) -> dict[Node, Location]:
    """Where the focus node of each result is defined (a blank node where its owner is), reading
    only the files about those nodes."""
    owners = {r.focus: owner(r.focus, data, store) for r in results}
    index = index_locations(files_about(store, set(owners.values()), files))
    found = {}
    for node, iri in owners.items():
        where = index.get(iri) or mention(files, iri)
        if where is not None:
            found[node] = where
    return found


def owner(node: Node, data: rdflib.Graph, store: ox.Store) -> Node:
    """The node itself, or for a blank node the IRI subject that (through blank nodes) links to it."""
    for _ in range(8):
        if not isinstance(node, BNode):
            break
        node = next(data.subjects(None, node), None) or store_owner(store, node) or node
    return node


def store_owner(store: ox.Store, node: BNode) -> Node | None:
    """A subject that links to a blank node of the store."""
    for quad in store.quads_for_pattern(None, None, ox.BlankNode(str(node)), None):
        return rdflib_term(quad.subject)
    return None


def mention(files: list[Path], node: Node) -> Location | None:
    """The first line of any file that mentions an IRI (as <IRI> or as prefix:local)."""
    if not isinstance(node, URIRef):
        return None
    local = re.split(r"[/#]", str(node))[-1]
    for path in files:
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if f"<{node}>" in line or re.search(rf":{re.escape(local)}(?![\w-])", line):
                if not line.upper().startswith(("PREFIX", "@PREFIX")):
                    return Location(path, number)
    return None
