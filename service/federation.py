"""Which addresses a query or an update would fetch (SERVICE, LOAD), and the allow-list they must
be on: with no allow-list (the default) the endpoint fetches nothing from the network.

A SERVICE or LOAD is allowed only when its target is written as an IRI (`<...>`, or a prefixed
name the query declares) that is on the list exactly; a variable target (`SERVICE ?endpoint`) or
one that cannot be read is refused, since it could name any address.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from .negotiation import _NETWORK_WORD, declared_prefixes, iri_of, tokens


@dataclass(frozen=True)
class NetworkUse:
    """A SERVICE or LOAD and the IRI it fetches (None when it is not a plain IRI)."""

    keyword: str
    target: str | None


class NetworkRefused(Exception):
    """A query or update that would fetch an address not on the allow-list."""


# Neither keyword anywhere in the text: nothing to read (the case of nearly every query).
_ANY_KEYWORD = re.compile(r"service|load", re.IGNORECASE)


def network_uses(text: str) -> list[NetworkUse]:
    """Every SERVICE and LOAD outside strings, IRIs and comments, with its target."""
    if not _ANY_KEYWORD.search(text):
        return []
    stream = list(tokens(text))
    prefixes = declared_prefixes(stream)
    uses = []
    for index, token in enumerate(stream):
        if token.kind != "word":
            continue
        for match in _NETWORK_WORD.finditer(token.text):
            rest = token.text[match.end() :]
            following = [t.text for t in stream[index + 1 : index + 4]]
            words = ([rest] if rest else []) + following
            uses.append(NetworkUse(match.group(1).upper(), target_of(words, prefixes)))
    return uses


def target_of(words: list[str], prefixes: dict[str, str]) -> str | None:
    """The IRI a SERVICE or LOAD names, from the words after the keyword (SILENT skipped)."""
    if words and words[0].upper() == "SILENT":
        words = words[1:]
    return iri_of(words[0], prefixes) if words else None


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
