"""Talking to the sync API: `SyncClient` (httpx, the `naesview_wire` Structs) and its errors.

Imports only httpx, msgspec and `naesview_wire`: the app bundle has no server stack.
"""

from naesview_app.sync.client import SyncClient
from naesview_app.sync.errors import (
    BadRequest,
    BadResponse,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    ServerError,
    ServerUnreachable,
    SignedOut,
    TooManyAttempts,
)

__all__ = [
    "BadRequest",
    "BadResponse",
    "Conflict",
    "Forbidden",
    "Gone",
    "NotFound",
    "ServerError",
    "ServerUnreachable",
    "SignedOut",
    "SyncClient",
    "TooManyAttempts",
]
