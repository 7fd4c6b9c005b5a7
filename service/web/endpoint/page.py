"""The query page for browsers (YASGUI) at GET /sparql, and its own static files."""

from __future__ import annotations

import base64
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import markupsafe
import pyoxigraph as ox
from dakg.packaged import web_files
from dakg.rdf import formats
from dakg.rdf.namespaces import DEF, canonical_prefixes
from dakg.settings import Settings
from dakg.sparql.library import ParameterError, QueryFileError, SavedQuery, parse_query_file
from dakg.sparql.values import binding_points
from dakg.web import caching
from dakg.web.endpoint.requests import PATH
from dakg.web.linked_data import views as html
from fastapi import Request
from fastapi.responses import FileResponse, Response

log = logging.getLogger("dakg.web.endpoint.page")


STATIC = web_files("static")


@dataclass(frozen=True)
class QueryPage:
    """The query page for browsers (YASGUI, served from service/web/static/yasgui/), with the saved
    queries as its examples, our prefixes and our vocabulary's terms for completion; its
    configuration is built once at start-up, the page itself in the reader's language."""

    config: str
    etag_seed: str
    policy: str
    # A digest of the page's own files, in their URLs: a new version is fetched anew at once,
    # however long a browser keeps the old one.
    assets: str
    # The newest of the files the page is built from (Last-Modified).
    modified: float

    @classmethod
    def build(cls, settings: Settings) -> QueryPage:
        ontology = sorted((settings.root / "ontology").glob("*.ttl"))
        files = [
            html.TEMPLATES / "sparql.html",
            html.TEMPLATES / "base.html",
            *(STATIC / name for name in PAGE_FILES),
            *settings.queries_dir.glob("*.rq"),
            *ontology,
        ]
        modified = max(path.stat().st_mtime for path in files if path.exists())
        config = {
            "examples": [example(q) for q in saved_queries(settings.queries_dir)],
            "prefixes": canonical_prefixes(),
            "base": settings.base_iri,
            "terms": vocabulary_terms(ontology),
        }
        text = script_json(config)
        seed = hashlib.sha256(
            text.encode() + b"".join(p.read_bytes() for p in files[:2] if p.exists())
        ).hexdigest()
        assets = hashlib.sha256(b"".join((STATIC / name).read_bytes() for name in PAGE_FILES))
        return cls(text, seed, page_policy(), assets.hexdigest()[:12], modified)

    def render(self, request: Request) -> bytes:
        lang = html.request_locale(request, "", PATH).lang
        page = html.render_standalone(
            request,
            "sparql.html",
            PATH,
            config=markupsafe.Markup(self.config),
            assets=self.assets,
            messages=markupsafe.Markup(script_json(PAGE_MESSAGES[lang])),
        )
        return page.encode("utf-8")

    def response(self, request: Request) -> Response:
        body = self.render(request)
        etag = caching.etag_for("page", hashlib.sha256(self.etag_seed.encode() + body).hexdigest())
        headers = {
            "etag": etag,
            "last-modified": caching.http_date(self.modified),
            "cache-control": "no-cache",
            "vary": "Accept, Accept-Language",
            "content-security-policy": self.policy,
            "x-content-type-options": "nosniff",
            "referrer-policy": "same-origin",
        }
        if caching.is_fresh(request.headers, etag, self.modified):
            return Response(status_code=304, headers=headers)
        return Response(body, headers={"content-type": formats.HTML.content_type, **headers})


# The page's own files beside YASGUI's: everything it runs is served from this origin, so the
# policy allows scripts, styles and requests from 'self' only (no inline script or style: the
# configuration travels in a JSON <script> that is data, not code).
PAGE_FILES = ("sparql.js", "sparql.css", "yasgui/yasgui.min.js", "yasgui/yasgui.min.css")
# The API docs' own files (the page is service/web/app.py's /docs), served here with the above.
DOCS_FILES = ("docs.js", "docs.css")


def page_policy() -> str:
    """The page's Content-Security-Policy: scripts, styles and requests from this origin only.

    YASGUI's column resizer adds two fixed <style> elements of its own (its grips' rules, and
    the drag cursor): those two texts are allowed by their hashes, read from the vendored file,
    so nothing else inline is.
    """
    script = (STATIC / "yasgui" / "yasgui.min.js").read_text(encoding="utf-8")
    styles = re.findall(r"createStyle\(a,`([^`]*)`\)", script)
    styles.append("*{cursor:col-resize!important}")
    hashes = " ".join(
        "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"
        for text in styles
    )
    return (
        f"default-src 'none'; script-src 'self'; style-src 'self' {hashes}; "
        "connect-src 'self'; img-src 'self' data:; font-src 'self'; base-uri 'none'; "
        "form-action 'self'; frame-ancestors 'self'"
    )


STATIC_TYPES = {".js": "text/javascript; charset=utf-8", ".css": "text/css; charset=utf-8"}

# The words the page's script writes, in the page's language.
PAGE_MESSAGES = {
    "ja": {
        "chart": "グラフ",
        "timeline": "年表",
        "no_chart": "グラフにできる列（ラベルと数値）がありません。",
        "no_timeline": "年表にできる列（日付）がありません。",
        "recent": "最近の問合せ",
        "choose_recent": "— 最近の問合せを選ぶ —",
        "copied": "コピーしました",
        "editor": "SPARQL問合せ",
        "page_size": "1ページの行数",
    },
    "en": {
        "chart": "Chart",
        "timeline": "Timeline",
        "no_chart": "No column to chart (a label and a number).",
        "no_timeline": "No column of dates to draw a timeline of.",
        "recent": "Recent queries",
        "choose_recent": "— choose a recent query —",
        "copied": "Copied",
        "editor": "SPARQL query",
        "page_size": "Rows a page",
    },
}


TERM_TYPES = {
    "http://www.w3.org/2002/07/owl#Class": "classes",
    "http://www.w3.org/2000/01/rdf-schema#Class": "classes",
    "http://www.w3.org/2002/07/owl#ObjectProperty": "properties",
    "http://www.w3.org/2002/07/owl#DatatypeProperty": "properties",
    "http://www.w3.org/2002/07/owl#AnnotationProperty": "properties",
    "http://www.w3.org/1999/02/22-rdf-syntax-ns#Property": "properties",
}


def vocabulary_terms(files: list[Path]) -> dict[str, list[str]]:
    """Our own classes and properties (those of the ontology's files), for the editor to complete
    without asking any other server."""
    found: dict[str, set[str]] = {"classes": set(), "properties": set()}
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    for path in files:
        try:
            quads = ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
            for quad in quads:
                if quad.predicate != rdf_type or not isinstance(quad.subject, ox.NamedNode):
                    continue
                kind = TERM_TYPES.get(getattr(quad.object, "value", ""))
                if kind and quad.subject.value.startswith(DEF):
                    found[kind].add(quad.subject.value)
        except (OSError, SyntaxError) as error:
            log.warning("the query page completes no terms of %s: %s", path, error)
    return {kind: sorted(terms) for kind, terms in found.items()}


def page_file(name: str) -> Callable[[Request], Any]:
    """A route to one of the query page's own files (service/web/static/sparql.*, .../yasgui/*)."""
    path = STATIC / name

    async def serve(request: Request) -> Response:
        return FileResponse(
            path,
            media_type=STATIC_TYPES[path.suffix],
            headers={"cache-control": "public, max-age=3600", "x-content-type-options": "nosniff"},
        )

    return serve


def saved_queries(directory: Path) -> list[SavedQuery]:
    """The saved queries of queries/; one with an unreadable header is left out, with a warning."""
    found = []
    for path in sorted(directory.glob("*.rq")):
        try:
            found.append(parse_query_file(path))
        except QueryFileError as error:
            log.warning("saved query left out of the query page: %s", error)
    return found


def script_json(value: Any) -> str:
    """JSON that is safe inside a <script> element: no '<', '>' or '&' left to end it early."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def example(query: SavedQuery) -> dict[str, Any]:
    """A saved query as the page offers it: ready to run, its parameters bound to their defaults."""
    return {
        "name": query.name,
        "title": query.title,
        "description": query.description,
        "query": with_defaults(query),
        "parameters": [
            {"name": p.name, "type": p.type, "default": p.default, "description": p.description}
            for p in query.parameters
        ],
    }


def with_defaults(query: SavedQuery) -> str:
    """The query text with its parameters' defaults bound, ready to run as a plain query.

    The endpoint takes no parameters, so a VALUES block binds them: in the WHERE clause and in
    each inner group that uses one of them (a FILTER in a UNION branch sees only its own group),
    which answers as the saved query does with its defaults substituted.
    """
    bound: list[tuple[str, str]] = []
    for param in query.parameters:
        if param.default is None:
            continue
        try:
            bound.append((param.name, str(param.to_term(param.default))))
        except (ParameterError, QueryFileError):
            continue
    points = binding_points(query.text, {name for name, _ in bound})
    if not bound or not points:
        return query.text
    names = " ".join(f"?{name}" for name, _ in bound)
    terms = " ".join(term for _, term in bound)
    block = f" VALUES ({names}) {{ ({terms}) }}"
    text = query.text
    for position in sorted(points, reverse=True):
        text = text[:position] + block + text[position:]
    first = min(points)
    note = "\n  # parameters: the saved query's defaults (edit to change)\n "
    return text[:first] + note + text[first:]
