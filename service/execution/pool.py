"""Worker processes that run clients' queries, so that a query past the time limit is stopped.

pyoxigraph cannot interrupt a running query. A pool of worker processes (service/execution/worker.py)
each opens the store and answers one query at a time; a query still running at its deadline has
its process killed, which stops it and frees its memory, and a new worker takes the place of the
old one. The other workers go on answering meanwhile.

The pool is driven from the event loop: a request is written to a worker's socket and the loop
waits for the answer to become readable, with no thread in between (on this kind of machine a
hand-off between threads costs more than the round trip to another process).

Workers start on first use (`warm` starts them ahead). A read-only endpoint in memory gives
them its graph as an on-disk copy (store.SharedCopy, built once by the service), which each opens
read-only: one copy for every worker, shared through the page cache. With updates in memory each
worker loads the sources itself; after an update the service's store is written to an N-Quads
snapshot, which every
worker loads before its next query (and a worker started later loads first): the workers get the
update's result, not the update run again (which could fetch, or mint UUIDs, differently). On
disk each opens the store read-only, which is why the pool is used on disk only when nothing
writes to it.
"""

from __future__ import annotations

import asyncio
import collections
import logging
import pickle
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pyoxigraph as ox
from dakg.errors import TooManyRequests, Unavailable
from dakg.execution.messages import Query, Ready, Reload, Reply, Update, Updated

log = logging.getLogger("dakg.execution.pool")


class WorkerTimeout(Unavailable):
    """The query ran past its deadline: its worker was killed (503)."""


class WorkerLost(Unavailable):
    """The worker stopped while it answered (killed from outside, or out of memory) (503)."""


class QueueTimeout(Unavailable):
    """The query waited its whole time limit for a free worker and never ran (503)."""

    def __init__(self, waited: float, message: str = ""):
        super().__init__(message, waited)
        self.waited = waited


class ClientBusy(TooManyRequests):
    """One client has as many queries waiting as it may: it should wait for their answers (429)."""


# Fair sharing of the workers between clients (by address). A client's worker time decays by half
# every HALF_LIFE seconds; a client past HEAVY_SECONDS of it is heavy, and heavy clients together
# hold at most all workers but one, which is kept for the others (their lookups, saved queries and
# small queries answer while heavy ones run). A free worker goes to the waiting client that has
# used the least; each client's own queries queue in order behind each other.
HALF_LIFE = 30.0
HEAVY_SECONDS = 1.0
MAX_WAITING_PER_CLIENT = 16
MAX_CLIENTS_KEPT = 4096


@dataclass
class Client:
    """What the pool knows of one client: its waiting queries, its running ones, its usage."""

    waiting: collections.deque = field(default_factory=collections.deque)
    running: int = 0
    used: float = 0.0
    stamp: float = 0.0

    def usage(self, now: float) -> float:
        if self.used:
            self.used *= 0.5 ** ((now - self.stamp) / HALF_LIFE)
        self.stamp = now
        return self.used


@dataclass
class Worker:
    """One worker process, the parent's end of its socket, and the snapshot it has loaded.

    The parent reads the socket itself, without blocking: each message is a 4-byte length and a
    pickle (what `multiprocessing.connection.Connection` writes and reads, which the worker uses),
    gathered by the event loop's reader callback as the bytes come in."""

    spec: dict[str, Any]
    process: subprocess.Popen | None = None
    sock: socket.socket | None = None
    ready: bool = False
    generation: int = 0
    # The snapshot this worker is loading (kept on disk until it has: see QueryPool.updated).
    loading: Path | None = None
    _frames: Frames | None = None
    _watched: asyncio.AbstractEventLoop | None = None
    _readable: asyncio.Future | None = None

    def start(self, snapshot: Path | None, generation: int) -> None:
        ours, theirs = socket.socketpair()
        spec = dict(self.spec, snapshot=str(snapshot) if snapshot else None)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "dakg.execution.worker", str(theirs.fileno())],
            pass_fds=(theirs.fileno(),),
            stdin=subprocess.DEVNULL,
            env=worker_environment(),
        )
        self.loading = snapshot
        theirs.close()
        ours.sendall(frame(spec))
        ours.setblocking(False)
        self.sock, self._frames = ours, Frames()
        self.generation = generation
        self.ready = False

    async def wait_ready(self) -> None:
        """Wait (without a deadline: loading is not the query's time) until the store is loaded."""
        reply = await self.receive(None)
        if not isinstance(reply, Ready):
            raise WorkerLost(f"the query worker did not start: {reply!r}")
        self.ready, self.loading = True, None

    async def ask(self, message: Query | Update | Reload, deadline: float | None) -> Reply:
        """Send a request and wait for the reply until the deadline (None: no deadline)."""
        assert self.sock is not None
        data = frame(message)
        try:
            sent = self.sock.send(data)
            if sent < len(data):  # a long query that fills the socket's buffer
                await asyncio.get_running_loop().sock_sendall(self.sock, data[sent:])
        except (BlockingIOError, InterruptedError):
            await asyncio.get_running_loop().sock_sendall(self.sock, data)
        except OSError:
            raise WorkerLost("the query worker has stopped") from None
        return await self.receive(deadline)

    async def receive(self, deadline: float | None) -> Reply:
        """The next message from the worker, waited for on the event loop: the socket stays
        registered with the loop between queries, which saves two system calls a query."""
        assert self.sock is not None and self._frames is not None
        frames = self._frames
        if not frames.messages:
            if frames.ended:
                raise WorkerLost("the query worker has stopped")
            loop = asyncio.get_running_loop()
            readable = self._readable = loop.create_future()
            if self._watched is not loop:
                self._unwatch()
                loop.add_reader(self.sock.fileno(), self._on_readable)
                self._watched = loop
            timer = None
            if deadline is not None:
                remaining = max(deadline - time.monotonic(), 0.0)
                timer = loop.call_later(remaining, _expire, readable)
            try:
                await readable
            finally:
                self._readable = None
                if timer is not None:
                    timer.cancel()
        return frames.messages.popleft()

    def _on_readable(self) -> None:
        """Read what the worker has written; wake the waiting query once a whole message is in
        (or the worker has gone)."""
        if self.sock is None or self._frames is None:
            return
        frames = self._frames
        while True:
            try:
                data = self.sock.recv(READ_BYTES)
            except (BlockingIOError, InterruptedError):
                break
            except OSError:
                data = b""
            if not data:
                frames.ended = True
                self._unwatch()  # an ended socket stays readable: stop watching it
                break
            frames.feed(data)
            if len(data) < READ_BYTES:  # all there was: no need to ask again
                break
        waiter = self._readable
        if waiter is not None and not waiter.done():
            if frames.messages:
                waiter.set_result(None)
            elif frames.ended:
                waiter.set_exception(WorkerLost("the query worker has stopped"))

    def gone(self) -> bool:
        """Whether the process has ended (killed, or out of memory) while nobody waited on it."""
        ended = self._frames is not None and self._frames.ended
        return ended or (self.process is not None and self.process.poll() is not None)

    def _unwatch(self) -> None:
        if self._watched is not None and self.sock is not None:
            if not self._watched.is_closed():
                self._watched.remove_reader(self.sock.fileno())
        self._watched = None

    def stop(self) -> None:
        """Kill the process (a running query stops with it) and close the socket."""
        self._unwatch()
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.sock is not None:
            self.sock.close()
        self.process, self.sock, self._frames, self.ready = None, None, None, False


# Read at most this much a call: a large answer comes in several reads.
READ_BYTES = 1 << 20


def frame(message: Any) -> bytes:
    """A message as `Connection.send` writes it: its pickle's length (4 bytes, big-endian; -1
    then 8 bytes for 2 GiB and more) and the pickle."""
    payload = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    size = len(payload)
    if size > 0x7FFFFFFF:
        return struct.pack("!iQ", -1, size) + payload
    return struct.pack("!i", size) + payload


@dataclass
class Frames:
    """The bytes read from a worker so far, cut into its messages."""

    buffer: bytearray = field(default_factory=bytearray)
    messages: collections.deque = field(default_factory=collections.deque)
    ended: bool = False

    def feed(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while len(buffer) >= 4:
            (size,) = struct.unpack_from("!i", buffer)
            start = 4
            if size == -1:
                if len(buffer) < 12:
                    return
                (size,) = struct.unpack_from("!Q", buffer, 4)
                start = 12
            if len(buffer) < start + size:
                return
            self.messages.append(pickle.loads(memoryview(buffer)[start : start + size]))
            del buffer[: start + size]


class QueryPool:
    """A fixed number of query workers, taken one per query and given back after it."""

    def __init__(self, spec: dict[str, Any], size: int, shared: Any = None):
        self.spec = spec
        # The on-disk copy the workers open (store.SharedCopy), kept as long as the pool is;
        # removed by the process that built it (the HTTP workers forked from it share it).
        self.shared = shared
        self.size = max(1, size)
        self.restarts = 0
        self._workers: list[Worker] = [Worker(spec) for _ in range(self.size)]
        self._idle: collections.deque[Worker] = collections.deque(self._workers)
        self._clients: dict[str, Client] = {}
        self._generation = 0
        self._snapshot: Path | None = None
        self._retired: set[Path] = set()
        self._updating: asyncio.Lock | None = None
        self._folder: Path | None = None
        self._folders: list[Path] = []
        self._lock = threading.Lock()  # the snapshot is written from a thread
        self._finalizer = weakref.finalize(self, _stop_all, self._workers, self._folders)

    def warm(self) -> None:
        """Start every worker now rather than on first use."""
        for worker in self._workers:
            if worker.process is None:
                with self._lock:
                    worker.start(self._snapshot, self._generation)

    async def run(self, message: Query | Update, timeout: float | None, client: str = "") -> Reply:
        """The reply to a request from a worker, shared fairly between clients (above).

        The request may wait `timeout` seconds for a worker (QueueTimeout after that: it never
        ran), then run `timeout` seconds (WorkerTimeout: the worker is killed and replaced);
        WorkerLost if the worker stopped (replaced too)."""
        who = self._clients.setdefault(client, Client())
        worker = await self._take(timeout, who)
        started = time.monotonic()
        try:
            await self._prepare(worker)
            started = time.monotonic()  # loading is not the query's time
            deadline = started + timeout if timeout else None
            reply = await worker.ask(message, deadline)
        except BaseException as error:  # past the deadline, lost, or the request cancelled
            self._finish(who, client, started)
            self._lose(worker, error)
            raise
        self._finish(who, client, started)
        self._give_back(worker)
        return reply

    async def apply_update(
        self, text: str, base: str | None, timeout: float | None, client: str = ""
    ) -> Reply:
        """Run an update in a worker, on its copy of the latest snapshot, within the time limit
        (past it the worker is killed and nothing has changed); its result becomes the snapshot
        every worker loads. The worker's reply: Updated (with the snapshot's path) or Refused."""
        if self._updating is None:
            self._updating = asyncio.Lock()
        async with self._updating:  # one at a time: each builds on the one before
            with self._lock:
                folder = self._snapshot_folder()
                generation = self._generation + 1
            path = folder / f"snapshot-{generation}.nq"
            try:
                reply = await self.run(Update(text, base, str(path)), timeout, client)
            except BaseException:
                path.unlink(missing_ok=True)
                raise
            if isinstance(reply, Updated):
                with self._lock:
                    if self._snapshot is not None:
                        self._retired.add(self._snapshot)
                    self._snapshot, self._generation = path, generation
                self._sweep()
                return Updated(reply.quads, str(path))
            path.unlink(missing_ok=True)
            return reply

    def _snapshot_folder(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="dakg-snapshots-"))
            self._folders.append(self._folder)
        return self._folder

    def updated(self, store: ox.Store) -> None:
        """The service's store has changed: write its snapshot, which every worker loads before
        its next query (blocking: run it in a thread)."""
        with self._lock:
            generation = self._generation + 1
            path = self._snapshot_folder() / f"snapshot-{generation}.nq"
            store.dump(str(path), ox.RdfFormat.N_QUADS)
            if self._snapshot is not None:
                self._retired.add(self._snapshot)
            self._snapshot, self._generation = path, generation
        self._sweep()

    def _sweep(self) -> None:
        """Remove the old snapshots no worker is still loading."""
        with self._lock:
            busy = {w.loading for w in self._workers}
            for path in [p for p in self._retired if p not in busy]:
                path.unlink(missing_ok=True)
                self._retired.discard(path)

    def stop(self) -> None:
        self._finalizer()

    async def _take(self, timeout: float | None, who: Client) -> Worker:
        if not who.waiting and self._idle and self._may_run(who, time.monotonic()):
            who.running += 1
            return self._idle.popleft()
        if len(who.waiting) >= MAX_WAITING_PER_CLIENT:
            raise ClientBusy(
                "Too many queries from this client are waiting; send the next when one is answered"
            )
        loop = asyncio.get_running_loop()
        waiter = loop.create_future()
        who.waiting.append(waiter)
        started = time.monotonic()
        timer = None
        if timeout:
            timer = loop.call_later(timeout, _queue_expired, waiter, started)
        try:
            return await waiter
        except BaseException:
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                who.running -= 1  # handed a worker just as it gave up
                self._give_back(waiter.result())
            raise
        finally:
            if timer is not None:
                timer.cancel()
            with_waiter = who.waiting
            if waiter in with_waiter:
                with_waiter.remove(waiter)

    def _may_run(self, who: Client, now: float) -> bool:
        """Whether a client may take a worker now: heavy clients leave one worker to the others."""
        if self.size < 2 or who.usage(now) < HEAVY_SECONDS:
            return True
        heavy = sum(c.running for c in self._clients.values() if c.used >= HEAVY_SECONDS)
        return heavy < self.size - 1

    def _finish(self, who: Client, client: str, started: float) -> None:
        """A client's query is over: count its worker time; forget a client that holds nothing."""
        now = time.monotonic()
        who.usage(now)
        who.used += now - started
        who.running -= 1
        if not who.running and not who.waiting and who.used < HEAVY_SECONDS / 64:
            self._clients.pop(client, None)
        if len(self._clients) > MAX_CLIENTS_KEPT:  # many clients: forget the idle ones
            for name, other in list(self._clients.items()):
                if not other.running and not other.waiting:
                    del self._clients[name]

    def _give_back(self, worker: Worker) -> None:
        """Hand a free worker to the waiting client that has used the least (and may run now)."""
        now = time.monotonic()
        while True:
            candidates = [c for c in self._clients.values() if c.waiting and self._may_run(c, now)]
            if not candidates:
                self._idle.append(worker)
                return
            chosen = min(candidates, key=lambda c: c.used)
            waiter = chosen.waiting.popleft()
            if not waiter.done():
                chosen.running += 1
                waiter.set_result(worker)
                return

    async def _prepare(self, worker: Worker) -> None:
        """Start the worker if it has not started, wait until it has loaded, and bring it up to
        date with the latest snapshot (none of this counts against the query's deadline)."""
        if worker.process is not None and worker.gone():
            self._replace(worker, WorkerLost("the query worker stopped while idle"))
        with self._lock:
            if worker.process is None:
                worker.start(self._snapshot, self._generation)
            snapshot, generation = self._snapshot, self._generation
        if not worker.ready:
            await worker.wait_ready()
        if worker.generation < generation:
            worker.loading = snapshot
            reply = await worker.ask(Reload(str(snapshot)), None)
            if not isinstance(reply, Ready):
                raise WorkerLost(f"the query worker could not load the snapshot: {reply!r}")
            worker.generation, worker.loading = generation, None
            self._sweep()

    def _lose(self, worker: Worker, error: BaseException) -> None:
        """A worker whose state is unknown (a query may still run in it): replaced, and the
        fresh one handed on."""
        self._replace(worker, error)
        self._give_back(worker)

    def _replace(self, worker: Worker, error: BaseException | None) -> None:
        """Kill a worker and start a fresh one in its place (it loads while others answer)."""
        worker.stop()
        self.restarts += 1
        if isinstance(error, WorkerLost):
            log.warning("query worker replaced: %s", error)
        with self._lock:
            worker.start(self._snapshot, self._generation)


# What a query worker must not inherit: the secrets of the service (it needs none of them).
SECRETS = ("DAKG_UPDATE_TOKEN", "DAKG_SPARQL_PASSWORD", "DAKG_SPARQL_TOKEN", "DAKG_SPARQL_USER")


def worker_environment() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if k not in SECRETS}


def _expire(waiter: asyncio.Future) -> None:
    if not waiter.done():
        waiter.set_exception(WorkerTimeout())


def _queue_expired(waiter: asyncio.Future, started: float) -> None:
    if not waiter.done():
        waiter.set_exception(QueueTimeout(time.monotonic() - started))


def _stop_all(workers: list[Worker], folders: list[Path]) -> None:
    for worker in workers:
        worker.stop()
    for folder in folders:
        shutil.rmtree(folder, ignore_errors=True)
