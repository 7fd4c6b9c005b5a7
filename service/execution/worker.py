"""Evaluating a client's query within the endpoint's result caps, and the query worker process.

`evaluate` runs one query on a pyoxigraph store and serialises its answer, refusing one with more
rows or bytes than the caps allow. The endpoint runs it in worker processes (service/execution/pool.py):
pyoxigraph cannot interrupt a running query, but a process can be killed, and killing it frees
everything the query held. A worker is `python -m dakg.execution.worker FD`: it reads what to load
from the socket FD, loads it, says it is ready, then answers one request at a time until the
socket closes.

The messages are the frozen dataclasses of service/execution/messages.py (pickled over a socket
pair with the parent, nobody else): Query, Update and Reload in; Ready, Answered, Updated and
Refused out.
"""

from __future__ import annotations

import csv
import io
import os
import resource
import sys
import threading
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

import pyoxigraph as ox
from dakg.execution import sandbox
from dakg.execution.messages import (
    Answered,
    Limits,
    Query,
    Ready,
    Refused,
    Reload,
    ResultTooLarge,
    Unacceptable,
    Update,
    Updated,
)
from dakg.rdf import formats
from dakg.store.backends import PREDECLARED
from dakg.store.embedded import load_sources

# The answer kinds, and the formats by name.
RESULTS, GRAPH = formats.RESULTS, formats.GRAPH
FORMATS = {f.name: f for f in (*formats.RESULT_FORMATS, *formats.GRAPH_FORMATS)}


@dataclass(frozen=True)
class Answer:
    """An evaluated query: its kind, the format's name and the serialised bytes."""

    kind: str
    format: str
    body: bytes


class CappedBuffer:
    """A write target that refuses to grow past its cap (pyoxigraph serialises into it)."""

    def __init__(self, cap: int):
        self.cap = cap
        self.size = 0
        self.parts: list[bytes] = []

    def write(self, data: bytes) -> int:
        self.size += len(data)
        if self.cap and self.size > self.cap:
            raise ResultTooLarge(
                f"The answer is larger than {self.cap} bytes, the most this endpoint returns: "
                "narrow the query or page through it with LIMIT and OFFSET "
                "(the whole graph is at /download/)"
            )
        self.parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def getvalue(self) -> bytes:
        return b"".join(self.parts)


def capped(serialize: Any, fmt: Any, cap: int) -> bytes:
    buffer = CappedBuffer(cap)
    serialize(buffer, fmt)
    return buffer.getvalue()


def too_many(cap: int, what: str) -> ResultTooLarge:
    return ResultTooLarge(
        f"The answer has more than {cap} {what}, the most this endpoint returns: "
        "narrow the query or page through it with LIMIT and OFFSET "
        "(the whole graph is at /download/)"
    )


def dataset_arguments(dataset: dict[str, Any]) -> dict[str, Any]:
    """pyoxigraph's dataset arguments (and base IRI) from their plain form (IRIs as strings)."""
    if "default_graph" in dataset:
        return {
            **dataset,
            "default_graph": [ox.NamedNode(g) for g in dataset["default_graph"]],
            "named_graphs": [ox.NamedNode(g) for g in dataset.get("named_graphs", ())],
        }
    return dict(dataset)


def evaluate(
    store: ox.Store,
    query: str,
    dataset: dict[str, Any],
    results_format: str | None,
    graph_format: str | None,
    limits: Limits,
) -> Answer:
    """Run a query once and serialise its answer in the format named for its kind (None: the
    client accepts none: Unacceptable), within the byte cap. Every format takes at least a byte a
    row, so only an answer longer than the row cap in bytes can hold too many rows: that one's
    rows are counted in the bytes it was written as (count_rows), never by running it again."""
    # Our published prefixes need no PREFIX line (the service description lists them).
    arguments = {**dataset_arguments(dataset), "prefixes": PREDECLARED}
    try:
        result = store.query(query, **arguments)
    except RuntimeError as error:  # pyoxigraph's word for a function it does not know
        raise ValueError(str(error)) from None
    boolean = isinstance(result, ox.QueryBoolean)
    kind = GRAPH if isinstance(result, ox.QueryTriples) else RESULTS
    name = graph_format if kind == GRAPH else results_format
    if name is None:
        raise Unacceptable(kind)
    fmt = FORMATS[name]
    body = capped(result.serialize, fmt.rdf if kind == GRAPH else fmt.results, limits.bytes)
    if not boolean and limits.rows and len(body) > limits.rows:
        what = "triples" if kind == GRAPH else "rows"
        if count_rows(body, fmt) > limits.rows:
            raise too_many(limits.rows, what)
    return Answer(kind, fmt.name, body)


def count_rows(body: bytes, fmt: formats.Format) -> int:
    """The solutions or triples of an answer, read from the bytes it was serialised as, where
    the format marks each row unambiguously: TSV and N-Triples escape line breaks in literals,
    SPARQL XML escapes `<` in text, CSV quotes any value holding a line break, and in SPARQL JSON
    a `{"` is never inside a string (a quote there is escaped), so `[{"` and `},{"` start the
    rows. Anything else (a quoted CSV value, an empty JSON row, the graph formats other than
    N-Triples) is parsed back and counted."""
    if fmt is formats.TSV:
        return body.count(b"\n") - 1
    if fmt is formats.NTRIPLES:
        return body.count(b"\n")
    if fmt is formats.XML:
        return body.count(b"<result>")
    if fmt is formats.CSV:
        if b'"' not in body:
            return body.count(b"\r\n") - 1
        return sum(1 for _ in csv.reader(io.StringIO(body.decode("utf-8")))) - 1
    if fmt is formats.JSON and b"{}" not in body:
        return body.count(b'[{"') + body.count(b'},{"')
    if fmt.results is not None:
        return sum(1 for _ in ox.parse_query_results(body, format=fmt.results))
    return sum(1 for _ in ox.parse(body, format=fmt.rdf))


# ---- the worker process ---------------------------------------------------------------------


def open_store(spec: dict[str, Any]) -> ox.Store:
    """The worker's store: an on-disk store opened read-only (the service's own, or the shared
    copy of its in-memory graph: store.SharedCopy), or in memory the latest snapshot (written
    after an update), else the sources."""
    if spec["kind"] == "disk":
        return ox.Store.read_only(spec["path"])
    if spec.get("snapshot"):
        return load_snapshot(spec["snapshot"])
    return load_sources(list(spec["sources"]))


def load_snapshot(path: str) -> ox.Store:
    """The store's contents from its N-Quads snapshot, blank nodes with the labels the
    snapshot gives them (a bulk load would label them anew, differently in every worker)."""
    store = ox.Store()
    store.bulk_extend(ox.parse(path=path, format=ox.RdfFormat.N_QUADS))
    return store


def answer(store: ox.Store, message: Query | Update) -> Answered | Updated | Refused:
    """One request's reply; errors are replies too (the parent maps them to its errors)."""
    try:
        if isinstance(message, Update):
            store.update(message.text, base_iri=message.base)
            store.dump(message.path, ox.RdfFormat.N_QUADS)
            return Updated(len(store))
        found = evaluate(
            store,
            message.text,
            message.dataset,
            message.results_format,
            message.graph_format,
            message.limits,
        )
        return Answered(found.kind, found.format, found.body)
    except Unacceptable as error:
        return Refused("unacceptable", error.kind)
    except ResultTooLarge as error:
        return Refused("too-large", str(error))
    except SyntaxError as error:
        return Refused("syntax", str(error))
    except ValueError as error:
        return Refused("value", str(error))
    except OSError as error:
        return Refused("os", str(error))
    except Exception as error:  # a fault of the service, not of the query: logged by the parent
        return Refused("internal", f"{type(error).__name__}: {error}")


def cap_memory(allowance: int) -> None:
    """Let queries take at most `allowance` bytes of address space beyond what the worker holds
    now, its store open (0 lifts the cap). The cap is counted from here, not from nothing: opening
    an on-disk store starts threads whose stacks and malloc arenas reserve address space that a
    fixed cap set before would refuse (the thread would not start and the process would abort)."""
    _, hard = resource.getrlimit(resource.RLIMIT_AS)
    if not allowance:
        resource.setrlimit(resource.RLIMIT_AS, (hard, hard))
        return
    soft = address_space() + allowance
    if hard != resource.RLIM_INFINITY:
        soft = min(soft, hard)
    resource.setrlimit(resource.RLIMIT_AS, (soft, hard))


def address_space() -> int:
    """This process's address space now, in bytes (VmSize)."""
    with open("/proc/self/status", encoding="ascii") as status:
        for line in status:
            if line.startswith("VmSize:"):
                return int(line.split()[1]) * 1024
    return 0


def serve(connection: Connection) -> None:
    spec = connection.recv()
    if not spec.get("network"):
        # No federation allowed: no socket to any address, whatever a query says (sandbox.py).
        try:
            sandbox.deny_network()
        except sandbox.SandboxUnavailable as error:
            print(
                f"dakg query worker: {error}; SERVICE is refused by the guard alone",
                file=sys.stderr,
            )
    allowance = int(spec.get("memory_bytes") or 0)
    store = open_store(spec)
    cap_memory(allowance)
    connection.send(Ready(len(store)))
    while True:
        try:
            message = connection.recv()
        except (EOFError, OSError):  # the service has gone: so does its worker
            return
        if isinstance(message, Reload):
            del store  # the old copy goes before the new one is read
            cap_memory(0)
            store = load_snapshot(message.path)
            cap_memory(allowance)
            connection.send(Ready(len(store)))
            continue
        connection.send(answer(store, message))


# pyoxigraph parses and evaluates by recursion: a long flat query (ten thousand `&&`, thousands of
# UNIONs) needs far more stack than a main thread's 8 MiB. Queries run on a thread with this much
# (address space reserved, used only as deep as a query goes).
QUERY_STACK_BYTES = 256 * 1024 * 1024


def main(argv: list[str]) -> int:
    connection = Connection(int(argv[1]))
    sandbox.die_with_parent()  # before the large stacks: its thread needs little
    threading.stack_size(QUERY_STACK_BYTES)
    worker = threading.Thread(target=serve_until_closed, args=(connection,), name="dakg-query")
    worker.start()
    worker.join()
    return 0


def serve_until_closed(connection: Connection) -> None:
    try:
        serve(connection)
    except (EOFError, BrokenPipeError, ConnectionResetError, KeyboardInterrupt):
        pass
    finally:
        connection.close()


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main(sys.argv))
