"""Several HTTP workers forked from the process that loaded the graph.

`dakg serve` on the in-memory store loads the graph once, binds the port, and forks its HTTP
workers from there: each starts at once (no second import or load) and shares the loaded store's
memory with the others until it writes to it, which a read-only endpoint never does. The parent
only watches: it passes SIGINT, SIGTERM and SIGHUP on to the workers and waits for them (and a
worker stops if the parent dies without passing anything on); a worker that
dies is forked again from the same loaded state, unless it died within seconds of its start
(then the server stops, rather than fork a failing worker again and again).

Forking is safe here because the parent has started no thread: the query workers, query threads
and event loop are each started by a worker after the fork. An on-disk store is not forked (its
RocksDB threads would not follow), and neither is an engine's client (its connections would be
shared): there uvicorn spawns workers that open the store themselves.
"""

from __future__ import annotations

import ctypes
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
    """Serve the config's app from `workers` forked processes on one listening socket; the
    exit status: 0 after a signal, 1 when a worker failed."""
    sock = config.bind_socket()
    children: dict[int, float] = {}
    stopping = False
    parent = os.getpid()

    def fork() -> None:
        # Signals wait until the new worker is known: one that came in between would not reach it.
        signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)
        try:
            if stopping:
                return
            pid = os.fork()
            if pid == 0:
                serve_child(config, sock, parent)
            children[pid] = time.monotonic()
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
    for _ in range(workers):
        fork()
    failed = False
    while children:
        try:
            pid, status = os.wait()
        except ChildProcessError:
            break
        started = children.pop(pid, None)
        if started is None or stopping:
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
        fork()
    sock.close()
    return 1 if failed else 0


def serve_child(config: uvicorn.Config, sock: socket.socket, parent: int) -> None:
    """A worker: serve until a signal, then leave without the parent's cleanup (never returns)."""
    code = 1
    try:
        # A group of its own: a Ctrl-C at the terminal reaches the parent only, which passes it
        # on once (a second SIGINT would make uvicorn skip its shutdown).
        os.setpgid(0, 0)
        for signum in FORWARDED:
            signal.signal(signum, signal.SIG_DFL)
        stop_with_parent(parent)
        signal.pthread_sigmask(signal.SIG_UNBLOCK, FORWARDED)
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
        code = 0 if server.started else 1
    except Exception:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


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
