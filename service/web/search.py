"""Search: `/search?q=` over every label, alternative label and key of the graph's entities and
vocabulary terms, in Japanese and English, as an HTML page or as JSON.

The index is SQLite FTS5 with its trigram tokenizer (Python's own sqlite3, in memory): any three
characters of a name find it, in either script, so マイナ finds マイナンバーカード and "cloud"
finds the Government Cloud. A query word of one or two characters ("EU", "AI", "庁") is matched
with LIKE on the same table. The index is filled from one query of the store
(service/sparql/rq/resources/search.rq), so it is the same on every store, and built again whenever the
dataset's version changes (an update through /sparql, an engine that comes back).

Hits are ranked: a name equal to the query first; then labels before alternative labels before
keys; then names where the query starts a word before names that hold it elsewhere; then shorter
names before longer ones. The items of the report's lists come after every entity.
"""

from __future__ import annotations

import logging
import os
import re
import sqlite3
import threading
import unicodedata
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from dakg.errors import InputError
from dakg.rdf import formats
from dakg.rdf.namespaces import ID
from dakg.store.backends import StoreError
from dakg.store.dataset import UNKNOWN
from dakg.web import conneg, deps
from dakg.web.conneg import LANGS
from dakg.web.linked_data.routes import (
    Site,
    SiteDep,
    cacheable,
    html_response,
    locale_of,
    site_of,
)
from dakg.web.linked_data.views import Locale, Text
from dakg.web.problems import api_json
from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response

PATH = "/search"
MAX_QUERY_CHARS = 200
DEFAULT_LIMIT, MAX_LIMIT = 20, 100
PARAMETERS = ("q", "lang", "format", "limit")
FIELDS = ("label", "alternative", "key")
OFFERS = (formats.HTML, formats.PLAIN_JSON)

log = logging.getLogger("dakg.web.search")


def normalise(text: str) -> str:
    """Text as it is indexed and searched: NFKC (full-width Latin and half-width kana to their
    usual forms), case folded, hyphens, underscores and control characters (NUL ends an FTS5
    query) as spaces, runs of space as one."""
    text = unicodedata.normalize("NFKC", text).casefold()
    text = "".join(" " if unicodedata.category(c).startswith("C") else c for c in text)
    return " ".join(re.sub(r"[-_]", " ", text).split())


@dataclass(frozen=True)
class Name:
    """One name of one IRI, as the store gives it."""

    iri: str
    text: str
    lang: str | None
    field: str  # label, alternative or key


@dataclass(frozen=True)
class Hit:
    """An IRI that matched, with the name that matched best."""

    iri: str
    name: Name
    rank: tuple[int, int, int, int]


class SearchError(InputError):
    """A bad search request; the message names the parameter (422, as for the API's)."""

    status = 422

    def __init__(self, message: str, parameter: str):
        super().__init__(message)
        self.parameter = parameter


class SearchIndex:
    """The names of one version of the dataset in an FTS5 trigram table."""

    def __init__(self, version: str, names: Iterable[Name]):
        self.version = version
        self.pid = os.getpid()  # an SQLite connection does not survive a fork
        self.lock = threading.Lock()
        self.db = sqlite3.connect(":memory:", check_same_thread=False)
        self.db.execute(
            "CREATE VIRTUAL TABLE names USING fts5("
            "text, iri UNINDEXED, original UNINDEXED, lang UNINDEXED, field UNINDEXED, "
            "tokenize='trigram')"
        )
        self.db.executemany(
            "INSERT INTO names (text, iri, original, lang, field) VALUES (?, ?, ?, ?, ?)",
            ((normalise(n.text), n.iri, n.text, n.lang, n.field) for n in names),
        )
        self.db.commit()
        self.size = self.db.execute("SELECT COUNT(*) FROM names").fetchone()[0]

    @classmethod
    def build(cls, site: Site) -> SearchIndex:
        """Every name of every entity (`id/`) and vocabulary term (`def/`), and every key. Its
        one query runs on the store itself, not through the executor: it is built once per
        dataset version and shared by every search after, so no request's time limit or caps
        are its to bear."""
        base = site.base
        names: list[Name] = []
        keys: set[str] = set()
        for row in site.describer.run("search", namespace=ox.Literal(base)):
            iri = row["item"].value
            if not iri[len(base) :].startswith(("id/", "def/")):
                continue
            text = row["text"]
            names.append(Name(iri, text.value, text.language or None, row["field"].value))
            keys.add(iri)
        for iri in sorted(keys):
            key = iri.rstrip("/").rsplit("/", 1)[-1]
            names.append(Name(iri, key, None, "key"))
        return cls(site.dataset.version, names)

    def search(self, query: str, limit: int) -> tuple[int, list[Hit]]:
        """How many IRIs match every word of the query, and the best `limit` of them."""
        words = normalise(query).split()
        if not words:
            return 0, []
        long = [w for w in words if len(w) >= 3]
        short = [w for w in words if len(w) < 3]
        clauses, params = [], []
        if long:
            clauses.append("names MATCH ?")
            params.append(" AND ".join('"' + w.replace('"', '""') + '"' for w in long))
        for word in short:
            clauses.append("text LIKE ? ESCAPE '\\'")
            params.append("%" + re.sub(r"([%_\\])", r"\\\1", word) + "%")
        sql = "SELECT iri, text, original, lang, field FROM names WHERE " + " AND ".join(clauses)
        with self.lock:
            rows = self.db.execute(sql, params).fetchall()
        phrase = " ".join(words)
        best: dict[str, Hit] = {}
        for iri, text, original, lang, field in rows:
            score = rank(text, phrase, field)
            if iri not in best or score < best[iri].rank:
                best[iri] = Hit(iri, Name(iri, original, lang, field), score)
        hits = sorted(best.values(), key=lambda h: (is_mention(h.iri), h.rank, h.iri))
        return len(hits), hits[:limit]


# The items of the report's lists (and the lists): mentions of a thing inside a sentence, which
# rank after the entities (ガバメントクラウド the system and the initiative before the list item).
MENTIONS = tuple(ID + kind + "/" for kind in ("list-item", "enumeration"))


def is_mention(iri: str) -> bool:
    return iri.startswith(MENTIONS)


def rank(text: str, phrase: str, field: str) -> tuple[int, int, int, int]:
    """The name equal to the query first; then labels before other names before keys; then
    names where the query starts a word (or the name) before those that hold it elsewhere or only
    hold its words; then shorter names first."""
    if text == phrase:
        where = 0
    elif text.startswith(phrase) or (" " + phrase) in text:
        where = 1
    else:
        where = 2 if phrase in text else 3
    return (0 if where == 0 else 1, FIELDS.index(field), where, len(text))


_building = threading.Lock()


def index_of(app: FastAPI) -> SearchIndex:
    """The app's index of the dataset's current version, built when it is missing or stale."""
    site = site_of(app)
    index = deps.built(app, "search_index")
    if index is None or index.version != site.dataset.version or index.pid != os.getpid():
        with _building:
            index = deps.built(app, "search_index")
            if index is None or index.version != site.dataset.version or index.pid != os.getpid():
                index = SearchIndex.build(site)
                deps.keep(app, "search_index", index)
    return index


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Build the index when the app starts (or on the first search once an engine that is down
    at start answers)."""
    try:
        if deps.dataset_of(app).version != UNKNOWN:
            index_of(app)
    except StoreError as exc:
        log.warning("the search index will be built when the store answers: %s", exc.message)
    yield


router = APIRouter(lifespan=lifespan)


def read_request(request: Request) -> tuple[str | None, int]:
    """The query and the page size; SearchError names a bad parameter."""
    for name, _ in request.query_params.multi_items():
        if name not in PARAMETERS:
            raise SearchError(
                f"unknown parameter '{name}' (search takes: {', '.join(PARAMETERS)})", name
            )
        if len(request.query_params.getlist(name)) > 1:
            raise SearchError(f"parameter '{name}' is given more than once", name)
    lang = request.query_params.get("lang")
    if lang is not None and lang not in LANGS:
        raise SearchError(f"parameter 'lang': {lang!r} is not one of {', '.join(LANGS)}", "lang")
    text = request.query_params.get("limit")
    limit = DEFAULT_LIMIT
    if text is not None:
        if not re.fullmatch(r"[0-9]{1,4}", text) or not 1 <= int(text) <= MAX_LIMIT:
            raise SearchError(
                f"parameter 'limit' must be a whole number from 1 to {MAX_LIMIT}", "limit"
            )
        limit = int(text)
    query = request.query_params.get("q")
    if query is None:
        return None, limit
    if not query.strip():
        raise SearchError("parameter 'q' is empty: give a word or part of one", "q")
    if len(query) > MAX_QUERY_CHARS:
        raise SearchError(
            f"parameter 'q' is {len(query)} characters long; at most {MAX_QUERY_CHARS}", "q"
        )
    return query.strip(), limit


def answer_format(request: Request) -> formats.Format:
    """`format=json` or `format=html`, else by Accept (HTML when nothing is said)."""
    try:
        return conneg.negotiate(
            OFFERS,
            request.headers.get("accept"),
            request.query_params.getlist("format"),
            strict=True,
        )
    except conneg.UnknownFormat:
        asked = request.query_params.get("format")
        message = f"parameter 'format' must be html or json, not {asked!r}"
        raise SearchError(message, "format") from None


def hit_view(site: Site, hit: Hit, locale: Locale) -> dict[str, Any]:
    """What the page and the JSON show of a hit: its label in the page's language, its type."""
    lang = locale.lang
    rest = hit.iri[len(site.base) :]
    kind = rest.split("/")[1] if rest.startswith("id/") else "def"
    label = site.pages.label(hit.iri, lang)
    return {
        "iri": hit.iri,
        "key": hit.iri.rstrip("/").rsplit("/", 1)[-1],
        "type": kind,
        "label": label,
        "type_label": (
            site.pages.kind_label(kind, lang) if kind != "def" else Text(locale.t("ontology"), lang)
        ),
        "href": locale.href(hit.iri),
        "matched": hit.name,
    }


OPENAPI_PARAMETERS = [
    {
        "name": "q",
        "in": "query",
        "required": True,
        "description": "the words to find: any part of a label, other name or key, ja or en",
        "schema": {"type": "string", "minLength": 1, "maxLength": MAX_QUERY_CHARS},
    },
    {
        "name": "lang",
        "in": "query",
        "required": False,
        "description": "the language of the labels shown (default: by Accept-Language, else ja)",
        "schema": {"type": "string", "enum": list(LANGS)},
    },
    {
        "name": "limit",
        "in": "query",
        "required": False,
        "description": "the most results to give",
        "schema": {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT, "default": DEFAULT_LIMIT},
    },
    {
        "name": "format",
        "in": "query",
        "required": False,
        "description": "json or html; else by Accept (HTML by default)",
        "schema": {"type": "string", "enum": ["json", "html"]},
    },
]


@router.api_route(
    PATH,
    methods=["GET"],
    summary="Search labels, other names and keys",
    openapi_extra={
        "parameters": OPENAPI_PARAMETERS,
        "responses": {
            "200": {"description": "the hits, best first (JSON or an HTML page)"},
            "422": {"description": "an empty, over-long or unknown parameter, named"},
        },
    },
)
@router.api_route(PATH, methods=["HEAD"], include_in_schema=False)
def search(request: Request, site: SiteDep) -> Response:
    """Entities and terms whose label, alternative label or key holds the words of `q`."""
    locale = locale_of(request, site)
    try:
        fmt = answer_format(request)
    except conneg.NotAcceptable as error:
        return conneg.refusal(error)
    except SearchError as exc:
        return api_json(exc.status, str(exc), exc.parameter)
    vary = {"Vary": "Accept, Accept-Language"}
    try:
        query, limit = read_request(request)
        if query is None and fmt is formats.PLAIN_JSON:
            raise SearchError("missing parameter 'q': the words to search for", "q")
    except SearchError as exc:
        if fmt is formats.PLAIN_JSON:
            return api_json(exc.status, str(exc), exc.parameter)
        body = site.pages.render(
            "search.html",
            locale,
            q=request.query_params.get("q", "")[:MAX_QUERY_CHARS],
            error=str(exc),
            hits=[],
            total=0,
        )
        return html_response(body, 422, vary)
    total, hits = index_of(request.app).search(query, limit) if query else (0, [])
    views = [hit_view(site, h, locale) for h in hits]
    if fmt is formats.PLAIN_JSON:
        answer: Response = JSONResponse(
            {
                "q": query,
                "total": total,
                "results": [
                    {
                        "iri": v["iri"],
                        "key": v["key"],
                        "type": v["type"],
                        "label": v["label"].text,
                        "lang": v["label"].lang,
                        "matched": v["matched"].text,
                        "matchedLang": v["matched"].lang,
                        "field": v["matched"].field,
                    }
                    for v in views
                ],
            },
            headers=vary,
        )
    else:
        body = site.pages.render(
            "search.html", locale, q=query or "", error=None, hits=views, total=total
        )
        answer = html_response(body, 200, vary)
    return cacheable(site, request, answer)
