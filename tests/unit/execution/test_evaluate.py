"""A query worker's `evaluate`: each query runs once, and the row cap counts the rows of the answer
as it is written, in every format, literals holding line breaks, quotes and markup included."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from dakg.execution.worker import Limits, ResultTooLarge, count_rows, evaluate
from dakg.rdf import formats
from hypothesis import given, settings
from hypothesis import strategies as st

EX = "http://example.org/"
# Values that a line or element count would read wrongly if the format did not escape them.
AWKWARD = [
    "plain",
    "two\nlines",
    'a "quoted", value',
    "<result>markup</result>",
    "crlf\r\nend",
    'json },{"x":{} [{"',
    "back\\slash\\",
]
ROWS = len(AWKWARD) * 2


class CountingStore:
    """A store that counts the queries it runs."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.queries = 0

    def query(self, *args, **kwargs):
        self.queries += 1
        return self.store.query(*args, **kwargs)


@pytest.fixture
def store() -> CountingStore:
    store = ox.Store()
    for i, text in enumerate(AWKWARD):
        for lang in ("", "en"):
            subject = ox.NamedNode(f"{EX}s{i}{lang}")
            literal = ox.Literal(text, language=lang) if lang else ox.Literal(text)
            store.add(ox.Quad(subject, ox.NamedNode(f"{EX}p"), literal))
    return CountingStore(store)


SELECT = "SELECT ?s ?o WHERE { ?s ?p ?o }"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
CASES = [(SELECT, f.name, None) for f in formats.RESULT_FORMATS] + [
    (CONSTRUCT, None, f.name) for f in formats.GRAPH_FORMATS
]


@pytest.mark.parametrize(("query", "results", "graph"), CASES, ids=[c[1] or c[2] for c in CASES])
def test_an_answer_at_the_row_cap_is_given_and_one_row_past_it_is_refused(
    store: CountingStore, query: str, results: str | None, graph: str | None
) -> None:
    answer = evaluate(store, query, {}, results, graph, Limits(rows=ROWS))
    assert answer.body and store.queries == 1
    with pytest.raises(ResultTooLarge, match=f"more than {ROWS - 1} "):
        evaluate(store, query, {}, results, graph, Limits(rows=ROWS - 1))
    assert store.queries == 2  # the refusal too ran the query once


def test_an_answer_under_the_cap_in_rows_but_long_in_bytes_is_given(store: CountingStore) -> None:
    # More bytes than the cap's number of rows, so its rows are counted: they are within it.
    answer = evaluate(store, SELECT, {}, "csv", None, Limits(rows=ROWS + 1))
    assert len(answer.body) > ROWS + 1
    assert store.queries == 1


def test_ask_has_no_rows_to_count(store: CountingStore) -> None:
    answer = evaluate(store, "ASK { ?s ?p ?o }", {}, "json", None, Limits(rows=1))
    assert b"true" in answer.body


# Rows with some variables unbound, and rows with none (an empty JSON object), among texts
# made of the characters the formats escape or use as structure.
TEXTS = st.text(alphabet='ab{}[],:"\\\n\r\t<>&', max_size=12)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(TEXTS, st.booleans()), max_size=12), st.integers(0, 3))
def test_the_rows_counted_in_every_format_are_the_rows_of_the_answer(values, empty) -> None:
    store = ox.Store()
    for i, (text, labelled) in enumerate(values):
        subject = ox.NamedNode(f"{EX}s{i}")
        store.add(ox.Quad(subject, ox.NamedNode(f"{EX}p"), ox.Literal(text)))
        if labelled:
            store.add(ox.Quad(subject, ox.NamedNode(f"{EX}label"), ox.Literal(text + "}")))
    rows = f"SELECT ?s ?o ?l WHERE {{ ?s <{EX}p> ?o OPTIONAL {{ ?s <{EX}label> ?l }} }}"
    nothing = "SELECT ?x WHERE { VALUES ?x { " + "UNDEF " * empty + "} }"
    for query in (rows, nothing):
        expected = len(list(store.query(query)))
        for fmt in formats.RESULT_FORMATS:
            body = store.query(query).serialize(format=fmt.results)
            assert count_rows(body, fmt) == expected, (fmt.name, body)
    construct = "CONSTRUCT { ?s ?p ?o } WHERE { ?s ?p ?o }"
    expected = len(list(store.query(construct)))
    for fmt in formats.GRAPH_FORMATS:
        body = store.query(construct).serialize(format=fmt.rdf)
        assert count_rows(body, fmt) == expected, (fmt.name, body)
