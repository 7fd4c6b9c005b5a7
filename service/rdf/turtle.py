"""One canonical Turtle layout for every hand-edited file, so that diffs stay small.

A literal is written the way the store keeps it: pyoxigraph canonicalises literals as it loads them
(`"4.0"^^xsd:decimal` becomes `"4"`, an `xsd:positiveInteger` becomes an `xsd:integer`), so a source
that wrote another form would publish something other than what it says. Such a literal is refused,
with its file, line and the form the store would keep; and a literal whose Turtle shorthand would
spell it differently (rdflib writes the decimal 4 as `4.0`) is written quoted, with its datatype.
"""

from __future__ import annotations

import re
from pathlib import Path

import pyoxigraph as ox
import rdflib
from dakg.rdf.namespaces import canonical_prefixes
from dakg.rdf.sources import RdfSourceError, check_turtle

_PROBE = ox.NamedNode("urn:x-dakg:probe")


class _Quoted(rdflib.Literal):
    """A literal always written as a quoted string with its datatype, never as Turtle shorthand."""

    def _literal_n3(self, use_plain: bool = False, qname_callback=None) -> str:  # noqa: ANN001
        return super()._literal_n3(use_plain=False, qname_callback=qname_callback)


def stored_form(literal: ox.Literal) -> ox.Literal:
    """The literal as the store gives it back once loaded."""
    store = ox.Store()
    store.add(ox.Quad(_PROBE, _PROBE, literal))
    return next(iter(store)).object


def literal_text(literal: ox.Literal) -> str:
    """A literal in N-Triples syntax, as people read it in a message."""
    return str(literal)


def literal_line(text: str, literal: ox.Literal) -> int | None:
    """The first line of a Turtle text that spells the literal: quoted, or else as a bare number or
    boolean (the Turtle shorthand)."""
    lexical = re.escape(literal.value)
    spellings = [[rf"([\"']){lexical}\1", rf"(\"\"\"|'''){lexical}\1"]]
    if re.fullmatch(r"[+-]?[0-9.eE+-]+|true|false", literal.value):
        spellings.append([rf"(?<![\w.:/\"'-]){lexical}(?![\w.:/\"'-])"])
    for patterns in spellings:
        found = [m.start() for p in patterns if (m := re.search(p, text))]
        if found:
            return text.count("\n", 0, min(found)) + 1
    return None


def check_canonical_literals(path: Path) -> None:
    """Refuse a literal whose lexical form or datatype the store would change."""
    quads = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE, base_iri=path.resolve().as_uri())
    seen: set[ox.Literal] = set()
    for quad in quads:
        literal = quad.object
        if not isinstance(literal, ox.Literal) or literal in seen:
            continue
        seen.add(literal)
        stored = stored_form(literal)
        if stored != literal:
            text = path.read_text(encoding="utf-8")
            raise RdfSourceError(
                path,
                f"the literal {literal_text(literal)} would be stored as {literal_text(stored)}: "
                "write the form the store keeps",
                literal_line(text, literal),
            )


def shorthand_keeps_lexical_form(literal: rdflib.Literal) -> bool:
    """Whether the literal's Turtle shorthand (a bare number or boolean) is its own lexical form."""
    plain = literal._literal_n3(use_plain=True)
    return plain.startswith(('"', "'")) or plain == str(literal)


def canonical_turtle(path: Path) -> str:
    """The canonical text of a Turtle file: sorted subjects, `a` first, sorted predicates, one object a line."""
    check_turtle(path)
    check_canonical_literals(path)
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(path, format="turtle")
    for s, p, o in list(graph):
        if isinstance(o, rdflib.Literal) and not shorthand_keeps_lexical_form(o):
            graph.remove((s, p, o))
            graph.add((s, p, _Quoted(str(o), lang=o.language, datatype=o.datatype)))
    for prefix, namespace in canonical_prefixes().items():
        graph.bind(prefix, namespace, override=True, replace=True)
    text = graph.serialize(format="longturtle")
    return text.rstrip("\n") + "\n"


def format_files(paths: list[Path], check: bool) -> list[Path]:
    """Rewrite (or, with check, only list) the files whose text is not canonical."""
    changed = []
    for path in paths:
        current = path.read_text(encoding="utf-8")
        wanted = canonical_turtle(path)
        if current != wanted:
            changed.append(path)
            if not check:
                path.write_text(wanted, encoding="utf-8")
    return changed
