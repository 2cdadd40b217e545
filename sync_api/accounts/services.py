"""Account rules: who can sign in, how failures slow down, who creates whom."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from naesview_wire import Session, SignIn, User, UserCreate
from sync_api.auth import hash_password, new_secret, password_matches, secret_hash
from sync_api.db.models import TokenRow, UserRow, utcnow
from sync_api.errors import Conflict, NotFound, SignedOut, TooManyAttempts

FREE_FAILURES = 3
"""Failed sign-ins allowed before each further one locks the account for a growing time."""
MAX_LOCK_SECONDS = 300


def lock_seconds(failures: int) -> int:
    """Seconds an account stays locked after `failures` failed sign-ins in a row (2, 4, 8 … 300)."""
    if failures < FREE_FAILURES:
        return 0
    return min(2 ** (failures - FREE_FAILURES + 1), MAX_LOCK_SECONDS)


def user_out(row: UserRow) -> User:
    return User(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,  # type: ignore[arg-type]
        created=row.created,
    )


async def sign_in(db: AsyncSession, body: SignIn, token_ttl_hours: int) -> Session:
    user = (await db.execute(select(UserRow).where(UserRow.username == body.username))).scalar()
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        wait = max(1, int((user.locked_until - now).total_seconds() + 0.999))
        raise TooManyAttempts(
            f"too many failed sign-ins for `{body.username}`; wait {wait} s and try again", wait
        )
    if not await password_matches(user.password_hash if user else None, body.password):
        if user is not None:
            user.failed_signins += 1
            seconds = lock_seconds(user.failed_signins)
            # From now, after the (slow, on purpose) password check, not from the request's start.
            user.locked_until = utcnow() + timedelta(seconds=seconds) if seconds else None
            await db.commit()
        raise SignedOut("wrong username or password; check both and try again")
    assert user is not None
    user.failed_signins = 0
    user.locked_until = None
    # Housekeeping: this user's dead tokens can never be used again.
    await db.execute(
        delete(TokenRow).where(
            TokenRow.user_id == user.id, TokenRow.revoked.is_(True) | (TokenRow.expires <= now)
        )
    )
    token = new_secret()
    expires = now + timedelta(hours=token_ttl_hours)
    db.add(TokenRow(user_id=user.id, token_hash=secret_hash(token), created=now, expires=expires))
    await db.commit()
    return Session(token=token, expires=expires, user=user_out(user))


async def sign_out(db: AsyncSession, token: str) -> None:
    await db.execute(
        update(TokenRow).where(TokenRow.token_hash == secret_hash(token)).values(revoked=True)
    )
    await db.commit()


async def add_user(db: AsyncSession, body: UserCreate) -> UserRow:
    """Add a user to the open transaction (the caller commits); 409 when the name is taken."""
    row = UserRow(
        username=body.username,
        display_name=body.display_name,
        role=body.role,
        password_hash=await hash_password(body.password),
        created=utcnow(),
        failed_signins=0,
    )
    db.add(row)
    try:
        await db.flush()
    except IntegrityError:
        await db.rollback()
        raise Conflict(f"username `{body.username}` is taken; choose another") from None
    return row


async def create_user(db: AsyncSession, body: UserCreate) -> User:
    row = await add_user(db, body)
    await db.commit()
    return user_out(row)


async def list_users(db: AsyncSession) -> list[User]:
    rows = (await db.execute(select(UserRow).order_by(UserRow.id))).scalars()
    return [user_out(r) for r in rows]


async def revoke_tokens(db: AsyncSession, user_id: int) -> None:
    if await db.get(UserRow, user_id) is None:
        raise NotFound(f"user {user_id} not found")
    await db.execute(
        update(TokenRow)
        .where(TokenRow.user_id == user_id, TokenRow.revoked.is_(False))
        .values(revoked=True)
    )
    await db.commit()
