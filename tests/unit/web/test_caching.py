"""Conditional requests as every route answers them: one table of If-None-Match and
If-Modified-Since against an answer's ETag and time, 304 or 200 (RFC 9110 13.2.2)."""

from __future__ import annotations

import email.utils
from types import SimpleNamespace

import pytest
from dakg.web import caching
from starlette.requests import Request

MODIFIED = 1_780_000_000.0  # when the data of this dataset version last changed
ETAG = caching.etag_for("version", "/doc/initiative/x", "text/turtle")
AT = email.utils.formatdate(MODIFIED, usegmt=True)
BEFORE = email.utils.formatdate(MODIFIED - 1, usegmt=True)
AFTER = email.utils.formatdate(MODIFIED + 3600, usegmt=True)
STRONG = ETAG.removeprefix("W/")

# (If-None-Match, If-Modified-Since, method, 304 or 200)
CONDITIONS = {
    "none": (None, None, "GET", 200),
    "same-etag": (ETAG, None, "GET", 304),
    "same-etag-head": (ETAG, None, "HEAD", 304),
    "same-etag-post": (ETAG, None, "POST", 200),
    "weak-matches-strong": (STRONG, None, "GET", 304),
    "one-of-a-list": (f'W/"other", {ETAG}', None, "GET", 304),
    "star": ("*", None, "GET", 304),
    "other-etag": ('W/"other"', None, "GET", 200),
    "empty-etag": ("", None, "GET", 200),
    "same-time": (None, AT, "GET", 304),
    "later-time": (None, AFTER, "GET", 304),
    "earlier-time": (None, BEFORE, "GET", 200),
    "unreadable-time": (None, "yesterday", "GET", 200),
    "no-zone-time": (None, AT.removesuffix(" GMT"), "GET", 304),
    "etag-decides-over-time": ('W/"other"', AT, "GET", 200),
    "etag-decides-over-old-time": (ETAG, BEFORE, "GET", 304),
}


def request(method: str, headers: dict[str, str], modified: float | None) -> Request:
    """A request to an app whose dataset last changed at `modified`."""
    state = SimpleNamespace(
        dataset=SimpleNamespace(modified=modified), cache_control="public, max-age=60"
    )
    scope = {
        "type": "http",
        "method": method,
        "path": "/",
        "headers": [(k.encode(), v.encode()) for k, v in headers.items()],
        "app": SimpleNamespace(state=state),
    }
    return Request(scope)


@pytest.mark.parametrize("case", list(CONDITIONS))
def test_304_or_200(case):
    held, since, method, status = CONDITIONS[case]
    headers = {
        name: value
        for name, value in (("if-none-match", held), ("if-modified-since", since))
        if value is not None
    }
    answer = caching.not_modified(request(method, headers, MODIFIED), ETAG, {"vary": "Accept"})
    if status == 200:
        assert answer is None
        return
    assert answer.status_code == 304
    assert answer.body == b""
    # The 304 carries the validators the 200 carries, and the headers the route keeps.
    assert answer.headers["etag"] == ETAG
    assert answer.headers["last-modified"] == AT
    assert answer.headers["cache-control"] == "public, max-age=60"
    assert answer.headers["vary"] == "Accept"


def test_without_a_time_only_the_etag_answers():
    since = {"if-modified-since": AFTER}
    assert caching.not_modified(request("GET", since, None), ETAG) is None
    held = request("GET", {"if-none-match": ETAG}, None)
    answer = caching.not_modified(held, ETAG)
    assert answer is not None and "last-modified" not in answer.headers
    assert caching.validators(held, ETAG) == {
        "etag": ETAG,
        "cache-control": "public, max-age=60",
    }


def test_an_etag_names_what_the_answer_depends_on():
    assert caching.etag_for("v1", "/x") == caching.etag_for("v1", "/x")
    assert caching.etag_for("v1", "/x") != caching.etag_for("v2", "/x")
    assert caching.etag_for("v1", "/x").startswith('W/"')
