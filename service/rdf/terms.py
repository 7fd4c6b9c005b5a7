"""RDF terms as plain values: what the REST API, the pictures and the search answer with."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pyoxigraph as ox
from dakg.rdf.namespaces import ID, NUMERIC_DATATYPES, XSD

FISCAL_YEAR = ID + "fiscal-year/"


def json_value(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> Any:
    """A term as plain JSON: numbers as numbers, booleans as booleans, dates and text as strings."""
    if term is None:
        return None
    if isinstance(term, ox.Literal):
        datatype = term.datatype.value
        if datatype in NUMERIC_DATATYPES:
            number = Decimal(term.value)
            return (
                int(number)
                if number == number.to_integral_value() and "." not in term.value
                else float(number)
            )
        if datatype == XSD + "boolean":
            return term.value in ("true", "1")
        return term.value
    return term.value


def plain_value(term: ox.NamedNode | ox.Literal | ox.BlankNode | None) -> Any:
    """A term as the API gives it: as `json_value`, and a fiscal year as its number (2022)."""
    if isinstance(term, ox.NamedNode):
        year = term.value.removeprefix(FISCAL_YEAR)
        if year != term.value and re.fullmatch(r"[0-9]{4}", year):
            return int(year)
    return json_value(term)
