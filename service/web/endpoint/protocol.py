"""The SPARQL 1.1 Protocol at /sparql: queries, updates, the service description and the query page.

Answers are pyoxigraph's own serialised bytes. Clients' queries run in the query worker processes
(service/execution/pool.py), so that one past the time limit is killed; a one-entity lookup of a
subject with few triples, whose cost those triples bound, is answered at once in this process
(service/execution/lookup.py). Answers are kept in an LRU cache keyed by the dataset version, so that a
repeated query costs a dictionary look-up and a conditional GET costs nothing.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import hmac
import json
import logging
import queue
import re
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import markupsafe
import pyoxigraph as ox
from dakg.execution.lookup import few_triples, lookup_of
from dakg.execution.pool import ClientBusy, QueryPool, QueueTimeout, WorkerLost, WorkerTimeout
from dakg.execution.worker import (
    FORMATS,
    QUERY_STACK_BYTES,
    Limits,
    ResultTooLarge,
    Unacceptable,
    evaluate,
    load_snapshot,
)
from dakg.packaged import web_files
from dakg.rdf import formats
from dakg.rdf.namespaces import DEF, canonical_prefixes
from dakg.settings import Settings
from dakg.sparql import federation
from dakg.sparql.form import (
    LoadNotAlone,
    LoadOperation,
    QueryShape,
    TooDeep,
    check_nesting,
    from_clauses,
    load_operation,
    query_shape,
)
from dakg.sparql.library import ParameterError, QueryFileError, SavedQuery, parse_query_file
from dakg.sparql.values import binding_points
from dakg.store.backends import (
    RemoteStore,
    StoreError,
    StoreUnavailable,
    as_query_results,
    engine_refusal,
    form_headers,
    transport_failure,
    unknown_prefix_message,
    with_base,
    with_prefixes,
)
from dakg.store.dataset import Dataset
from dakg.web import caching, conneg, void
from dakg.web.clients import client_address
from dakg.web.linked_data import views as html
from dakg.web.publicurl import base_url
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

log = logging.getLogger("dakg.web.endpoint.protocol")
router = APIRouter()

PATH = "/sparql"
ALLOW = "GET, HEAD, POST, OPTIONS"
FORM = "application/x-www-form-urlencoded"
SPARQL_QUERY = "application/sparql-query"
SPARQL_UPDATE = "application/sparql-update"
GRAPH_PARAMS = ("default-graph-uri", "named-graph-uri")
USING_PARAMS = ("using-graph-uri", "using-named-graph-uri")
FORMAT_PARAMS = ("format", "output", "results")
STATIC = web_files("static")


class ProtocolError(Exception):
    """A request the protocol refuses: its status, a message for people, extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        return Response(
            self.message.rstrip("\n") + "\n",
            status_code=self.status,
            headers={"content-type": "text/plain; charset=utf-8", **self.headers},
        )


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


@dataclass(frozen=True)
class Answer:
    """A serialised answer, ready to send (with the headers of its own it needs, if any)."""

    content_type: str
    body: bytes
    headers: tuple[tuple[str, str], ...] = ()


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


# ---- answering queries ------------------------------------------------------------------------


class AnswerCache:
    """The latest answers, by request and dataset version: an LRU bounded in entries and bytes."""

    def __init__(self, entries: int, max_bytes: int):
        self.entries = entries
        self.max_bytes = max_bytes
        self.size = 0
        self.hits = 0
        self.misses = 0
        self._answers: OrderedDict[tuple, Answer] = OrderedDict()

    def get(self, key: tuple) -> Answer | None:
        answer = self._answers.get(key)
        if answer is not None:
            self._answers.move_to_end(key)
            self.hits += 1
        else:
            self.misses += 1
        return answer

    def put(self, key: tuple, answer: Answer) -> None:
        """Keep an answer unless it alone would take more than an eighth of the budget."""
        if self.entries <= 0 or len(answer.body) > self.max_bytes // 8 or key in self._answers:
            return
        self._answers[key] = answer
        self.size += len(answer.body)
        while len(self._answers) > self.entries or self.size > self.max_bytes:
            _, dropped = self._answers.popitem(last=False)
            self.size -= len(dropped.body)

    def clear(self) -> None:
        self._answers.clear()
        self.size = 0

    def __len__(self) -> int:
        return len(self._answers)


def dataset_arguments(req: QueryRequest, shape: QueryShape) -> dict[str, Any]:
    """The query's dataset: the protocol's graphs, else the query's FROM, else the union (in the
    plain form the query workers take: graph IRIs as strings, checked here), with the base IRI
    the query's relative IRIs resolve against."""
    base = {"base_iri": req.base} if req.base else {}
    if req.default_graphs is not None:
        for graph in (*req.default_graphs, *(req.named_graphs or ())):
            try:
                ox.NamedNode(graph)
            except ValueError as error:
                raise ProtocolError(400, f"Invalid graph IRI: {error}") from None
        # The dataset is a set of graphs: a graph named twice is read once (pyoxigraph would
        # read it as often as it is named, multiplying the answer).
        return {
            "default_graph": list(dict.fromkeys(req.default_graphs)),
            "named_graphs": list(dict.fromkeys(req.named_graphs or ())),
            **base,
        }
    if shape.names_dataset:
        return base
    return {"use_default_graph_as_union": True, **base}


@dataclass(frozen=True)
class Wanted:
    """What one request accepts (its format parameters and Accept header), negotiated for each
    kind of answer (results or graph) by the app's negotiator, which remembers its choices."""

    negotiator: conneg.Negotiator
    formats: tuple[str, ...]
    accept: str | None

    def pick(self, kind: str) -> formats.Format:
        """The format for an answer of this kind; NotAcceptable when there is none."""
        return self.negotiator.pick(kind, self.formats, self.accept)

    def name(self, kind: str) -> str | None:
        """The name of the format for an answer of this kind (None: none is acceptable, which
        is an error only if the answer turns out to be of this kind)."""
        found = self.negotiator.offer(kind, self.formats, self.accept)
        return found.name if found is not None else None


def limits(settings: Settings) -> Limits:
    return Limits(rows=settings.max_result_rows, bytes=settings.max_result_bytes)


def run_query(
    store: ox.Store,
    req: QueryRequest,
    shape: QueryShape,
    wanted: Wanted,
    caps: Limits,
) -> tuple[formats.Format, Answer]:
    """Evaluate and serialise a query in this process (blocking: a query thread runs it, or the
    event loop itself for a small one-entity lookup, whose cost its subject's triples bound)."""
    dataset = dataset_arguments(req, shape)
    try:
        found = evaluate(
            store,
            req.query,
            dataset,
            wanted.name(formats.RESULTS),
            wanted.name(formats.GRAPH),
            caps,
        )
    except Unacceptable as error:
        wanted.pick(error.kind)  # raises NotAcceptable with the offers for this kind
        raise
    except ResultTooLarge as error:
        raise ProtocolError(422, str(error)) from None
    fmt = FORMATS[found.format]
    return fmt, Answer(fmt.content_type, found.body)


async def run_in_worker(
    pool: QueryPool,
    req: QueryRequest,
    shape: QueryShape,
    wanted: Wanted,
    caps: Limits,
    timeout: float | None,
    client: str,
) -> tuple[formats.Format, Answer]:
    """Evaluate and serialise a query in a worker process, killed if it runs past the deadline;
    the workers are shared fairly between clients (querypool.py)."""
    message = (
        "query",
        req.query,
        dataset_arguments(req, shape),
        wanted.name(formats.RESULTS),
        wanted.name(formats.GRAPH),
        caps,
    )
    reply = await worker_reply(pool, message, timeout, client)
    if reply[0] == "unacceptable":
        wanted.pick(reply[1])  # raises NotAcceptable with the offers for this kind
    fmt = FORMATS[reply[2]]
    return fmt, Answer(fmt.content_type, reply[3])


async def worker_reply(
    pool: QueryPool, message: tuple, timeout: float | None, client: str
) -> tuple:
    """A query worker's answer to a request (`answer` or `unacceptable`), its failures raised
    (`in_worker`). Every route that runs a query in a worker (the endpoint, the REST API) goes
    through here."""
    return await in_worker(pool.run(message, timeout, client), timeout, "query")


async def in_worker(call: Awaitable[tuple], timeout: float | None, what: str) -> tuple:
    """What a query worker replied to a query or an update, its failures raised: ProtocolError
    for the time limit, the queue, the caps and a lost worker; SyntaxError, ValueError and
    OSError as the text's own."""
    limit = f"{timeout:g}" if timeout else "no"
    try:
        reply = await call
    except QueueTimeout as error:
        raise ProtocolError(
            503,
            f"The {what} waited {error.waited:.0f} s for a free query worker (other queries were "
            "running) and did not run; try again",
            {"retry-after": "2"},
        ) from None
    except ClientBusy:
        raise ProtocolError(
            429,
            "Too many queries from this client are waiting; send the next when one is answered",
            {"retry-after": "2"},
        ) from None
    except WorkerTimeout:
        raise ProtocolError(
            503, f"The {what} took longer than the {limit} s this endpoint allows"
        ) from None
    except WorkerLost:
        raise ProtocolError(
            503,
            f"The {what} stopped its worker process (it may have needed more memory than this "
            "endpoint allows); the endpoint goes on answering",
        ) from None
    if reply[0] in ("answer", "unacceptable", "updated"):
        return reply
    if reply[0] == "too-large":
        raise ProtocolError(422, reply[1])
    kind, text = reply[1], reply[2]
    if kind == "syntax":
        raise SyntaxError(text)
    if kind == "value":
        raise ValueError(text)
    if kind == "internal":
        raise RuntimeError(f"query worker: {text}")
    raise OSError(text)


async def saved_query_rows(request: Request, text: str) -> tuple[list[str], list[dict]]:
    """A saved query's variables and rows (RDF terms), its parameters already bound in its text,
    run as a client's query is: in a query worker with the time limit, the caps and fair
    sharing, else in the query threads with the time limit (on an engine, which bounds its own
    queries)."""
    state = request.app.state
    settings = state.settings
    timeout = settings.query_timeout
    if state.query_pool is not None:
        caps = Limits(settings.max_result_rows, settings.max_result_bytes)
        message = ("query", text, {"use_default_graph_as_union": True}, "json", None, caps)
        reply = await worker_reply(state.query_pool, message, timeout, client_address(request))
        return solution_rows(ox.parse_query_results(reply[3], format=ox.QueryResultsFormat.JSON))
    if isinstance(state.dataset.store, RemoteStore):
        timeout = None  # the engine's own time limit answers (504), as on /sparql
    try:
        return await state.threads.submit(
            lambda: solution_rows(state.dataset.query(text)), timeout=timeout
        )
    except QueryTimeout:
        raise ProtocolError(
            503, f"The query took longer than the {timeout:g} s this endpoint allows"
        ) from None


def solution_rows(result: ox.QuerySolutions) -> tuple[list[str], list[dict]]:
    variables = [v.value for v in result.variables]
    return variables, [{v: solution[v] for v in variables} for solution in result]


class QueryTimeout(Exception):
    """A query that ran past the endpoint's time limit."""


class QueryThreads:
    """Threads that run store work off the event loop (pyoxigraph releases the GIL as it works).

    Lighter per call than run_in_executor: one queue in, results handed back to the loop with
    call_soon_threadsafe, and a time limit set with call_later rather than wait_for. pyoxigraph
    cannot stop a running query, so a query past its limit finishes in its thread unanswered;
    one whose limit passes while it waits in the queue is not run at all.
    """

    def __init__(self, size: int, name: str = "dakg-query"):
        self._jobs: queue.SimpleQueue = queue.SimpleQueue()
        self._threads = [
            threading.Thread(target=self._work, name=f"{name}-{i}", daemon=True)
            for i in range(max(1, size))
        ]
        self._started = False

    def submit(
        self, fn: Callable[..., Any], *args: Any, timeout: float | None = None
    ) -> asyncio.Future:
        """Run fn(*args) in a thread; the future fails with QueryTimeout past the time limit."""
        if not self._started:  # on first use: an app that never queries starts no thread
            self._started = True
            # Deep enough a stack for pyoxigraph's recursion on long queries (queryworker.py).
            previous = threading.stack_size(QUERY_STACK_BYTES)
            try:
                for thread in self._threads:
                    thread.start()
            finally:
                threading.stack_size(previous)
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        if timeout:
            timer = loop.call_later(timeout, _expire, future, timeout)
            future.add_done_callback(lambda _: timer.cancel())
        self._jobs.put((loop, future, fn, args))
        return future

    def shutdown(self) -> None:
        if self._started:
            for _ in self._threads:
                self._jobs.put(None)

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            loop, future, fn, args = job
            if future.done():  # timed out (or cancelled) while it waited
                continue
            try:
                outcome = (fn(*args), None)
            except BaseException as error:  # handed to the awaiting request
                outcome = (None, error)
            try:
                loop.call_soon_threadsafe(_settle, future, *outcome)
            except RuntimeError:  # the loop has closed: nobody waits any more
                pass


def _settle(future: asyncio.Future, result: Any, error: BaseException | None) -> None:
    if future.done():
        return
    if error is None:
        future.set_result(result)
    else:
        future.set_exception(error)


def _expire(future: asyncio.Future, timeout: float) -> None:
    if not future.done():
        future.set_exception(QueryTimeout(timeout))


async def in_thread(
    request: Request, fn: Callable[..., Any], *args: Any, timeout: float | None
) -> Any:
    """Run blocking work in the app's query threads; past the timeout the client gets a 503."""
    try:
        return await request.app.state.threads.submit(fn, *args, timeout=timeout)
    except QueryTimeout:
        raise ProtocolError(
            503, f"The query took longer than the {timeout:g} s this endpoint allows"
        ) from None


def answer_headers(request: Request, etag: str, dataset: Dataset) -> dict[str, str]:
    headers = {"etag": etag, "cache-control": request.app.state.cache_control, "vary": "Accept"}
    if dataset.modified is not None:
        headers["last-modified"] = caching.http_date(dataset.modified)
    return headers


def refuse_network(request: Request, text: str) -> None:
    """Federation and loading from the network are off unless an allow-list names endpoints: the
    endpoint never fetches an address a client names (SERVICE in a query, LOAD in an update)."""
    try:
        federation.check(text, request.app.state.settings.federation_allow)
    except federation.NetworkRefused as error:
        raise ProtocolError(403, str(error)) from None


def check_length(request: Request, text: str, what: str) -> None:
    cap = request.app.state.settings.max_query_chars
    if cap and len(text) > cap:
        raise ProtocolError(
            413, f"The {what} is {len(text)} characters long; this endpoint takes at most {cap}"
        )


async def answer_query(request: Request, req: QueryRequest) -> Response:
    """Answer a query from the cache, or run it (or pass it to the engine) and keep its answer."""
    state = request.app.state
    dataset = state.dataset
    accept = request.headers.get("accept")
    check_length(request, req.query, "query")
    # A one-entity lookup on the union of the graphs: its form is all there is to read of it (it
    # holds no SERVICE, no FROM, no nesting: see service/execution/lookup.py); any other query is read and
    # checked in full, the federation guard first (whatever else is wrong with it).
    lookup = None
    if state.settings.lookup_triples and req.default_graphs is None and req.named_graphs is None:
        lookup = lookup_of(req.query)
    if lookup is None:
        refuse_network(request, req.query)
    unknown = unknown_prefix_message(req.query)
    if unknown is not None:
        raise ProtocolError(400, f"Parse error: {unknown}")
    if lookup is None:
        shape = query_shape(req.query)
    else:
        shape = QueryShape(lookup.form, names_dataset=False)
    conditional = request.method in ("GET", "HEAD")
    if conditional and not req.formats and wants_page(accept, shape):
        return state.query_page.response(request)
    # The form is read from the query text, so the format (and with it the cache key and the
    # ETag) is known before the query runs; a query whose form cannot be read is run first.
    fmt = key = None
    if shape.form:
        fmt = state.negotiator.pick(formats.FORMS[shape.form], req.formats, accept)
        key = (dataset.version, req.query, req.default_graphs, req.named_graphs, fmt.name, req.base)
        etag = caching.etag_for(*key)
        if conditional and caching.is_fresh(request.headers, etag, dataset.modified):
            return Response(status_code=304, headers=answer_headers(request, etag, dataset))
        cached = state.cache.get(key)
        if cached is not None:
            return send(request, cached, etag, dataset)
    if isinstance(dataset.store, RemoteStore):
        return await proxy_query(request, dataset.store, req, fmt, key)

    wanted = Wanted(state.negotiator, req.formats, accept)
    timeout = state.settings.query_timeout
    caps = limits(state.settings)
    if lookup is not None and is_small(dataset, lookup.subject, state.settings.lookup_triples):
        fmt, answer = run_query(dataset.store, req, shape, wanted, caps)
    elif state.query_pool is not None:
        fmt, answer = await run_in_worker(
            state.query_pool, req, shape, wanted, caps, timeout, client_address(request)
        )
    else:
        work = (run_query, dataset.store, req, shape, wanted, caps)
        fmt, answer = await in_thread(request, *work, timeout=timeout)
    if key is None or key[4] != fmt.name:  # the format was known only once the query ran
        key = (dataset.version, req.query, req.default_graphs, req.named_graphs, fmt.name, req.base)
        etag = caching.etag_for(*key)
    state.cache.put(key, answer)
    return send(request, answer, etag, dataset)


def is_small(dataset: Dataset, subject: str, cap: int) -> bool:
    """Whether a one-entity lookup's subject has at most `cap` triples, so that it is answered
    on the event loop at once (service/execution/lookup.py): known for every subject when no subject has
    more, else counted."""
    largest = dataset.largest_subject
    if largest is not None and largest <= cap:
        return True
    return few_triples(dataset.store, subject, cap)


class EngineClient:
    """The HTTP client queries are passed to the engine with: one per event loop (a client is
    bound to the loop it was first used on)."""

    def __init__(self, timeout: float):
        self.timeout = httpx.Timeout(timeout, connect=min(timeout, 5.0))
        self._client: httpx.AsyncClient | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def get(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is None or self._loop is not loop:
            self._client, self._loop = httpx.AsyncClient(timeout=self.timeout), loop
        return self._client

    async def aclose(self) -> None:
        if self._client is not None and self._loop is asyncio.get_running_loop():
            await self._client.aclose()
        self._client = self._loop = None


# Formats the service writes itself from the engine's SPARQL JSON or N-Triples, since engines
# write them differently (Virtuoso's TSV has no `?` and no `<>`, its JSON-LD drops languages).
TRANSCODED = {formats.TSV.name: formats.JSON, formats.JSONLD.name: formats.NTRIPLES}


def transcode(body: bytes, given: formats.Format, wanted: formats.Format) -> bytes:
    """An engine's answer in SPARQL JSON or N-Triples, written in another format by pyoxigraph."""
    if given is formats.JSON:
        return as_query_results(body).serialize(format=wanted.results)
    return ox.serialize(ox.parse(body, format=ox.RdfFormat.N_TRIPLES), format=wanted.rdf)


async def proxy_query(
    request: Request,
    remote: RemoteStore,
    req: QueryRequest,
    fmt: formats.Format | None,
    key: tuple | None,
) -> Response:
    """Pass a query to the external engine and stream its answer back, keeping it in the cache
    (as the embedded store's answers are) when it is small enough.

    The format is negotiated here (so `format=` and a 406 work as on the embedded store) and
    asked of the engine by Accept; a query whose form cannot be read passes the client's Accept.
    The query's own FROM and FROM NAMED are also sent as the protocol's graphs, since an engine
    whose default graph is the union of all graphs may read FROM as that union too.
    """
    state = request.app.state
    ask = fmt.media_type if fmt else (request.headers.get("accept") or "*/*")
    via = TRANSCODED.get(fmt.name) if fmt else None
    if via is not None:
        ask = via.media_type
    default, named = req.default_graphs, req.named_graphs
    if default is None:
        found_default, found_named = from_clauses(req.query)
        if found_default or found_named:
            default, named = tuple(found_default), tuple(found_named)
    form: list[tuple[str, str]] = [("query", with_base(with_prefixes(req.query), req.base))]
    form += [("default-graph-uri", g) for g in default or ()]
    form += [("named-graph-uri", g) for g in named or ()]
    cache: AnswerCache = state.cache
    client = state.proxy_client.get()
    outgoing = client.build_request(
        "POST",
        remote.query_url,
        content=urlencode(form),
        headers=form_headers(ask),
    )
    try:
        upstream = await client.send(outgoing, stream=True, auth=remote.client.auth)
    except httpx.TransportError as error:
        raise transport_failure(error, remote.timeout) from None
    if upstream.status_code >= 400:
        message = (await upstream.aread()).decode("utf-8", errors="replace")[:2000]
        await upstream.aclose()
        refused = engine_refusal(upstream.status_code, message)
        if refused is not None:
            raise refused
        if upstream.status_code == 400:  # the protocol's MalformedQuery
            raise ProtocolError(400, f"Parse error: {message}")
        raise ProtocolError(upstream.status_code, f"The SPARQL engine refused the query: {message}")
    if via is not None and fmt is not None and key is not None:
        try:
            body = transcode(await upstream.aread(), via, fmt)
        except (SyntaxError, ValueError) as error:
            raise StoreUnavailable(
                f"The SPARQL engine's answer could not be read: {error}"
            ) from None
        finally:
            await upstream.aclose()
        answer = Answer(fmt.content_type, body)
        cache.put(key, answer)
        return send(request, answer, caching.etag_for(*key), state.dataset)
    content_type = upstream.headers.get("content-type", ask)
    if fmt is not None and content_type.split(";")[0].strip().lower() == fmt.media_type:
        content_type = fmt.content_type
    headers = {
        "content-type": content_type,
        "cache-control": state.cache_control,
        "vary": "Accept",
    }
    if key is not None:
        headers.update(answer_headers(request, caching.etag_for(*key), state.dataset))

    async def relay() -> AsyncIterator[bytes]:
        kept: list[bytes] | None = [] if key is not None else None
        size = 0
        try:
            async for chunk in upstream.aiter_bytes():
                size += len(chunk)
                if kept is not None and size <= cache.max_bytes // 8:
                    kept.append(chunk)
                else:
                    kept = None
                yield chunk
            if kept is not None and key is not None:
                cache.put(key, Answer(content_type, b"".join(kept)))
        finally:
            await upstream.aclose()

    return StreamingResponse(relay(), status_code=upstream.status_code, headers=headers)


def send(request: Request, answer: Answer, etag: str, dataset: Dataset) -> Response:
    return AnswerResponse(answer, etag, request.app.state.cache_control, dataset.modified)


class AnswerResponse(Response):
    """A 200 with an answer's bytes, its headers built as they are sent (the commonest response:
    Starlette's own would check and encode each header again)."""

    def __init__(self, answer: Answer, etag: str, cache_control: str, modified: float | None):
        self.status_code = 200
        self.body = answer.body
        self.background = None
        self.raw_headers = [
            (b"content-length", str(len(answer.body)).encode()),
            (b"content-type", answer.content_type.encode("latin-1")),
            (b"etag", etag.encode("latin-1")),
            (b"cache-control", cache_control.encode("latin-1")),
            (b"vary", b"Accept"),
        ]
        if modified is not None:
            self.raw_headers.append(
                (b"last-modified", caching.http_date(modified).encode("latin-1"))
            )


def wants_page(accept: str | None, shape: QueryShape) -> bool:
    """Whether a GET comes from a browser that asks for HTML more than for any answer format."""
    if not accept or "text/html" not in accept.lower():
        return False
    offers = conneg.offers_for(formats.FORMS[shape.form]) if shape.form else formats.RESULT_FORMATS
    try:
        return (
            conneg.choose(accept, (*offers, formats.HTML), explicit=(formats.HTML,)) is formats.HTML
        )
    except conneg.NotAcceptable:
        return False


# ---- updates ----------------------------------------------------------------------------------


def authorise(request: Request) -> None:
    """Updates need the configured token as a Bearer token; without a token there are none."""
    token = request.app.state.settings.update_token
    if not token:
        raise ProtocolError(
            403,
            "SPARQL Update is disabled: this endpoint is read-only (no update token is configured)",
        )
    scheme, _, given = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ProtocolError(
            401,
            "SPARQL Update needs 'Authorization: Bearer <token>'",
            {"www-authenticate": 'Bearer realm="dakg"'},
        )
    client = client_address(request)
    failures = request.app.state.auth_failures
    if failures.refused(client):
        raise ProtocolError(
            429,
            "Too many wrong update tokens from this client; try again in a minute",
            {"retry-after": "60"},
        )
    if not hmac.compare_digest(given.strip().encode("utf-8"), token.encode("utf-8")):
        failures.failed(client)
        log.warning("update refused: a wrong token from %s", client)
        raise ProtocolError(
            403, "The update token is wrong", {"www-authenticate": 'Bearer error="invalid_token"'}
        )


class AuthFailures:
    """Wrong update tokens by client over the last minute: past MAX_FAILURES, the client is
    refused (429) until the minute is over. At most MAX_CLIENTS clients are remembered."""

    MAX_FAILURES, WINDOW, MAX_CLIENTS = 10, 60.0, 4096

    def __init__(self) -> None:
        self._seen: dict[str, list[float]] = {}

    def _recent(self, client: str) -> list[float]:
        now = time.monotonic()
        times = [t for t in self._seen.get(client, ()) if now - t < self.WINDOW]
        if times:
            self._seen[client] = times
        else:
            self._seen.pop(client, None)
        return times

    def refused(self, client: str) -> bool:
        return len(self._recent(client)) >= self.MAX_FAILURES

    def failed(self, client: str) -> None:
        if len(self._seen) >= self.MAX_CLIENTS:
            self._seen.clear()
        self._seen.setdefault(client, []).append(time.monotonic())


def apply_update(store: ox.Store, update: str, base: str | None = None) -> int:
    """Run an update (blocking: runs in the thread pool), its relative IRIs resolved against the
    base; the store's new size."""
    store.update(update, base_iri=base)
    return len(store)


# The largest document LOAD takes, and the formats it asks for.
MAX_LOAD_BYTES = 64 * 1024 * 1024
LOAD_ACCEPT = "text/turtle, application/n-triples, application/rdf+xml, application/ld+json;q=0.9"


async def load_document(request: Request, store: ox.Store, load: LoadOperation) -> int:
    """LOAD, run by the endpoint rather than the engine: the one allow-listed address is fetched
    (no redirect followed), parsed with no remote JSON-LD context (the engine's own LOAD would
    fetch a document's @context from any address) and added to its graph; the store's new size.
    With SILENT a failure changes nothing and is no error."""
    settings = request.app.state.settings
    try:
        async with httpx.AsyncClient(timeout=settings.query_timeout) as client:
            async with client.stream("GET", load.source, headers={"accept": LOAD_ACCEPT}) as answer:
                if answer.status_code != 200:
                    raise ProtocolError(
                        502, f"LOAD <{load.source}> answered {answer.status_code}, not 200"
                    )
                body = bytearray()
                async for chunk in answer.aiter_bytes():
                    body += chunk
                    if len(body) > MAX_LOAD_BYTES:
                        raise ProtocolError(
                            413, f"LOAD <{load.source}> is over {MAX_LOAD_BYTES} bytes"
                        )
                media = answer.headers.get("content-type", "").split(";")[0].strip()
        fmt = ox.RdfFormat.from_media_type(media) if media else None
        if fmt is None:
            raise ProtocolError(502, f"LOAD <{load.source}> is {media or 'untyped'}, not RDF")
        graph = ox.NamedNode(load.graph) if load.graph else ox.DefaultGraph()
        try:
            quads = [
                ox.Quad(q.subject, q.predicate, q.object, graph)
                for q in ox.parse(
                    bytes(body), format=fmt, base_iri=load.source, without_named_graphs=True,
                    rename_blank_nodes=True,
                )
            ]  # fmt: skip
        except (SyntaxError, ValueError, OSError) as error:
            raise ProtocolError(502, f"LOAD <{load.source}>: {error}") from None
    except (ProtocolError, httpx.HTTPError) as error:
        if load.silent:
            return len(store)
        if isinstance(error, ProtocolError):
            raise
        raise ProtocolError(502, f"LOAD <{load.source}> could not be fetched: {error}") from None
    return await in_thread(request, add_quads, store, quads, timeout=None)


def add_quads(store: ox.Store, quads: list[ox.Quad]) -> int:
    store.extend(quads)
    return len(store)


async def answer_update(request: Request, req: UpdateRequest) -> Response:
    """Apply an authorised update and give the dataset a new version, so no stale answer is served."""
    authorise(request)
    check_length(request, req.update, "update")
    try:
        check_nesting(req.update, "update")
    except TooDeep as error:
        raise ProtocolError(400, str(error)) from None
    refuse_network(request, req.update)
    state = request.app.state
    # From now until the update is in, no subject's size is known: lookups count theirs.
    state.dataset = dataclasses.replace(state.dataset, largest_subject=None)
    store = state.dataset.store
    try:
        load = load_operation(req.update)
    except LoadNotAlone as error:
        raise ProtocolError(400, str(error)) from None
    pool = state.query_pool
    if load is not None and not isinstance(store, RemoteStore):
        triples = await load_document(request, store, load)
        if pool is not None:
            await in_thread(request, pool.updated, store, timeout=None)
    elif pool is not None:
        # Run in a query worker, within the time limit; its result replaces the store.
        timeout = state.settings.query_timeout
        call = pool.apply_update(req.update, req.base, timeout, client_address(request))
        snapshot = (await in_worker(call, timeout, "update"))[2]
        store = await in_thread(request, load_snapshot, snapshot, timeout=None)
        state.dataset = dataclasses.replace(state.dataset, store=store)
        triples = len(store)
    else:
        triples = await in_thread(request, apply_update, store, req.update, req.base, timeout=None)
    current = state.dataset
    version = hashlib.sha256(f"{current.version}\n{req.update}".encode()).hexdigest()[:16]
    # Last-Modified counts whole seconds: a version made within the second of the one before
    # still gets a later time, so that If-Modified-Since of the one before does not match it.
    modified = max(time.time(), int(current.modified or 0) + 1)
    state.dataset = dataclasses.replace(
        current, version=version, triples=triples, largest_subject=None, modified=modified
    )
    state.cache.clear()
    client = client_address(request)
    # Who changed what, when (the log's timestamp), how much: never the token.
    log.info(
        "update applied: client %s, %d bytes, dataset version %s, %d quads",
        client,
        len(req.update.encode("utf-8")),
        version,
        triples,
    )
    return Response(status_code=204, headers={"x-dakg-version": version})


# ---- the routes -------------------------------------------------------------------------------


async def protocol(request: Request, handler: Callable[[], Any]) -> Response:
    """Turn the protocol's refusals and the parser's errors into their status codes."""
    try:
        return await handler()
    except ProtocolError as error:
        return error.response()
    except StoreError as error:
        return ProtocolError(error.status, error.message).response()
    except SyntaxError as error:
        return ProtocolError(400, f"Parse error: {error}").response()
    except conneg.NotAcceptable as error:
        return ProtocolError(406, str(error)).response()
    except conneg.UnknownFormat as error:
        return ProtocolError(400, str(error)).response()
    except ValueError as error:
        return ProtocolError(400, f"Bad request: {error}").response()
    except (OSError, RuntimeError):
        # The detail (a path, an upstream answer) goes to the log, never to the client.
        log.exception("store error")
        return ProtocolError(500, "The store could not answer this request.").response()


async def sparql_endpoint(request: Request) -> Response:
    """/sparql: queries by GET or POST, updates by POST; the service description or the query page
    on a GET with no query; 405 for other methods."""
    method = request.method

    async def handle() -> Response:
        if method in ("GET", "HEAD"):
            req = read_get(request)
            if req is None:
                return await describe_or_page(request)
            return await answer_query(request, dataclasses.replace(req, base=endpoint_url(request)))
        if method == "POST":
            post = await read_post(request, request.app.state.settings.max_request_bytes)
            post = dataclasses.replace(post, base=endpoint_url(request))
            if isinstance(post, UpdateRequest):
                return await answer_update(request, post)
            return await answer_query(request, post)
        if method == "OPTIONS":
            return Response(status_code=204, headers={"allow": ALLOW})
        raise ProtocolError(
            405,
            f"{method} is not allowed on {PATH}: query with GET or POST, update with POST",
            {"allow": ALLOW},
        )

    return await protocol(request, handle)


def endpoint_url(request: Request) -> str:
    """The endpoint's URL as published to the client (the service description's sd:endpoint):
    the base relative IRIs in queries and updates resolve against, as the protocol implies."""
    return base_url(request) + PATH.lstrip("/")


async def endpoint_app(scope: Scope, receive: Receive, send: Send) -> None:
    """The endpoint as a bare ASGI app, for the app's lane past its middleware (service/web/app.py)."""
    response = await sparql_endpoint(Request(scope, receive, send))
    await response(scope, receive, send)


# A plain (Starlette) route: the protocol reads the request itself, so FastAPI's parameter
# parsing and validation would only add to the time of every query. /sparql is described by its
# SPARQL service description (GET /sparql with an RDF Accept header), not in the OpenAPI.
router.add_route(
    PATH,
    sparql_endpoint,
    methods=["GET", "HEAD", "POST", "OPTIONS", "PUT", "DELETE", "PATCH"],
    include_in_schema=False,
)


async def describe_or_page(request: Request) -> Response:
    """GET /sparql with no query: the query page for browsers, else the service description."""
    url = parse_params(request.scope.get("query_string", b""), "URL query string")
    offers = (*formats.GRAPH_FORMATS, formats.HTML)
    try:
        fmt = conneg.from_parameter(format_params(url), offers) or conneg.choose(
            request.headers.get("accept"), offers, explicit=(formats.HTML,)
        )
    except conneg.NotAcceptable as error:
        raise ProtocolError(
            406,
            f"{error} GET /sparql with no 'query' parameter gives the service description "
            "in RDF, or the query page in HTML; to query, give the 'query' parameter.",
        ) from None
    if fmt is formats.HTML:
        return request.app.state.query_page.response(request)
    return await void.describe(request, fmt, "sd")


# ---- the query page ---------------------------------------------------------------------------


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


# Only these paths: the rest of /static/ belongs to the other routers.
for _name in (*PAGE_FILES, *DOCS_FILES):
    router.add_route(
        f"/static/{_name}", page_file(_name), methods=["GET", "HEAD"], include_in_schema=False
    )


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
