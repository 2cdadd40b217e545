"""Path parameters shared by the controllers, bounded so no value can overflow a database column."""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter

AUTH: list[dict[str, list[str]]] = [{"BearerToken": []}]
"""OpenAPI security requirement of routes that need a signed-in user."""

ProjectId = Annotated[int, Parameter(ge=1, le=2**31 - 1, description="Project id.")]
UserId = Annotated[int, Parameter(ge=1, le=2**31 - 1, description="User id.")]
Version = Annotated[int, Parameter(ge=1, le=2**31 - 1, description="Config version (1, 2, …).")]


class ErrorBody(msgspec.Struct, frozen=True, kw_only=True):
    """Every error answer: the HTTP status and one line saying what is wrong and what to do."""

    status_code: int
    detail: str


_MEANING = {
    401: "Not signed in, the token expired or was revoked, or the account is disabled "
    "(the detail says which).",
    403: "Not allowed: the account's role does not allow it (on sign-in: the account is "
    "disabled; on a password change: the current password is wrong).",
    404: "Does not exist, or the caller is not a member (nothing is revealed).",
    409: "Clashes with what is stored (name taken, uuid reused, project closed or a draft).",
    410: "The invitation code was used or has expired.",
    413: "The request body is larger than the server accepts.",
    429: "Too many failed sign-ins: wait `Retry-After` seconds.",
}


def errors(*statuses: int) -> dict[int, ResponseSpec]:
    """OpenAPI documentation of the error answers a route can give (400 is documented by
    Litestar on every route)."""
    return {
        status: ResponseSpec(ErrorBody, description=_MEANING[status], generate_examples=False)
        for status in statuses
    }
