"""One canonical Turtle layout for every hand-edited file, so that diffs stay small."""

from __future__ import annotations

from pathlib import Path

import rdflib

from .namespaces import canonical_prefixes
from .sources import check_turtle


def canonical_turtle(path: Path) -> str:
    """The canonical text of a Turtle file: sorted subjects, `a` first, sorted predicates, one object a line."""
    check_turtle(path)
    graph = rdflib.Graph(bind_namespaces="none")
    graph.parse(path, format="turtle")
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
