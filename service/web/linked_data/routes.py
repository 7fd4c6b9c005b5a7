"""Linked-data pages: `/id/...` (303 to `/doc/...`), `/doc/...` by content negotiation, `/def/` (the
ontology and its terms), the home page and the JSON-LD context at `/context.jsonld`.

A request path maps onto the configured base IRI (`/id/initiative/x` is `{base}id/initiative/x`),
so the same data answers on 127.0.0.1 and behind the w3id.org redirect.

The routes that run a query of their own (is the IRI known, its description, its pictures, the
ontology's graphs, a skolem IRI's owner) are coroutines that await the app's executor
(describe.Runner), so they get the time limit, the caps and the worker processes of /sparql;
what they draw from what is read once per dataset (the catalogue: entities, labels) and the
pages themselves are drawn in a thread, as every synchronous route is.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import quote, urlencode

import pyoxigraph as ox
from dakg.errors import DakgError, InputError
from dakg.packaged import internal_queries, project_root, web_files
from dakg.rdf import formats
from dakg.rdf.namespaces import ID, RDF, RDF_TYPE, RDFS_LABEL, VOID, canonical_prefixes
from dakg.rdf.sources import GENID
from dakg.settings import Settings
from dakg.store.backends import StoreError
from dakg.store.dataset import UNKNOWN, Dataset
from dakg.web import caching, conneg, deps, problems
from dakg.web.linked_data.describe import (
    PAGE_SIZE,
    Catalogue,
    Describer,
    Description,
    ResourceQueries,
    Runner,
    Status,
    sort_triples,
)
from dakg.web.linked_data.jsonld import JsonLdContext, build_context, to_jsonld
from dakg.web.linked_data.pictures import Pictures
from dakg.web.linked_data.pictures import Queries as PictureQueries
from dakg.web.linked_data.views import (
    Download,
    IndexLink,
    Locale,
    Pages,
    QueryLink,
)
from dakg.web.publicurl import base_url
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response

STATIC = web_files("static")
CSP = (
    "default-src 'self'; script-src 'none'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)
# The vocabulary page runs one script of its own (the copy button), from this origin.
DEF_CSP = CSP.replace("script-src 'none'", "script-src 'self'")
SPARQL_ENDPOINT_REL = VOID + "sparqlEndpoint"
DESCRIPTION_QUERIES = ("describe", "linked", "incoming")


TURTLE, JSONLD, NTRIPLES, RDFXML, HTML = (
    formats.TURTLE,
    formats.JSONLD,
    formats.NTRIPLES,
    formats.RDFXML,
    formats.HTML,
)
Format = formats.Format
# In order of preference when the client accepts several equally (`*/*` alone: Turtle); a
# client that sends no Accept is a person following a link: HTML.
FORMATS = (TURTLE, JSONLD, NTRIPLES, RDFXML, HTML)
RDF_FORMATS = FORMATS[:4]
EXTENSIONS = {f.extension: f for f in FORMATS}


class BadRequest(InputError):
    """A request parameter that cannot be read; the message says which (400), and the page says
    which resource was asked for, when one was."""

    def __init__(self, message: str, iri: str | None = None):
        super().__init__(message)
        self.iri = iri


def negotiate(accept: str | None) -> Format | None:
    """The format to answer in by Accept: HTML without one, else the best offer (None: none)."""
    try:
        return conneg.choose(accept, FORMATS, default=HTML)
    except conneg.NotAcceptable:
        return None


def split_extension(rest: str) -> tuple[str, Format | None]:
    """`initiative/x.ttl` → (`initiative/x`, Turtle); no known extension → (rest, None)."""
    stem, dot, ext = rest.rpartition(".")
    if dot and stem and ext in EXTENSIONS:
        return stem, EXTENSIONS[ext]
    return rest, None


def requested_format(request: Request, from_path: Format | None) -> Format | None:
    """The path's extension, else ?format=, else the Accept header (None: none acceptable)."""
    if from_path is not None:
        return from_path
    try:
        return conneg.negotiate(
            FORMATS,
            request.headers.get("accept"),
            request.query_params.getlist("format"),
            default=HTML,
        )
    except conneg.NotAcceptable:
        return None
    except conneg.UnknownFormat as error:
        raise BadRequest(str(error)) from None


def explicit_format(request: Request, from_path: Format | None) -> bool:
    return from_path is not None or bool(request.query_params.get("format"))


def page_number(request: Request) -> int:
    """?page=N (1 when absent); BadRequest when it is not a positive integer."""
    value = request.query_params.get("page")
    if value is None:
        return 1
    if not re.fullmatch(r"[1-9][0-9]{0,6}", value):
        raise BadRequest(f"page {value!r} is not a positive integer")
    return int(value)


@dataclass(frozen=True)
class Site:
    """What the pages of one dataset need, built once when the app starts."""

    settings: Settings
    dataset: Dataset
    queries: ResourceQueries
    describer: Describer
    catalogue: Catalogue
    context: JsonLdContext
    pages: Pages
    pictures: Pictures

    @classmethod
    def build(cls, settings: Settings, dataset: Dataset) -> Site:
        queries = ResourceQueries.load(internal_queries("resources"))
        describer = Describer(dataset, queries)
        catalogue = Catalogue.build(describer, settings.base_iri, settings.root / "shapes")
        context = build_context(catalogue.vocabulary)
        return cls(
            settings,
            dataset,
            queries,
            describer,
            catalogue,
            context,
            Pages.create(catalogue, describer),
            Pictures(PictureQueries.load(settings.queries_dir)),
        )

    @property
    def base(self) -> str:
        return self.settings.base_iri


def site_of(app: FastAPI) -> Site:
    """The app's site, built on first use and again whenever the app's dataset is replaced."""
    site = deps.built(app, "resources_site")
    dataset, settings = deps.dataset_of(app), deps.settings_of(app)
    if site is None or site.dataset is not dataset or site.settings is not settings:
        site = Site.build(settings, dataset)
        deps.keep(app, "resources_site", site)
    return site


def current_site(request: Request) -> Site:
    """The site of the request's app (a route's dependency: `site: SiteDep`)."""
    return site_of(request.app)


SiteDep = Annotated[Site, Depends(current_site)]


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Read the resource queries, vocabulary and shapes when the app starts (or, when an external
    engine is down at start, on the first request after it is back); the entities, pillars and
    labels, which grow with the graph, are read when a page first needs them."""
    try:
        if deps.dataset_of(app).version != UNKNOWN:
            site_of(app)
    except StoreError as error:
        log.warning("the pages will be built when the store answers: %s", error.message)
    yield


log = logging.getLogger("dakg.web.linked_data.routes")
router = APIRouter(lifespan=lifespan)


# -- helpers --------------------------------------------------------------------------------


def root_of(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def app_path(request: Request) -> str:
    """The request path without the root path the app is mounted under."""
    path, root = request.url.path, root_of(request)
    return path[len(root) :] if root and path.startswith(root) else path


def locale_of(request: Request, site: Site) -> Locale:
    lang, explicit = conneg.language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )
    params = tuple((k, v) for k, v in request.query_params.items() if k != "lang")
    return Locale(lang, explicit, root_of(request), site.base, app_path(request), params)


def local_path(site: Site, iri: str, root: str) -> str | None:
    """Our path for an IRI of our namespace (`/id/...`, `/def/...`), else None."""
    if not iri.startswith(site.base):
        return None
    rest = iri[len(site.base) :]
    return f"{root}/{quote(rest, safe='/-_.~')}" if rest.startswith(("id/", "def/")) else None


def with_query(url: str, request: Request, **changes: str | int | None) -> str:
    """A URL with the request's query parameters, some changed or (None) removed."""
    params = dict(request.query_params)
    for key, value in changes.items():
        if value is None:
            params.pop(key, None)
        else:
            params[key] = str(value)
    return f"{url}?{urlencode(params)}" if params else url


def used_prefixes(triples: Iterable[ox.Triple]) -> dict[str, str]:
    """The canonical prefixes whose namespace some IRI of the triples is in."""
    by_namespace = {ns: p for p, ns in canonical_prefixes().items()}
    used: dict[str, str] = {}
    for t in triples:
        for term in (t.subject, t.predicate, t.object):
            iri = term.datatype.value if isinstance(term, ox.Literal) else term.value
            cut = max(iri.rfind("/"), iri.rfind("#")) + 1
            if isinstance(term, ox.BlankNode) or not 0 < cut < len(iri):
                continue
            prefix = by_namespace.get(iri[:cut])
            if prefix is not None:
                used[prefix] = iri[:cut]
    return dict(sorted(used.items()))


def serialize(
    site: Site, request: Request, triples: list[ox.Triple], fmt: Format, first: ox.NamedNode | None
) -> bytes:
    """Triples in an RDF format; JSON-LD compacted with the published context."""
    if fmt is JSONLD:
        document = to_jsonld(triples, site.context, context_url(request), first)
        return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"
    assert fmt.rdf is not None
    return ox.serialize(triples, format=fmt.rdf, prefixes=used_prefixes(triples))


def context_url(request: Request) -> str:
    return f"{base_url(request)}context.jsonld"


def link_header(links: Iterable[tuple[str, str, str | None]]) -> str:
    parts = []
    for href, rel, media in links:
        part = f'<{href}>; rel="{rel}"'
        if media:
            part += f'; type="{media}"'
        parts.append(part)
    return ", ".join(parts)


def common_links(site: Site, root: str) -> list[tuple[str, str, str | None]]:
    return [
        (site.catalogue.licence, "license", None),
        (f"{root}/sparql", SPARQL_ENDPOINT_REL, None),
    ]


def html_response(body: str, status: int, headers: dict[str, str], csp: str = CSP) -> HTMLResponse:
    headers = dict(headers)
    headers["Content-Security-Policy"] = csp
    headers["X-Content-Type-Options"] = "nosniff"
    return HTMLResponse(body, status_code=status, headers=headers)


def rdf_response(body: bytes, fmt: Format, status: int, headers: dict[str, str]) -> Response:
    headers = dict(headers)
    headers["X-Content-Type-Options"] = "nosniff"
    return Response(body, status_code=status, media_type=fmt.content_type, headers=headers)


def cacheable(site: Site, request: Request, response: Response) -> Response:
    """Add the validators to a 200 answer; 304 when the client already holds it. The ETag
    changes with the data and with everything the answer was chosen by (path, query, the
    negotiated type and document)."""
    if response.status_code != 200:
        return response
    etag = caching.etag_for(
        site.dataset.version,
        app_path(request),
        request.url.query,
        response.headers.get("content-type", ""),
        response.headers.get("content-location", ""),
    )
    kept = {
        k: v
        for k, v in response.headers.items()
        if k.lower() in ("vary", "content-location", "link")
    }
    unchanged = caching.not_modified(request, etag, kept)
    if unchanged is not None:
        return unchanged
    response.headers.update(caching.validators(request, etag))
    return response


# -- answers --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """What a /id, /doc or /def request is about: the IRI and the paths of its document."""

    iri: str
    stem: str  # the document path without extension, under /doc/: `initiative/x` or `def/Term`
    fmt: Format | None


def page_problem(request: Request, error: DakgError) -> Response:
    """The pages' shape of a refusal raised on a route (dakg.web.problems answers with it)."""
    iri = getattr(error, "iri", None)
    return problem(request, site_of(request.app), error.status, str(error), iri)


def problem(
    request: Request, site: Site, status: int, message: str, iri: str | None = None
) -> Response:
    """A 4xx answer: an HTML page for people, a short RDF or text answer for programs."""
    try:
        fmt = requested_format(request, None)
    except BadRequest:
        fmt = HTML
    if fmt is HTML:
        locale = locale_of(request, site)
        text = message if status != 404 else None
        return html_response(
            site.pages.error(status, locale, iri, text), status, {"Vary": "Accept, Accept-Language"}
        )
    comment = f"# {status} {message}" + (f": <{iri}>" if iri else "") + "\n"
    if fmt in (TURTLE, NTRIPLES):
        return rdf_response(comment.encode("utf-8"), fmt, status, {"Vary": "Accept"})
    if fmt is JSONLD:
        body = json.dumps({"@context": context_url(request), "@graph": []}).encode("utf-8")
        return rdf_response(body, fmt, status, {"Vary": "Accept"})
    if fmt is RDFXML:
        body = f'<?xml version="1.0"?>\n<!-- {status} {message} -->\n<rdf:RDF xmlns:rdf="{RDF}"/>\n'
        return rdf_response(body.encode("utf-8"), fmt, status, {"Vary": "Accept"})
    return problems.plain(status, f"{status} {message}")


def not_acceptable(request: Request, stem: str) -> Response:
    """The 406 of every route, with a link to each format the document is available in."""
    root = root_of(request)
    alternates = [(f"{root}/doc/{stem}.{f.extension}", "alternate", f.media_type) for f in FORMATS]
    asked = request.query_params.getlist("format")
    why = "format=" + ",".join(asked) if asked else f"Accept: {request.headers.get('accept')}"
    return conneg.refusal(conneg.NotAcceptable(FORMATS, why), {"Link": link_header(alternates)})


def moved(site: Site, request: Request, status: Status, target: Target, document: bool) -> Response:
    """301 to the replacement of a deprecated IRI: its /doc path from a /doc request, else its IRI path."""
    assert status.replaced_by is not None
    root = root_of(request)
    location = local_path(site, status.replaced_by, root) or status.replaced_by
    if location.startswith(root + "/"):
        rest = location[len(root) + 1 :]
        if document:
            rest = "doc/" + (rest[3:] if rest.startswith("id/") else rest)
        location = f"{root}/{rest}" + (f".{target.fmt.extension}" if target.fmt else "")
        location = with_query(location, request)
    return RedirectResponse(location, status_code=301, headers={"Vary": "Accept"})


async def describe_response(
    site: Site, request: Request, target: Target, status_code: int = 200
) -> Response:
    """The document about an entity or term, in the negotiated format."""
    try:
        fmt = requested_format(request, target.fmt)
        page = page_number(request)
    except BadRequest as error:  # the page names the resource asked for
        raise BadRequest(error.message, target.iri) from None
    if fmt is None:
        return not_acceptable(request, target.stem)
    runner = Runner.of(request)
    description = await site.describer.description(runner, target.iri, page, PAGE_SIZE)
    if page > description.pages:
        return problem(request, site, 404, f"there is no page {page}", target.iri)
    root = root_of(request)
    headers = document_headers(site, request, target, fmt, description)
    if fmt is HTML:
        locale = locale_of(request, site)
        pictures = await entity_pictures(site, runner, target.iri, locale.lang, root)
        linked = await site.describer.linked_items(runner, target.iri)
        body = await run_in_threadpool(
            site.pages.entity,
            description,
            linked,
            locale,
            downloads(root, target.stem, description.page),
            description_queries(site, root, description.entity),
            page_links(request, description),
            status="gone" if status_code == 410 else None,
            pictures=pictures,
        )
        return html_response(body, status_code, headers)
    body = await run_in_threadpool(
        serialize, site, request, list(description.triples), fmt, description.entity
    )
    return rdf_response(body, fmt, status_code, headers)


async def entity_pictures(site: Site, runner: Runner, iri: str, lang: str, root: str) -> list[str]:
    """An initiative's own timeline and the charts of its (or an indicator's) repeated figures."""
    pictures = []
    if iri.startswith(ID + "initiative/"):
        pictures.append(await site.pictures.timeline(runner, lang, iri, root))
    return pictures + await site.pictures.charts_for(runner, iri, lang)


def document_headers(
    site: Site, request: Request, target: Target, fmt: Format, description: Description
) -> dict[str, str]:
    """Vary, Content-Location and Link (other formats, licence, SPARQL endpoint, paging)."""
    root = root_of(request)
    explicit = explicit_format(request, target.fmt)
    vary = [] if explicit else ["Accept"]
    page = {"page": description.page} if description.page > 1 else {}
    location = f"{root}/doc/{target.stem}.{fmt.extension}"
    if fmt is HTML:
        lang, chosen = conneg.language(
            request.query_params.get("lang"), request.headers.get("accept-language")
        )
        if not chosen:
            vary.append("Accept-Language")
        page["lang"] = lang
    links = [
        (
            f"{root}/doc/{target.stem}.{f.extension}"
            + (f"?page={description.page}" if description.page > 1 else ""),
            "alternate",
            f.media_type,
        )
        for f in FORMATS
        if f is not fmt
    ]
    links.append((target.iri, "describes", None))
    links += common_links(site, root)
    here = f"{root}/doc/{target.stem}" + (f".{target.fmt.extension}" if target.fmt else "")
    for rel, number in (
        ("first", 1),
        ("prev", description.page - 1),
        ("next", description.page + 1),
        ("last", description.pages),
    ):
        if description.pages > 1 and 1 <= number <= description.pages:
            links.append((with_query(here, request, page=number), rel, None))
    headers = {
        "Content-Location": f"{location}?{urlencode(page)}" if page else location,
        "Link": link_header(links),
    }
    if vary:
        headers["Vary"] = ", ".join(vary)
    return headers


def downloads(root: str, stem: str, page: int) -> list[Download]:
    suffix = f"?page={page}" if page > 1 else ""
    return [
        Download(f.label, f"{root}/doc/{stem}.{f.extension}{suffix}", f.media_type)
        for f in RDF_FORMATS
    ]


def description_queries(site: Site, root: str, entity: ox.NamedNode) -> list[QueryLink]:
    """The queries whose answers together make the description, ready to run at /sparql."""
    links = []
    for name in DESCRIPTION_QUERIES:
        query = site.queries[name]
        text = query.for_people(entity=entity)
        href = f"{root}/sparql?{urlencode({'query': text})}"
        links.append(QueryLink(name, query.title, text, href))
    return links


def page_links(request: Request, description: Description) -> dict[str, str]:
    here = f"{root_of(request)}{app_path(request)}"
    found = {}
    if description.page > 1:
        found["prev"] = with_query(here, request, page=description.page - 1)
    if description.page < description.pages:
        found["next"] = with_query(here, request, page=description.page + 1)
    return found


async def resolve(site: Site, request: Request, target: Target, document: bool) -> Response:
    """Answer for an IRI: 404 unknown, 301 / 410 deprecated, else 303 (or the document itself)."""
    try:
        ox.NamedNode(target.iri)
    except ValueError:
        return problem(request, site, 404, "not found", target.iri)
    status = await site.describer.status(Runner.of(request), target.iri)
    if not status.known:
        return problem(request, site, 404, "not found", target.iri)
    if status.deprecated and status.replaced_by:
        return moved(site, request, status, target, document)
    if status.deprecated:
        return await describe_response(site, request, target, status_code=410)
    if document:
        return await describe_response(site, request, target)
    location = f"{root_of(request)}/doc/{target.stem}" + (
        f".{target.fmt.extension}" if target.fmt else ""
    )
    return RedirectResponse(with_query(location, request), status_code=303)


# -- routes ---------------------------------------------------------------------------------


@router.api_route("/", methods=["GET", "HEAD"], include_in_schema=False)
async def home(request: Request, site: SiteDep) -> Response:
    """What the dataset is, with counts, the pillars and their initiatives, and where to go next."""
    locale = locale_of(request, site)
    timeline = await site.pictures.timeline(Runner.of(request), locale.lang, root=root_of(request))
    body = await run_in_threadpool(
        site.pages.home, locale, site.dataset.triples, site.dataset.version, timeline
    )
    vary = {} if locale.explicit else {"Vary": "Accept-Language"}
    return cacheable(site, request, html_response(body, 200, vary))


@router.api_route("/context.jsonld", methods=["GET", "HEAD"], include_in_schema=False)
def jsonld_context(request: Request, site: SiteDep) -> Response:
    """The JSON-LD context generated from the ontology."""
    answer = JSONResponse(site.context.document(), media_type="application/ld+json")
    return cacheable(site, request, answer)


def static_file(name: str) -> FileResponse:
    """One of the pages' own files in service/web/static/ (named resources*)."""
    return FileResponse(STATIC / name, headers={"Cache-Control": "public, max-age=3600"})


# Only these paths: the rest of /static/ belongs to the other routers.
@router.api_route("/static/resources.css", methods=["GET", "HEAD"], include_in_schema=False)
def stylesheet() -> FileResponse:
    return static_file("resources.css")


@router.api_route("/static/resources-icon.svg", methods=["GET", "HEAD"], include_in_schema=False)
def icon() -> FileResponse:
    return static_file("resources-icon.svg")


@router.api_route("/static/resources-copy.js", methods=["GET", "HEAD"], include_in_schema=False)
def copy_script() -> FileResponse:
    """The vocabulary page's copy button."""
    answer = static_file("resources-copy.js")
    answer.media_type = "text/javascript"
    return answer


# Browsers ask for /favicon.ico on their own (an SVG or a dump opened directly, for example).
@router.api_route("/favicon.ico", methods=["GET", "HEAD"], include_in_schema=False)
def favicon() -> FileResponse:
    answer = static_file("resources-icon.svg")
    answer.media_type = "image/svg+xml"
    return answer


@router.api_route("/id", methods=["GET", "HEAD"], include_in_schema=False)
def id_root(request: Request) -> Response:
    return RedirectResponse(with_query(f"{root_of(request)}/id/", request), status_code=301)


@router.api_route("/id/{rest:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def identifier(rest: str, request: Request, site: SiteDep) -> Response:
    """`/id/{type}/{key}`: 303 See Other to its document; `/id/{type}`: the index of a type."""
    return cacheable(site, request, await identifier_answer(site, request, rest))


async def identifier_answer(site: Site, request: Request, rest: str) -> Response:
    if rest == "":
        locale = locale_of(request, site)
        body = await run_in_threadpool(site.pages.kinds_page, locale)
        return html_response(body, 200, {"Vary": "Accept-Language"})
    if rest.endswith("/"):
        return RedirectResponse(
            with_query(f"{root_of(request)}/id/{rest.rstrip('/')}", request), status_code=301
        )
    stem, fmt = split_extension(rest)
    if "/" not in stem:
        return await run_in_threadpool(index_response, site, request, stem, fmt)
    target = Target(site.base + "id/" + stem, stem, fmt)
    return await resolve(site, request, target, document=False)


@router.api_route("/doc/{rest:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def document(rest: str, request: Request, site: SiteDep) -> Response:
    """The document about `/id/{type}/{key}` (or `/def/{Term}`), by Accept, suffix or ?format=."""
    stem, fmt = split_extension(rest)
    iri = site.base + (stem if stem.startswith("def/") else "id/" + stem)
    if "/" not in stem or stem.endswith("/"):
        return problem(request, site, 404, "not found", iri)
    answer = await resolve(site, request, Target(iri, stem, fmt), document=True)
    return cacheable(site, request, answer)


@router.api_route("/.well-known/genid/{key}", methods=["GET", "HEAD"], include_in_schema=False)
async def skolem(key: str, request: Request, site: SiteDep) -> Response:
    """A source's blank node as published (its skolem IRI): 303 See Other to the document of
    the entity that owns it, whose description holds it; 404 for one the data does not hold."""
    iri = GENID + key
    owner = await owner_of(site, Runner.of(request), iri)
    path = local_path(site, owner, "") if owner is not None else None
    if path is None:
        return problem(request, site, 404, "not found", iri)
    rest = path[len("/") :]
    document = "/doc/" + (rest[len("id/") :] if rest.startswith("id/") else rest)
    return RedirectResponse(with_query(root_of(request) + document, request), status_code=303)


async def owner_of(site: Site, runner: Runner, iri: str, depth: int = 4) -> str | None:
    """The IRI that owns a skolem IRI (the first subject that points to it, up through the
    skolem IRIs between), or None when nothing does."""
    node = iri
    for _ in range(depth):
        try:
            term = ox.NamedNode(node)
        except ValueError:
            return None
        rows = await site.describer.select(runner, "owner", node=term)
        if not rows:
            return None
        node = rows[0]["owner"].value
        if not node.startswith(GENID):
            return node
    return None


@router.api_route("/def", methods=["GET", "HEAD"], include_in_schema=False)
def def_root(request: Request) -> Response:
    return RedirectResponse(with_query(f"{root_of(request)}/def/", request), status_code=301)


@router.api_route("/def/{rest:path}", methods=["GET", "HEAD"], include_in_schema=False)
async def definition(rest: str, request: Request, site: SiteDep) -> Response:
    """`/def/`: the ontology; `/def/{Term}`: 303 See Other to the term's document."""
    stem, fmt = split_extension(rest)
    if rest == "" or stem == "index":
        return cacheable(site, request, await ontology_response(site, request, fmt))
    if stem in (MODELLING, MODELLING + ".md"):
        answer = await run_in_threadpool(modelling_response, site, request, fmt)
        return cacheable(site, request, answer)
    target = Target(site.base + "def/" + stem, "def/" + stem, fmt)
    return await resolve(site, request, target, document=False)


MODELLING = "modelling"


def modelling_response(site: Site, request: Request, from_path: Format | None) -> Response:
    """`/def/modelling`: data/README.md, the modelling guide, as a page (or `.md`: as written)."""
    guide = project_root() / "data" / "README.md"
    text = guide.read_text(encoding="utf-8")
    root = root_of(request)
    if request.url.path.endswith(".md") or "text/markdown" in request.headers.get("accept", ""):
        return Response(
            text,
            media_type="text/markdown; charset=utf-8",
            headers={"X-Content-Type-Options": "nosniff", "Vary": "Accept"},
        )
    if from_path is not None and from_path is not HTML:
        return not_acceptable(request, "def/modelling")
    locale = locale_of(request, site)
    headers = {
        "Content-Location": f"{root}/def/modelling",
        "Link": link_header([(f"{root}/def/modelling.md", "alternate", "text/markdown")]),
        "Vary": "Accept" if locale.explicit else "Accept, Accept-Language",
    }
    body = site.pages.modelling(locale, text, f"{root}/def/modelling.md")
    return html_response(body, 200, headers)


async def ontology_response(site: Site, request: Request, from_path: Format | None) -> Response:
    """The whole vocabulary: HTML documentation or the ontology's graph."""
    fmt = requested_format(request, from_path)
    if fmt is None:
        return not_acceptable(request, "def/index")
    root = root_of(request)
    links = [
        (f"{root}/def/index.{f.extension}", "alternate", f.media_type)
        for f in FORMATS
        if f is not fmt
    ]
    links += common_links(site, root)
    vary = [] if explicit_format(request, from_path) else ["Accept"]
    headers = {
        "Link": link_header(links),
        "Content-Location": f"{root}/def/index.{fmt.extension}",
    }
    if fmt is HTML:
        locale = locale_of(request, site)
        if not locale.explicit:
            vary.append("Accept-Language")
        if vary:
            headers["Vary"] = ", ".join(vary)
        items = [
            Download(f.label, f"{root}/def/index.{f.extension}", f.media_type) for f in RDF_FORMATS
        ]
        namespace = site.catalogue.vocabulary.namespace
        header = await site.describer.description(Runner.of(request), namespace)
        body = await run_in_threadpool(site.pages.ontology, header, locale, items)
        return html_response(body, 200, headers, DEF_CSP)
    if vary:
        headers["Vary"] = ", ".join(vary)
    runner = Runner.of(request)
    triples = []
    for graph in site.catalogue.ontology_graphs:
        triples += await site.describer.graph_triples(runner, graph)
    namespace = ox.NamedNode(site.catalogue.vocabulary.namespace)
    body = await run_in_threadpool(
        serialize, site, request, sort_triples(triples, namespace), fmt, namespace
    )
    return rdf_response(body, fmt, 200, headers)


def index_triples(site: Site, kind: str) -> list[ox.Triple]:
    """Every entity of an id type with its types and labels."""
    triples = []
    for entity in site.catalogue.entities_of(kind):
        node = ox.NamedNode(entity.iri)
        triples += [
            ox.Triple(node, ox.NamedNode(RDF_TYPE), ox.NamedNode(c)) for c in entity.classes
        ]
        for lang, text in site.catalogue.labels.get(entity.iri, {}).items():
            literal = ox.Literal(text, language=lang) if lang else ox.Literal(text)
            triples.append(ox.Triple(node, ox.NamedNode(RDFS_LABEL), literal))
    return triples


def index_response(site: Site, request: Request, kind: str, from_path: Format | None) -> Response:
    """The index of one id type: every entity of it, linked by label."""
    if not site.catalogue.entities_of(kind):
        return problem(request, site, 404, "not found", site.base + "id/" + kind)
    fmt = requested_format(request, from_path)
    if fmt is None:
        return not_acceptable(request, kind)
    root = root_of(request)
    links = [
        (f"{root}/id/{kind}.{f.extension}", "alternate", f.media_type)
        for f in FORMATS
        if f is not fmt
    ]
    headers = {"Link": link_header(links + common_links(site, root))}
    vary = [] if explicit_format(request, from_path) else ["Accept"]
    if fmt is HTML:
        locale = locale_of(request, site)
        if not locale.explicit:
            vary.append("Accept-Language")
        if vary:
            headers["Vary"] = ", ".join(vary)
        items = [
            Download(f.label, f"{root}/id/{kind}.{f.extension}", f.media_type) for f in RDF_FORMATS
        ]
        return html_response(site.pages.index(kind, locale, items), 200, headers)
    if vary:
        headers["Vary"] = ", ".join(vary)
    return rdf_response(
        serialize(site, request, index_triples(site, kind), fmt, None), fmt, 200, headers
    )


# ---------------------------------------------------------------- index pages


def links_response(
    request: Request, title: str, description: str, links: list[IndexLink]
) -> Response:
    """An index of links: a page in the site's layout for a browser (one that names text/html),
    JSON for every other client."""
    try:
        fmt = conneg.negotiate(
            (formats.PLAIN_JSON, HTML),
            request.headers.get("accept"),
            request.query_params.getlist("format"),
            explicit=(HTML,),
        )
    except conneg.NotAcceptable as error:
        return conneg.refusal(error)
    except conneg.UnknownFormat as error:
        return problem(request, site_of(request.app), 400, str(error))
    site = site_of(request.app)
    vary = {"Vary": "Accept, Accept-Language"}
    if fmt is formats.HTML:
        locale = locale_of(request, site)
        body = site.pages.render(
            "links.html", locale, title=title, description=description, links=links
        )
        answer: Response = html_response(body, 200, vary)
    else:
        entries = [
            {
                k: v
                for k, v in (
                    ("href", link.href),
                    ("title", link.title),
                    ("description", link.description),
                    ("type", link.media_type),
                )
                if v
            }
            for link in links
        ]
        answer = JSONResponse(
            {"title": title, "description": description, "links": entries}, headers=vary
        )
    return cacheable(site, request, answer)


@router.api_route("/pictures/", methods=["GET", "HEAD"], include_in_schema=False)
async def pictures_index(request: Request, site: SiteDep) -> Response:
    """The pictures: the timeline and each indicator's chart."""
    lang = conneg.language(
        request.query_params.get("lang"), request.headers.get("accept-language")
    )[0]
    root = request.scope.get("root_path", "").rstrip("/")
    links = await site.pictures.index(Runner.of(request), lang, root)
    title = "図" if lang == "ja" else "Pictures"
    about = (
        "予定の時期と指標のグラフ（SVG、?lang=ja|en）"
        if lang == "ja"
        else "The timeline of the planned items and the indicator charts (SVG, ?lang=ja|en)"
    )
    return await run_in_threadpool(links_response, request, title, about, links)
