"""HTTP connections with bounds: what no handful of clients can use to starve or exhaust a worker.

uvicorn's httptools protocol, with what it lacks for a public endpoint:
- a request's head (request line and headers) must arrive within `header_timeout` seconds of its
  first byte, or of the connection's opening (slow-header clients, silent sockets): 408;
- a request's body must arrive within `body_timeout` seconds of its head (slow bodies): 408;
- the head may be at most `max_header_bytes` long with at most `max_headers` fields: 431, read no
  further (an unfinished 50 MB header is never held);
- a worker holds at most `max_connections` connections: one more is answered 503 and closed at
  once, so idle sockets cannot use up its file descriptors;
- between requests a connection may stay idle `idle_timeout` seconds (uvicorn's keep-alive).

The bounds come from the settings (`DAKG_HEADER_TIMEOUT`, ...), passed to every protocol through
the application's lifespan state, so forked and spawned workers alike get them.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

STATE_KEY = "dakg.http_limits"

REASONS = {
    408: "Request Timeout",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


@dataclass(frozen=True)
class HttpLimits:
    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_header_bytes: int = 32 * 1024
    max_headers: int = 100
    max_connections: int = 1024


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol with the bounds above."""

    limits: HttpLimits
    _timer: asyncio.TimerHandle | None = None
    _in_head: bool = True
    _head_bytes: int = 0
    _fields: int = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.limits = self.app_state.get(STATE_KEY) or HttpLimits()
        super().connection_made(transport)
        if len(self.connections) > self.limits.max_connections:
            self._refuse(503, "This server holds as many connections as it takes; try again.")
            return
        self._start_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._stop_timer()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.transport.is_closing():
            return
        if not self._in_head:
            super().data_received(data)
            return
        room = self.limits.max_header_bytes - self._head_bytes
        head, rest = data[: max(room, 0)], data[max(room, 0) :]
        self._head_bytes += len(head)
        if head:
            super().data_received(head)
        if rest and not self.transport.is_closing():
            if self._in_head:
                self._refuse(
                    431, f"The request's head is longer than {self.limits.max_header_bytes} bytes."
                )
            else:
                self.data_received(rest)

    # ---- parser callbacks

    def on_message_begin(self) -> None:
        super().on_message_begin()
        if not self._in_head:
            self._start_head()

    def on_header(self, name: bytes, value: bytes) -> None:
        if self.transport.is_closing():
            return
        self._fields += 1
        if self._fields > self.limits.max_headers:
            self._refuse(431, f"The request has more than {self.limits.max_headers} header fields.")
            return
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        if self.transport.is_closing():  # refused while its head was read: no request runs
            return
        self._in_head = False
        self._stop_timer()
        self._timer = self.loop.call_later(
            self.limits.body_timeout, self._too_slow, "body", self.limits.body_timeout
        )
        super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        if not self.transport.is_closing() and self.cycle is not None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        self._stop_timer()
        if not self.transport.is_closing() and self.cycle is not None:
            super().on_message_complete()

    # ---- the bounds

    def _start_head(self) -> None:
        self._in_head, self._head_bytes, self._fields = True, 0, 0
        self._stop_timer()
        self._timer = self.loop.call_later(
            self.limits.header_timeout, self._too_slow, "head", self.limits.header_timeout
        )

    def _stop_timer(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _too_slow(self, part: str, seconds: float) -> None:
        self._timer = None
        if self.cycle is not None and not self.cycle.response_complete and part == "head":
            return  # a request is being answered: the head timer belongs to none
        self._refuse(408, f"The request's {part} did not arrive within {seconds:g} s.")

    def _refuse(self, status: int, message: str) -> None:
        """Answer with a short plain-text error and close the connection, reading no further."""
        self._stop_timer()
        if self.transport.is_closing():
            return
        if self.cycle is not None and self.cycle.response_started:
            self.transport.close()
            return
        body = (message + "\n").encode("ascii")
        head = (
            f"HTTP/1.1 {status} {REASONS[status]}\r\ncontent-type: text/plain; charset=utf-8\r\n"
            f"content-length: {len(body)}\r\nconnection: close\r\n"
            + ("retry-after: 1\r\n" if status == 503 else "")
            + "\r\n"
        ).encode("ascii")
        self.transport.write(head + body)
        self.transport.close()
