"""The one VALUES writer (dakg.sparql.values), table-driven: where each query shape gets its
VALUES blocks, and that the bound query answers as the query with the term written in its place."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from dakg.sparql.values import bind_values, binding_points

EX = "http://example.org/"
X = ox.NamedNode(EX + "x")
BLOCK = f"VALUES (?v) {{ (<{EX}x>) }}"

# (shape, query, how many VALUES blocks the bound query has)
CASES = [
    ("the WHERE clause only", "SELECT ?o WHERE { ?v ?p ?o }", 1),
    ("a UNION branch that uses it", "SELECT ?o WHERE { { ?v ?p ?o } UNION { ?s ?p ?o } }", 2),
    (
        "a FILTER inside an OPTIONAL",
        "SELECT ?o WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?r FILTER(?r = ?v) } }",
        2,
    ),
    ("not a group that does not use it", "SELECT ?o WHERE { ?s ?p ?o OPTIONAL { ?o ?q ?r } }", 1),
    ("not a CONSTRUCT template", "CONSTRUCT { ?v ?p ?o } WHERE { ?v ?p ?o }", 1),
    ("not the data of a VALUES", "SELECT ?o WHERE { VALUES ?w { 1 } ?v ?p ?o }", 1),
    (
        "not a sub-select's own braces",
        "SELECT ?o WHERE { { SELECT ?o WHERE { ?v ?p ?o } } }",
        2,
    ),
    ("a DESCRIBE with no WHERE", "DESCRIBE ?v", 1),
    ("a brace inside a string is no group", 'SELECT ?o WHERE { ?v ?p ?o FILTER(?o != "{") }', 1),
]


@pytest.mark.parametrize(("shape", "query", "blocks"), CASES, ids=[c[0] for c in CASES])
def test_values_blocks_go_where_the_query_uses_the_parameter(shape, query, blocks) -> None:
    bound = bind_values(query, {ox.Variable("v"): X})
    assert bound.count(BLOCK) == blocks, bound
    ox.Store().query(bound)  # it parses


@pytest.mark.parametrize(("shape", "query", "blocks"), CASES[:-2], ids=[c[0] for c in CASES[:-2]])
def test_the_bound_query_answers_as_the_term_written_in_its_place(shape, query, blocks) -> None:
    store = ox.Store()
    p, y = ox.NamedNode(EX + "p"), ox.NamedNode(EX + "y")
    for s, o in ((X, y), (y, X), (y, ox.Literal("{")), (X, ox.Literal("x"))):
        store.add(ox.Quad(s, p, o))
    bound = bind_values(query, {ox.Variable("v"): X})
    ours, theirs = store.query(bound), store.query(query.replace("?v", str(X)))
    if isinstance(ours, ox.QuerySolutions):
        assert sorted(map(str, ours)) == sorted(map(str, theirs))
    else:
        assert set(ours) == set(theirs)


def test_no_parameter_leaves_the_text_as_it_is() -> None:
    text = "SELECT * WHERE { ?s ?p ?o }"
    assert bind_values(text, {}) == text and binding_points(text, set()) == [text.index("{") + 1]


def test_a_term_is_written_in_n_triples_never_pasted() -> None:
    hostile = ox.Literal('x" } ; DROP ALL ; #')
    bound = bind_values("SELECT ?o WHERE { ?v ?p ?o }", {ox.Variable("v"): hostile})
    assert '"x\\" } ; DROP ALL ; #"' in bound
    ox.Store().query(bound)
