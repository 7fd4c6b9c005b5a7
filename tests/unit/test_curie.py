"""The one way an IRI is shortened (dakg.rdf.namespaces.curie), table-driven, and the places that
print terms with it: the pages, the text results, the validation messages and JSON-LD."""

from __future__ import annotations

import re

import pyoxigraph as ox
import pytest
from dakg.rdf.namespaces import DEF, ID, VOCABULARY_PREFIXES, curie
from dakg.sparql.results import compact
from dakg.validation.shapes import display
from dakg.web.linked_data.views import compact as page_compact
from rdflib import URIRef

RDFS = VOCABULARY_PREFIXES["rdfs"]
WORD = re.compile(r"[\w.-]*")

CASES = [
    (DEF + "Initiative", None, None, "dakg:Initiative"),
    (ID + "initiative/mynumber-card", None, None, "initiative:mynumber-card"),  # the longest
    (ID + "x", None, None, "id:x"),
    (DEF, None, None, None),  # the namespace itself has no local part
    ("http://example.org/a", None, None, None),
    (RDFS + "label", {"r": RDFS, "w3": "http://www.w3.org/"}, None, "r:label"),
    (RDFS + "a/b", {"r": RDFS, "w3": "http://www.w3.org/"}, WORD, None),
    ("http://www.w3.org/x", {"r": RDFS, "w3": "http://www.w3.org/"}, WORD, "w3:x"),
]


@pytest.mark.parametrize(("iri", "prefixes", "local", "expected"), CASES)
def test_curie(iri, prefixes, local, expected) -> None:
    assert curie(iri, prefixes, local) == expected


def test_every_printer_shortens_the_same_way() -> None:
    iri = ID + "initiative/mynumber-card"
    assert compact(ox.NamedNode(iri)) == display(URIRef(iri)) == page_compact(iri)
    assert compact(ox.NamedNode("http://example.org/a")) == "<http://example.org/a>"
    assert display(URIRef(DEF + "a/b")) == f"<{DEF}a/b>"  # a message keeps names a parser reads
