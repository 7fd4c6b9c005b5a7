"""SPARQL Update at /sparql: the bearer token, LOAD from an allow-listed address, and applying an
update (in a query worker, within the time limit, where there are workers)."""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import logging
import time
from collections.abc import Callable
from typing import Any

import httpx
import pyoxigraph as ox
from dakg.execution.executor import WorkerExecutor
from dakg.execution.worker import (
    load_snapshot,
)
from dakg.sparql.form import (
    LoadNotAlone,
    LoadOperation,
    TooDeep,
    check_nesting,
    load_operation,
)
from dakg.web import deps
from dakg.web.clients import client_address
from dakg.web.endpoint.refusals import ProtocolError
from dakg.web.endpoint.requests import UpdateRequest, check_length, refuse_network
from fastapi import Request
from fastapi.responses import Response

log = logging.getLogger("dakg.web.endpoint.updates")


def authorise(request: Request) -> None:
    """Updates need the configured token as a Bearer token; without a token there are none."""
    token = deps.settings(request).update_token
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
    failures = deps.auth_failures(request)
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
    settings = deps.settings(request)
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
    return await blocking(request, add_quads, store, quads)


async def blocking(request: Request, fn: Callable[..., Any], *args: Any) -> Any:
    """Run the service's own blocking store work in the query threads, with no time limit (an
    update that has begun is finished)."""
    return await deps.threads(request).submit(fn, *args)


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
    # From now until the update is in, no subject's size is known: lookups count theirs.
    deps.replace_dataset(request, dataclasses.replace(deps.dataset(request), largest_subject=None))
    store = deps.dataset(request).store
    try:
        load = load_operation(req.update)
    except LoadNotAlone as error:
        raise ProtocolError(400, str(error)) from None
    executor = deps.executor(request)
    workers = executor if isinstance(executor, WorkerExecutor) else None
    if load is not None and deps.dataset(request).embedded:
        triples = await load_document(request, store, load)
        if workers is not None:
            await blocking(request, workers.pool.updated, store)
    elif workers is not None:
        # Run in a query worker, within the time limit; its result replaces the store.
        updated = await workers.update(req.update, req.base, client_address(request))
        store = await blocking(request, load_snapshot, updated.snapshot)
        deps.replace_dataset(request, dataclasses.replace(deps.dataset(request), store=store))
        triples = len(store)
    else:
        triples = await blocking(request, apply_update, store, req.update, req.base)
    current = deps.dataset(request)
    version = hashlib.sha256(f"{current.version}\n{req.update}".encode()).hexdigest()[:16]
    # Last-Modified counts whole seconds: a version made within the second of the one before
    # still gets a later time, so that If-Modified-Since of the one before does not match it.
    modified = max(time.time(), int(current.modified or 0) + 1)
    deps.replace_dataset(
        request,
        dataclasses.replace(
            current, version=version, triples=triples, largest_subject=None, modified=modified
        ),
    )
    deps.cache(request).clear()
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
