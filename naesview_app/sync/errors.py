"""Errors of the sync client, all under `naesview_app.errors.SyncError`.

    SyncError
    ├── ServerUnreachable   no connection, DNS failure or timeout (after retries where allowed)
    ├── SignedOut           401: not signed in, token expired or revoked, wrong password
    ├── Forbidden           403: signed in, but not allowed
    ├── NotFound            404: no such thing, or you are not a member
    ├── Conflict            409: clashes with stored data (uuid reused, name taken, project closed)
    ├── Gone                410: invitation used or expired
    ├── BadRequest          400/413/422: the server refused the request as invalid
    ├── TooManyAttempts     429: too many failed sign-ins; `retry_after` seconds
    ├── ServerError         5xx
    └── BadResponse         the answer was not what this client version understands

The message is the server's one-line `detail` (or says what to do when there is none).
"""

from __future__ import annotations

from naesview_app.errors import SyncError


class HTTPStatusSyncError(SyncError):
    """A sync error that came with an HTTP status."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class ServerUnreachable(SyncError):
    """The server could not be reached or did not answer in time."""

    code = "server_unreachable"


class SignedOut(HTTPStatusSyncError):
    """Not signed in (any more); sign in again."""

    code = "signed_out"


class Forbidden(HTTPStatusSyncError):
    """Signed in, but this account may not do that."""

    code = "forbidden"


class NotFound(HTTPStatusSyncError):
    """No such project, config version, user or invitation (or not visible to you)."""

    code = "not_found"


class Conflict(HTTPStatusSyncError):
    """The request clashes with what the server has stored."""

    code = "conflict"


class Gone(HTTPStatusSyncError):
    """An invitation code that was used or has expired."""

    code = "gone"


class BadRequest(HTTPStatusSyncError):
    """The server refused the request as invalid (wrong answer, too big, …)."""

    code = "bad_request"


class TooManyAttempts(HTTPStatusSyncError):
    """Too many failed sign-ins; wait `retry_after` seconds."""

    code = "too_many_attempts"

    def __init__(self, message: str, *, status: int | None = None, retry_after: int = 0) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class ServerError(HTTPStatusSyncError):
    """The server failed (5xx); try again later or tell its admin."""

    code = "server_error"


class BadResponse(HTTPStatusSyncError):
    """The server's answer could not be understood (is it a naesView sync server?)."""

    code = "bad_response"


STATUS_ERRORS: dict[int, type[HTTPStatusSyncError]] = {
    400: BadRequest,
    401: SignedOut,
    403: Forbidden,
    404: NotFound,
    405: BadRequest,
    409: Conflict,
    410: Gone,
    413: BadRequest,
    422: BadRequest,
}
