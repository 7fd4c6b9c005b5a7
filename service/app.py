"""The HTTP service: an app factory that loads the dataset once and mounts each router."""

from __future__ import annotations

from fastapi import FastAPI

from . import __version__, resources, sparql
from .dataset import Dataset
from .settings import Settings


def create_app(settings: Settings | None = None, dataset: Dataset | None = None) -> FastAPI:
    """A new app; refuses to start (raises) when the graph does not load."""
    settings = settings or Settings.from_env()
    dataset = dataset or Dataset.load(settings.root)
    app = FastAPI(
        title="dakg — Digital Agency activity knowledge graph",
        version=__version__,
        description="The Digital Agency's 2021-09 to 2022-08 activity report as linked data.",
    )
    app.state.settings = settings
    app.state.dataset = dataset
    app.include_router(sparql.router)
    app.include_router(resources.router)
    return app
