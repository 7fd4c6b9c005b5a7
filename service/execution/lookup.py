"""One-entity lookups: queries answered on the event loop, without a query worker.

Every client query runs in a worker process (service/execution/pool.py), so that one past the time
limit can be killed. The round trip costs several times what the commonest query of linked data
costs: everything about one entity, `SELECT ?p ?o WHERE { <iri> ?p ?o }`. A query whose WHERE
clause is a single triple pattern with an IRI as its subject reads only that subject's triples,
so its cost is bounded by how many there are. When they are few (counted, up to the cap, before
the query runs), the query is answered in the server's own process; otherwise it goes to a
worker like any other.

Only the plainest forms qualify (matched as a whole, before pyoxigraph parses the query):

    PREFIX ...                          (no BASE, no comments)
    SELECT [DISTINCT|REDUCED] (* | ?v ...) | ASK
    [WHERE] { S P O [.] }               S an absolute IRI or a declared prefixed name; P an IRI,
                                        prefixed name, `a` or a variable (never a path); O a
                                        variable, IRI, prefixed name, plain string or number
    [ORDER BY ?v ...] [LIMIT n] [OFFSET n]

Anything else (a FILTER, a second pattern, an expression, FROM, a property path) is not a lookup,
and is answered by a worker; so is a lookup of a subject with more triples than the cap, and one
sent with `default-graph-uri` or `named-graph-uri` (which pyoxigraph reads once per naming, so
that repeating a graph multiplies the rows: service/web/endpoint/answers.py only asks here for the union).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyoxigraph as ox

# Longer texts are not lookups (and are not worth matching).
MAX_LOOKUP_CHARS = 2000

_IRI = r"<[^<>\"{}|^`\\\x00-\x20]*>"
_PNAME = r"(?:[A-Za-z][\w.-]*)?:(?:[\w%-](?:[\w.%-]*[\w%-])?)?"
_VAR = r"[?$]\w+"
_LITERAL = r'"[^"\\\n\r]*"|[+-]?\d+(?:\.\d+)?|true|false'
_LOOKUP = re.compile(
    rf"""
    \s*
    (?P<prefixes>(?:PREFIX\s+(?:[A-Za-z][\w.-]*)?:\s*{_IRI}\s*)*)
    (?:(?P<select>SELECT)\s+(?:(?:DISTINCT|REDUCED)\s+)?(?:\*|{_VAR}(?:\s+{_VAR})*)\s*|ASK\s*)
    (?:WHERE\s*)?
    \{{\s*
      (?P<subject>{_IRI}|{_PNAME})\s+
      (?:{_IRI}|{_PNAME}|a|{_VAR})\s+
      (?:{_IRI}|{_PNAME}|{_VAR}|{_LITERAL})
    \s*\.?\s*\}}
    (?:\s*(?:ORDER\s+BY(?:\s+{_VAR})+|LIMIT\s+\d+|OFFSET\s+\d+))*
    \s*
    """,
    re.VERBOSE | re.IGNORECASE | re.ASCII,
)
_PREFIX = re.compile(r"PREFIX\s+((?:[A-Za-z][\w.-]*)?:)\s*<([^>]*)>", re.IGNORECASE | re.ASCII)


@dataclass(frozen=True)
class Lookup:
    """A one-entity lookup: its form (SELECT or ASK) and its subject's IRI."""

    form: str
    subject: str


def lookup_of(text: str) -> Lookup | None:
    """The lookup a query is (see the module's description), else None."""
    if len(text) > MAX_LOOKUP_CHARS:
        return None
    match = _LOOKUP.fullmatch(text)
    if match is None:
        return None
    form = "SELECT" if match.group("select") else "ASK"
    subject = match.group("subject")
    if subject.startswith("<"):
        iri = subject[1:-1]
        # A relative IRI has no base to resolve against.
        return Lookup(form, iri) if ":" in iri else None
    prefix, _, local = subject.partition(":")
    declared = dict(_PREFIX.findall(match.group("prefixes")))
    namespace = declared.get(prefix + ":")
    return None if namespace is None else Lookup(form, namespace + local)


def few_triples(store: ox.Store, subject: str, cap: int) -> bool:
    """Whether the store holds at most `cap` quads with this subject (counted up to cap + 1)."""
    try:
        node = ox.NamedNode(subject)
    except ValueError:
        return False
    count = 0
    for _ in store.quads_for_pattern(node, None, None, None):
        count += 1
        if count > cap:
            return False
    return True
