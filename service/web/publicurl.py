"""The address this server publishes for itself (in VoID, the service description, the JSON-LD
`@context` link and the downloads), in one place.

A client chooses its `Host` header, so the header is used only when it names an address this
server is known by: `DAKG_PUBLIC_URL` when set (behind a proxy: the address clients use), else a
host of `DAKG_ALLOWED_HOSTS`, the address it listens on, or a loopback name, with no port, the
port it listens on, 80 or 443 (so a few values at most, whatever clients send). Any other Host gets
the listening address: a stranger's Host is never copied into what is published, nor made a key
of anything kept.
"""

from __future__ import annotations

from dakg.web import deps
from starlette.requests import Request

LOOPBACK = ("localhost", "127.0.0.1", "[::1]")


def split_host(host: str) -> tuple[str, str]:
    """A Host header's name (IPv6 literals keep their brackets) and port ("" when none)."""
    if host.startswith("["):
        name, _, rest = host.partition("]")
        return name + "]", rest.removeprefix(":")
    name, _, port = host.partition(":")
    return name, port


def base_url(request: Request) -> str:
    """This server's base address as published to the requesting client, ending in `/`."""
    settings = deps.settings(request)
    if settings.public_url:
        return settings.public_url.rstrip("/") + "/"
    scope = request.scope
    raw = next((value for name, value in scope["headers"] if name == b"host"), b"")
    host = raw.decode("latin-1").lower()
    name, port = split_host(host)
    root = scope.get("root_path", "").rstrip("/")
    if name in LOOPBACK or name == settings.host or name in settings.allowed_hosts:
        if port in ("", str(settings.port), "80", "443"):
            return f"{scope.get('scheme', 'http')}://{host}{root}/"
    listening = f"[{settings.host}]" if ":" in settings.host else settings.host
    return f"http://{listening}:{settings.port}{root}/"
