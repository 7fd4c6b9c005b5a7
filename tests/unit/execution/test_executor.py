"""Each executor answers a query, stops waiting for it at the time limit, and refuses an answer
past a cap, with the status and message the endpoint answers with."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

import pyoxigraph as ox
import pytest
from dakg.execution import executor
from dakg.execution.executor import EngineExecutor, ThreadExecutor, WorkerExecutor
from dakg.execution.messages import Answered, Limits, ResultTooLarge
from dakg.execution.pool import QueryPool, WorkerTimeout
from dakg.execution.threads import QueryThreads, QueryTimeout

UNION = {"use_default_graph_as_union": True}
COUNT = "SELECT (COUNT(*) AS ?n) { ?s ?p ?o }"
ALL = "SELECT ?s { ?s ?p ?o }"
# A cross product of four patterns of 60 triples each: minutes of work, stopped at the limit.
SLOW = "SELECT (COUNT(*) AS ?n) { ?a ?b ?c . ?d ?e ?f . ?g ?h ?i . ?j ?k ?l }"


@pytest.fixture
def store(disk_store: Path) -> ox.Store:
    return ox.Store.read_only(str(disk_store))


def count_of(found: Answered) -> int:
    return int(found.body.split(b"\n")[1].split(b"^")[0].strip(b'"'))


def test_threads_answer_within_the_caps(store: ox.Store) -> None:
    threads = QueryThreads(1)
    run = ThreadExecutor(lambda: store, threads, 5.0, Limits(rows=10))

    async def go() -> tuple:
        found = await run.answer(COUNT, UNION, "tsv", None)
        variables, rows = await run.rows(COUNT)
        with pytest.raises(ResultTooLarge) as refused:
            await run.answer(ALL, UNION, "tsv", None)
        return found, variables, rows, refused.value

    try:
        found, variables, rows, refused = asyncio.run(go())
    finally:
        run.stop()
    assert found.kind == "results" and count_of(found) == 60
    assert variables == ["n"] and rows[0]["n"].value == "60"
    assert refused.status == 422 and "more than 10 rows" in str(refused)


def test_threads_stop_waiting_at_the_time_limit(store: ox.Store) -> None:
    """A query still queued at its time limit (the one thread is held) is refused, never run."""
    threads = QueryThreads(1)
    run = ThreadExecutor(lambda: store, threads, 0.2, Limits())
    held = threading.Event()

    async def go() -> QueryTimeout:
        blocker = threads.submit(held.wait)
        with pytest.raises(QueryTimeout) as refused:
            await run.answer(COUNT, UNION, "tsv", None)
        held.set()
        await blocker
        return refused.value

    try:
        refused = asyncio.run(go())
    finally:
        held.set()
        run.stop()
    assert refused.status == 503
    assert str(refused) == "The query took longer than the 0.2 s this endpoint allows"


def test_workers_answer_kill_a_slow_query_and_cap(spec: dict, store: ox.Store) -> None:
    pool = QueryPool(spec, 1)
    run = executor.build(pool, None, lambda: store, QueryThreads(1), 0.5, Limits(rows=10))
    assert isinstance(run, WorkerExecutor)

    async def go() -> tuple:
        found = await run.answer(COUNT, UNION, "tsv", None)
        with pytest.raises(WorkerTimeout) as late:
            await run.answer(SLOW, UNION, "tsv", None)
        with pytest.raises(ResultTooLarge) as large:
            await run.answer(ALL, UNION, "tsv", None)
        _, rows = await run.rows(COUNT)
        return found, late.value, large.value, rows

    try:
        run.start()
        found, late, large, rows = asyncio.run(go())
    finally:
        run.stop()
    assert count_of(found) == 60 and rows[0]["n"].value == "60"
    assert late.status == 503
    assert str(late) == "The query took longer than the 0.5 s this endpoint allows"
    assert pool.restarts == 1  # the slow query's worker was killed and replaced
    assert large.status == 422


def test_a_lookup_runs_at_once_in_this_process(spec: dict, store: ox.Store) -> None:
    """`at_once` answers on the event loop: no worker starts for it."""
    pool = QueryPool(spec, 1)
    run = WorkerExecutor(pool, lambda: store, QueryThreads(1), 5.0, Limits())
    try:
        found = asyncio.run(run.answer(COUNT, UNION, "tsv", None, at_once=True))
        assert count_of(found) == 60
        assert all(worker.process is None for worker in pool._workers)
    finally:
        run.stop()


class Engine:
    """An engine that answers from a local store, noting each query it is sent."""

    def __init__(self, store: ox.Store):
        self.store = store
        self.asked: list[str] = []

    def query(self, text: str, **arguments):
        self.asked.append(text)
        arguments.pop("prefixes", None)
        return self.store.query(text, **arguments)


def test_an_engine_answers_with_no_time_limit_of_ours_and_the_caps(store: ox.Store) -> None:
    engine = Engine(store)
    run = executor.build(None, engine, lambda: store, QueryThreads(1), 5.0, Limits(rows=10))  # type: ignore[arg-type]
    assert isinstance(run, EngineExecutor) and run.engine is engine and run.timeout is None

    async def go() -> tuple:
        found = await run.answer(COUNT, UNION, "tsv", None)
        with pytest.raises(ResultTooLarge):
            await run.answer(ALL, UNION, "tsv", None)
        return found

    try:
        found = asyncio.run(go())
    finally:
        run.stop()
    # Each query is run once: the rows past the cap are counted in its answer, not by a rerun.
    assert count_of(found) == 60 and engine.asked == [COUNT, ALL]
