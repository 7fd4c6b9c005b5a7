"""Conditional requests, once for every route: ETags, Last-Modified, the validators an answer
carries and the 304 a client that already holds it is given (RFC 9110), with the headers a page
of another origin may read of an answer."""

from __future__ import annotations

import email.utils
import functools
import hashlib
from collections.abc import Mapping
from datetime import UTC

from dakg.web import deps
from fastapi import Request
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Send


def etag_for(*parts: object) -> str:
    """A weak ETag naming one answer: a digest of what the answer depends on."""
    digest = hashlib.blake2b(repr(parts).encode("utf-8"), digest_size=12).hexdigest()
    return f'W/"{digest}"'


def etag_matches(header: str | None, etag: str) -> bool:
    """Whether an If-None-Match header matches an ETag (weak comparison, as RFC 9110 asks)."""
    if not header:
        return False
    opaque = etag.removeprefix("W/")
    return any(
        t.strip() == "*" or t.strip().removeprefix("W/") == opaque for t in header.split(",")
    )


# The headers a page of another origin may read of an answer (CORS): its validators among them,
# so that a script can revalidate what it holds.
EXPOSED_HEADERS = (
    "ETag",
    "Last-Modified",
    "Content-Disposition",
    "Content-Type",
    "Content-Location",
    "Link",
    "Vary",
    "X-Total-Count",
)


# The request headers a page of another origin may send: those of content negotiation, of a
# conditional request and of the update token.
ALLOWED_HEADERS = ("Accept", "Authorization", "Content-Type", "If-None-Match", "If-Modified-Since")


class OpenCORS(CORSMiddleware):
    """CORS for public data, the one place it is decided: every answer, asked with an Origin or
    not, says that any origin may read it and which of its headers (EXPOSED_HEADERS). A shared
    cache may hand an answer fetched without an Origin to a page of any origin, so the answer
    never depends on the Origin (no `Vary: Origin`). Preflights are answered by Starlette."""

    def __init__(self, app: ASGIApp) -> None:
        super().__init__(
            app,
            allow_origins=["*"],
            allow_methods=["GET", "HEAD", "POST", "OPTIONS"],
            allow_headers=list(ALLOWED_HEADERS),
            expose_headers=list(EXPOSED_HEADERS),
            max_age=86400,
        )

    async def send(self, message: Message, send: Send, request_headers) -> None:
        if message["type"] == "http.response.start":
            message.setdefault("headers", [])
            MutableHeaders(scope=message).update(self.simple_headers)
        await send(message)


@functools.lru_cache(maxsize=64)
def http_date(seconds: float) -> str:
    """A time as HTTP writes it (Last-Modified): `Fri, 04 Dec 2026 19:30:00 GMT`."""
    return email.utils.formatdate(int(seconds), usegmt=True)


def is_fresh(headers, etag: str, modified: float | None) -> bool:
    """Whether a conditional GET may be answered 304: by If-None-Match when the client sends
    it, else by If-Modified-Since (RFC 9110 13.2.2); an unreadable date is no condition."""
    held = headers.get("if-none-match")
    if held is not None:
        return etag_matches(held, etag)
    since = headers.get("if-modified-since")
    if not since or modified is None:
        return False
    try:
        when = email.utils.parsedate_to_datetime(since)
    except (TypeError, ValueError, IndexError):
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(modified) <= when.timestamp()


def validators(request: Request, etag: str) -> dict[str, str]:
    """An answer's ETag, its Last-Modified (when this dataset version's data last changed) and
    the Cache-Control of a dataset that changes on deploy (no-cache when updates may change it)."""
    modified = deps.dataset(request).modified
    headers = {"etag": etag, "cache-control": deps.cache_control(request)}
    if modified is not None:
        headers["last-modified"] = http_date(modified)
    return headers


def not_modified(
    request: Request, etag: str, kept: Mapping[str, str] | None = None
) -> Response | None:
    """A 304 when a GET or HEAD comes from a client that already holds this answer (by
    If-None-Match, else If-Modified-Since), with the validators and the headers `kept` (Vary,
    Link...) that a cache updates its copy's with; None when the answer must be sent."""
    if request.method not in ("GET", "HEAD"):
        return None
    if not is_fresh(request.headers, etag, deps.dataset(request).modified):
        return None
    return Response(status_code=304, headers={**(kept or {}), **validators(request, etag)})
