"""The answer path of /sparql: a query read and checked, answered from the cache or run by the
app's executor (service/execution/executor.py), or passed to the external engine (proxy.py)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pyoxigraph as ox
from dakg.errors import DakgError
from dakg.execution.executor import Executor
from dakg.execution.lookup import few_triples, lookup_of
from dakg.execution.messages import Unacceptable
from dakg.execution.worker import FORMATS
from dakg.rdf import formats
from dakg.sparql.form import QueryShape, query_shape
from dakg.store.backends import unknown_prefix_message
from dakg.store.dataset import Dataset
from dakg.web import caching, conneg, deps
from dakg.web.clients import client_address
from dakg.web.endpoint.proxy import proxy_query
from dakg.web.endpoint.refusals import ProtocolError
from dakg.web.endpoint.requests import QueryRequest, check_length, refuse_network
from dakg.web.endpoint.responses import Answer, answer_headers, send
from fastapi import Request
from fastapi.responses import Response


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


async def answer_query(request: Request, req: QueryRequest) -> Response:
    """Answer a query from the cache, or run it (or pass it to the engine) and keep its answer."""
    dataset = deps.dataset(request)
    settings = deps.settings(request)
    negotiator = deps.negotiator(request)
    cache = deps.cache(request)
    accept = request.headers.get("accept")
    check_length(request, req.query, "query")
    # A one-entity lookup on the union of the graphs: its form is all there is to read of it (it
    # holds no SERVICE, no FROM, no nesting: see service/execution/lookup.py); any other query is read and
    # checked in full, the federation guard first (whatever else is wrong with it).
    lookup = None
    if settings.lookup_triples and req.default_graphs is None and req.named_graphs is None:
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
        return deps.query_page(request).response(request)
    # The form is read from the query text, so the format (and with it the cache key and the
    # ETag) is known before the query runs; a query whose form cannot be read is run first.
    fmt = key = None
    if shape.form:
        fmt = negotiator.pick(formats.FORMS[shape.form], req.formats, accept)
        key = (dataset.version, req.query, req.default_graphs, req.named_graphs, fmt.name, req.base)
        etag = caching.etag_for(*key)
        if conditional and caching.is_fresh(request.headers, etag, dataset.modified):
            return Response(status_code=304, headers=answer_headers(request, etag, dataset))
        cached = cache.get(key)
        if cached is not None:
            return send(request, cached, etag, dataset)
    executor: Executor = deps.executor(request)
    if executor.engine is not None:
        return await proxy_query(request, executor.engine, req, fmt, key)
    wanted = Wanted(negotiator, req.formats, accept)
    small = lookup is not None and is_small(dataset, lookup.subject, settings.lookup_triples)
    fmt, answer = await run(request, executor, req, shape, wanted, at_once=small)
    if key is None or key[4] != fmt.name:  # the format was known only once the query ran
        key = (dataset.version, req.query, req.default_graphs, req.named_graphs, fmt.name, req.base)
        etag = caching.etag_for(*key)
    cache.put(key, answer)
    return send(request, answer, etag, dataset)


async def run(
    request: Request,
    executor: Executor,
    req: QueryRequest,
    shape: QueryShape,
    wanted: Wanted,
    at_once: bool,
) -> tuple[formats.Format, Answer]:
    """Run a query on the app's executor, in the formats the client accepts for each kind of
    answer (a 406 naming the offers when the answer's kind has none)."""
    try:
        found = await executor.answer(
            req.query,
            dataset_arguments(req, shape),
            wanted.name(formats.RESULTS),
            wanted.name(formats.GRAPH),
            client_address(request),
            at_once=at_once,
        )
    except Unacceptable as error:
        wanted.pick(error.kind)  # raises NotAcceptable with the offers for this kind
        raise
    fmt = FORMATS[found.format]
    return fmt, Answer(fmt.content_type, found.body)


async def saved_query_rows(
    executor: Executor, client: str, text: str
) -> tuple[list[str], list[dict]]:
    """A saved query's variables and rows (RDF terms), its parameters already bound in its text,
    run as a client's query is: by the app's executor, with the time limit, the caps and (in
    the workers) fair sharing."""
    try:
        return await executor.rows(text, client)
    except DakgError as error:
        raise ProtocolError.of(error) from None


def is_small(dataset: Dataset, subject: str, cap: int) -> bool:
    """Whether a one-entity lookup's subject has at most `cap` triples, so that it is answered
    on the event loop at once (service/execution/lookup.py): known for every subject when no subject has
    more, else counted."""
    largest = dataset.largest_subject
    if largest is not None and largest <= cap:
        return True
    return few_triples(dataset.store, subject, cap)


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
