"""Where a query runs, chosen once when the service starts: every route that runs a query (the
SPARQL endpoint, the REST API, the pages and the pictures) asks the one executor the app holds,
so that each gets the same time limit, the same result caps and, where there are any, the same
worker processes.

- `WorkerExecutor`: the query worker processes (pool.py), the only way a query past its time limit
  is stopped (its process is killed);
- `ThreadExecutor`: the service's query threads with the time limit (a query past it finishes in
  its thread unanswered), where the store cannot be shared with workers (an on-disk store open for
  updates, or no workers configured);
- `EngineExecutor`: an external SPARQL engine, which bounds its own queries; the endpoint passes
  clients' queries to it itself (`engine`), streaming its answers.

A one-entity lookup whose subject has few triples (lookup.py) costs less than the hand-off to a
worker or a thread: `at_once` runs it on the event loop, on every executor that holds the store.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Protocol

import pyoxigraph as ox
from dakg.errors import DakgError
from dakg.execution.messages import (
    Answered,
    Limits,
    Query,
    QueryInvalid,
    Refused,
    Reply,
    Updated,
)
from dakg.execution.pool import ClientBusy, QueryPool, QueueTimeout, WorkerLost, WorkerTimeout
from dakg.execution.threads import QueryThreads
from dakg.execution.worker import evaluate
from dakg.sparql.values import bind_values
from dakg.store.backends import RemoteStore

# The dataset of the REST API's, the pages' and the pictures' queries: the union of the graphs.
UNION = {"use_default_graph_as_union": True}

Rows = tuple[list[str], list[dict]]


class Executor(Protocol):
    """Runs queries within the service's time limit and result caps."""

    # The external engine the endpoint passes queries to itself (None: the store is embedded).
    engine: RemoteStore | None

    async def answer(
        self,
        text: str,
        dataset: Mapping[str, Any],
        results_format: str | None,
        graph_format: str | None,
        client: str = "",
        *,
        at_once: bool = False,
    ) -> Answered:
        """The query's answer serialised in the format named for its kind (Unacceptable when
        that name is None), within the caps (ResultTooLarge) and the time limit."""
        ...

    async def rows(
        self, text: str, client: str = "", substitutions: Mapping[ox.Variable, object] | None = None
    ) -> Rows:
        """A SELECT query's variables and rows (RDF terms) on the union of the graphs, its
        variables bound by a VALUES block."""
        ...

    async def ask(
        self, text: str, client: str = "", substitutions: Mapping[ox.Variable, object] | None = None
    ) -> bool:
        """An ASK query's answer on the union of the graphs, as `rows` runs a SELECT."""
        ...

    async def triples(
        self, text: str, client: str = "", substitutions: Mapping[ox.Variable, object] | None = None
    ) -> list[ox.Triple]:
        """A CONSTRUCT query's triples on the union of the graphs, as `rows` runs a SELECT."""
        ...

    def start(self) -> None: ...

    def stop(self) -> None: ...


class InProcess:
    """What every executor shares: evaluating in this process (a lookup at once, or a query in
    the threads) and reading rows from an answer in SPARQL JSON."""

    engine: RemoteStore | None = None

    def __init__(
        self,
        store: Callable[[], Any],
        threads: QueryThreads,
        timeout: float | None,
        limits: Limits,
    ):
        # The store now (an update may replace it): read at each query, never kept.
        self.store = store
        self.threads = threads
        self.timeout = timeout
        self.limits = limits

    def query(
        self,
        text: str,
        dataset: Mapping[str, Any],
        results_format: str | None,
        graph_format: str | None,
    ) -> Query:
        return Query(text, dict(dataset), results_format, graph_format, self.limits)

    def evaluate(self, query: Query) -> Answered:
        """Evaluate a query here (blocking); the store's word for an invalid query is a 400."""
        try:
            found = evaluate(
                self.store(),
                query.text,
                query.dataset,
                query.results_format,
                query.graph_format,
                query.limits,
            )
        except ValueError as error:
            raise QueryInvalid(str(error)) from None
        except (DakgError, SyntaxError) as error:
            # Raised from within the store's answer, whose frames hold it: let them go here, in
            # the thread that made it (pyoxigraph's results may not be dropped on another).
            error.__traceback__ = None
            raise error from None
        return Answered(found.kind, found.format, found.body)

    async def answer(
        self,
        text: str,
        dataset: Mapping[str, Any],
        results_format: str | None,
        graph_format: str | None,
        client: str = "",
        *,
        at_once: bool = False,
    ) -> Answered:
        query = self.query(text, dataset, results_format, graph_format)
        if at_once:
            return self.evaluate(query)
        return await self.run(query, client)

    async def run(self, query: Query, client: str) -> Answered:
        """Evaluate a query in the threads, within the time limit (QueryTimeout past it)."""
        return await self.threads.submit(self.evaluate, query, timeout=self.timeout)

    async def rows(
        self, text: str, client: str = "", substitutions: Mapping[ox.Variable, object] | None = None
    ) -> Rows:
        found = await self.answer(bind_values(text, substitutions), UNION, "json", None, client)
        return solution_rows(ox.parse_query_results(found.body, format=ox.QueryResultsFormat.JSON))

    async def ask(
        self, text: str, client: str = "", substitutions: Mapping[ox.Variable, object] | None = None
    ) -> bool:
        found = await self.answer(bind_values(text, substitutions), UNION, "json", None, client)
        return bool(ox.parse_query_results(found.body, format=ox.QueryResultsFormat.JSON))

    async def triples(
        self, text: str, client: str = "", substitutions: Mapping[ox.Variable, object] | None = None
    ) -> list[ox.Triple]:
        # N-Triples keeps every term as the store gave it, blank nodes' labels included, so the
        # triples read back are those the store made, wherever the query ran.
        found = await self.answer(bind_values(text, substitutions), UNION, None, "ntriples", client)
        return [q.triple for q in ox.parse(found.body, format=ox.RdfFormat.N_TRIPLES)]

    def start(self) -> None:
        pass

    def stop(self) -> None:
        self.threads.shutdown()


class ThreadExecutor(InProcess):
    """Queries in the service's threads, with the time limit and the caps."""


class EngineExecutor(InProcess):
    """Queries on an external engine, whose own time limit answers (504), within the caps."""

    def __init__(self, engine: RemoteStore, threads: QueryThreads, limits: Limits):
        super().__init__(lambda: engine, threads, None, limits)
        self.engine = engine


class WorkerExecutor(InProcess):
    """Queries in the worker processes, killed past the time limit, shared fairly between
    clients (pool.py)."""

    def __init__(
        self,
        pool: QueryPool,
        store: Callable[[], Any],
        threads: QueryThreads,
        timeout: float | None,
        limits: Limits,
    ):
        super().__init__(store, threads, timeout, limits)
        self.pool = pool

    async def run(self, query: Query, client: str) -> Answered:
        reply = await within(self.pool.run(query, self.timeout, client), self.timeout, "query")
        assert isinstance(reply, Answered), reply
        return reply

    async def update(self, text: str, base: str | None, client: str) -> Updated:
        """Apply an update in a worker within the time limit; its snapshot's path is in the
        reply (the pool makes it the one every worker loads)."""
        call = self.pool.apply_update(text, base, self.timeout, client)
        reply = await within(call, self.timeout, "update")
        assert isinstance(reply, Updated), reply
        return reply

    def start(self) -> None:
        self.pool.warm()

    def stop(self) -> None:
        self.pool.stop()
        super().stop()


async def within(call: Awaitable[Reply], timeout: float | None, what: str) -> Reply:
    """A worker's reply to a query or an update, its failures raised as the service's errors,
    with messages that name the time limit, the queue or the worker: the one place a reply
    becomes an error."""
    limit = f"{timeout:g}" if timeout else "no"
    try:
        reply = await call
    except QueueTimeout as error:
        raise QueueTimeout(
            error.waited,
            f"The {what} waited {error.waited:.0f} s for a free query worker (other queries were "
            "running) and did not run; try again",
        ) from None
    except WorkerTimeout:
        raise WorkerTimeout(
            f"The {what} took longer than the {limit} s this endpoint allows"
        ) from None
    except WorkerLost:
        raise WorkerLost(
            f"The {what} stopped its worker process (it may have needed more memory than this "
            "endpoint allows); the endpoint goes on answering"
        ) from None
    if isinstance(reply, Refused):
        raise reply.error()
    return reply


def solution_rows(result: Any) -> Rows:
    variables = [v.value for v in result.variables]
    return variables, [{v: solution[v] for v in variables} for solution in result]


# The statuses' extra headers: a client refused for now is told when to try again.
RETRY_AFTER = {QueueTimeout: "2", ClientBusy: "2"}


def headers_for(error: BaseException) -> dict[str, str]:
    """The headers an error's answer carries beyond its status and message."""
    seconds = RETRY_AFTER.get(type(error))
    return {"retry-after": seconds} if seconds else {}


def build(
    pool: QueryPool | None,
    engine: RemoteStore | None,
    store: Callable[[], Any],
    threads: QueryThreads,
    timeout: float | None,
    limits: Limits,
) -> Executor:
    """The executor for this service, chosen once: its engine, else its workers, else threads."""
    if engine is not None:
        return EngineExecutor(engine, threads, limits)
    if pool is not None:
        return WorkerExecutor(pool, store, threads, timeout, limits)
    return ThreadExecutor(store, threads, timeout, limits)
