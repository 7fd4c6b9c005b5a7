"""Query results as text: a table for people, SPARQL JSON, CSV and TSV for programs."""

from __future__ import annotations

import unicodedata

import pyoxigraph as ox
from dakg.rdf.namespaces import curie

FORMATS = {
    "json": ox.QueryResultsFormat.JSON,
    "csv": ox.QueryResultsFormat.CSV,
    "tsv": ox.QueryResultsFormat.TSV,
}


def compact(term) -> str:
    """A term as a person reads it: prefixed IRIs, plain literal values."""
    if term is None:
        return ""
    if isinstance(term, ox.NamedNode):
        return curie(term.value) or f"<{term.value}>"
    if isinstance(term, ox.Literal):
        return term.value
    return str(term)


def width(text: str) -> int:
    """Display width: East Asian wide characters take two columns."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def table(variables: list[str], rows: list[list[str]]) -> str:
    widths = [max([width(v)] + [width(r[i]) for r in rows]) for i, v in enumerate(variables)]

    def line(cells: list[str]) -> str:
        return " | ".join(
            c + " " * (w - width(c)) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    out = [line(variables), "-+-".join("-" * w for w in widths)]
    out.extend(line(r) for r in rows)
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out) + "\n"


def render(result, fmt: str) -> str:
    """Render SELECT solutions, an ASK answer or CONSTRUCT triples in the chosen format."""
    if isinstance(result, ox.QueryBoolean):
        return ("true" if bool(result) else "false") + "\n"
    if isinstance(result, ox.QueryTriples):
        return result.serialize(format=ox.RdfFormat.TURTLE).decode("utf-8")
    if fmt in FORMATS:
        return result.serialize(format=FORMATS[fmt]).decode("utf-8")
    variables = [v.value for v in result.variables]
    rows = [[compact(solution[v]) for v in variables] for solution in result]
    return table(variables, rows)
