"""What we publish equals what we wrote: every literal of the sources comes back from the store as
written (lexical form and datatype), and `dakg fmt` refuses one the store would change."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pyoxigraph as ox
import pytest
from dakg.rdf.sources import RDF_DIRS, RdfSourceError, turtle_files
from dakg.rdf.turtle import canonical_turtle, format_files
from helpers import ROOT

SOURCES = turtle_files([ROOT / d for d in RDF_DIRS])
DAKG = str(Path(sys.executable).parent / "dakg")
HEAD = (
    "PREFIX dakg: <https://w3id.org/dakg/def/>\n"
    "PREFIX section: <https://w3id.org/dakg/id/section/>\n"
    "PREFIX xsd: <http://www.w3.org/2001/XMLSchema#>\n\n"
)


def terms(quad: ox.Quad) -> tuple:
    """A quad as comparable values, literals by lexical form, datatype and language."""

    def term(t):
        if isinstance(t, ox.Literal):
            return ("literal", t.value, t.datatype.value, t.language)
        return (type(t).__name__, str(t))

    return (term(quad.subject), term(quad.predicate), term(quad.object))


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_the_store_gives_back_every_quad_as_parsed(path: Path) -> None:
    parsed = list(ox.parse(path=str(path), format=ox.RdfFormat.TURTLE))
    store = ox.Store()
    store.extend(parsed)
    assert any(isinstance(q.object, ox.Literal) for q in parsed)
    if any(isinstance(t, ox.BlankNode) for q in parsed for t in (q.subject, q.object)):
        # blank-node labels are the store's own: compare the rest, and the count
        assert len(store) == len(set(parsed))
        parsed = [q for q in parsed if not isinstance(q.subject, ox.BlankNode)]
        stored = [q for q in store if not isinstance(q.subject, ox.BlankNode)]
        key = lambda q: terms(q)[:2] + (terms(q)[2] if isinstance(q.object, ox.Literal) else (),)  # noqa: E731
        assert sorted(map(key, parsed)) == sorted(map(key, stored))
        return
    assert sorted(set(map(terms, parsed))) == sorted(map(terms, store))


@pytest.mark.parametrize(
    ("literal", "stored"),
    [
        ('"3"^^xsd:positiveInteger', '"3"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ("4.0", '"4"^^<http://www.w3.org/2001/XMLSchema#decimal>'),
        ('"007"^^xsd:integer', '"7"^^<http://www.w3.org/2001/XMLSchema#integer>'),
        ('"1"^^xsd:boolean', '"true"^^<http://www.w3.org/2001/XMLSchema#boolean>'),
        ('"1.0E3"^^xsd:double', '"1000"^^<http://www.w3.org/2001/XMLSchema#double>'),
    ],
)
def test_fmt_refuses_a_literal_the_store_would_change(
    tmp_path: Path, literal: str, stored: str
) -> None:
    path = tmp_path / "changed.ttl"
    text = HEAD + f"section:x\n    dakg:number 3 ;\n    dakg:pageNumber {literal} ;\n.\n"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RdfSourceError) as caught:
        canonical_turtle(path)
    assert caught.value.line == 7
    assert stored in caught.value.message
    check = subprocess.run(
        [DAKG, "fmt", "--check", str(path)], capture_output=True, text=True, timeout=120
    )
    assert check.returncode == 2
    assert "changed.ttl:7: the literal " in check.stderr and stored in check.stderr
    assert path.read_text(encoding="utf-8") == text  # fmt without --check leaves it too
    assert subprocess.run([DAKG, "fmt", str(path)], capture_output=True).returncode == 2
    assert path.read_text(encoding="utf-8") == text


def test_fmt_writes_an_integral_decimal_as_the_store_keeps_it(tmp_path: Path) -> None:
    """rdflib's shorthand for the decimal 4 is `4.0`, which the store reads back as "4": the layout
    writes it quoted, and the written file passes its own check."""
    path = tmp_path / "decimal.ttl"
    path.write_text(HEAD + 'section:x dakg:value "4"^^xsd:decimal , 3.6 .\n', encoding="utf-8")
    assert format_files([path], check=False) == [path]
    text = path.read_text(encoding="utf-8")
    assert '"4"^^xsd:decimal' in text and "3.6" in text and "4.0" not in text
    assert format_files([path], check=True) == []
