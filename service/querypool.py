"""Worker processes that run clients' queries, so that a query past the time limit is stopped.

pyoxigraph cannot interrupt a running query. A pool of worker processes (service/queryworker.py)
each holds a copy of the store and answers one query at a time; a query still running at its
deadline has its process killed, which stops it and frees its memory, and a new worker takes the
place of the old one. The other workers go on answering meanwhile.

Workers start on first use (`warm` starts them ahead). In memory each worker loads the sources
itself; after an update the service's store is written to an N-Quads snapshot, which every
worker loads before its next query (and a worker started later loads first): the workers get the
update's result, not the update run again (which could fetch, or mint UUIDs, differently). On
disk each opens the store read-only, which is why the pool is used on disk only when nothing
writes to it.
"""

from __future__ import annotations

import logging
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

import pyoxigraph as ox

log = logging.getLogger("dakg.querypool")

# How long a worker may take to load its store before the pool gives up on it.
START_TIMEOUT = 600.0


class WorkerTimeout(Exception):
    """The query ran past its deadline: its worker was killed."""


class WorkerLost(Exception):
    """The worker stopped while it answered (killed from outside, or out of memory)."""


@dataclass
class Worker:
    """One worker process, the parent's end of its socket, and how many updates it has applied."""

    spec: dict[str, Any]
    process: subprocess.Popen | None = None
    connection: Connection | None = None
    ready: bool = False
    generation: int = 0

    def start(self, snapshot: Path | None, generation: int) -> None:
        ours, theirs = socket.socketpair()
        spec = dict(self.spec, snapshot=str(snapshot) if snapshot else None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "service.queryworker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
        )
        theirs.close()
        self.connection = Connection(ours.detach())
        self.connection.send(spec)
        self.generation = generation

    def wait_ready(self) -> None:
        assert self.connection is not None
        if not self.connection.poll(START_TIMEOUT):
            raise WorkerLost("the query worker did not start in time")
        reply = self._receive()
        if reply[0] != "ready":
            raise WorkerLost(f"the query worker did not start: {reply!r}")
        self.ready = True

    def ask(self, message: tuple, deadline: float | None) -> tuple:
        """Send a request and wait for the reply until the deadline (None: no deadline)."""
        assert self.connection is not None
        try:
            self.connection.send(message)
        except OSError:
            raise WorkerLost("the query worker has stopped") from None
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        if not self.connection.poll(remaining):
            raise WorkerTimeout()
        return self._receive()

    def _receive(self) -> tuple:
        assert self.connection is not None
        try:
            return self.connection.recv()
        except (EOFError, OSError):
            raise WorkerLost("the query worker has stopped") from None

    def stop(self) -> None:
        """Kill the process (a running query stops with it) and close the socket."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.connection is not None:
            self.connection.close()
        self.process, self.connection, self.ready = None, None, False


class QueryPool:
    """A fixed number of query workers, taken one per query and given back after it."""

    def __init__(self, spec: dict[str, Any], size: int):
        self.spec = spec
        self.size = max(1, size)
        self.restarts = 0
        self._idle: queue.SimpleQueue[Worker] = queue.SimpleQueue()
        self._workers: list[Worker] = [Worker(spec) for _ in range(self.size)]
        self._generation = 0
        self._snapshot: Path | None = None
        self._folder: Path | None = None
        self._folders: list[Path] = []
        self._lock = threading.Lock()
        for worker in self._workers:
            self._idle.put(worker)
        self._finalizer = weakref.finalize(self, _stop_all, self._workers, self._folders)

    def warm(self) -> None:
        """Start every worker now rather than on first use."""
        with self._lock:
            for worker in self._workers:
                if worker.process is None:
                    worker.start(self._snapshot, self._generation)

    def run(self, message: tuple, deadline: float | None) -> tuple:
        """The reply to a request, from the first free worker; WorkerTimeout past the deadline
        (the worker is killed and replaced), WorkerLost if it stopped (replaced too)."""
        remaining = None if deadline is None else max(deadline - time.monotonic(), 0.0)
        try:
            worker = self._idle.get(timeout=remaining)
        except queue.Empty:
            raise WorkerTimeout() from None
        try:
            self._prepare(worker)
            if deadline is not None and time.monotonic() >= deadline:
                self._idle.put(worker)
                raise WorkerTimeout()
            reply = worker.ask(message, deadline)
        except (WorkerTimeout, WorkerLost) as error:
            if worker.process is not None:
                self._replace(worker, error)
            raise
        except BaseException:
            self._replace(worker, None)
            raise
        self._idle.put(worker)
        return reply

    def updated(self, store: ox.Store) -> None:
        """The service's store has changed: write its snapshot, which every worker loads before
        its next query (blocking: run it in a thread)."""
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="dakg-snapshots-"))
            self._folders.append(self._folder)
        with self._lock:
            generation = self._generation + 1
            path = self._folder / f"snapshot-{generation}.nq"
            store.dump(str(path), ox.RdfFormat.N_QUADS)
            previous, self._snapshot, self._generation = self._snapshot, path, generation
        if previous is not None:
            previous.unlink(missing_ok=True)

    def stop(self) -> None:
        self._finalizer()

    def _prepare(self, worker: Worker) -> None:
        """Start the worker if it has not started, wait until it has loaded, and bring it up to
        date with the updates (none of this counts against the query's deadline)."""
        with self._lock:
            if worker.process is None:
                worker.start(self._snapshot, self._generation)
            snapshot, generation = self._snapshot, self._generation
        if not worker.ready:
            worker.wait_ready()
        if worker.generation < generation:
            reply = worker.ask(("reload", str(snapshot)), None)
            if reply[0] != "ready":
                raise WorkerLost(f"the query worker could not load the snapshot: {reply!r}")
            worker.generation = generation

    def _replace(self, worker: Worker, error: Exception | None) -> None:
        """Kill a worker and start a fresh one in its place (it loads while others answer)."""
        worker.stop()
        self.restarts += 1
        if isinstance(error, WorkerLost):
            log.warning("query worker replaced: %s", error)
        with self._lock:
            worker.start(self._snapshot, self._generation)
        self._idle.put(worker)


def _stop_all(workers: list[Worker], folders: list[Path]) -> None:
    for worker in workers:
        worker.stop()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
