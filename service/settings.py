"""Configuration: one settings object, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from dakg.packaged import project_root
from dakg.rdf.namespaces import PUBLIC_BASE


def default_root() -> Path:
    """The project root: DAKG_ROOT, else the project the package ships."""
    env = os.environ.get("DAKG_ROOT")
    return Path(env) if env else project_root()


def default_threads() -> int:
    """Query threads: one per core. pyoxigraph releases the GIL as it evaluates, so they keep the
    cores busy; more threads than cores only add GIL hand-offs (measured: fewer answers a second
    and a longer tail on short look-ups)."""
    return max(2, os.cpu_count() or 1)


def default_query_memory() -> int:
    """The address space a query may take in its worker beyond what the worker holds with its
    store open: a sixth of the machine's memory, between 1 and 4 GiB, so that a few runaway
    queries at once cannot exhaust the machine."""
    try:
        total = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return 4 * GIB
    return max(GIB, min(4 * GIB, total // 6))


GIB = 1024 * 1024 * 1024


def default_query_processes() -> int:
    """Query worker processes: one per core, so that one long query leaves the others free."""
    return max(2, os.cpu_count() or 1)


def env_list(value: str | None) -> tuple[str, ...]:
    """A list setting: items separated by spaces or commas."""
    return tuple(item for item in (value or "").replace(",", " ").split() if item)


def env_bool(value: str | None, default: bool) -> bool:
    if value is None or value == "":
        return default
    return value.strip().lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class Settings:
    """Everything the service and the command line can be configured with."""

    root: Path = field(default_factory=default_root)
    base_iri: str = PUBLIC_BASE
    host: str = "127.0.0.1"
    port: int = 8000
    update_token: str | None = None
    store: str = "memory"
    query_timeout: float = 10.0
    # Answers kept for repeated queries: at most this many, and this many bytes in all.
    cache_entries: int = 1024
    cache_bytes: int = 64 * 1024 * 1024
    # Cache-Control max-age of answers, dumps and descriptions (the data changes on deploy).
    cache_max_age: int = 300
    query_threads: int = field(default_factory=default_threads)
    max_request_bytes: int = 1024 * 1024
    # Client queries run in this many worker processes (0: in the server's own threads, where a
    # query past the time limit is answered 503 but runs on to its end).
    query_processes: int = field(default_factory=default_query_processes)
    # A worker's address-space cap in bytes (0: none); a query that needs more is stopped.
    query_memory_bytes: int = field(default_factory=default_query_memory)
    # The largest answer /sparql returns (rows: solutions or triples), and the longest query.
    max_result_rows: int = 100_000
    max_result_bytes: int = 64 * 1024 * 1024
    max_query_chars: int = 100_000
    # Endpoints SERVICE and LOAD may fetch from (none: the endpoint fetches nothing).
    federation_allow: tuple[str, ...] = ()
    # A one-entity lookup (service/execution/lookup.py) of a subject with at most this many triples is
    # answered in the server's process, without a query worker (0: every query goes to one).
    lookup_triples: int = 1000
    # HTTP worker processes of `dakg serve` (each with its own store and query workers); 0: one
    # per core for a read-only endpoint, one when it takes updates (server.py).
    workers: int = 0
    # Where the HTTP workers of one server share their counters for /metrics (set by `dakg
    # serve` when it starts several; None: one process, nothing to share).
    metrics_dir: Path | None = None
    access_log: bool = False
    # The address clients reach this server at (behind a proxy), and the other host names it may
    # be called by; another Host header is not copied into what it publishes (publicurl.py).
    public_url: str | None = None
    allowed_hosts: tuple[str, ...] = ()
    # What one HTTP connection may take (httpguard.py): seconds for a request's head and body,
    # the head's size and fields, the connections a worker holds, seconds idle between requests.
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_header_bytes: int = 32 * 1024
    max_headers: int = 100
    max_connections: int = 1024
    idle_timeout: float = 5.0
    # Proxies whose X-Forwarded-For names the client (clients.py); none by default.
    trusted_proxies: tuple[str, ...] = ()
    # Serve an on-disk store whose last `dakg load` did not finish (its /health says so).
    allow_incomplete: bool = False

    @classmethod
    def from_env(cls, **overrides) -> Settings:
        """Settings from DAKG_* environment variables, then explicit overrides."""
        env = os.environ
        values = {
            "root": default_root(),
            "base_iri": env.get("DAKG_BASE_IRI", PUBLIC_BASE),
            "host": env.get("DAKG_HOST", "127.0.0.1"),
            "port": int(env.get("DAKG_PORT", "8000")),
            "update_token": env.get("DAKG_UPDATE_TOKEN") or None,
            "store": env.get("DAKG_STORE", "memory"),
            "query_timeout": float(env.get("DAKG_QUERY_TIMEOUT", "10")),
            "cache_entries": int(env.get("DAKG_CACHE_ENTRIES", "1024")),
            "cache_bytes": int(env.get("DAKG_CACHE_BYTES", str(64 * 1024 * 1024))),
            "cache_max_age": int(env.get("DAKG_CACHE_MAX_AGE", "300")),
            "query_threads": int(env.get("DAKG_QUERY_THREADS") or default_threads()),
            "max_request_bytes": int(env.get("DAKG_MAX_REQUEST_BYTES", str(1024 * 1024))),
            "query_processes": int(env.get("DAKG_QUERY_PROCESSES") or default_query_processes()),
            "query_memory_bytes": int(env.get("DAKG_QUERY_MEMORY_BYTES") or default_query_memory()),
            "max_result_rows": int(env.get("DAKG_MAX_RESULT_ROWS", "100000")),
            "max_result_bytes": int(env.get("DAKG_MAX_RESULT_BYTES", str(64 * 1024 * 1024))),
            "max_query_chars": int(env.get("DAKG_MAX_QUERY_CHARS", "100000")),
            "federation_allow": env_list(env.get("DAKG_FEDERATION_ALLOW")),
            "lookup_triples": int(env.get("DAKG_LOOKUP_TRIPLES", "1000")),
            "workers": int(env.get("DAKG_WORKERS", "0")),
            "metrics_dir": Path(env["DAKG_METRICS_DIR"]) if env.get("DAKG_METRICS_DIR") else None,
            "access_log": env_bool(env.get("DAKG_ACCESS_LOG"), False),
            "public_url": env.get("DAKG_PUBLIC_URL") or None,
            "allowed_hosts": tuple(h.lower() for h in env_list(env.get("DAKG_ALLOWED_HOSTS"))),
            "header_timeout": float(env.get("DAKG_HEADER_TIMEOUT", "10")),
            "body_timeout": float(env.get("DAKG_BODY_TIMEOUT", "30")),
            "max_header_bytes": int(env.get("DAKG_MAX_HEADER_BYTES", str(32 * 1024))),
            "max_headers": int(env.get("DAKG_MAX_HEADERS", "100")),
            "max_connections": int(env.get("DAKG_MAX_CONNECTIONS", "1024")),
            "idle_timeout": float(env.get("DAKG_IDLE_TIMEOUT", "5")),
            "trusted_proxies": env_list(env.get("DAKG_TRUSTED_PROXIES")),
            "allow_incomplete": env_bool(env.get("DAKG_ALLOW_INCOMPLETE"), False),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"

    @property
    def cache_control(self) -> str:
        """Cache-Control of answers: kept a while when the data changes only on deploy; always
        revalidated (by ETag) when updates are allowed, since the data may change at any time."""
        if self.update_token:
            return "public, no-cache"
        return f"public, max-age={self.cache_max_age}"
