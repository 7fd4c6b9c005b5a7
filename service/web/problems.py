"""Problem responses: the one place that turns a refusal into an answer, in the shape the kind of
route that refused answers in, so that a client of one kind of route always reads its errors the
same way:

- the REST API (/api/...): JSON naming the parameter at fault, `{"detail": [{"loc": [...],
  "msg": ...}]}`, as FastAPI's own validation errors read;
- the linked-data pages: whatever the pages give (an HTML page for people, a short RDF or text
  answer for programs), through the page answer the app factory hands in;
- every other route, and the SPARQL protocol: plain text, the message and a line break;
- the store or an engine that cannot answer now (5xx): plain text on every route, with
  Retry-After, never cached.

`handlers` is the app's exception-handler table (dakg.web.app): routes raise, and do not build
error responses themselves.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping

from dakg.errors import DakgError, Unavailable
from fastapi.exception_handlers import request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

API_PREFIX = "/api/"
# A refusal of the moment: the client may try again shortly, and no cache keeps the refusal.
RETRY_HEADERS = {"retry-after": "5", "cache-control": "no-store"}
PageAnswer = Callable[[Request, DakgError], Response]
Handler = Callable[[Request, Exception], Awaitable[Response]]


def plain(status: int, message: str, headers: Mapping[str, str] | None = None) -> Response:
    """A plain-text refusal: the message and one line break (the SPARQL protocol's shape)."""
    return Response(
        message.rstrip("\n") + "\n",
        status_code=status,
        headers={"content-type": "text/plain; charset=utf-8", **(headers or {})},
    )


def api_json(
    status: int,
    message: str,
    parameter: str | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    """A JSON refusal that names the parameter at fault (or the query, when none is)."""
    location = ["query", parameter] if parameter else ["query"]
    return JSONResponse(
        {"detail": [{"loc": location, "msg": message}]},
        status_code=status,
        headers=dict(headers) if headers else None,
    )


def is_api(request: Request) -> bool:
    """Whether the request is one of the REST API's (under the root path the app is mounted at)."""
    path, root = request.url.path, request.scope.get("root_path", "").rstrip("/")
    if root and path.startswith(root):
        path = path[len(root) :]
    return path.startswith(API_PREFIX)


def respond(
    request: Request,
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    parameter: str | None = None,
) -> Response:
    """A refusal given as a status, a message and headers: JSON on the API, else plain text."""
    if is_api(request):
        return api_json(status, message, parameter, headers)
    return plain(status, message, headers)


def answer(request: Request, error: DakgError, page: PageAnswer | None = None) -> Response:
    """The answer to a DakgError a route raised, in the shape of the route's kind."""
    headers = dict(error.headers)
    if isinstance(error, Unavailable):
        return plain(error.status, str(error), RETRY_HEADERS | headers)
    if page is not None and not is_api(request):
        return page(request, error)
    return respond(request, error.status, str(error), headers, error.parameter)


def handlers(page: PageAnswer | None = None) -> dict[type[Exception], Handler]:
    """The exception-handler table of the app: every DakgError through `answer`; FastAPI's own
    validation errors in FastAPI's own shape (the API documents it)."""

    async def dakg_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, DakgError)
        return answer(request, error, page)

    return {
        DakgError: dakg_error,
        RequestValidationError: request_validation_exception_handler,
    }
