"""What a route needs of the running service, each read of the app's state in this one module.

The app factory (dakg.web.app) puts the settings, the dataset, the executor and the caches on
`app.state` once; a FastAPI route declares what it needs in its signature (`dataset: DatasetDep`),
so that what a route depends on is read where it is declared and can be replaced in a test
(`app.dependency_overrides`). The plain Starlette endpoint at /sparql, which skips FastAPI's
dependency resolution to stay fast, and the helpers a route calls use the getters themselves.

Objects of web modules that read their state through this module (the answer cache, the builds,
the query page…) are typed `Any` here: naming their classes would make those modules and this one
import each other.
"""

from __future__ import annotations

from typing import Annotated, Any

from dakg.execution.executor import Executor
from dakg.execution.threads import QueryThreads
from dakg.settings import Settings
from dakg.store.dataset import Dataset
from dakg.web.conneg import Negotiator
from fastapi import Depends, Request


def settings(request: Request) -> Settings:
    return request.app.state.settings


def dataset(request: Request) -> Dataset:
    """The current dataset: an update replaces it, so it is read at each request."""
    return request.app.state.dataset


def replace_dataset(request: Request, new: Dataset) -> None:
    """The dataset an update (or a store that came back) gives: later requests read it."""
    request.app.state.dataset = new


def executor(request: Request) -> Executor:
    """Where queries run (the engine, the query workers or the query threads)."""
    return request.app.state.executor


def threads(request: Request) -> QueryThreads:
    """The query threads, for the service's own blocking store work."""
    return request.app.state.threads


def negotiator(request: Request) -> Negotiator:
    """The one Accept negotiator of the service."""
    return request.app.state.negotiator


def cache(request: Request) -> Any:
    """The answer cache (dakg.web.endpoint.responses.AnswerCache), keyed by dataset version."""
    return request.app.state.cache


def cache_control(request: Request) -> str:
    """The Cache-Control header of the endpoint's answers."""
    return request.app.state.cache_control


def builds(request: Request) -> Any:
    """What is built once per dataset version (dakg.web.void.Builds)."""
    return request.app.state.builds


def service_queries(request: Request) -> dict[str, str]:
    """The service's own queries (VoID statistics), read at start-up."""
    return request.app.state.service_queries


def pictures_queries(request: Request) -> Any:
    """The saved queries the pictures draw (dakg.web.linked_data.pictures.Queries)."""
    return request.app.state.pictures_queries


def auth_failures(request: Request) -> Any:
    """Wrong update tokens by client (dakg.web.endpoint.updates.AuthFailures)."""
    return request.app.state.auth_failures


def query_page(request: Request) -> Any:
    """The endpoint's HTML query page (dakg.web.endpoint.page.QueryPage)."""
    return request.app.state.query_page


def proxy_client(request: Request) -> Any:
    """The HTTP client that streams queries to an engine (dakg.web.endpoint.proxy.EngineClient)."""
    return request.app.state.proxy_client


def metrics(request: Request) -> Any:
    """This worker's counters (dakg.web.observability.Metrics)."""
    return request.app.state.metrics


def shared_counts(request: Request) -> Any:
    """The other HTTP workers' counters (dakg.web.observability.SharedCounts), or None."""
    return request.app.state.shared_counts


def state(request: Request) -> Any:
    """The whole state, for the counters that read several of its parts (observability)."""
    return request.app.state


SettingsDep = Annotated[Settings, Depends(settings)]
DatasetDep = Annotated[Dataset, Depends(dataset)]
ExecutorDep = Annotated[Executor, Depends(executor)]
ThreadsDep = Annotated[QueryThreads, Depends(threads)]
CacheDep = Annotated[Any, Depends(cache)]
BuildsDep = Annotated[Any, Depends(builds)]
ServiceQueriesDep = Annotated[dict[str, str], Depends(service_queries)]
PicturesQueriesDep = Annotated[Any, Depends(pictures_queries)]


# ---- for what runs with the app rather than a request (lifespans, per-app builds) -------------


def dataset_of(app: Any) -> Dataset:
    """The app's current dataset (for a lifespan, which has the app and no request)."""
    return app.state.dataset


def settings_of(app: Any) -> Settings:
    return app.state.settings


def built(app: Any, name: str) -> Any:
    """What the app built and kept under a name (the site, the search index), or None."""
    return getattr(app.state, name, None)


def keep(app: Any, name: str, value: Any) -> None:
    """Keep what was built for the app's later requests (see `built`)."""
    setattr(app.state, name, value)
