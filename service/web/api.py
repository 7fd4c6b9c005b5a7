"""Saved queries as a typed REST API: /api/queries/{name} for every file of queries/, plus the
resource routes that query files declare with a `# route:` line. No SPARQL lives here."""

from __future__ import annotations

import csv
import io
import json
import re
import threading
from collections.abc import Callable, Iterator
from dataclasses import replace
from functools import partial
from itertools import islice
from typing import Any
from urllib.parse import urlencode

import pyoxigraph as ox
from dakg.packaged import internal_queries
from dakg.rdf import formats
from dakg.rdf.namespaces import ID, XSD
from dakg.rdf.terms import plain_value
from dakg.sparql.form import counted, paged
from dakg.sparql.library import (
    Parameter,
    ParameterError,
    SavedQuery,
    answer_columns,
    check_entities,
    list_queries,
    parse_query_file,
)
from dakg.sparql.values import bind_values
from dakg.store.backends import StoreError
from dakg.store.dataset import UNKNOWN
from dakg.web import caching, conneg
from dakg.web.clients import client_address
from dakg.web.deps import CacheDep, DatasetDep, ExecutorDep
from dakg.web.endpoint.answers import saved_query_rows
from dakg.web.endpoint.responses import Answer
from dakg.web.linked_data.routes import links_response
from dakg.web.linked_data.views import IndexLink
from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

FISCAL_YEAR = ID + "fiscal-year/"
RESERVED = ("limit", "offset", "format", "bom")
DEFAULT_LIMIT, MAX_LIMIT = 100, 1000
# The formats of an answer by their `format` names, in the order Accept prefers them.
OFFERS = {
    "json": formats.PLAIN_JSON,
    "csv": formats.CSV,
    "tsv": formats.TSV,
    "sparql-json": formats.JSON,
}
MEDIA = {name: fmt.content_type for name, fmt in OFFERS.items()}
NAMES = {fmt: name for name, fmt in OFFERS.items()}
OPENAPI_TYPES: dict[str, dict[str, Any]] = {
    "iri": {"type": "string"},
    "date": {"type": "string", "format": "date"},
    "fiscal-year": {"type": "integer", "minimum": 1990, "maximum": 2100},
    "integer": {"type": "integer"},
    "string": {"type": "string", "maxLength": 500},
}


class QueryEndpoint:
    """One saved query published at one path."""

    def __init__(self, query: SavedQuery, path: str, exists: SavedQuery):
        self.query = query
        self.path = path
        # The query that says whether an entity a parameter names is in the graph at all.
        self.exists = exists

    async def __call__(
        self, request: Request, dataset: DatasetDep, cache: CacheDep, executor: ExecutorDep
    ) -> Response:
        values = dict(request.path_params)
        for name, value in request.query_params.multi_items():
            if name in values or (name not in RESERVED and name in request.path_params):
                raise ParameterError(f"parameter '{name}' is given more than once", name)
            if name not in RESERVED:
                values[name] = value
        declared = {p.name for p in self.query.parameters}
        if "lang" in declared and "lang" not in values and "accept-language" in request.headers:
            values["lang"] = conneg.language(None, request.headers["accept-language"])[0]
        # A ParameterError names the parameter at fault: dakg.web.problems answers it (422).
        limit = bounded_int(request.query_params.get("limit"), "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
        offset = bounded_int(request.query_params.get("offset"), "offset", 0, 0, 10**9)
        fmt = choose_format(request)
        bindings = self.query.bindings(values)
        # One answer per dataset version and request: its ETag, and the answer cache's key.
        etag = caching.etag_for(
            "api", dataset.version, self.path, sorted(values.items()), fmt, limit, offset,
            request.query_params.get("bom"),
        )  # fmt: skip
        unchanged = caching.not_modified(request, etag, {"vary": "Accept, Accept-Language"})
        if unchanged is not None:
            return unchanged
        cached = cache.get(("api", etag))
        if cached is not None:
            return Response(
                cached.body, media_type=cached.content_type, headers=dict(cached.headers)
            )
        # The store pages the answer (LIMIT and OFFSET in the query) and counts it (COUNT).
        text = bind_values(self.query.text, bindings)
        # The protocol's refusals (ProtocolError) are answered by the app's table, as JSON here.
        client = client_address(request)
        variables, page = await saved_query_rows(executor, client, paged(text, limit, offset))
        _, count = await saved_query_rows(executor, client, counted(text))
        total = int(count[0]["total"].value) if count and count[0]["total"] is not None else 0
        if not total:
            # An empty answer may mean an entity parameter names nothing: 404 (a ParameterError
            # that is `not_found`), naming it.
            await run_in_threadpool(
                check_entities, self.query, bindings, partial(entity_exists, dataset, self.exists)
            )
        # The answer's own columns: the parameters' values, which a saved query projects (so
        # that `dakg query` rows say what produced them), echo what the client sent.
        variables = answer_columns(self.query, variables)
        headers = {"x-total-count": str(total), "vary": "Accept, Accept-Language"}
        if offset + limit < total:
            params = dict(request.query_params) | {
                "offset": str(offset + limit),
                "limit": str(limit),
            }
            headers["Link"] = f'<{request.url.path}?{urlencode(params)}>; rel="next"'
        headers |= caching.validators(request, etag)
        body = render(fmt, variables, page, request.query_params.get("bom") == "1")
        cache.put(("api", etag), Answer(MEDIA[fmt], body, tuple(headers.items())))
        return Response(body, media_type=MEDIA[fmt], headers=headers)


def bounded_int(text: str | None, name: str, default: int, low: int, high: int) -> int:
    if text is None:
        return default
    if not re.fullmatch(r"[0-9]{1,10}", text) or not low <= int(text) <= high:
        raise ParameterError(
            f"parameter '{name}' must be a whole number from {low} to {high}", name
        )
    return int(text)


def choose_format(request: Request) -> str:
    """The `format` parameter, else the media type Accept prefers (by q, a family such as
    `text/*` too), else JSON."""
    try:
        fmt = conneg.negotiate(
            tuple(OFFERS.values()),
            request.headers.get("accept"),
            request.query_params.getlist("format"),
            strict=True,
        )
    except conneg.UnknownFormat:
        raise ParameterError(
            f"parameter 'format' must be one of {', '.join(OFFERS)}", "format"
        ) from None
    except conneg.NotAcceptable:
        fmt = formats.PLAIN_JSON
    return NAMES[fmt]


def entity_exists(dataset, exists: SavedQuery, entity) -> bool:
    """Whether the graph mentions the entity at all (an entity with no rows is still found)."""
    return bool(dataset.query(exists.text, substitutions={ox.Variable("entity"): entity}))


def render(fmt: str, variables: list[str], rows: list[dict[str, Any]], bom: bool) -> bytes:
    if fmt == "json":
        return json.dumps(
            [{v: plain_value(r[v]) for v in variables} for r in rows], ensure_ascii=False
        ).encode()
    if fmt == "sparql-json":
        bindings = [
            {v: sparql_json_term(r[v]) for v in variables if r[v] is not None} for r in rows
        ]
        return json.dumps(
            {"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False
        ).encode()
    out = io.StringIO()
    writer = csv.writer(
        out,
        delimiter="," if fmt == "csv" else "\t",
        lineterminator="\r\n" if fmt == "csv" else "\n",
    )
    writer.writerow(variables)
    for r in rows:
        writer.writerow(["" if r[v] is None else str(plain_value(r[v])) for v in variables])
    return (("\ufeff" if bom else "") + out.getvalue()).encode("utf-8")


def sparql_json_term(term) -> dict[str, str]:
    if isinstance(term, ox.NamedNode):
        return {"type": "uri", "value": term.value}
    if isinstance(term, ox.BlankNode):
        return {"type": "bnode", "value": term.value}
    binding = {"type": "literal", "value": term.value}
    if term.language:
        binding["xml:lang"] = term.language
    elif term.datatype.value != XSD + "string":
        binding["datatype"] = term.datatype.value
    return binding


def parameter_schema(param: Parameter) -> dict[str, Any]:
    """An OpenAPI parameter object for a declared query parameter."""
    schema = dict(OPENAPI_TYPES.get(param.base_type, {"type": "string"}))
    if param.choices:
        schema = {"type": "string", "enum": list(param.choices)}
    if param.default is not None:
        schema["default"] = int(param.default) if schema.get("type") == "integer" else param.default
    description = param.description
    if param.base_type == "iri":
        description += f" (a key, or an IRI under https://w3id.org/dakg/id/{param.argument or ''})"
    return {
        "name": param.name,
        "in": "query",
        "required": param.required,
        "description": description,
        "schema": schema,
    }


def common_parameters() -> list[dict[str, Any]]:
    return [
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "description": "rows per page",
            "schema": {
                "type": "integer",
                "minimum": 1,
                "maximum": MAX_LIMIT,
                "default": DEFAULT_LIMIT,
            },
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "description": "rows to skip",
            "schema": {"type": "integer", "minimum": 0, "default": 0},
        },
        {
            "name": "format",
            "in": "query",
            "required": False,
            "description": "json (plain objects), csv, tsv or sparql-json; else by Accept",
            "schema": {"type": "string", "enum": list(MEDIA)},
        },
        {
            "name": "bom",
            "in": "query",
            "required": False,
            "description": "1 to start CSV with a byte-order mark, for Excel on Windows",
            "schema": {"type": "string", "enum": ["0", "1"]},
        },
    ]


def openapi(query: SavedQuery, path: str, example: list[dict[str, Any]]) -> dict[str, Any]:
    path_names = {p.name for p in query.parameters if "{" + p.name + "}" in path}
    params = []
    for p in query.parameters:
        spec = parameter_schema(p)
        if p.name in path_names:
            spec |= {"in": "path", "required": True}
        params.append(spec)
    return {
        "parameters": params + common_parameters(),
        "responses": {
            "200": {
                "description": "the rows, as plain JSON objects (or CSV, TSV, SPARQL JSON)",
                "content": {
                    "application/json": {"example": example},
                    "text/csv": {"schema": {"type": "string"}},
                    "text/tab-separated-values": {"schema": {"type": "string"}},
                    "application/sparql-results+json": {"schema": {"type": "object"}},
                },
            },
            "404": {"description": "an entity parameter names nothing in the graph (named)"},
            "422": {
                "description": "a missing, unknown or malformed parameter, named in the message"
            },
        },
    }


def example_rows(dataset, query: SavedQuery) -> list[dict[str, Any]]:
    """The first rows the query answers with its defaults: the example of its OpenAPI entry."""
    if any(p.required for p in query.parameters) or dataset.version == UNKNOWN:
        return []
    try:
        result = dataset.query(query.text, substitutions=query.bindings({}))
        variables = [v.value for v in result.variables]
        # Only two rows are shown: the rest of the answer is never read.
        rows = [{v: solution[v] for v in variables} for solution in islice(result, 2)]
    except StoreError:  # an external engine that is down: no example, still a route
        return []
    return [{v: plain_value(r[v]) for v in answer_columns(query, variables)} for r in rows]


class Examples:
    """The example rows of each saved query, read from the store the first time the OpenAPI
    document is built (not when the app starts: on a large store some saved queries take
    seconds), once per query however many paths publish it."""

    def __init__(self, current: Callable[[], Any]) -> None:
        # The app's dataset when the examples are read (never one kept from the start: an
        # update, or the shared copy a worker opens, replaces it).
        self.current = current
        self.found: dict[str, list[dict[str, Any]]] = {}
        self.lock = threading.Lock()

    def of(self, query: SavedQuery) -> list[dict[str, Any]]:
        with self.lock:
            if query.name not in self.found:
                self.found[query.name] = example_rows(self.current(), query)
            return self.found[query.name]


class LazyExample(dict):
    """A route's OpenAPI additions (`openapi_extra`) whose JSON example is filled in the first
    time anything reads them. FastAPI reads them only while it builds the OpenAPI document
    (`/openapi.json`, `/docs`), so an app that nobody asks for its OpenAPI never runs the
    example queries."""

    def __init__(self, spec: dict[str, Any], fill: Callable[[], list[dict[str, Any]]]) -> None:
        super().__init__(spec)
        self._fill: Callable[[], list[dict[str, Any]]] | None = fill

    @property
    def filled(self) -> bool:
        return self._fill is None

    def _ensure(self) -> None:
        if self._fill is not None:
            example = self._fill()
            content = dict.__getitem__(self, "responses")["200"]["content"]
            content["application/json"]["example"] = example
            self._fill = None

    def __getitem__(self, key: str) -> Any:
        self._ensure()
        return super().__getitem__(key)

    def __iter__(self) -> Iterator[str]:
        self._ensure()
        return super().__iter__()

    def get(self, key: str, default: Any = None) -> Any:
        self._ensure()
        return super().get(key, default)

    def items(self):  # type: ignore[override]
        self._ensure()
        return super().items()

    def keys(self):  # type: ignore[override]
        self._ensure()
        return super().keys()

    def values(self):  # type: ignore[override]
        self._ensure()
        return super().values()

    def copy(self) -> dict[str, Any]:
        self._ensure()
        return dict(super().items())


def example_path(query: SavedQuery) -> str | None:
    """A query's route with its path parameters' defaults (`/api/initiatives/mynumber-card`);
    None when one has no default."""
    path = query.route or ""
    for param in query.parameters:
        if "{" + param.name + "}" in path:
            if param.default is None:
                return None
            path = path.replace("{" + param.name + "}", param.default)
    return path


def root_path(request: Request) -> str:
    return request.scope.get("root_path", "").rstrip("/")


def build_router(
    queries: list[SavedQuery], current: Callable[[], Any], exists: SavedQuery
) -> APIRouter:
    """The catalogue of saved queries, a route for each, and the routes they declare."""
    router = APIRouter(tags=["saved queries"])
    catalogue = [
        {
            "name": q.name,
            "title": q.title,
            "description": q.description,
            "route": q.route,
            "url": f"/api/queries/{q.name}",
            "parameters": [
                {
                    "name": p.name,
                    "type": p.type,
                    "required": p.required,
                    "default": p.default,
                    "description": p.description,
                }
                for p in q.parameters
            ],
        }
        for q in queries
    ]

    async def list_saved_queries() -> JSONResponse:
        return JSONResponse(catalogue)

    links = [
        IndexLink("/docs", "OpenAPI documentation (Swagger UI)", media_type="text/html"),
        IndexLink("/openapi.json", "The OpenAPI document", media_type="application/json"),
        IndexLink(
            "/api/queries",
            "Every saved query with its parameters",
            media_type="application/json",
        ),
    ]
    links += [
        IndexLink(path, q.title, q.description, "application/json")
        for q in queries
        if q.route and (path := example_path(q)) is not None
    ]
    links += [
        IndexLink(f"/api/queries/{q.name}", q.title, q.description, "application/json")
        for q in queries
    ]

    def api_index(request: Request) -> Response:
        return links_response(
            request,
            "dakg REST API",
            "The saved queries of queries/ as typed routes: JSON, CSV, TSV or SPARQL JSON.",
            [replace(link, href=root_path(request) + link.href) for link in links],
        )

    router.add_api_route("/api/", api_index, methods=["GET", "HEAD"], include_in_schema=False)

    router.add_api_route(
        "/api/queries",
        list_saved_queries,
        methods=["GET"],
        summary="Every saved query with its parameters",
    )
    examples = Examples(current)
    for query in queries:
        targets = [(f"/api/queries/{query.name}", ["saved queries"])]
        if query.route:
            targets.append((query.route, ["resources"]))
        for path, tags in targets:
            router.add_api_route(
                path,
                QueryEndpoint(query, path, exists),
                methods=["GET"],
                summary=query.title,
                description=query.description,
                tags=tags,
                name=f"{query.name}:{path}",
                openapi_extra=LazyExample(openapi(query, path, []), partial(examples.of, query)),
                response_class=JSONResponse,
            )
    return router


def api_router(queries_dir, current: Callable[[], Any]) -> APIRouter:
    exists = parse_query_file(internal_queries("resources") / "exists.rq")
    return build_router(list_queries(queries_dir), current, exists)
