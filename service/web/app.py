"""The HTTP service: an app factory that loads the dataset once and mounts each router."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pyoxigraph as ox
from dakg import __version__
from dakg.execution import executor
from dakg.execution.messages import Limits
from dakg.execution.pool import QueryPool
from dakg.execution.threads import QueryThreads
from dakg.packaged import internal_queries
from dakg.settings import Settings
from dakg.store.backends import StoreError
from dakg.store.dataset import UNKNOWN, Dataset
from dakg.store.embedded import SharedCopy
from dakg.web import caching, conneg, deps, problems, search, void
from dakg.web.api import api_router
from dakg.web.deps import DatasetDep
from dakg.web.endpoint import routes as sparql
from dakg.web.endpoint.page import QueryPage
from dakg.web.endpoint.proxy import EngineClient
from dakg.web.endpoint.requests import PATH as SPARQL_PATH
from dakg.web.endpoint.responses import AnswerCache
from dakg.web.endpoint.updates import AuthFailures
from dakg.web.httpguard import STATE_KEY, HttpLimits
from dakg.web.linked_data import routes as resources
from dakg.web.linked_data import views as html
from dakg.web.linked_data.pictures import Queries as PictureQueries
from dakg.web.linked_data.pictures import pictures_router
from dakg.web.observability import (
    Metrics,
    ObservabilityMiddleware,
    SharedCounts,
    metrics_endpoint,
    share_counts,
)
from fastapi import FastAPI, Request
from fastapi.responses import (
    HTMLResponse,
    JSONResponse,
    RedirectResponse,
    Response,
)
from fastapi.staticfiles import StaticFiles
from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Receive, Scope, Send
from swagger_ui_bundle import swagger_ui_path


def create_app(settings: Settings | None = None, dataset: Dataset | None = None) -> FastAPI:
    """A new app; refuses to start (raises) when the graph does not load."""
    settings = settings or Settings.from_env()
    # Without an update token nothing writes: an on-disk store is opened read-only (no lock).
    dataset = dataset or Dataset.open(
        settings.root, settings.store, settings.query_timeout, read_only=not settings.update_token
    )
    app = Service(
        title="dakg — Digital Agency activity knowledge graph",
        version=__version__,
        description="The Digital Agency's 2021-09 to 2022-08 activity report as linked data.",
        lifespan=lifespan,
        # Served by the routes below, which build the document off the event loop.
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        exception_handlers=exception_handlers(),
    )
    app.state.settings = settings
    app.state.openapi_lock = threading.Lock()
    app.state.openapi_build = None
    app.state.dataset = dataset
    app.state.threads = QueryThreads(settings.query_threads)
    app.state.query_pool = query_pool(settings, dataset)
    app.state.executor = query_executor(app, settings)
    app.state.negotiator = conneg.Negotiator()
    app.state.cache = AnswerCache(settings.cache_entries, settings.cache_bytes)
    app.state.cache_control = settings.cache_control
    app.state.auth_failures = AuthFailures()
    app.state.builds = void.Builds()
    app.state.service_queries = void.load_service_queries(internal_queries("store"))
    app.state.pictures_queries = PictureQueries.load(settings.queries_dir)
    app.state.query_page = QueryPage.build(settings)
    app.state.proxy_client = EngineClient(settings.query_timeout)
    app.add_middleware(caching.OpenCORS)
    app.state.metrics = Metrics()
    app.state.shared_counts = SharedCounts(settings.metrics_dir) if settings.metrics_dir else None
    app.add_middleware(
        ObservabilityMiddleware, metrics=app.state.metrics, log_requests=settings.access_log
    )
    app.sparql_lane = ObservabilityMiddleware(
        caching.OpenCORS(sparql.endpoint_app),
        app.state.metrics,
        settings.access_log,
        route=SPARQL_PATH,
    )
    app.add_api_route(OPENAPI, openapi_document, methods=["GET"], include_in_schema=False)
    app.add_api_route("/docs", swagger_page, methods=["GET"], include_in_schema=False)
    app.add_api_route("/redoc", redoc_page, methods=["GET"], include_in_schema=False)
    app.mount(SWAGGER_UI, StaticFiles(directory=swagger_ui_path), name="swagger-ui")
    app.add_api_route("/metrics", metrics_endpoint, methods=["GET"], summary="Prometheus metrics")
    app.add_api_route("/health", health, methods=["GET"], summary="Service health")
    app.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)
    app.include_router(sparql.router)
    app.include_router(void.router)
    app.include_router(resources.router)
    app.include_router(search.router)
    app.include_router(api_router(settings.queries_dir, lambda: app.state.dataset))
    app.include_router(pictures_router())
    return app


class Service(FastAPI):
    """The FastAPI app, with a lane past its middleware for the SPARQL endpoint, which takes most
    of the traffic: a /sparql request that is not cross-origin (no Origin header, so no CORS
    preflight to answer) goes straight to the endpoint, with the CORS headers every answer has,
    timed and counted as every request is. The
    routing and middleware it skips cost more than a cached answer (measured in bench/)."""

    sparql_lane: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        lane = self.sparql_lane
        if (
            lane is not None
            and scope["type"] == "http"
            and scope["path"] == SPARQL_PATH
            and not any(name == b"origin" for name, _ in scope["headers"])
        ):
            scope["app"] = self
            await lane(scope, receive, send)
            return
        await super().__call__(scope, receive, send)


def http_limits(settings: Settings) -> HttpLimits:
    """The bounds of one HTTP connection; at most the connections the open-file limit allows."""
    import resource

    files, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    room = settings.max_connections if files == resource.RLIM_INFINITY else max(16, files - 128)
    return HttpLimits(
        header_timeout=settings.header_timeout,
        body_timeout=settings.body_timeout,
        max_header_bytes=settings.max_header_bytes,
        max_headers=settings.max_headers,
        max_connections=min(settings.max_connections, room),
    )


def query_executor(app: FastAPI, settings: Settings) -> executor.Executor:
    """Where every route's queries run, chosen once: the engine, the query workers or the query
    threads (service/execution/executor.py), with the endpoint's time limit and caps. It reads
    the app's dataset at each query, since an update replaces it."""
    return executor.build(
        app.state.query_pool,
        app.state.dataset.engine,
        lambda: app.state.dataset.store,
        app.state.threads,
        settings.query_timeout,
        Limits(rows=settings.max_result_rows, bytes=settings.max_result_bytes),
    )


def query_pool(settings: Settings, dataset: Dataset) -> QueryPool | None:
    """Worker processes for clients' queries, where the store can be shared with them or copied
    into them. A read-only endpoint in memory writes its graph once into an on-disk store in a
    temporary folder (store.SharedCopy) that every query worker opens read-only, as they open an
    on-disk store that nothing writes to: one copy on the machine, its pages shared through the
    page cache, whatever the number of workers. With an update token in memory each worker loads
    the sources (and the snapshots of updates) into a copy of its own. Elsewhere queries run in
    the server's threads: on an engine, which bounds its own queries, and on a disk store open
    for updates, which no other process may open meanwhile."""
    if settings.query_processes <= 0 or not dataset.shares_with_workers(
        bool(settings.update_token)
    ):
        return None
    # A worker may reach the network only when federation is allowed (SERVICE to the allow-list).
    spec: dict = {
        "memory_bytes": settings.query_memory_bytes,
        "network": bool(settings.federation_allow),
    }
    shared = None
    if dataset.in_memory is not None and not settings.update_token:
        shared = SharedCopy.build(dataset.in_memory)
        spec.update(kind="disk", path=str(shared.store_path))
    elif dataset.in_memory is not None:
        spec.update(kind="memory", sources=list(dataset.sources))
    else:
        spec.update(kind="disk", path=str(dataset.config.folder.resolve()))
    return QueryPool(spec, settings.query_processes, shared=shared)


def open_shared_copy(app: FastAPI) -> None:
    """Serve a read-only in-memory endpoint from its shared on-disk copy (store.SharedCopy), as
    its query workers do: the in-memory graph goes (in an HTTP worker forked from the loading
    process, its pages would be copied into each worker as soon as they are read), and every
    process reads the one copy through the page cache. Opened here, in the process that serves:
    the one that loads forks its HTTP workers, and must not start RocksDB's threads first."""
    pool = app.state.query_pool
    dataset = app.state.dataset
    if pool is None or pool.shared is None:  # only a read-only in-memory endpoint has one
        return
    shared = ox.Store.read_only(str(pool.shared.store_path))
    app.state.dataset = dataclasses.replace(dataset, store=shared)


def release_store(app: FastAPI) -> None:
    """Let go of the loaded in-memory graph where the HTTP workers will open the shared copy
    instead (open_shared_copy): the process that forks them then holds no copy of its own."""
    pool = app.state.query_pool
    if pool is not None and pool.shared is not None:
        # No store until each worker opens the shared copy, before it serves anything.
        app.state.dataset = dataclasses.replace(app.state.dataset, store=None)
        return_freed_memory()


def return_freed_memory() -> None:
    """Give the memory of what was just let go back to the system: glibc's allocator keeps freed
    blocks for reuse, so the forked workers would otherwise start with the whole graph's pages
    (about 270 MB at a million triples) mapped, though nothing uses them."""
    import ctypes
    import gc

    gc.collect()
    try:
        ctypes.CDLL(None).malloc_trim(0)
    except (OSError, AttributeError):  # not glibc: the memory stays with the allocator
        pass


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[dict]:
    """Start the query workers with the server (and the sharing of counters between HTTP
    workers), and stop them and the query threads with it. The state it gives the server holds
    the bounds of its HTTP connections (httpguard.py)."""
    open_shared_copy(app)
    app.state.executor.start()
    sharing = None
    if app.state.shared_counts is not None:
        sharing = asyncio.create_task(share_counts(app.state))
    yield {STATE_KEY: http_limits(app.state.settings)}
    if sharing is not None:
        sharing.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sharing
    app.state.executor.stop()
    await app.state.proxy_client.aclose()
    app.state.dataset.close()


OPENAPI = "/openapi.json"


def build_openapi(app: FastAPI) -> dict:
    """The OpenAPI document, built once (FastAPI keeps it): one thread builds, others wait."""
    with app.state.openapi_lock:
        return app.openapi()


async def openapi_document(request: Request) -> JSONResponse:
    """/openapi.json, built in a thread the first time: its examples are the first rows of each
    saved query, which on a large store take minutes in all and must not hold the event loop."""
    app = request.app
    schema = app.openapi_schema
    if schema is None:
        # One build for every request that comes meanwhile: each awaits it on the loop (one
        # thread builds, rather than one thread per waiting request).
        loop = asyncio.get_running_loop()
        build = app.state.openapi_build
        if (
            build is None
            or build.get_loop() is not loop
            or (build.done() and (build.cancelled() or build.exception() is not None))
        ):
            build = app.state.openapi_build = loop.create_task(
                run_in_threadpool(build_openapi, app)
            )
        schema = await asyncio.shield(build)
    return JSONResponse(schema)


SWAGGER_UI = "/static/swagger-ui"


async def swagger_page(request: Request) -> Response:
    """Swagger UI in the site's page (its header, language switch and footer), its files served
    from our own origin (swagger-ui-bundle-v2), so that the documentation works without the
    internet."""
    page = html.render_standalone(request, "docs.html", "/docs", openapi=OPENAPI)
    return HTMLResponse(page, headers={"vary": "Accept-Language"})


async def redoc_page(request: Request) -> Response:
    """ReDoc ships no Python package of its files (it loads from a CDN): /redoc goes to /docs."""
    root = request.scope.get("root_path", "").rstrip("/")
    return RedirectResponse(f"{root}/docs", status_code=301)


def exception_handlers() -> dict:
    """The one table of refusals: every DakgError (the protocol's refusals among them, which
    reach the API's routes) answered by dakg.web.problems in its route's shape, the pages'
    own for the linked-data pages."""
    return problems.handlers(page=resources.page_problem)


def check_store(dataset: Dataset) -> tuple[Dataset, int]:
    """The dataset (read again if its engine was down) and its number of named graphs."""
    if dataset.remote:
        dataset.ping()
        if dataset.version == UNKNOWN:
            dataset = dataset.refreshed()
    return dataset, sum(1 for _ in dataset.store.named_graphs())


async def health(request: Request, dataset: DatasetDep) -> JSONResponse:
    """Whether the store answers, with its size and the dataset version (503 when it does not)."""
    try:
        current, graphs = await run_in_threadpool(check_store, dataset)
    except StoreError as error:
        return JSONResponse(
            {
                "status": "unavailable",
                "store": dataset.config.describe(),
                "error": error.message,
                "version": dataset.version,
            },
            status_code=503,
            headers={"cache-control": "no-store", "retry-after": "5"},
        )
    if current is not dataset and deps.dataset(request) is dataset:
        deps.replace_dataset(request, current)
    incomplete = await run_in_threadpool(current.load_incomplete)
    return JSONResponse(
        {
            "status": "incomplete" if incomplete else "ok",
            "store": current.config.describe(),
            "triples": current.triples,
            "version": current.version,
            "graphs": graphs,
            **({"error": "the store holds a dakg load that did not finish"} if incomplete else {}),
        },
        status_code=503 if incomplete else 200,
        headers={"cache-control": "no-store"},
    )
