"""Every family of routes answers a conditional request the same way (dakg.web.caching): its own
ETag back is a 304 with the same validators as the 200, and every answer carries the same CORS
headers, whether or not it was asked with an Origin."""

from __future__ import annotations

import pytest
from dakg.settings import Settings
from dakg.web.app import create_app
from dakg.web.caching import EXPOSED_HEADERS
from fastapi.testclient import TestClient
from helpers import ROOT

# One route of each family, with the Accept it is asked with.
FAMILIES = {
    "doc": ("/doc/initiative/mynumber-card", "text/turtle"),
    "doc-page": ("/doc/initiative/mynumber-card", "text/html"),
    "def": ("/def/", "text/turtle"),
    "index": ("/pictures/", "application/json"),
    "api": ("/api/initiatives", "application/json"),
    "picture": ("/pictures/timeline.svg?lang=en", "image/svg+xml"),
    "dump": ("/download/dakg.nt", "application/n-triples"),
    "void": ("/.well-known/void", "text/turtle"),
}
VALIDATORS = ("etag", "last-modified", "cache-control")


@pytest.fixture(scope="module")
def client(service_store) -> TestClient:
    return TestClient(create_app(Settings.from_env(root=ROOT), service_store.dataset()))


@pytest.mark.parametrize("family", list(FAMILIES))
def test_its_own_etag_is_a_304_with_the_same_validators(client, family):
    path, accept = FAMILIES[family]
    first = client.get(path, headers={"accept": accept})
    assert first.status_code == 200, first.text
    assert first.headers["etag"].startswith('W/"')
    assert first.headers["last-modified"].endswith(" GMT")
    held = client.get(path, headers={"accept": accept, "if-none-match": first.headers["etag"]})
    assert held.status_code == 304
    assert held.content == b""
    for name in VALIDATORS:
        assert held.headers[name] == first.headers[name], name
    assert held.headers.get("vary") == first.headers.get("vary")
    since = client.get(
        path, headers={"accept": accept, "if-modified-since": first.headers["last-modified"]}
    )
    assert since.status_code == 304
    stale = client.get(path, headers={"accept": accept, "if-none-match": 'W/"another"'})
    assert stale.status_code == 200
    assert stale.content == first.content


@pytest.mark.parametrize("origin", [None, "https://example.org"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_every_answer_carries_the_same_cors_headers(client, family, origin):
    path, accept = FAMILIES[family]
    headers = {"accept": accept} | ({"origin": origin} if origin else {})
    answer = client.get(path, headers=headers)
    assert answer.headers["access-control-allow-origin"] == "*"
    exposed = [h.strip() for h in answer.headers["access-control-expose-headers"].split(",")]
    assert exposed == list(EXPOSED_HEADERS)
    held = client.get(path, headers={**headers, "if-none-match": answer.headers["etag"]})
    assert held.status_code == 304
    assert held.headers["access-control-allow-origin"] == "*"
