"""Parameters bound as a VALUES block, on every store.

A saved query's parameters are RDF terms. They reach the store as the query with a VALUES block
in the WHERE clause and in each inner group that uses a parameter (a FILTER in a UNION branch
sees only its own group); every term is written in pyoxigraph's own N-Triples syntax, never
pasted from user text. An external engine takes no other binding. pyoxigraph has its own
(substitutions), but binds them only as it evaluates, after the plan is made: a plan that
starts from the parameter is found only with the VALUES block (one initiative's milestones at
1M triples: 200 ms with substitutions, 2 ms with VALUES), and BOUND is then true of a bound
parameter, as SPARQL has it.

Where a query's VALUES blocks go depends on its text only: it is worked out once per query text
and parameter names (a tokenizer pass, 0.2 ms on a saved query) and kept.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from dataclasses import dataclass

import pyoxigraph as ox
from dakg.sparql.lexer import PUNCT, VAR, WORD, tokens


@dataclass
class _Group:
    """A brace of the query being read: where it opens, whether VALUES may go there, what it uses."""

    start: int
    pattern: bool
    variables: set[str] = dataclasses.field(default_factory=set)


def binding_points(text: str, names: set[str]) -> list[int]:
    """Where a VALUES block goes (just after a '{'): the WHERE clause, and each group pattern
    that uses one of the names. CONSTRUCT templates, VALUES data and sub-select braces are not
    group patterns."""
    stream = list(tokens(text, codepoints=False))
    stack: list[_Group] = []
    points: list[int] = []
    outermost: int | None = None
    after_values = construct = False
    for i, token in enumerate(stream):
        word = token.text.upper() if token.kind == WORD else ""
        if token.kind == PUNCT and token.text == "{":
            following = stream[i + 1].text.upper() if i + 1 < len(stream) else ""
            template = construct and not stack
            pattern = not (after_values or template or following == "SELECT")
            if pattern and outermost is None and not stack:
                outermost = token.start + 1
            stack.append(_Group(token.start + 1, pattern))
            after_values = construct = False
        elif token.kind == PUNCT and token.text == "}" and stack:
            group = stack.pop()
            if group.pattern and group.start != outermost and group.variables & names:
                points.append(group.start)
        elif token.kind == VAR:
            if stack:
                stack[-1].variables.add(token.text[1:])
        elif token.kind != PUNCT:
            after_values = word == "VALUES"
            construct = word == "CONSTRUCT" or (construct and word == "WHERE")
    if outermost is not None:
        points.append(outermost)
    return points


@functools.lru_cache(maxsize=512)
def points_for(text: str, names: frozenset[str]) -> tuple[int, ...]:
    """binding_points, kept for each query text and set of names (saved queries are few)."""
    return tuple(binding_points(text, set(names)))


def bind_values(text: str, substitutions: Mapping[ox.Variable, object] | None) -> str:
    """The query with each substituted variable bound by a VALUES block where the query uses it."""
    if not substitutions:
        return text
    bound = sorted((variable.value, str(term)) for variable, term in substitutions.items())
    points = points_for(text, frozenset(name for name, _ in bound))
    names = " ".join(f"?{name}" for name, _ in bound)
    terms = " ".join(term for _, term in bound)
    block = f" VALUES ({names}) {{ ({terms}) }} "
    if not points:  # a query with no WHERE clause (DESCRIBE ?entity): give it one
        return f"{text.rstrip()}\nWHERE {{{block}}}\n"
    for position in sorted(points, reverse=True):
        text = text[:position] + block + text[position:]
    return text
