"""Passing clients' queries to an external SPARQL engine and streaming its answers back."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import httpx
import pyoxigraph as ox
from dakg.rdf import formats
from dakg.sparql.form import (
    from_clauses,
)
from dakg.store.backends import (
    RemoteStore,
    StoreUnavailable,
    as_query_results,
    engine_refusal,
    form_headers,
    transport_failure,
    with_base,
    with_prefixes,
)
from dakg.web import caching, deps
from dakg.web.endpoint.refusals import ProtocolError
from dakg.web.endpoint.requests import QueryRequest
from dakg.web.endpoint.responses import Answer, AnswerCache, answer_headers, send
from fastapi import Request
from fastapi.responses import Response, StreamingResponse


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
    dataset = deps.dataset(request)
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
    cache: AnswerCache = deps.cache(request)
    client = deps.proxy_client(request).get()
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
        return send(request, answer, caching.etag_for(*key), dataset)
    content_type = upstream.headers.get("content-type", ask)
    if fmt is not None and content_type.split(";")[0].strip().lower() == fmt.media_type:
        content_type = fmt.content_type
    headers = {
        "content-type": content_type,
        "cache-control": deps.cache_control(request),
        "vary": "Accept",
    }
    if key is not None:
        headers.update(answer_headers(request, caching.etag_for(*key), dataset))

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
