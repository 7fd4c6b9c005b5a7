"""Reading the protocol's requests: its parameters (URL-encoded, strictly UTF-8), its bodies
(within the size limit) and the checks every query and update passes before it runs."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qsl

from dakg.sparql import federation
from dakg.web import deps
from dakg.web.endpoint.refusals import ProtocolError
from dakg.web.publicurl import base_url
from fastapi import Request

PATH = "/sparql"
ALLOW = "GET, HEAD, POST, OPTIONS"
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
GRAPH_PARAMS = ("default-graph-uri", "named-graph-uri")
USING_PARAMS = ("using-graph-uri", "using-named-graph-uri")
FORMAT_PARAMS = ("format", "output", "results")


@dataclass(frozen=True)
class QueryRequest:
    """A query as the protocol received it; graphs are None when the client named none."""

    query: str
    default_graphs: tuple[str, ...] | None = None
    named_graphs: tuple[str, ...] | None = None
    formats: tuple[str, ...] = ()
    # The IRI relative IRIs of the query resolve against: the endpoint's URL (None: not resolved).
    base: str | None = None


@dataclass(frozen=True)
class UpdateRequest:
    """An update as the protocol received it."""

    update: str
    base: str | None = None


# ---- reading requests -------------------------------------------------------------------------

Params = list[tuple[str, str]]


def parse_params(raw: bytes, where: str) -> Params:
    """URL-encoded parameters, decoded as UTF-8 strictly (anything else is a 400)."""
    if not raw:
        return []
    try:
        # The raw bytes first: an escaped byte must not complete a character a raw one began.
        text = raw.decode("utf-8")
        try:
            return [(unquote_plus(name), unquote_plus(value)) for name, _, value in fields(raw)]
        except ValueError:  # a stray '%', or escapes of bytes that are not UTF-8: the slow way
            return parse_qsl(text, keep_blank_values=True, errors="strict")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"The {where} is not valid UTF-8: {error}") from None


def fields(raw: bytes) -> Iterator[tuple[bytes, bytes, bytes]]:
    """The name=value fields of a URL-encoded string, split at their first '=' (as parse_qsl)."""
    return (field.partition(b"=") for field in raw.split(b"&") if field)


def unquote_plus(encoded: bytes) -> str:
    """A URL-encoded field decoded as parse_qsl decodes it, with '+' for a space, but in C: every
    %XX becomes \\xXX for Python's own escape decoder (a backslash of the text first doubled),
    and the bytes so recovered are read as UTF-8. Raises ValueError (UnicodeDecodeError among
    them) for a '%' without two hex digits, and for bytes that are not UTF-8."""
    if b"%" not in encoded:
        return encoded.replace(b"+", b" ").decode("utf-8")
    escaped = encoded.replace(b"+", b" ").replace(b"\\", b"\\\\").replace(b"%", b"\\x")
    return escaped.decode("unicode_escape").encode("latin-1").decode("utf-8")


def single(params: Params, name: str, where: str) -> str | None:
    """The one value of a parameter that may be given at most once."""
    found = [value for key, value in params if key == name]
    if len(found) > 1:
        raise ProtocolError(
            400, f"The parameter '{name}' is given {len(found)} times in the {where}"
        )
    return found[0] if found else None


def values(params: Params, name: str) -> list[str]:
    return [value for key, value in params if key == name]


def has_any(params: Params, names: tuple[str, ...]) -> bool:
    return any(key in names for key, _ in params)


def graphs(params: Params) -> tuple[tuple[str, ...] | None, tuple[str, ...] | None]:
    """The protocol's dataset: (default graphs, named graphs), both None when neither is given."""
    default, named = values(params, "default-graph-uri"), values(params, "named-graph-uri")
    if not default and not named:
        return None, None
    return tuple(default), tuple(named)


def format_params(params: Params) -> tuple[str, ...]:
    return tuple(value for key, value in params if key in FORMAT_PARAMS)


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 past the size limit."""
    length = request.headers.get("content-length")
    if length and length.isdigit() and int(length) > limit:
        raise ProtocolError(413, f"The request body is larger than {limit} bytes")
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise ProtocolError(413, f"The request body is larger than {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


def decode_body(body: bytes) -> str:
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as error:
        raise ProtocolError(400, f"The request body is not valid UTF-8: {error}") from None


def read_get(request: Request) -> QueryRequest | None:
    """A GET request's query, or None when it asks for no query (service description, page)."""
    url = parse_params(request.scope.get("query_string", b""), "URL query string")
    if has_any(url, ("update",)):
        raise ProtocolError(400, "SPARQL Update is accepted only by POST")
    query = single(url, "query", "URL")
    if query is None:
        if has_any(url, GRAPH_PARAMS):
            raise ProtocolError(400, "Missing the 'query' parameter")
        return None
    default, named = graphs(url)
    return QueryRequest(query, default, named, format_params(url))


async def read_post(request: Request, limit: int) -> QueryRequest | UpdateRequest:
    """A POST request: a form with `query` or `update`, or a query or update as the body."""
    media_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    url = parse_params(request.scope.get("query_string", b""), "URL query string")
    if media_type == FORM:
        form = parse_params(await read_body(request, limit), "request body")
        return read_form(url, form)
    if media_type == SPARQL_QUERY:
        if has_any(url, ("query", "update")):
            raise ProtocolError(400, "The query cannot be given both in the URL and in the body")
        text = decode_body(await read_body(request, limit))
        default, named = graphs(url)
        return QueryRequest(text, default, named, format_params(url))
    if media_type == SPARQL_UPDATE:
        if has_any(url, ("query", "update")):
            raise ProtocolError(400, "The update cannot be given both in the URL and in the body")
        text = decode_body(await read_body(request, limit))
        check_using(url)
        return UpdateRequest(text)
    given = media_type or "no Content-Type"
    raise ProtocolError(
        415,
        f"Unsupported Media Type: {given}. POST a query as {FORM} (query=...) or as "
        f"{SPARQL_QUERY}, an update as {FORM} (update=...) or as {SPARQL_UPDATE}.",
    )


def read_form(url: Params, form: Params) -> QueryRequest | UpdateRequest:
    """A POSTed form: exactly one of `query` and `update` in the body; a query's dataset
    (default-graph-uri, named-graph-uri) in the body, in the URL or in both."""
    protocol = ("query", "update", *USING_PARAMS)
    in_url = sorted({key for key, _ in url if key in protocol})
    if in_url:
        raise ProtocolError(
            400, f"'{in_url[0]}' cannot be given in the URL of a form POST: put it in the body"
        )
    query, update = single(form, "query", "body"), single(form, "update", "body")
    if query is not None and update is not None:
        raise ProtocolError(400, "A request holds either a query or an update, not both")
    if update is not None:
        if has_any(form, GRAPH_PARAMS) or has_any(url, GRAPH_PARAMS):
            raise ProtocolError(400, "default-graph-uri and named-graph-uri apply to queries only")
        check_using(form)
        return UpdateRequest(update)
    if query is None:
        raise ProtocolError(400, "Missing the 'query' (or 'update') parameter")
    if has_any(form, USING_PARAMS):
        raise ProtocolError(400, "using-graph-uri and using-named-graph-uri apply to updates only")
    default, named = graphs(url + form)
    return QueryRequest(query, default, named, format_params(url) + format_params(form))


def check_using(params: Params) -> None:
    if has_any(params, USING_PARAMS):
        raise ProtocolError(
            400,
            "using-graph-uri and using-named-graph-uri are not supported: use USING in the update",
        )


def refuse_network(request: Request, text: str) -> None:
    """Federation and loading from the network are off unless an allow-list names endpoints: the
    endpoint never fetches an address a client names (SERVICE in a query, LOAD in an update)."""
    try:
        federation.check(text, deps.settings(request).federation_allow)
    except federation.NetworkRefused as error:
        raise ProtocolError(403, str(error)) from None


def check_length(request: Request, text: str, what: str) -> None:
    cap = deps.settings(request).max_query_chars
    if cap and len(text) > cap:
        raise ProtocolError(
            413, f"The {what} is {len(text)} characters long; this endpoint takes at most {cap}"
        )


def endpoint_url(request: Request) -> str:
    """The endpoint's URL as published to the client (the service description's sd:endpoint):
    the base relative IRIs in queries and updates resolve against, as the protocol implies."""
    return base_url(request) + PATH.lstrip("/")
