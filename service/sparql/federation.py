"""Which addresses a query or an update would fetch (SERVICE, LOAD), and the allow-list they must
be on: with no allow-list (the default) the endpoint fetches nothing from the network.

The decision is made on the text as the engine's grammar reads it (lexer.py), and errs towards
refusing: a SERVICE or LOAD counts wherever the engine could read one, also glued to what is
before it (`trueSERVICE`, `1LOAD`) or opening a prefixed name (`SERVICE:` is the keyword with the
empty prefix as its target, once the engine backtracks). A use is allowed only when its target is
an absolute IRI, written as `<...>` or as a prefixed name the query declares, that is on the list
exactly; a variable target (`SERVICE ?endpoint`), a relative IRI or a target that cannot be read is
refused, since it could name any address. The query workers run with no network at all while the
list is empty (sandbox.py), so a mistake here cannot become a fetch.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from dakg.errors import Forbidden
from dakg.sparql.lexer import (
    BNODE,
    PNAME,
    PUNCT,
    WORD,
    declared_prefixes,
    iri_of,
    tokens,
    unescape_codepoints,
)


@dataclass(frozen=True)
class NetworkUse:
    """A SERVICE or LOAD and the IRI it fetches (None when it is not a plain, absolute IRI)."""

    keyword: str
    target: str | None


class NetworkRefused(Forbidden):
    """A query or update that would fetch an address not on the allow-list (403, as the endpoint
    answers it)."""


_KEYWORD = re.compile(r"service|load", re.IGNORECASE)
_ABSOLUTE = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:")


def network_uses(text: str) -> list[NetworkUse]:
    """Every place the engine could read SERVICE or LOAD, with the target it would fetch."""
    if not _KEYWORD.search(unescape_codepoints(text)):
        return []
    stream = list(tokens(text))
    prefixes = declared_prefixes(stream)
    uses = []
    for index, token in enumerate(stream):
        if token.kind == PUNCT and token.text == "\\":
            # Outside strings and names a backslash is no SPARQL: the text cannot be read surely.
            uses.append(NetworkUse("SERVICE or LOAD", None))
        elif token.kind == WORD and _KEYWORD.search(token.text):
            exact = token.text.upper() in ("SERVICE", "LOAD")
            keyword = token.text.upper() if exact else _KEYWORD.search(token.text).group().upper()
            uses.append(
                NetworkUse(keyword, target_of(stream[index + 1 :], prefixes) if exact else None)
            )
        elif token.kind in (PNAME, BNODE) and _KEYWORD.search(token.text.partition(":")[0]):
            uses.append(NetworkUse(_KEYWORD.search(token.text).group().upper(), None))
    return uses


def target_of(rest: list, prefixes: dict[str, str]) -> str | None:
    """The absolute IRI a SERVICE or LOAD names, from the tokens after it (SILENT skipped)."""
    if rest and rest[0].kind == WORD and rest[0].text.upper() == "SILENT":
        rest = rest[1:]
    if not rest:
        return None
    iri = iri_of(rest[0], prefixes)
    return iri if iri is not None and _ABSOLUTE.match(iri) else None


def check(text: str, allowed: Iterable[str]) -> None:
    """Refuse (NetworkRefused) a SERVICE or LOAD whose target is not on the allow-list."""
    allow = set(allowed)
    for use in network_uses(text):
        if use.target is not None and use.target in allow:
            continue
        if not allow:
            raise NetworkRefused(
                f"{use.keyword} is not allowed on this endpoint: it fetches nothing from the network."
            )
        if use.target is None:
            raise NetworkRefused(
                f"{use.keyword} is allowed only to a named endpoint of the allow-list, "
                "not to a variable or an address this endpoint cannot read."
            )
        raise NetworkRefused(
            f"{use.keyword} <{use.target}> is not allowed: the endpoint fetches only from the "
            "addresses on its allow-list."
        )
