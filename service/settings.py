"""Configuration: one settings object, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields
from pathlib import Path

from dakg.errors import InputError
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


class SettingError(InputError):
    """A DAKG_ variable whose value is not of its setting's type."""


def parse_setting(name: str, kind: str, raw: str) -> object:
    """A setting's value from its variable's text, by the field's type (as annotated)."""
    kind = kind.removesuffix(" | None")
    try:
        if kind == "int":
            return int(raw)
        if kind == "float":
            return float(raw)
    except ValueError:
        number = "an integer" if kind == "int" else "a number"
        raise SettingError(f"{name}: expected {number}, not {raw!r}") from None
    if kind == "bool":
        return env_bool(raw, False)
    if kind == "Path":
        return Path(raw)
    if kind == "tuple[str, ...]":
        items = env_list(raw)
        return tuple(i.lower() for i in items) if name == "DAKG_ALLOWED_HOSTS" else items
    return raw


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
        """Settings from the environment, then explicit overrides: each field from DAKG_ and its
        name in capitals (DAKG_QUERY_TIMEOUT for query_timeout), read as the field's type; one
        unset or empty keeps the field's default, which is written only above."""
        values = {}
        for setting in fields(cls):
            name = f"DAKG_{setting.name.upper()}"
            raw = os.environ.get(name, "")
            if raw.strip():
                values[setting.name] = parse_setting(name, setting.type, raw)
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
