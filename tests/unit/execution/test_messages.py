"""The messages between the service and its query workers: each survives the trip through a
real pipe and the pool's own framing as the same value, a worker answers a request with the
reply its outcome calls for, and each refusal becomes the service's error for it."""

from __future__ import annotations

import asyncio
import multiprocessing
from pathlib import Path

import pyoxigraph as ox
import pytest
from dakg import errors
from dakg.execution import messages
from dakg.execution.messages import (
    Answered,
    Limits,
    Query,
    QueryInvalid,
    Ready,
    Refused,
    Reload,
    ResultTooLarge,
    Unacceptable,
    Update,
    Updated,
    WorkerFailure,
)
from dakg.execution.pool import Frames, QueryPool, frame
from dakg.execution.worker import answer

EVERY = [
    Query("ASK {}", {"use_default_graph_as_union": True}, "json", None, Limits(3, 100)),
    Update("INSERT DATA { <urn:a> <urn:b> 1 }", "http://example.org/", "/tmp/snapshot.nq"),
    Reload("/tmp/snapshot.nq"),
    Ready(12),
    Answered("results", "json", b'{"boolean":true}'),
    Updated(3, "/tmp/snapshot.nq"),
    Refused("syntax", "unexpected end"),
]


@pytest.mark.parametrize("message", EVERY, ids=lambda m: type(m).__name__)
def test_each_message_crosses_a_pipe_as_itself(message) -> None:
    ours, theirs = multiprocessing.Pipe()
    ours.send(message)
    received = theirs.recv()
    assert received == message and type(received) is type(message)


def test_the_pools_framing_is_what_a_connection_reads() -> None:
    frames = Frames()
    data = b"".join(frame(m) for m in EVERY)
    for start in range(0, len(data), 7):  # in pieces, as a socket gives them
        frames.feed(data[start : start + 7])
    assert list(frames.messages) == EVERY


def test_messages_are_frozen() -> None:
    with pytest.raises(AttributeError):
        Ready(1).quads = 2  # type: ignore[misc]


def test_a_worker_replies_with_the_outcome_of_each_request(tmp_path: Path) -> None:
    store = ox.Store()
    store.add(ox.Quad(ox.NamedNode("urn:s"), ox.NamedNode("urn:p"), ox.Literal("o")))
    union = {"use_default_graph_as_union": True}
    found = answer(store, Query("SELECT * { ?s ?p ?o }", union, "json", None, Limits()))
    assert isinstance(found, Answered) and found.kind == "results" and b"urn:s" in found.body
    assert answer(store, Query("SELECT * {", union, "json", None, Limits())).kind == "syntax"
    assert answer(store, Query("ASK {}", union, None, None, Limits())) == Refused(
        "unacceptable", "results"
    )
    capped = answer(store, Query("SELECT * { ?s ?p ?o }", union, "json", None, Limits(bytes=5)))
    assert isinstance(capped, Refused) and capped.kind == "too-large"
    path = tmp_path / "snapshot.nq"
    updated = answer(store, Update("INSERT DATA { <urn:t> <urn:p> 2 }", None, str(path)))
    assert updated == Updated(2) and path.exists()


@pytest.mark.parametrize(
    "kind, error, status",
    [
        ("too-large", ResultTooLarge, 422),
        ("unacceptable", Unacceptable, 406),
        ("value", QueryInvalid, 400),
        ("internal", WorkerFailure, 500),
    ],
)
def test_each_refusal_is_a_dakg_error_with_its_status(kind, error, status) -> None:
    raised = Refused(kind, "results").error()
    assert isinstance(raised, error) and isinstance(raised, errors.DakgError)
    assert raised.status == status


def test_syntax_and_system_refusals_keep_their_builtin_kinds() -> None:
    assert isinstance(Refused("syntax", "x").error(), SyntaxError)
    assert isinstance(Refused("os", "x").error(), OSError)
    assert str(messages.refusal_error("value", "no such function")) == (
        "Bad request: no such function"
    )


def test_a_real_worker_answers_typed_requests_with_typed_replies(spec: dict) -> None:
    pool = QueryPool(spec, 1)

    async def ask() -> tuple:
        query = Query("SELECT (COUNT(*) AS ?n) { GRAPH ?g { ?s ?p ?o } }", {}, "tsv", None)
        bad = Query("SELECT ?x {", {}, "tsv", None)
        return await pool.run(query, 30), await pool.run(bad, 30)

    try:
        found, refused = asyncio.run(ask())
    finally:
        pool.stop()
    assert isinstance(found, Answered) and found.body.split(b"\n")[1].startswith(b"60")
    assert isinstance(refused, Refused) and refused.kind == "syntax"
