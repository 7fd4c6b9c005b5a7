"""Several HTTP workers forked from the process that loaded the graph.

`dakg serve` on the in-memory store loads the graph once, binds the port, and forks its HTTP
workers from there: each starts at once (no second import or load) and shares the loaded store's
memory with the others until it writes to it, which a read-only endpoint never does. The parent
only watches: it passes SIGINT, SIGTERM and SIGHUP on to the workers and waits for them (and a
worker stops if the parent dies without passing anything on); a worker that
dies is forked again from the same loaded state, unless it died within seconds of its start
(then the server stops, rather than fork a failing worker again and again).

Each worker accepts on a listening socket of its own, all bound to the port with SO_REUSEPORT,
so that the kernel spreads new connections over the workers (by a hash of each connection's
addresses). On one shared listening socket, the worker that wakes first accepts every
connection waiting, and a client that opens its connections together (a load generator, a
pool) could find them all on one worker while the others idled. The parent opens the sockets,
listening, before it forks, and keeps them: the port is held from the start (after a plain bind
has shown it free, so another server cannot join it by mistake), and a worker forked in place
of one that died takes over its socket and the connections queued there.

Forking is safe here because the parent has started no thread: the query workers, query threads
and event loop are each started by a worker after the fork. An on-disk store is not forked (its
RocksDB threads would not follow), and neither is an engine's client (its connections would be
shared): there uvicorn spawns workers that open the store themselves.
"""

from __future__ import annotations

import ctypes
import gc
import os
import signal
import socket
import sys
import time
import traceback

import uvicorn

# A worker that stops within this many seconds of its start is not started again.
SHORTEST_LIFE = 5.0


# Signals the parent passes on to its workers (a hang-up as SIGTERM: uvicorn stops on that).
FORWARDED = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
PR_SET_PDEATHSIG = 1


def serve_forked(config: uvicorn.Config, workers: int) -> int:
    """Serve the config's app from `workers` forked processes, each on its own listening socket
    (see the module's description); the exit status: 0 after a signal, 1 when a worker failed."""
    try:
        sockets = listening_sockets(config, workers)
    except OSError as error:
        print(f"dakg serve: cannot listen on {config.host}:{config.port}: {error}", file=sys.stderr)
        return 1
    children: dict[int, tuple[float, int]] = {}  # pid: (started, index of its socket)
    stopping = False
    parent = os.getpid()

    def fork(index: int) -> None:
        # Signals wait until the new worker is known: one that came in between would not reach it.
        signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        try:
            if stopping:
                return
            pid = os.fork()
            if pid == 0:
                serve_child(config, sockets, index, parent)
            children[pid] = (time.monotonic(), index)
        finally:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        passed = signal.SIGTERM if signum == signal.SIGHUP else signum
        for pid in children:
            try:
                os.kill(pid, passed)
            except ProcessLookupError:
                pass

    for signum in FORWARDED:
        signal.signal(signum, stop)
    # What the parent holds (the app, its routes, the loaded graph's Python objects) is moved out
    # of the collector's sight: a collection in a worker would otherwise write to every object's
    # header, and so copy every page of the parent's heap into each worker (bench/memory.py).
    gc.freeze()
    for index in range(workers):
        fork(index)
    failed = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        started, index = children.pop(pid, (0.0, -1))
        if index < 0 or stopping:
            continue
        code = os.waitstatus_to_exitcode(status)
        if time.monotonic() - started < SHORTEST_LIFE:
            print(
                f"dakg serve: HTTP worker {pid} stopped ({code}) as it started: stopping",
                file=sys.stderr,
                flush=True,
            )
            failed = True
            stop(signal.SIGTERM, None)
            continue
        print(
            f"dakg serve: HTTP worker {pid} stopped ({code}): starting another",
            file=sys.stderr,
            flush=True,
        )
        fork(index)
    for sock in sockets:
        sock.close()
    return 1 if failed else 0


def serve_child(
    config: uvicorn.Config, sockets: list[socket.socket], index: int, parent: int
) -> None:
    """A worker on the index-th socket: serve until a signal, then leave without the parent's
    cleanup (never returns)."""
    code = 1
    try:
        # A group of its own: a Ctrl-C at the terminal reaches the parent only, which passes it
        # on once (a second SIGINT would make uvicorn skip its shutdown).
        os.setpgid(0, 0)
        for signum in FORWARDED:
            signal.signal(signum, signal.SIG_DFL)
        stop_with_parent(parent)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
        for other, sock in enumerate(sockets):
            if other != index:
                sock.close()
        server = uvicorn.Server(config)
        server.run(sockets=[sockets[index]])
        code = 0 if server.started else 1
    except Exception:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def listening_sockets(config: uvicorn.Config, count: int) -> list[socket.socket]:
    """`count` sockets listening on the config's address, sharing it (SO_REUSEPORT). A plain
    bind comes first: when anything else has the port, uvicorn says so and the server stops."""
    with config.bind_socket() as plain:
        family, address = plain.family, plain.getsockname()  # the port chosen, if 0 was asked
    sockets: list[socket.socket] = []
    try:
        for _ in range(count):
            sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
            sockets.append(sock)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
            sock.bind(address)
            sock.listen(config.backlog)
    except OSError:
        for sock in sockets:
            sock.close()
        raise
    return sockets


def stop_with_parent(parent: int) -> None:
    """Have the kernel send this worker SIGTERM when the parent dies (killed, say, without
    passing anything on), so that no worker is left holding the port (Linux)."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)
