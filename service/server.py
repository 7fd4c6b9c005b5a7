"""`dakg serve`: the app factory on uvicorn, on uvloop and httptools when they are installed."""

from __future__ import annotations

import argparse
import dataclasses
import importlib.util
import logging
import sys

from .settings import Settings


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
        "--log-level", default="info", choices=("critical", "error", "warning", "info", "debug")
    )


def event_loop() -> str:
    return "uvloop" if importlib.util.find_spec("uvloop") else "asyncio"


def http_protocol() -> str:
    return "httptools" if importlib.util.find_spec("httptools") else "h11"


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Load the graph (a graph that fails to load stops here, before the port opens), then serve."""
    import uvicorn

    from .app import create_app

    settings = dataclasses.replace(
        settings,
        host=args.host or settings.host,
        port=args.port if args.port is not None else settings.port,
        store=args.store or settings.store,
        access_log=settings.access_log if args.access_log is None else args.access_log,
    )
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s: %(name)s: %(message)s")
    if settings.access_log:
        # One JSON object a line on standard output, for log shippers (service/observability.py).
        handler = logging.StreamHandler(sys.stdout)
        handler.setFormatter(logging.Formatter("%(message)s"))
        access = logging.getLogger("dakg.access")
        access.addHandler(handler)
        access.setLevel(logging.INFO)
        access.propagate = False
    app = create_app(settings)
    dataset = app.state.dataset
    print(
        f"dakg: {dataset.triples} quads in {len(dataset.sources)} graphs (version {dataset.version}) "
        f"on {dataset.config.describe()}; "
        f"SPARQL endpoint at http://{settings.host}:{settings.port}/sparql",
        file=sys.stderr,
        flush=True,
    )
    config = uvicorn.Config(
        app,
        host=settings.host,
        port=settings.port,
        loop=event_loop(),
        http=http_protocol(),
        lifespan="on",
        access_log=False,  # the JSON access log of service/observability.py replaces uvicorn's
        log_level=args.log_level,
        server_header=False,
    )
    server = uvicorn.Server(config)
    server.run()
    return 0 if server.started else 1
