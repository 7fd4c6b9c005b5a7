"""The /sparql route: the protocol's methods, its refusals turned into statuses, and the bare ASGI
app the service's fast lane calls (service/web/app.py)."""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Callable
from typing import Any

from dakg.errors import DakgError
from dakg.execution.messages import WorkerFailure
from dakg.rdf import formats
from dakg.web import conneg, deps, void
from dakg.web.endpoint.answers import answer_query
from dakg.web.endpoint.page import DOCS_FILES, PAGE_FILES, page_file
from dakg.web.endpoint.refusals import ProtocolError
from dakg.web.endpoint.requests import (
    ALLOW,
    PATH,
    UpdateRequest,
    endpoint_url,
    format_params,
    parse_params,
    read_get,
    read_post,
)
from dakg.web.endpoint.updates import answer_update
from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.types import Receive, Scope, Send

log = logging.getLogger("dakg.web.endpoint.routes")


router = APIRouter()


async def protocol(request: Request, handler: Callable[[], Any]) -> Response:
    """Turn the protocol's refusals and the parser's errors into their status codes."""
    try:
        return await handler()
    except ProtocolError as error:
        return error.response()
    except SyntaxError as error:  # pyoxigraph's parser, on the text the client sent
        return ProtocolError(400, f"Parse error: {error}").response()
    except WorkerFailure:
        log.exception("query worker failure")
        return ProtocolError(500, "The store could not answer this request.").response()
    except DakgError as error:  # every other refusal: the store, formats, time limit, caps
        return ProtocolError.of(error).response()
    except (OSError, RuntimeError):
        # The detail (a path, an upstream answer) goes to the log, never to the client.
        log.exception("store error")
        return ProtocolError(500, "The store could not answer this request.").response()


async def sparql_endpoint(request: Request) -> Response:
    """/sparql: queries by GET or POST, updates by POST; the service description or the query page
    on a GET with no query; 405 for other methods."""
    method = request.method

    async def handle() -> Response:
        if method in ("GET", "HEAD"):
            req = read_get(request)
            if req is None:
                return await describe_or_page(request)
            return await answer_query(request, dataclasses.replace(req, base=endpoint_url(request)))
        if method == "POST":
            post = await read_post(request, deps.settings(request).max_request_bytes)
            post = dataclasses.replace(post, base=endpoint_url(request))
            if isinstance(post, UpdateRequest):
                return await answer_update(request, post)
            return await answer_query(request, post)
        if method == "OPTIONS":
            return Response(status_code=204, headers={"allow": ALLOW})
        raise ProtocolError(
            405,
            f"{method} is not allowed on {PATH}: query with GET or POST, update with POST",
            {"allow": ALLOW},
        )

    return await protocol(request, handle)


async def endpoint_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The endpoint as a bare ASGI app, for the app's lane past its middleware (service/web/app.py)."""
    response = await sparql_endpoint(Request(scope, receive, send))
    await response(scope, receive, send)


# A plain (Starlette) route: the protocol reads the request itself, so FastAPI's parameter
# parsing and validation would only add to the time of every query. /sparql is described by its
# SPARQL service description (GET /sparql with an RDF Accept header), not in the OpenAPI.
router.add_route(
    PATH,
    sparql_endpoint,
    methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"],
    include_in_schema=False,
)


async def describe_or_page(request: Request) -> Response:
    """GET /sparql with no query: the query page for browsers, else the service description."""
    url = parse_params(request.scope.get("query_string", b""), "URL query string")
    offers = (*formats.GRAPH_FORMATS, formats.HTML)
    try:
        fmt = conneg.from_parameter(format_params(url), offers) or conneg.choose(
            request.headers.get("accept"), offers, explicit=(formats.HTML,)
        )
    except conneg.NotAcceptable as error:
        raise ProtocolError(
            406,
            f"{error} GET /sparql with no 'query' parameter gives the service description "
            "in RDF, or the query page in HTML; to query, give the 'query' parameter.",
        ) from None
    if fmt is formats.HTML:
        return deps.query_page(request).response(request)
    return await void.describe(request, fmt, "sd")


# Only these paths: the rest of /static/ belongs to the other routers.
for _name in (*PAGE_FILES, *DOCS_FILES):
    router.add_route(
        f"/static/{_name}", page_file(_name), methods=["GET", "HEAD"], include_in_schema=False
    )
