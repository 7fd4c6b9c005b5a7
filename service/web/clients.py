"""Who a request comes from: its peer's address, or, when the peer is a proxy this server trusts
(`DAKG_TRUSTED_PROXIES`), the address the proxy says it forwarded the request for.

A client can write any `X-Forwarded-For` it likes, so the header counts only when the connection
comes from a trusted proxy, and then only its last entry not itself a trusted proxy. What this
gives names a client in the logs and in the query workers' fair sharing (service/execution/pool.py).
"""

from __future__ import annotations

from dakg.web import deps
from starlette.requests import Request


def client_address(request: Request) -> str:
    """The address of the client a request comes from, as far as this server can tell."""
    peer = request.client.host if request.client else "unknown"
    trusted = deps.settings(request).trusted_proxies
    if peer not in trusted:
        return peer
    hops = [h.strip() for h in request.headers.get("x-forwarded-for", "").split(",") if h.strip()]
    for hop in reversed(hops):
        if hop not in trusted:
            return hop[:64]
    return peer
