"""The hand-edited RDF sources of the graph: where they are, which named graph each one feeds."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from .namespaces import GRAPH

# The folders whose Turtle files make up the served graph, relative to the project root.
GRAPH_DIRS = ("ontology", "data/ttl")
# Every hand-edited RDF folder (checked by `dakg fmt`).
RDF_DIRS = ("ontology", "data/ttl", "shapes")


class RdfSourceError(Exception):
    """A source that cannot be read: names the file, the line and the column at fault."""

    def __init__(
        self, path: Path | str, message: str, line: int | None = None, column: int | None = None
    ):
        self.path = str(path)
        self.message = message
        self.line = line
        self.column = column
        super().__init__(str(self))

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
