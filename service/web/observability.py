"""What the service tells its operators: one JSON access-log line per request and /metrics in the
Prometheus text format (requests, latency histogram, timeouts, cache hits)."""

from __future__ import annotations

import asyncio
import bisect
import json
import logging
import os
import secrets
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from dakg.web import deps
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

access_log = logging.getLogger("dakg.access")
log = logging.getLogger("dakg.web.observability")
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


@dataclass
class Metrics:
    """Counters of one app: requests by route and status, a latency histogram by route, timeouts.
    Each answer counts in one bucket (its first bound at or above); /metrics sums them upwards."""

    requests: Counter = field(default_factory=Counter)
    latency_buckets: Counter = field(default_factory=Counter)
    latency_sum: Counter = field(default_factory=Counter)
    latency_count: Counter = field(default_factory=Counter)
    timeouts: int = 0
    observed: int = 0  # requests counted so far: whether there is anything new to share

    def observe(self, route: str, status: int, seconds: float) -> None:
        self.observed += 1
        self.requests[(route, status)] += 1
        self.latency_sum[route] += seconds
        self.latency_count[route] += 1
        index = bisect.bisect_left(BUCKETS, seconds)
        if index < len(BUCKETS):
            self.latency_buckets[(route, BUCKETS[index])] += 1
        if status in (503, 504):
            self.timeouts += 1

    def counts(self, cache_hits: int, cache_misses: int, workers_replaced: int) -> Counts:
        """Every counter of this process, with the answer cache's and the query pool's."""
        return Counts(
            requests=Counter(self.requests),
            latency_buckets=Counter(self.latency_buckets),
            latency_sum=Counter(self.latency_sum),
            latency_count=Counter(self.latency_count),
            totals=Counter(
                timeouts=self.timeouts,
                cache_hits=cache_hits,
                cache_misses=cache_misses,
                workers_replaced=workers_replaced,
            ),
        )


@dataclass
class Counts:
    """A snapshot of counters, which adds up across the HTTP workers of one server."""

    requests: Counter
    latency_buckets: Counter
    latency_sum: Counter
    latency_count: Counter
    totals: Counter

    def __add__(self, other: Counts) -> Counts:
        return Counts(
            self.requests + other.requests,
            self.latency_buckets + other.latency_buckets,
            self.latency_sum + other.latency_sum,
            self.latency_count + other.latency_count,
            self.totals + other.totals,
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "requests": [[r, s, n] for (r, s), n in self.requests.items()],
                "latency_buckets": [[r, b, n] for (r, b), n in self.latency_buckets.items()],
                "latency_sum": self.latency_sum,
                "latency_count": self.latency_count,
                "totals": self.totals,
            }
        )

    @classmethod
    def from_json(cls, text: str) -> Counts:
        data = json.loads(text)
        return cls(
            Counter({(r, s): n for r, s, n in data["requests"]}),
            Counter({(r, b): n for r, b, n in data["latency_buckets"]}),
            Counter(data["latency_sum"]),
            Counter(data["latency_count"]),
            Counter(data["totals"]),
        )

    def render(self) -> str:
        """The Prometheus text exposition format, version 0.0.4."""
        lines = [
            "# HELP dakg_requests_total HTTP requests answered, by route and status.",
            "# TYPE dakg_requests_total counter",
        ]
        for (route, status), n in sorted(self.requests.items()):
            lines.append(f'dakg_requests_total{{route="{label(route)}",status="{status}"}} {n}')
        lines += [
            "# HELP dakg_request_duration_seconds Time to answer a request, by route.",
            "# TYPE dakg_request_duration_seconds histogram",
        ]
        for route in sorted(self.latency_count):
            name = label(route)
            count = 0
            for bound in BUCKETS:
                count += self.latency_buckets[(route, bound)]
                lines.append(
                    f'dakg_request_duration_seconds_bucket{{route="{name}",le="{bound}"}} {count}'
                )
            total = self.latency_count[route]
            lines.append(
                f'dakg_request_duration_seconds_bucket{{route="{name}",le="+Inf"}} {total}'
            )
            lines.append(
                f'dakg_request_duration_seconds_sum{{route="{name}"}} {self.latency_sum[route]:.6f}'
            )
            lines.append(f'dakg_request_duration_seconds_count{{route="{name}"}} {total}')
        totals = self.totals
        lines += [
            "# HELP dakg_timeouts_total Requests answered 503 or 504: a query past its time limit or an engine down.",
            "# TYPE dakg_timeouts_total counter",
            f"dakg_timeouts_total {totals['timeouts']}",
            "# HELP dakg_cache_hits_total SPARQL answers served from the cache.",
            "# TYPE dakg_cache_hits_total counter",
            f"dakg_cache_hits_total {totals['cache_hits']}",
            "# HELP dakg_cache_misses_total SPARQL answers that had to be computed.",
            "# TYPE dakg_cache_misses_total counter",
            f"dakg_cache_misses_total {totals['cache_misses']}",
            "# HELP dakg_query_workers_replaced_total Query worker processes killed and replaced: "
            "a query stopped at its time limit, or a worker that stopped.",
            "# TYPE dakg_query_workers_replaced_total counter",
            f"dakg_query_workers_replaced_total {totals['workers_replaced']}",
        ]
        return "\n".join(lines) + "\n"


class SharedCounts:
    """The counters of the HTTP workers of one server (`dakg serve --workers N`), shared through
    a folder the server makes: each worker writes its own to a file named by its process id
    every PERIOD seconds (when they have changed) and as it stops, and /metrics, whichever worker
    answers it, adds the others' files to its own live counters. A worker that has stopped keeps
    its file, so the totals never go down."""

    PERIOD = 1.0

    def __init__(self, folder: Path):
        self.folder = folder
        self._written = -1
        self._name: tuple[int, str] | None = None

    @property
    def own(self) -> Path:
        """This worker's file: named by its process id (when first used: a worker forked after
        the app was made has a process id of its own) and a token, so that a later worker given
        the same process id does not overwrite a stopped one's counts."""
        pid = os.getpid()
        if self._name is None or self._name[0] != pid:
            self._name = (pid, secrets.token_hex(4))
        return self.folder / f"{pid}-{self._name[1]}.json"

    def write(self, metrics: Metrics, counts: Counts) -> None:
        if metrics.observed == self._written:
            return
        temporary = self.own.with_suffix(".tmp")
        temporary.write_text(counts.to_json(), encoding="utf-8")
        os.replace(temporary, self.own)
        self._written = metrics.observed

    def others(self) -> list[Counts]:
        found = []
        for path in sorted(self.folder.glob("*.json")):
            if path == self.own:
                continue
            try:
                found.append(Counts.from_json(path.read_text(encoding="utf-8")))
            except (OSError, ValueError, KeyError):  # being replaced, or gone: next time
                continue
        return found


def label(value: str) -> str:
    """A Prometheus label value, escaped."""
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class ObservabilityMiddleware:
    """Times every request, counts it by its route template (never by raw path, which a client
    controls) and writes the access-log line when that log is on."""

    def __init__(
        self, app: ASGIApp, metrics: Metrics, log_requests: bool, route: str | None = None
    ):
        self.app = app
        self.metrics = metrics
        self.log_requests = log_requests
        self.route = route  # the one route an app for a single route answers
        self.paths: dict[Any, str] | None = None

    def route_of(self, scope: Scope) -> str:
        """The template of the route that answered (plain Starlette routes say only their endpoint)."""
        if self.route is not None:
            return self.route
        path = getattr(scope.get("route"), "path", None)
        if path:
            return path
        if self.paths is None and "app" in scope:
            self.paths = endpoint_paths(scope["app"].routes)
        return (self.paths or {}).get(scope.get("endpoint"), "(unmatched)")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        seen: dict[str, Any] = {"status": 500, "bytes": 0}

        async def record(message: Message) -> None:
            if message["type"] == "http.response.start":
                seen["status"] = message["status"]
            elif message["type"] == "http.response.body":
                seen["bytes"] += len(message.get("body", b""))
            await send(message)

        try:
            await self.app(scope, receive, record)
        finally:
            seconds = time.perf_counter() - started
            route = self.route_of(scope)
            self.metrics.observe(route, seen["status"], seconds)
            if self.log_requests:
                access_log.info(
                    json.dumps(
                        {
                            "time": datetime.now(UTC).isoformat(timespec="milliseconds"),
                            "method": scope["method"],
                            "route": route,
                            "status": seen["status"],
                            "duration_ms": round(seconds * 1000, 3),
                            "bytes": seen["bytes"],
                        }
                    )
                )


def endpoint_paths(routes: Any) -> dict[Any, str]:
    """Each endpoint's route template, through included routers."""
    found: dict[Any, str] = {}
    for route in routes:
        endpoint = getattr(route, "endpoint", None)
        if endpoint is not None and getattr(route, "path", None):
            found.setdefault(endpoint, route.path)
        # An included router keeps its routes on the router it was made from.
        inner = getattr(getattr(route, "original_router", route), "routes", ())
        for key, path in endpoint_paths(inner).items():
            found.setdefault(key, path)
    return found


def own_counts(state: Any) -> Counts:
    """This process's counters, with its answer cache's and query pool's."""
    pool = state.query_pool
    return state.metrics.counts(state.cache.hits, state.cache.misses, pool.restarts if pool else 0)


async def share_counts(state: Any) -> None:
    """Write this worker's counters for the others, every SharedCounts.PERIOD seconds (runs
    until cancelled, as the worker stops; then they are written once more)."""
    shared: SharedCounts = state.shared_counts
    try:
        while True:
            write_counts(shared, state)
            await asyncio.sleep(SharedCounts.PERIOD)
    finally:
        write_counts(shared, state)


def write_counts(shared: SharedCounts, state: Any) -> None:
    """Share this worker's counters; a folder that cannot be written to (full, or removed) is
    logged and tried again next time, never an error of the service."""
    try:
        shared.write(state.metrics, own_counts(state))
    except OSError as error:
        log.warning("counters not shared with the other workers: %s", error)


async def metrics_endpoint(request: Request) -> Response:
    """/metrics in the Prometheus text format: the whole server's counters (with several HTTP
    workers, the others' as they last wrote them, at most SharedCounts.PERIOD seconds old)."""
    state = deps.state(request)
    counts = own_counts(state)
    if state.shared_counts is not None:
        for other in state.shared_counts.others():
            counts = counts + other
    return PlainTextResponse(counts.render(), media_type="text/plain; version=0.0.4; charset=utf-8")
