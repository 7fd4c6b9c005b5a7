"""Conditional requests: ETags, Last-Modified, and whether a request may be answered 304 (RFC 9110),
with the headers a page of another origin may read of an answer."""

from __future__ import annotations

import email.utils
import functools
import hashlib
from datetime import UTC


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
