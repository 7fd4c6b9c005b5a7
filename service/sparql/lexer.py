"""The SPARQL 1.1 lexer: a query or update as the engine's grammar splits it into tokens.

It follows the grammar's terminals (SPARQL 1.1 Query, section 19.8) as an engine reads them:
codepoint escapes (`\\u0053`) are replaced before anything else (as the grammar says and engines
such as Jena do), strings end only where the
grammar ends them (ECHAR escapes), a `\\#` or `\\'` inside a prefixed name is part of the name, and
a keyword needs no space before it (`trueSERVICE` is `true` then `SERVICE`). Where the text is not
valid SPARQL the lexer never hides what follows: a quote that opens no valid string, or a `<`
that opens no IRI, is one character, and the rest is read on. The guards (federation.py, the
nesting limit) decide on these tokens, so a text cannot mean one thing to them and another to the
engine.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

# Token kinds.
IRI, STRING, VAR, PNAME, BNODE, WORD, NUMBER, PUNCT = (
    "iri", "string", "var", "pname", "bnode", "word", "number", "punct",
)  # fmt: skip

OPENERS, CLOSERS = frozenset("([{"), frozenset(")]}")

_CODEPOINT = re.compile(r"\\u([0-9A-Fa-f]{4})|\\U([0-9A-Fa-f]{8})")

_PN_CHARS_BASE = (
    "A-Za-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_PN_CHARS_U = _PN_CHARS_BASE + "_"
_PN_CHARS = _PN_CHARS_U + r"\-0-9\u00b7\u0300-\u036f\u203f-\u2040"
_PLX = r"%[0-9A-Fa-f]{2}|\\[_~.\-!$&'()*+,;=/?#@%]"
_PN_PREFIX = f"[{_PN_CHARS_BASE}](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?"
_PN_LOCAL = (
    f"(?:[{_PN_CHARS_U}:0-9]|{_PLX})(?:(?:[{_PN_CHARS}.:]|{_PLX})*(?:[{_PN_CHARS}:]|{_PLX}))?"
)
_ECHAR = r"\\[tbnrf\\\"']"

_TOKEN = re.compile(
    rf"""
    (?P<space>[\x20\t\r\n]+)
  | (?P<comment>\#[^\r\n]*)
  | (?P<iri><[^<>"{{}}|^`\\\x00-\x20]*>)
  | (?P<string>'''(?:(?:'|'')?(?:[^'\\]|{_ECHAR}))*'''
      |\"\"\"(?:(?:"|"")?(?:[^"\\]|{_ECHAR}))*\"\"\"
      |'(?:[^'\\\n\r]|{_ECHAR})*'
      |"(?:[^"\\\n\r]|{_ECHAR})*")
  | (?P<var>[?$][{_PN_CHARS_U}0-9][{_PN_CHARS_U}0-9\u00b7\u0300-\u036f\u203f-\u2040]*)
  | (?P<bnode>_:[{_PN_CHARS_U}0-9](?:[{_PN_CHARS}.]*[{_PN_CHARS}])?)
  | (?P<pname>(?:{_PN_PREFIX})?:(?:{_PN_LOCAL})?)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?|\.[0-9]+(?:[eE][+-]?[0-9]+)?)
  | (?P<word>[A-Za-z_]+)
  | (?P<punct>.)
    """,
    re.VERBOSE | re.DOTALL,
)


@dataclass(frozen=True)
class Token:
    """One token: its kind, its text (after codepoint escapes), where it starts, and how many
    brackets ({ }, ( ), [ ]) are open around it."""

    kind: str
    text: str
    start: int
    depth: int


def unescape_codepoints(text: str) -> str:
    """The text with `\\uXXXX` and `\\UXXXXXXXX` replaced, as the grammar reads a query first."""
    if "\\u" not in text and "\\U" not in text:
        return text

    def char(match: re.Match) -> str:
        code = int(match.group(1) or match.group(2), 16)
        return chr(code) if code <= 0x10FFFF and not 0xD800 <= code <= 0xDFFF else match.group()

    return _CODEPOINT.sub(char, text)


def tokens(text: str, codepoints: bool = True) -> Iterator[Token]:
    """The significant tokens of a query or update (no spaces, no comments), in order.

    With `codepoints` (the guards' reading) escapes are replaced first, as the grammar has it
    (pyoxigraph does not, and refuses them outside strings: reading them errs towards refusing);
    without, each token's `start` is its place in the text as given."""
    if codepoints:
        text = unescape_codepoints(text)
    depth = 0
    for match in _TOKEN.finditer(text):
        kind = match.lastgroup or PUNCT
        if kind in ("space", "comment"):
            continue
        value = match.group()
        if kind == PUNCT and value in CLOSERS:
            depth = max(depth - 1, 0)
        yield Token(kind, value, match.start(), depth)
        if kind == PUNCT and value in OPENERS:
            depth += 1


def declared_prefixes(stream: list[Token]) -> dict[str, str]:
    """The PREFIX declarations among the tokens: the name with its colon, its namespace."""
    found = {}
    for index, token in enumerate(stream[:-2]):
        name, iri = stream[index + 1], stream[index + 2]
        if token.kind == WORD and token.text.upper() == "PREFIX" and name.kind == PNAME:
            if iri.kind == IRI and name.text.endswith(":"):
                found[name.text] = iri.text[1:-1]
    return found


_LOCAL_ESCAPE = re.compile(r"\\(.)")


def iri_of(token: Token, prefixes: dict[str, str]) -> str | None:
    """The IRI a token stands for: `<iri>`, or a prefixed name with a known prefix; else None."""
    if token.kind == IRI:
        return token.text[1:-1]
    if token.kind == PNAME:
        prefix, _, local = token.text.partition(":")
        namespace = prefixes.get(prefix + ":")
        if namespace is not None:
            return namespace + _LOCAL_ESCAPE.sub(r"\1", local)
    return None


def max_depth(stream: list[Token]) -> int:
    """How deep the brackets nest, a run of `!` (NOT) counting a level for each `!`."""
    deepest, nots = 0, 0
    for token in stream:
        nots = nots + 1 if token.text == "!" else 0
        level = token.depth + (1 if token.kind == PUNCT and token.text in OPENERS else 0)
        deepest = max(deepest, level + nots)
    return deepest
