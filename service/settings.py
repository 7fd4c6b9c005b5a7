"""Configuration: one settings object, read from the environment."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from .namespaces import PUBLIC_BASE


def default_root() -> Path:
    """The project root: DAKG_ROOT, else the checkout this package lives in."""
    env = os.environ.get("DAKG_ROOT")
    return Path(env) if env else Path(__file__).resolve().parent.parent


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
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def queries_dir(self) -> Path:
        return self.root / "queries"
