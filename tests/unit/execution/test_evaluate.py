"""A query worker's `evaluate`: each query runs once, and the row cap counts the rows of the answer
as it is written, in every format, literals holding line breaks, quotes and markup included."""

from __future__ import annotations

import pyoxigraph as ox
import pytest
from dakg.execution.worker import Limits, ResultTooLarge, evaluate
from dakg.rdf import formats

EX = "http://example.org/"
# Values that a line or element count would read wrongly if the format did not escape them.
AWKWARD = ["plain", "two\nlines", 'a "quoted", value', "<result>markup</result>", "crlf\r\nend"]
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
