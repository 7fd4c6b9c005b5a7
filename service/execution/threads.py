"""Threads that run store work off the event loop, each with a time limit: where a query runs
when it cannot run in a worker process (an on-disk store open for updates, query_processes = 0),
and the service's own blocking store work (updates, the VoID statistics)."""

from __future__ import annotations

import asyncio
import queue
import threading
from collections.abc import Callable
from typing import Any

from dakg.errors import Unavailable
from dakg.execution.worker import QUERY_STACK_BYTES


class QueryTimeout(Unavailable):
    """A query that ran past the endpoint's time limit (503): it finishes in its thread
    unanswered."""

    def __init__(self, timeout: float, what: str = "query"):
        super().__init__(f"The {what} took longer than the {timeout:g} s this endpoint allows")
        self.timeout = timeout


class QueryThreads:
    """Threads that run store work off the event loop (pyoxigraph releases the GIL as it works).

    Lighter per call than run_in_executor: one queue in, results handed back to the loop with
    call_soon_threadsafe, and a time limit set with call_later rather than wait_for. pyoxigraph
    cannot stop a running query, so a query past its limit finishes in its thread unanswered;
    one whose limit passes while it waits in the queue is not run at all.
    """

    def __init__(self, size: int, name: str = "dakg-query"):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(max(1, size))
        ]
        self._started = False

    def submit(
        self, fn: Callable[..., Any], *args: Any, timeout: float | None = None
    ) -> asyncio.Future:
        """Run fn(*args) in a thread; the future fails with QueryTimeout past the time limit."""
        if not self._started:  # on first use: an app that never queries starts no thread
            self._started = True
            # Deep enough a stack for pyoxigraph's recursion on long queries (worker.py).
            previous = threading.stack_size(QUERY_STACK_BYTES)
            try:
                for thread in self._threads:
                    thread.start()
            finally:
                threading.stack_size(previous)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if timeout:
            timer = loop.call_later(timeout, _expire, future, timeout)
            future.add_done_callback(lambda _: timer.cancel())
        self._jobs.put((loop, future, fn, args))
        return future

    def shutdown(self) -> None:
        if self._started:
            for _ in self._threads:
                self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, fn, args = job
            if future.done():  # timed out (or cancelled) while it waited
                continue
            try:
                outcome = (fn(*args), None)
            except BaseException as error:  # handed to the awaiting request
                outcome = (None, error)
            try:
                loop.call_soon_threadsafe(_settle, future, *outcome)
            except RuntimeError:  # the loop has closed: nobody waits any more
                pass


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _expire(future: asyncio.Future, timeout: float) -> None:
    if not future.done():
        future.set_exception(QueryTimeout(timeout))
