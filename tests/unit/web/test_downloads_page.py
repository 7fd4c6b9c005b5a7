"""The downloads page as html.downloads_page writes it: each dump with its size and SHA-256, in
the site's page and the reader's language."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import pytest
from dakg.settings import Settings
from dakg.web.app import create_app
from dakg.web.linked_data.views import downloads_page, format_size
from fastapi import Request
from fastapi.testclient import TestClient


@pytest.fixture(scope="module")
def app(service_store, root) -> Iterator:
    application = create_app(Settings.from_env(root=root), service_store.dataset())
    with TestClient(application):
        yield application


def request_for(app, query: str = "", language: str = "") -> Request:
    headers = [(b"accept-language", language.encode())] if language else []
    scope = {
        "type": "http", "method": "GET", "path": "/download/", "root_path": "",
        "query_string": query.encode(), "headers": headers, "app": app,
    }  # fmt: skip
    return Request(scope)


BODY = b"<https://w3id.org/dakg/id/x> <https://w3id.org/dakg/def/y> 1 .\n" * 40000
DUMPS = [
    {
        "file": "dakg.nt",
        "format": "N-Triples",
        "mediaType": "application/n-triples",
        "description": "every triple of the default graph",
        "size": len(BODY),
        "sha256": hashlib.sha256(BODY).hexdigest(),
    }
]


def test_each_dump_shows_its_size_and_checksum(app):
    page = downloads_page(request_for(app, "lang=en"), DUMPS, "2026-12-04")
    assert '<html lang="en">' in page and '<header class="site">' in page
    assert '<meta name="viewport" content="width=device-width, initial-scale=1">' in page
    assert f'<data value="{len(BODY)}">2.5 MB</data>' in page
    assert f'<code class="sha256">{hashlib.sha256(BODY).hexdigest()}</code>' in page
    assert 'href="/download/dakg.nt" type="application/n-triples"' in page
    assert re.search(r"Dataset version: <code>2026-12-04</code>", page)


def test_the_page_speaks_japanese_by_default(app):
    page = downloads_page(request_for(app, language="ja"), DUMPS, "v")
    assert '<html lang="ja">' in page and "ダウンロード" in page and "大きさ" in page


@pytest.mark.parametrize(
    ("size", "lang", "text"),
    [(512, "en", "512 bytes"), (512, "ja", "512 バイト"), (2_048, "en", "2.0 KB"),
     (12_345_678, "en", "12.3 MB")],
)  # fmt: skip
def test_sizes_are_written_for_people(size, lang, text):
    assert format_size(size, lang) == text
