"""Several HTTP workers forked from the process that loaded the graph.

`dakg serve` on the in-memory store loads the graph once, binds the port, and forks its HTTP
workers from there: each starts at once (no second import or load) and shares the loaded store's
memory with the others until it writes to it, which a read-only endpoint never does. The parent
only watches: it passes SIGINT and SIGTERM on to the workers and waits for them; a worker that
dies is forked again from the same loaded state, unless it died within seconds of its start
(then the server stops, rather than fork a failing worker again and again).

Forking is safe here because the parent has started no thread: the query workers, query threads
and event loop are each started by a worker after the fork. An on-disk store is not forked (its
RocksDB threads would not follow), and neither is an engine's client (its connections would be
shared): there uvicorn spawns workers that open the store themselves.
"""

from __future__ import annotations

import os
import signal
import sys
import time

import uvicorn

# A worker that stops within this many seconds of its start is not started again.
SHORTEST_LIFE = 5.0


def serve_forked(config: uvicorn.Config, workers: int) -> int:
    """Serve the config's app from `workers` forked processes on one listening socket; the
    exit status: 0 after a signal, 1 when a worker failed."""
    sock = config.bind_socket()
    children: dict[int, float] = {}
    stopping = False

    def fork() -> None:
        pid = os.fork()
        if pid == 0:  # the worker: serve until a signal, then leave without the parent's cleanup
            code = 1
            try:
                # A group of its own: a Ctrl-C at the terminal reaches the parent only, which
                # passes it on once (a second SIGINT would make uvicorn skip its shutdown).
                os.setpgid(0, 0)
                for signum in (signal.SIGINT, signal.SIGTERM):
                    signal.signal(signum, signal.SIG_DFL)
                server = uvicorn.Server(config)
                server.run(sockets=[sock])
                code = 0 if server.started else 1
            finally:
                sys.stdout.flush()
                sys.stderr.flush()
                os._exit(code)
        children[pid] = time.monotonic()

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True
        for pid in children:
            try:
                os.kill(pid, signum)
            except ProcessLookupError:
                pass

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
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
