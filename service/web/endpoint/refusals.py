"""The protocol's refusals: a status, a message for people and extra headers, answered as plain
text (the body every refusal of /sparql has)."""

from __future__ import annotations

from dakg.errors import EXIT_FAIL, EXIT_INPUT, DakgError
from dakg.execution.executor import headers_for
from dakg.web import problems
from fastapi.responses import Response


class ProtocolError(DakgError):
    """A request the protocol refuses: its status (per refusal, unlike the classes of
    dakg.errors, since the protocol names many), a message for people, extra headers."""

    def __init__(self, status: int, message: str, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.exit_code = EXIT_INPUT if status < 500 else EXIT_FAIL
        self.headers = headers or {}

    @classmethod
    def of(cls, error: DakgError) -> ProtocolError:
        """A service error as the protocol answers it: its status, message and headers."""
        if isinstance(error, ProtocolError):
            return error
        return cls(error.status, str(error), headers_for(error))

    def response(self) -> Response:
        return problems.plain(self.status, self.message, self.headers)
