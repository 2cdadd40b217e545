"""Sign-in tokens, password hashing and the `current_user` dependency.

Tokens are 32 random bytes shown once to the client; the server stores only their sha256, so a
leaked database cannot be used to sign in and no secret key is shared between replicas.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import anyio.to_thread
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from litestar import Request
from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from sync_api.db.models import TokenRow, UserRow, utcnow
from sync_api.errors import Forbidden, SignedOut

# argon2id with argon2-cffi's defaults (RFC 9106 low-memory profile: t=3, 64 MiB, p=4).
_hasher = PasswordHasher()
# Verifying against this when the username is unknown keeps the timing the same as a wrong password.
_DUMMY_HASH = _hasher.hash("not a password of anyone")


def new_secret() -> str:
    """A fresh token or invitation code (URL-safe, 256 bits)."""
    return secrets.token_urlsafe(32)


def secret_hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def hash_password(password: str) -> str:
    # argon2 takes ~50 ms of CPU on purpose: keep it off the event loop.
    return await anyio.to_thread.run_sync(_hasher.hash, password)


async def password_matches(password_hash: str | None, password: str) -> bool:
    def verify() -> bool:
        try:
            return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
        except (VerificationError, InvalidHashError):
            return False

    return await anyio.to_thread.run_sync(verify)


# Built once: this runs on every signed-in request.
_USER_OF_TOKEN = (
    select(UserRow, TokenRow.expires, TokenRow.revoked)
    .join(TokenRow, TokenRow.user_id == UserRow.id)
    .where(TokenRow.token_hash == bindparam("token_hash"))
)


def disabled_message(username: str) -> str:
    return f"account `{username}` is disabled; ask an admin of this server to enable it"


def bearer_token(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


async def provide_current_user(request: Request, db: AsyncSession) -> UserRow:
    """The signed-in user, or 401 when the token is missing, unknown, expired or revoked, or its
    account is disabled."""
    token = bearer_token(request)
    if token is None:
        raise SignedOut("not signed in; sign in and send the token as `Authorization: Bearer …`")
    row = (await db.execute(_USER_OF_TOKEN, {"token_hash": secret_hash(token)})).first()
    if row is not None and row.UserRow.disabled_at is not None:
        # Before the revoked check (disabling revokes too): say why, not just "signed out".
        # 401, not 403: the app then keeps unsent reviews waiting for a sign-in (a 403 would
        # mark them refused for good), and they go out once the account is enabled again.
        raise SignedOut(disabled_message(row.UserRow.username))
    if row is None or row.revoked:
        raise SignedOut("signed out: this token is unknown or was revoked; sign in again")
    expires: datetime = row.expires
    if expires <= utcnow():
        raise SignedOut("signed out: the session expired; sign in again")
    return row.UserRow


def require_role(user: UserRow, *roles: str, action: str) -> None:
    if user.role not in roles:
        raise Forbidden(f"only {' or '.join(r + 's' for r in roles)} can {action}")
