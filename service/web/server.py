"""`dakg serve`: the app factory on uvicorn (one HTTP worker per core for a read-only endpoint), on
uvloop and httptools when they are installed."""

from __future__ import annotations

import argparse
import copy
import dataclasses
import importlib.util
import logging.config
import os
import shutil
import sys
import tempfile
from pathlib import Path

from dakg.settings import Settings


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default=None, help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=None, help="port to listen on (default 8000)")
    parser.add_argument(
        "--access-log",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="log every request (default: off, or DAKG_ACCESS_LOG)",
    )
    parser.add_argument(
        "--store",
        default=None,
        help="memory (default), oxigraph:PATH or sparql:QUERY_URL (or DAKG_STORE)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=None,
        help="HTTP worker processes, each with its own query workers (default, or 0: one per "
        "core for a read-only endpoint, one with an update token; or DAKG_WORKERS)",
    )
    parser.add_argument(
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )


def engine(settings: Settings) -> bool:
    """Whether the graph is on an external SPARQL engine (which holds the one copy)."""
    return settings.store.startswith("sparql:")


def http_workers(settings: Settings) -> int:
    """How many HTTP worker processes to start: as asked, else one per core for a read-only
    endpoint (each answers on its own core; in memory they share the loaded graph's pages and
    one on-disk copy for their query workers) and one when an update token is set on the
    embedded store (an update must reach the one copy)."""
    if settings.workers > 0:
        return settings.workers
    if settings.update_token and not engine(settings):
        return 1
    return max(1, os.cpu_count() or 1)


def event_loop() -> str:
    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def http_protocol() -> type:
    """uvicorn's httptools protocol with bounds on each connection (httpguard.py)."""
    from dakg.web.httpguard import GuardedHttpToolsProtocol

    return GuardedHttpToolsProtocol


def raise_open_file_limit() -> None:
    """Let the process hold as many connections as its hard limit allows."""
    import resource

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def log_config(level: str, access_log: bool) -> dict:
    """Logging for every server process: messages on standard error and, when the access log is
    on, one JSON object a line on standard output for log shippers (service/web/observability.py)."""
    import uvicorn.config

    config = copy.deepcopy(uvicorn.config.LOGGING_CONFIG)
    config["formatters"]["dakg"] = {"format": "%(levelname)s: %(name)s: %(message)s"}
    config["formatters"]["json-lines"] = {"format": "%(message)s"}
    config["handlers"]["dakg"] = {
        "class": "logging.StreamHandler",
        "formatter": "dakg",
        "stream": "ext://sys.stderr",
    }
    config["handlers"]["json-lines"] = {
        "class": "logging.StreamHandler",
        "formatter": "json-lines",
        "stream": "ext://sys.stdout",
    }
    config["loggers"]["dakg"] = {"handlers": ["dakg"], "level": level.upper(), "propagate": False}
    config["loggers"]["dakg.access"] = {
        "handlers": ["json-lines"] if access_log else [],
        "level": "INFO" if access_log else "WARNING",
        "propagate": False,
    }
    return config


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Load the graph (a graph that fails to load stops here, before the port opens), then serve,
    from one HTTP worker per core for a read-only endpoint (`http_workers`).

    In memory the workers are forked once the graph is loaded (service/web/forking.py); on disk and
    on an engine they are spawned, and each builds its own app from the settings given here. In
    memory each forked worker listens on a socket of its own (service/web/forking.py); spawned
    ones share uvicorn's one socket."""
    settings = dataclasses.replace(
        settings,
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        store=args.store or settings.store,
        access_log=settings.access_log if args.access_log is None else args.access_log,
        workers=args.workers if args.workers is not None else settings.workers,
    )
    logging_config = log_config(args.log_level, settings.access_log)
    logging.config.dictConfig(logging_config)
    if settings.workers > 1 and settings.update_token and not engine(settings):
        print(
            "dakg serve: --workers above 1 serves a read-only endpoint: with DAKG_UPDATE_TOKEN "
            "set, each worker would apply an update to its own copy of the store (on an external "
            "engine, which holds the one copy, several workers may take updates)",
            file=sys.stderr,
        )
        return 2
    workers = http_workers(settings)
    shared = tempfile.mkdtemp(prefix="dakg-metrics-") if workers > 1 else None
    if shared is not None:
        # The HTTP workers share their counters for /metrics through this folder, and the cores
        # for their queries: each gets its share of query workers (at least two, so that one long
        # query leaves another free), unless told otherwise.
        settings = dataclasses.replace(settings, metrics_dir=Path(shared))
        if "DAKG_QUERY_PROCESSES" not in os.environ:
            share = max(2, (os.cpu_count() or 1) // workers)
            settings = dataclasses.replace(settings, query_processes=share)
    try:
        return serve(settings, workers, args.log_level, logging_config)
    finally:
        if shared is not None:
            shutil.rmtree(shared, ignore_errors=True)


def serve_spawned(settings: Settings, workers: int, options: dict) -> int:
    """Serve from `workers` spawned processes on uvicorn's one socket, each building its app
    from these settings (handed to it with the factory, as the command line gave them)."""
    import functools

    import uvicorn
    from dakg.web.app import create_app
    from uvicorn.supervisors import Multiprocess

    config = uvicorn.Config(
        functools.partial(create_app, settings), factory=True, workers=workers, **options
    )
    sock = config.bind_socket()
    try:
        Multiprocess(config, sockets=[sock]).run()
    finally:
        sock.close()
    return 0


def serve(settings: Settings, workers: int, log_level: str, logging_config: dict) -> int:
    """Load the graph, then serve it: in this process, from workers forked once it is loaded
    (in memory), or from workers that each open the store (on disk, on an engine)."""
    import uvicorn
    from dakg.web.app import create_app, release_store
    from dakg.web.forking import serve_forked

    raise_open_file_limit()
    app = create_app(settings)
    dataset = app.state.dataset
    if dataset.load_incomplete() and not settings.allow_incomplete:
        print(
            f"dakg serve: {dataset.config.describe()} holds a dakg load that did not finish (or "
            "whose counts were wrong): load it again, or serve it anyway with "
            "DAKG_ALLOW_INCOMPLETE=1",
            file=sys.stderr,
        )
        return 2
    print(
        f"dakg: {dataset.triples} quads in {len(dataset.sources)} graphs (version {dataset.version}) "
        f"on {dataset.config.describe()}"
        f"{f', {workers} workers' if workers > 1 else ''}; "
        f"SPARQL endpoint at http://{settings.host}:{settings.port}/sparql",
        file=sys.stderr,
        flush=True,
    )
    options: dict = dict(
        host=settings.host,
        port=settings.port,
        loop=event_loop(),
        http=http_protocol(),
        timeout_keep_alive=settings.idle_timeout,
        # A request still running this long after SIGTERM is dropped: a busy server stops.
        timeout_graceful_shutdown=5,
        lifespan="on",
        access_log=False,  # the JSON access log of service/web/observability.py replaces uvicorn's
        log_level=log_level,
        log_config=logging_config,
        server_header=False,
    )
    pool = app.state.query_pool
    shared = pool.shared if pool is not None else None
    forked = workers > 1 and not dataset.persistent
    del dataset  # what serves reads the app's own (release_store may replace it)
    if forked:
        release_store(app)  # the workers open the shared copy: this process keeps no graph
        try:
            return serve_forked(uvicorn.Config(app, **options), workers)
        finally:
            if shared is not None:  # the query workers' on-disk copy goes with the server
                shared.remove()
    if workers > 1:
        del app  # each worker opens its own; this one only proved the graph loads
        return serve_spawned(settings, workers, options)
    server = uvicorn.Server(uvicorn.Config(app, **options))
    try:
        server.run()
    finally:
        if shared is not None:
            shared.remove()
    return 0 if server.started else 1
