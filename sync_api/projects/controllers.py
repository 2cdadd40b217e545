"""HTTP routes of projects (`/projects/*`) and invitations (`/invitations/*`)."""

from __future__ import annotations

from typing import Annotated

from litestar import Controller, delete, get, patch, post
from litestar.params import Parameter
from sqlalchemy.ext.asyncio import AsyncSession

from naesview_wire import (
    AcceptInvitation,
    ConfigVersion,
    Invitation,
    InvitationCreate,
    InvitationPreview,
    Member,
    ProjectConfig,
    ProjectCreate,
    ProjectDetail,
    ProjectSummary,
    ProjectUpdate,
    RegisterWithInvitation,
    User,
)
from sync_api.db.models import UserRow
from sync_api.params import AUTH, ProjectId, UserId, Version, errors
from sync_api.projects import services

Code = Annotated[str, Parameter(min_length=8, max_length=64, description="Invitation code.")]


class ProjectsController(Controller):
    path = "/projects"
    tags = ("projects",)
    security = AUTH

    @get("/", responses=errors(401))
    async def list_projects(self, db: AsyncSession, current_user: UserRow) -> list[ProjectSummary]:
        """Projects the caller owns or has joined (with the caller's progress)."""
        return await services.list_projects(db, current_user)

    @post("/", responses=errors(401, 403))
    async def create_project(
        self, db: AsyncSession, current_user: UserRow, data: ProjectCreate
    ) -> ProjectDetail:
        """Create a project (owners only); its config becomes version 1."""
        return await services.create_project(db, current_user, data)

    @get("/{project_id:int}", responses=errors(401, 404))
    async def get_project(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId
    ) -> ProjectDetail:
        """A project with its private part and latest config (owner and members; else 404)."""
        return await services.project_detail(db, current_user, project_id)

    @patch("/{project_id:int}", responses=errors(401, 403, 404))
    async def update_project(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId, data: ProjectUpdate
    ) -> ProjectDetail:
        """Change the public or private part, status, fingerprint or case count (owner only)."""
        return await services.update_project(db, current_user, project_id, data)

    @post("/{project_id:int}/configs", responses=errors(401, 403, 404, 409))
    async def add_config_version(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId, data: ProjectConfig
    ) -> ConfigVersion:
        """Store an edited config as the next immutable version (owner only)."""
        return await services.add_config_version(db, current_user, project_id, data)

    @get("/{project_id:int}/configs", responses=errors(401, 404))
    async def list_config_versions(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId
    ) -> list[ConfigVersion]:
        """Every config version, oldest first (owner and members)."""
        return await services.config_versions(db, current_user, project_id)

    @get("/{project_id:int}/configs/{version:int}", responses=errors(401, 404))
    async def get_config_version(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId, version: Version
    ) -> ConfigVersion:
        """One config version (owner and members)."""
        return await services.config_version(db, current_user, project_id, version)

    @get("/{project_id:int}/members", responses=errors(401, 403, 404))
    async def list_members(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId
    ) -> list[Member]:
        """The reviewers who joined (owner only)."""
        return await services.list_members(db, current_user, project_id)

    @delete("/{project_id:int}/members/{user_id:int}", responses=errors(401, 403, 404))
    async def remove_member(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId, user_id: UserId
    ) -> None:
        """Remove a reviewer from the project (owner only); their reviews are kept."""
        await services.remove_member(db, current_user, project_id, user_id)

    @post("/{project_id:int}/invitations", responses=errors(401, 403, 404))
    async def create_invitation(
        self,
        db: AsyncSession,
        current_user: UserRow,
        project_id: ProjectId,
        data: InvitationCreate,
    ) -> Invitation:
        """A single-use, expiring code that lets one reviewer join (owner only)."""
        return await services.create_invitation(db, current_user, project_id, data)

    @delete("/{project_id:int}/invitations/{code:str}", responses=errors(401, 403, 404))
    async def revoke_invitation(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId, code: Code
    ) -> None:
        """Revoke an unused invitation code of the project (owner only); it can no longer join."""
        await services.revoke_invitation(db, current_user, project_id, code)


class InvitationsController(Controller):
    path = "/invitations"
    tags = ("projects",)

    @get("/{code:str}", responses=errors(404, 410))
    async def preview_invitation(self, db: AsyncSession, code: Code) -> InvitationPreview:
        """The public part of the project a code joins (no sign-in needed; 404/410 when
        unknown, used or expired)."""
        return await services.preview_invitation(db, code)

    @post("/accept", status_code=200, security=AUTH, responses=errors(401, 404, 410))
    async def accept_invitation(
        self, db: AsyncSession, current_user: UserRow, data: AcceptInvitation
    ) -> ProjectSummary:
        """The signed-in user joins the code's project (joining twice changes nothing)."""
        return await services.accept_invitation(db, current_user, data.code)

    @post("/register", responses=errors(404, 409, 410))
    async def register(self, db: AsyncSession, data: RegisterWithInvitation) -> User:
        """Create a reviewer account with an invitation code and join its project."""
        return await services.register_with_invitation(db, data)
