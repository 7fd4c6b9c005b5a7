"""The HTTP service: an app factory that loads the dataset once and mounts each router."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse

from . import __version__, negotiation, resources, sparql, void
from .api import api_router
from .dataset import Dataset
from .pictures import Queries as PictureQueries
from .pictures import pictures_router
from .settings import Settings


def create_app(settings: Settings | None = None, dataset: Dataset | None = None) -> FastAPI:
    """A new app; refuses to start (raises) when the graph does not load."""
    settings = settings or Settings.from_env()
    dataset = dataset or Dataset.load(settings.root)
    app = FastAPI(
        title="dakg — Digital Agency activity knowledge graph",
        version=__version__,
        description="The Digital Agency's 2021-09 to 2022-08 activity report as linked data.",
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.dataset = dataset
    app.state.threads = sparql.QueryThreads(settings.query_threads)
    app.state.negotiator = negotiation.Negotiator()
    app.state.cache = sparql.AnswerCache(settings.cache_entries, settings.cache_bytes)
    app.state.cache_control = settings.cache_control
    app.state.builds = void.Builds()
    app.state.service_queries = void.load_service_queries(settings.queries_dir / "service")
    app.state.pictures_queries = PictureQueries.load(settings.queries_dir)
    app.state.query_page = sparql.QueryPage.build(settings)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
        allow_headers=["Accept", "Authorization", "Content-Type", "If-None-Match"],
        expose_headers=["ETag", "Content-Disposition", "Content-Type", "Link", "Content-Location"],
        max_age=86400,
    )
    app.add_api_route("/health", health, methods=["GET"], summary="Service health")
    app.add_api_route("/health", health, methods=["HEAD"], include_in_schema=False)
    app.include_router(sparql.router)
    app.include_router(void.router)
    app.include_router(resources.router)
    app.include_router(api_router(settings.queries_dir, dataset))
    app.include_router(pictures_router())
    return app


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Stop the query threads when the server stops."""
    yield
    app.state.threads.shutdown()


async def health(request: Request) -> JSONResponse:
    """Whether the store is loaded, with its size and the dataset version."""
    dataset = request.app.state.dataset
    graphs = sum(1 for _ in dataset.store.named_graphs())
    return JSONResponse(
        {
            "status": "ok",
            "triples": dataset.triples,
            "version": dataset.version,
            "graphs": graphs,
        },
        headers={"cache-control": "no-store"},
    )
