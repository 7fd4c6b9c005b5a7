"""The one error hierarchy: every refusal and failure dakg raises on purpose is a `DakgError`,
and its class says both the HTTP status a route answers with and the exit status a command ends
with. The web layer maps them to problem responses in one table (dakg.web.problems), the command
line to exit codes in one place (dakg.cli); nothing else decides either.

Exit statuses, as `dakg validate` documents them for CI: 0 done (the data conforms), 1 done with
results at or above --fail-on, or a store or engine failure, 2 no verdict: the input is at fault
(a file, a parameter, a query, a setting).
"""

from __future__ import annotations

EXIT_OK, EXIT_FAIL, EXIT_INPUT = 0, 1, 2


class DakgError(Exception):
    """The root: a message for people, an HTTP status and an exit status."""

    status = 500
    exit_code = EXIT_FAIL
    # The parameter at fault, when one is (the API names it), and headers the answer must carry.
    parameter: str | None = None
    headers: tuple[tuple[str, str], ...] = ()

    def __init__(self, message: str = "", *args: object):
        super().__init__(message, *args)
        self.message = message

    def __str__(self) -> str:
        return self.message or self.__class__.__doc__ or self.__class__.__name__


# ---- the client's request or input is at fault (4xx; exit 2) ---------------------------------


class InputError(DakgError):
    """Input that cannot be used as it is: a file, a parameter, a query, a setting (400)."""

    status = 400
    exit_code = EXIT_INPUT


class NotFound(InputError):
    """Nothing is at the address asked for (404)."""

    status = 404


class NotAcceptableError(InputError):
    """No format the client accepts is one this answer can be given in (406)."""

    status = 406


class TooLarge(InputError):
    """The request, or the answer it asks for, is larger than this endpoint allows (413 or 422,
    as the subclass says)."""

    status = 413


class AnswerTooLarge(TooLarge):
    """The answer would be past a result cap (422)."""

    status = 422


class Unauthorised(InputError):
    """The request needs credentials it does not have (401)."""

    status = 401


class Forbidden(InputError):
    """The request is understood and refused (403)."""

    status = 403


class TooManyRequests(InputError):
    """This client has asked more than it may for now (429)."""

    status = 429


# ---- the service cannot answer now (5xx; exit 1) ---------------------------------------------


class Unavailable(DakgError):
    """The service or its store cannot answer now; the client may try again (503)."""

    status = 503
    exit_code = EXIT_FAIL


class GatewayTimeout(Unavailable):
    """An external engine did not answer in time (504)."""

    status = 504
