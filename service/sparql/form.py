"""What the protocol reads of a query or update before it runs, from the lexer's tokens: its form
(SELECT, ASK, CONSTRUCT, DESCRIBE), the graphs its FROM clauses name, and how deep it nests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from dakg.errors import InputError
from dakg.sparql.lexer import (
    IRI,
    PNAME,
    PUNCT,
    WORD,
    Token,
    declared_prefixes,
    iri_of,
    max_depth,
    tokens,
)

FORMS = ("SELECT", "ASK", "CONSTRUCT", "DESCRIBE")

# The deepest a query or update may nest groups, expressions and blank nodes ({ }, ( ), [ ], and
# NOT as `!`). pyoxigraph parses and evaluates by recursion, one level of the stack for each level
# of the text, and a text nested a few hundred levels deep overflows the stack and kills the
# process (with 8 MiB stacks: 200 levels of `[ ?p [ ...`, 275 of `( (`, 850 of FILTER EXISTS,
# 2 300 of `{ {`); an external engine may fall the same way. Queries people and programs write
# nest a handful of levels.
MAX_NESTING = 64


class TooDeep(InputError, ValueError):
    """A query or update nested deeper than the endpoint takes (refused before it is run: 400;
    still a ValueError, which the protocol answers 400 too)."""


@dataclass(frozen=True)
class QueryShape:
    """What the protocol needs to know of a query before it runs: its form and its dataset."""

    form: str | None
    names_dataset: bool


def check_nesting(text: str, what: str = "query", limit: int = MAX_NESTING) -> None:
    """Refuse (TooDeep) a text whose brackets, as the engine reads them, nest past the limit."""
    if sum(text.count(c) for c in "{([!") <= limit and "\\u" not in text and "\\U" not in text:
        return
    if max_depth(list(tokens(text))) > limit:
        raise TooDeep(
            f"The {what} nests more than {limit} levels deep ({{ }}, ( ), [ ] or !), "
            "the most this endpoint takes"
        )


def query_shape(text: str) -> QueryShape:
    """The form (None if unclear) and whether FROM is used; a query nested deeper than
    MAX_NESTING is refused here (TooDeep), before it is run."""
    check_nesting(text)
    stream = tokens(text)
    first = after_prologue(stream)
    word = first.text.upper() if first is not None and first.kind == WORD else ""
    form = word if word in FORMS else None
    names_dataset = False
    # Only a query that says FROM can name its dataset: skip the scan for all others.
    if form is not None and "from" in text.lower():
        names_dataset = any(
            t.depth == 0 and t.kind == WORD and t.text.upper() == "FROM" for t in stream
        )
    return QueryShape(form, names_dataset)


def from_clauses(text: str) -> tuple[list[str], list[str]]:
    """The graphs a query's FROM and FROM NAMED clauses name (IRIs, or prefixed names resolved
    by its PREFIX declarations)."""
    stream = list(tokens(text))
    prefixes = declared_prefixes(stream)
    default: list[str] = []
    named: list[str] = []
    for index, token in enumerate(stream):
        if token.kind != WORD or token.text.upper() != "FROM" or token.depth != 0:
            continue
        into, following = default, stream[index + 1 : index + 3]
        if following and following[0].kind == WORD and following[0].text.upper() == "NAMED":
            into, following = named, following[1:]
        iri = iri_of(following[0], prefixes) if following and following[0].kind != PUNCT else None
        if iri is not None:
            into.append(iri)
    return default, named


@dataclass(frozen=True)
class LoadOperation:
    """A `LOAD [SILENT] <source> [INTO GRAPH <graph>]` update: what to fetch and where it goes."""

    source: str
    graph: str | None
    silent: bool


class LoadNotAlone(InputError, ValueError):
    """An update that holds a LOAD beside other operations (the endpoint runs LOAD itself): 400."""


def load_operation(text: str) -> LoadOperation | None:
    """The update's LOAD when it is its one operation; None when it has no LOAD; LoadNotAlone
    when it has one among others, or one it cannot read."""
    stream = [t for t in tokens(text) if not (t.kind == PUNCT and t.text == ";")]
    words = [t.text.upper() if t.kind == WORD else "" for t in stream]
    if "LOAD" not in words:
        return None
    prefixes = declared_prefixes(stream)
    start = words.index("LOAD")
    prologue = stream[:start]
    rest = stream[start + 1 :]
    silent = bool(rest) and rest[0].kind == WORD and rest[0].text.upper() == "SILENT"
    rest = rest[1:] if silent else rest
    source = iri_of(rest[0], prefixes) if rest else None
    graph = None
    rest = rest[1:]
    if len(rest) == 3 and [t.text.upper() for t in rest[:2]] == ["INTO", "GRAPH"]:
        graph = iri_of(rest[2], prefixes)
        rest = [] if graph is not None else rest
    readable = all(
        t.kind == WORD and t.text.upper() in ("PREFIX", "BASE") or t.kind in (PNAME, IRI)
        for t in prologue
    )
    if source is None or rest or not readable:
        raise LoadNotAlone(
            "LOAD must be the one operation of its update (LOAD [SILENT] <iri> [INTO GRAPH <iri>]): "
            "this endpoint fetches the document itself"
        )
    return LoadOperation(source, graph, silent)


def after_prologue(stream: Iterator[Token]) -> Token | None:
    """The first token after a query's prologue (its BASE and PREFIX declarations), the stream
    left just past it; None when there is nothing after the prologue."""
    for token in stream:
        word = token.text.upper() if token.kind == WORD else ""
        if word == "BASE":
            next(stream, None)
        elif word == "PREFIX":
            next(stream, None), next(stream, None)
        else:
            return token
    return None


def split_prologue(text: str) -> tuple[str, str]:
    """A query's prologue and the rest, as two texts."""
    first = after_prologue(tokens(text, codepoints=False))
    return (text, "") if first is None else (text[: first.start], text[first.start :])


def paged(text: str, limit: int, offset: int) -> str:
    """A SELECT query cut to one page: LIMIT and OFFSET added to it, or, when it has solution
    modifiers of its own that would clash (a LIMIT, an OFFSET, a final VALUES), around it."""
    own = {
        t.text.upper()
        for t in tokens(text, codepoints=False)
        if t.kind == WORD and t.depth == 0 and t.text.upper() in ("LIMIT", "OFFSET", "VALUES")
    }
    if not own:
        return f"{text.rstrip()}\nLIMIT {int(limit)} OFFSET {int(offset)}\n"
    prologue, body = split_prologue(text)
    return f"{prologue}SELECT * WHERE {{ {body} }}\nLIMIT {int(limit)} OFFSET {int(offset)}\n"


def counted(text: str) -> str:
    """The number of solutions of a SELECT query, as a query of its own (`?total`)."""
    prologue, body = split_prologue(text)
    return f"{prologue}SELECT (COUNT(*) AS ?total) WHERE {{ {body} }}\n"
