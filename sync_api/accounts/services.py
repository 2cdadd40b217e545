"""Account rules: who can sign in, how failures slow down, who creates, disables and resets whom.

A disabled account keeps its row, memberships and reviews (they still export); it cannot sign in
and its tokens are revoked, so enabling it again means signing in again. Setting a password, by
an admin or by the user, revokes tokens the same way (the user's own current one excepted).
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from naesview_wire import Account, PasswordChange, Session, SignIn, User, UserCreate
from sync_api.auth import (
    disabled_message,
    hash_password,
    new_secret,
    password_matches,
    secret_hash,
)
from sync_api.db.models import TokenRow, UserRow, utcnow
from sync_api.errors import Conflict, Forbidden, NotFound, SignedOut, TooManyAttempts

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


def account_out(row: UserRow) -> Account:
    return Account(
        id=row.id,
        username=row.username,
        display_name=row.display_name,
        role=row.role,  # type: ignore[arg-type]
        created=row.created,
        disabled_at=row.disabled_at,
    )


def _check_not_locked(user: UserRow | None, username: str) -> None:
    now = utcnow()
    if user is not None and user.locked_until is not None and user.locked_until > now:
        wait = max(1, int((user.locked_until - now).total_seconds() + 0.999))
        raise TooManyAttempts(
            f"too many failed sign-ins for `{username}`; wait {wait} s and try again", wait
        )


async def _check_password(db: AsyncSession, user: UserRow | None, password: str) -> bool:
    """Whether `password` is the user's; counts a failure (and locks) or resets the count."""
    if not await password_matches(user.password_hash if user else None, password):
        if user is not None:
            user.failed_signins += 1
            seconds = lock_seconds(user.failed_signins)
            # From now, after the (slow, on purpose) password check, not from the request's start.
            user.locked_until = utcnow() + timedelta(seconds=seconds) if seconds else None
            await db.commit()
        return False
    assert user is not None
    user.failed_signins = 0
    user.locked_until = None
    return True


async def sign_in(db: AsyncSession, body: SignIn, token_ttl_hours: int) -> Session:
    user = (await db.execute(select(UserRow).where(UserRow.username == body.username))).scalar()
    _check_not_locked(user, body.username)
    if not await _check_password(db, user, body.password):
        raise SignedOut("wrong username or password; check both and try again")
    assert user is not None
    if user.disabled_at is not None:
        # Only after the password matched: a guesser learns nothing about the account.
        await db.commit()
        raise Forbidden(disabled_message(user.username))
    now = utcnow()
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


async def list_users(db: AsyncSession) -> list[Account]:
    rows = (await db.execute(select(UserRow).order_by(UserRow.id))).scalars()
    return [account_out(r) for r in rows]


async def user_by_id(db: AsyncSession, user_id: int) -> UserRow:
    user = await db.get(UserRow, user_id)
    if user is None:
        raise NotFound(f"user {user_id} not found; GET /users lists every account")
    return user


async def user_by_username(db: AsyncSession, username: str) -> UserRow:
    user = (await db.execute(select(UserRow).where(UserRow.username == username))).scalar()
    if user is None:
        raise NotFound(f"no account `{username}`; `naesview-sync list-users` lists them")
    return user


async def _revoke(db: AsyncSession, user_id: int, *, keep_token: str | None = None) -> None:
    """Revoke every live token of the user (but `keep_token`) in the open transaction."""
    query = update(TokenRow).where(TokenRow.user_id == user_id, TokenRow.revoked.is_(False))
    if keep_token is not None:
        query = query.where(TokenRow.token_hash != secret_hash(keep_token))
    await db.execute(query.values(revoked=True))


async def revoke_tokens(db: AsyncSession, user_id: int) -> None:
    await user_by_id(db, user_id)
    await _revoke(db, user_id)
    await db.commit()


async def set_disabled(db: AsyncSession, user: UserRow, disabled: bool) -> Account:
    """Disable (and sign out everywhere) or enable an account; repeating either changes nothing.
    Its memberships and reviews are left as they are."""
    if disabled and user.disabled_at is None:
        user.disabled_at = utcnow()
        await _revoke(db, user.id)
    elif not disabled:
        user.disabled_at = None
    await db.commit()
    return account_out(user)


async def disable_by_admin(db: AsyncSession, admin: UserRow, user_id: int) -> Account:
    user = await user_by_id(db, user_id)
    if user.id == admin.id:
        # Another admin (or `naesview-sync disable` on the server) can; this keeps one admin in.
        raise Conflict("you cannot disable your own account; ask another admin")
    return await set_disabled(db, user, True)


async def set_password(db: AsyncSession, user: UserRow, password: str) -> None:
    """An admin's reset: new hash, every token revoked, the failed sign-in lock lifted."""
    user.password_hash = await hash_password(password)
    user.failed_signins = 0
    user.locked_until = None
    await _revoke(db, user.id)
    await db.commit()


async def change_own_password(
    db: AsyncSession, user: UserRow, current_token: str, body: PasswordChange
) -> None:
    """The user's own change: the old password must match (failures count like failed
    sign-ins); every other token of theirs is revoked, the one in use keeps working."""
    _check_not_locked(user, user.username)
    if not await _check_password(db, user, body.old_password):
        raise Forbidden("the current password is wrong; type it again")
    user.password_hash = await hash_password(body.new_password)
    await _revoke(db, user.id, keep_token=current_token)
    await db.commit()
