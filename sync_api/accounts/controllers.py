"""HTTP routes of accounts: `/auth/*` and `/users` (admins: list, create, disable, enable,
reset passwords, sign out everywhere)."""

from __future__ import annotations

from litestar import Controller, Request, get, post, put
from sqlalchemy.ext.asyncio import AsyncSession

from naesview_wire import (
    Account,
    PasswordChange,
    PasswordReset,
    Session,
    SignIn,
    User,
    UserCreate,
)
from sync_api.accounts import services
from sync_api.auth import bearer_token, require_role
from sync_api.db.models import UserRow
from sync_api.params import AUTH, UserId, errors
from sync_api.settings import Settings


class AuthController(Controller):
    path = "/auth"
    tags = ("accounts",)

    @post("/sign-in", status_code=200, responses=errors(401, 403, 429))
    async def sign_in(self, db: AsyncSession, data: SignIn, settings: Settings) -> Session:
        """Sign in with username and password; returns a bearer token (repeated failures are
        slowed down: 429 with `Retry-After`; a disabled account gets 403)."""
        return await services.sign_in(db, data, settings.token_ttl_hours)

    @post("/sign-out", status_code=204, security=AUTH, responses=errors(401))
    async def sign_out(self, db: AsyncSession, request: Request, current_user: UserRow) -> None:
        """Revoke the token this request was made with."""
        await services.sign_out(db, bearer_token(request) or "")

    @get("/me", security=AUTH, responses=errors(401))
    async def me(self, current_user: UserRow) -> User:
        """The signed-in user."""
        return services.user_out(current_user)

    @post("/password", status_code=204, security=AUTH, responses=errors(401, 403, 429))
    async def change_password(
        self, db: AsyncSession, request: Request, current_user: UserRow, data: PasswordChange
    ) -> None:
        """Change your own password (the current one must match; failures count like failed
        sign-ins). Your other sessions are signed out; this one keeps working."""
        await services.change_own_password(db, current_user, bearer_token(request) or "", data)


class UsersController(Controller):
    path = "/users"
    tags = ("accounts",)

    @get("/", security=AUTH, responses=errors(401, 403))
    async def list_users(self, db: AsyncSession, current_user: UserRow) -> list[Account]:
        """Every account, with whether it is disabled (admins only)."""
        require_role(current_user, "admin", action="list users")
        return await services.list_users(db)

    @post("/", security=AUTH, responses=errors(401, 403, 409))
    async def create_user(self, db: AsyncSession, current_user: UserRow, data: UserCreate) -> User:
        """Create an account with a role (admins only)."""
        require_role(current_user, "admin", action="create users")
        return await services.create_user(db, data)

    @post(
        "/{user_id:int}/revoke-tokens",
        status_code=204,
        security=AUTH,
        responses=errors(401, 403, 404),
    )
    async def revoke_tokens(self, db: AsyncSession, current_user: UserRow, user_id: UserId) -> None:
        """Sign a user out everywhere: revoke all their tokens (admins only)."""
        require_role(current_user, "admin", action="revoke tokens")
        await services.revoke_tokens(db, user_id)

    @post(
        "/{user_id:int}/disable",
        status_code=200,
        security=AUTH,
        responses=errors(401, 403, 404, 409),
    )
    async def disable(self, db: AsyncSession, current_user: UserRow, user_id: UserId) -> Account:
        """Disable an account (admins only, not their own): it cannot sign in and all its tokens
        stop working at once. Its memberships and reviews stay; reviews still export."""
        require_role(current_user, "admin", action="disable accounts")
        return await services.disable_by_admin(db, current_user, user_id)

    @post("/{user_id:int}/enable", status_code=200, security=AUTH, responses=errors(401, 403, 404))
    async def enable(self, db: AsyncSession, current_user: UserRow, user_id: UserId) -> Account:
        """Enable a disabled account again (admins only); its user signs in again."""
        require_role(current_user, "admin", action="enable accounts")
        return await services.set_disabled(db, await services.user_by_id(db, user_id), False)

    @put("/{user_id:int}/password", status_code=204, security=AUTH, responses=errors(401, 403, 404))
    async def reset_password(
        self, db: AsyncSession, current_user: UserRow, user_id: UserId, data: PasswordReset
    ) -> None:
        """Set a user's password (admins only): every token of the user is revoked and a
        failed sign-in lock is lifted; give the user the new password."""
        require_role(current_user, "admin", action="reset passwords")
        await services.set_password(db, await services.user_by_id(db, user_id), data.password)
