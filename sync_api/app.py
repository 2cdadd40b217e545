"""`create_app(settings)`: the Litestar application of the sync API."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import msgspec
from litestar import Litestar, get
from litestar.datastructures import State
from litestar.di import Provide
from litestar.openapi import OpenAPIConfig
from litestar.openapi.spec import Components, SecurityScheme
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from naesview_wire import __version__
from sync_api.accounts.controllers import AuthController, UsersController
from sync_api.auth import provide_current_user
from sync_api.db.engine import make_engine, make_sessionmaker
from sync_api.errors import error_to_response
from sync_api.projects.controllers import InvitationsController, ProjectsController
from sync_api.request_log import RequestLogMiddleware
from sync_api.reviews.controllers import ReviewsController
from sync_api.settings import Settings


class Health(msgspec.Struct, frozen=True, kw_only=True):
    status: str
    version: str


@get("/healthz", tags=["service"])
async def healthz(db: AsyncSession) -> Health:
    """Liveness and database check: 200 when the database answers."""
    await db.execute(text("SELECT 1"))
    return Health(status="ok", version=__version__)


def create_app(settings: Settings) -> Litestar:
    engine = make_engine(settings.database_url)
    sessionmaker = make_sessionmaker(engine)

    async def provide_db() -> AsyncGenerator[AsyncSession, None]:
        async with sessionmaker() as session:
            yield session

    def provide_settings() -> Settings:
        return settings

    async def dispose_engine() -> None:
        await engine.dispose()

    return Litestar(
        route_handlers=[
            healthz,
            AuthController,
            UsersController,
            ProjectsController,
            InvitationsController,
            ReviewsController,
        ],
        dependencies={
            "db": Provide(provide_db),
            "settings": Provide(provide_settings, sync_to_thread=False, use_cache=True),
            "current_user": Provide(provide_current_user),
        },
        exception_handlers={Exception: error_to_response},
        openapi_config=OpenAPIConfig(
            title="naesView sync API",
            version=__version__,
            description="Projects, reviewers and reviews. Never images, file names or paths.",
            path="/schema",
            components=Components(
                security_schemes={
                    "BearerToken": SecurityScheme(
                        type="http", scheme="bearer", description="token from /auth/sign-in"
                    )
                }
            ),
        ),
        middleware=[RequestLogMiddleware()] if settings.request_log else [],
        request_max_body_size=settings.max_body_bytes,
        state=State({"sessionmaker": sessionmaker}),
        on_shutdown=[dispose_engine],
        debug=False,
    )
