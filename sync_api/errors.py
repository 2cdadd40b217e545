"""Domain errors of the sync API and the one function that turns any error into a response.

    DomainError          a request the service refuses, with a one-line message
    ├── Invalid          400: the body parsed but makes no sense (answer not an option, …)
    ├── SignedOut        401: no token, unknown, expired or revoked token, wrong password
    ├── Forbidden        403: signed in, but the role does not allow it
    ├── NotFound         404: does not exist, or the caller may not know that it exists
    ├── Conflict         409: clashes with what is stored (username taken, uuid reused, …)
    ├── Gone             410: an invitation that expired or was used
    └── TooManyAttempts  429: repeated failed sign-ins; `retry_after` seconds to wait

Responses are `{"status_code": int, "detail": "one line"}`; never a traceback.
"""

from __future__ import annotations

import logging

from litestar import MediaType, Request, Response
from litestar.exceptions import HTTPException, ValidationException

from sync_api.request_log import log_unrouted

log = logging.getLogger("sync_api")


class DomainError(Exception):
    status_code = 400

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Invalid(DomainError):
    status_code = 400


class SignedOut(DomainError):
    status_code = 401


class Forbidden(DomainError):
    status_code = 403


class NotFound(DomainError):
    status_code = 404


class Conflict(DomainError):
    status_code = 409


class Gone(DomainError):
    status_code = 410


class TooManyAttempts(DomainError):
    status_code = 429

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.retry_after = retry_after


def _validation_message(exc: ValidationException) -> str:
    """Litestar's validation detail plus msgspec's one-line reason (`Expected int - at $.x`)."""
    extra = exc.extra
    if isinstance(extra, list) and extra and isinstance(extra[0], dict):
        first = extra[0]
        message = str(first.get("message", "")).strip()
        key = first.get("key")
        if message:
            return f"invalid request: {message}" + (f" ({key})" if key else "")
    detail = exc.detail or "invalid request"
    return detail if detail.endswith(("body", "request")) else f"invalid request: {detail}"


def error_to_response(request: Request, exc: Exception) -> Response:
    """The single mapping from any exception to an HTTP response."""
    headers: dict[str, str] = {}
    if isinstance(exc, DomainError):
        status, message = exc.status_code, exc.message
        if isinstance(exc, TooManyAttempts):
            headers["Retry-After"] = str(exc.retry_after)
        if isinstance(exc, SignedOut):
            headers["WWW-Authenticate"] = "Bearer"
    elif isinstance(exc, ValidationException):
        status, message = 400, _validation_message(exc)
    elif isinstance(exc, HTTPException):
        status = exc.status_code
        message = exc.detail or "request refused"
        if status == 413:
            message = "request body too large; send smaller masks or a smaller thumbnail"
        elif status == 400:
            message = f"invalid request body ({message}); send one JSON object"
        elif status == 404:
            message = f"no route {request.method} {request.url.path}; see /schema for the API"
        headers.update(exc.headers or {})
    else:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        status, message = 500, "internal error; the server log has the details"
    if "path_template" not in request.scope:
        # Routing failed (unknown path or method): the request-log middleware never ran.
        log_unrouted(request.method, status)
    return Response(
        content={"status_code": status, "detail": message.splitlines()[0][:500]},
        status_code=status,
        media_type=MediaType.JSON,
        headers=headers,
    )
