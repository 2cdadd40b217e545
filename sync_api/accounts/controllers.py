"""HTTP routes of accounts: `/auth/*` and `/users` (admins)."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from sqlalchemy.ext.asyncio import AsyncSession

from naesview_wire import Session, SignIn, User, UserCreate
from sync_api.accounts import services
from sync_api.auth import bearer_token, require_role
from sync_api.db.models import UserRow
from sync_api.params import AUTH, UserId, errors
from sync_api.settings import Settings


class AuthController(Controller):
    path = "/auth"
    tags = ("accounts",)

    @post("/sign-in", status_code=200, responses=errors(401, 429))
    async def sign_in(self, db: AsyncSession, data: SignIn, settings: Settings) -> Session:
        """Sign in with username and password; returns a bearer token (repeated failures are
        slowed down: 429 with `Retry-After`)."""
        return await services.sign_in(db, data, settings.token_ttl_hours)

    @post("/sign-out", status_code=204, security=AUTH, responses=errors(401))
    async def sign_out(self, db: AsyncSession, request: Request, current_user: UserRow) -> None:
        """Revoke the token this request was made with."""
        await services.sign_out(db, bearer_token(request) or "")

    @get("/me", security=AUTH, responses=errors(401))
    async def me(self, current_user: UserRow) -> User:
        """The signed-in user."""
        return services.user_out(current_user)


class UsersController(Controller):
    path = "/users"
    tags = ("accounts",)

    @get("/", security=AUTH, responses=errors(401, 403))
    async def list_users(self, db: AsyncSession, current_user: UserRow) -> list[User]:
        """Every account (admins only)."""
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
