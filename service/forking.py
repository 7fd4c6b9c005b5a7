"""Several HTTP workers forked from the process that loaded the graph.

`dakg serve` on the in-memory store loads the graph once, binds the port, and forks its HTTP
workers from there: each starts at once (no second import or load) and shares the loaded store's
memory with the others until it writes to it, which a read-only endpoint never does. The parent
only watches: it passes SIGINT, SIGTERM and SIGHUP on to the workers and waits for them (and a
worker stops if the parent dies without passing anything on); a worker that
dies is forked again from the same loaded state, unless it died within seconds of its start
(then the server stops, rather than fork a failing worker again and again).

Each worker listens on a socket of its own, all bound to the port with SO_REUSEPORT, so that
the kernel spreads new connections across the workers (by a hash of each connection's
addresses). On one shared listening socket, the worker that wakes first accepts every
connection waiting, and a client that opens its connections together (a load generator, a
pool) could find them all on one worker while the others idled. The parent holds the port with
a socket that never listens (so receives no connection), bound only once a plain bind has shown
the port free: another server cannot share the port by mistake. A worker's own socket closes
with it, and with it any connection the kernel had queued there but the worker had not taken.

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
    try:
        sock = port_holder(config)
    except OSError as error:
        print(f"dakg serve: cannot listen on {config.host}:{config.port}: {error}", file=sys.stderr)
        return 1
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
        own = shared_port_socket(sock.family, sock.getsockname())
        sock.close()
        server = uvicorn.Server(config)
        server.run(sockets=[own])
        code = 0 if server.started else 1
    except Exception:
        traceback.print_exc()
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(code)


def port_holder(config: uvicorn.Config) -> socket.socket:
    """A socket that holds the config's port for the workers' own (it never listens): bound
    plainly first, which fails when anything else has the port, then again to share it."""
    with config.bind_socket() as plain:
        family, address = plain.family, plain.getsockname()  # the port chosen, if 0 was asked
    return shared_port_socket(family, address)


def shared_port_socket(family: socket.AddressFamily, address: tuple) -> socket.socket:
    """A TCP socket bound to an address that the other workers' sockets bind too."""
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        sock.bind(address)
    except OSError:
        sock.close()
        raise
    return sock


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
