"""The messages between the service and its query workers (service/execution/pool.py and worker.py).

They are pickled over a socket pair that only the two ends share. Each is a frozen dataclass, so
that both sides name the same fields and a misspelt tag fails where it is written rather than
when the other side reads it; a worker's refusal is a reply like any other, turned into the
service's error for it in one place (`Refused.error`).

Requests: Query (run one query, within caps), Update (apply an update to the worker's copy and
write the result as an N-Quads snapshot, so that an update has the time limit of a query), Reload
(take the store's contents anew from a snapshot). Replies: Ready (loaded: its size), Answered (a
serialised answer), Updated (the size after an update), Refused (why it could not answer).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from dakg.errors import AnswerTooLarge, DakgError, InputError, NotAcceptableError


@dataclass(frozen=True)
class Limits:
    """The most rows (solutions or triples) and bytes an answer may have; 0 for no cap."""

    rows: int = 0
    bytes: int = 0


# ---- requests -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Query:
    """Run a query on the dataset given in plain form (graph IRIs as strings), serialised in the
    format named for its kind (None: the client accepts none for that kind), within the caps."""

    text: str
    dataset: dict[str, Any] = field(default_factory=dict)
    results_format: str | None = None
    graph_format: str | None = None
    limits: Limits = Limits()


@dataclass(frozen=True)
class Update:
    """Apply an update (relative IRIs against `base`) and write the store's snapshot to `path`."""

    text: str
    base: str | None
    path: str


@dataclass(frozen=True)
class Reload:
    """Replace the worker's store with the snapshot at `path`."""

    path: str


Request = Query | Update | Reload


# ---- replies --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Ready:
    """The worker has loaded its store, of this many quads."""

    quads: int


@dataclass(frozen=True)
class Answered:
    """An evaluated query: its kind (results or graph), the format's name and the bytes."""

    kind: str
    format: str
    body: bytes


@dataclass(frozen=True)
class Updated:
    """An update is applied; the store now holds this many quads, written to `snapshot`."""

    quads: int
    snapshot: str = ""


RefusalKind = Literal["syntax", "value", "too-large", "unacceptable", "os", "internal"]


@dataclass(frozen=True)
class Refused:
    """The worker could not answer: why (`kind`) and what it said. For `unacceptable` the
    message is the answer's kind (results or graph) no accepted format exists for."""

    kind: RefusalKind
    message: str

    def error(self) -> Exception:
        """The error this refusal is on the service's side (raised by the executor)."""
        return refusal_error(self.kind, self.message)


Reply = Ready | Answered | Updated | Refused


class ResultTooLarge(AnswerTooLarge):
    """An answer past a result cap: the message says which cap and how to stay within it."""


class Unacceptable(NotAcceptableError):
    """The query's answer is of a kind (results or graph) the client accepts no format for."""

    def __init__(self, kind: str):
        super().__init__(f"No acceptable format for an answer of kind {kind}")
        self.kind = kind


class QueryInvalid(InputError):
    """A query or update the store refused as invalid (not a syntax error: an unknown function,
    a bad IRI, a value out of range)."""

    def __init__(self, detail: str):
        super().__init__(f"Bad request: {detail}")
        self.detail = detail


class WorkerFailure(DakgError):
    """A fault of the service, not of the query, in a query worker (500; logged)."""


def refusal_error(kind: str, message: str) -> Exception:
    """The one mapping of a worker's refusal to the error the service raises for it."""
    if kind == "too-large":
        return ResultTooLarge(message)
    if kind == "unacceptable":
        return Unacceptable(message)
    if kind == "syntax":
        return SyntaxError(message)
    if kind == "value":
        return QueryInvalid(message)
    if kind == "internal":
        return WorkerFailure(f"query worker: {message}")
    return OSError(message)
