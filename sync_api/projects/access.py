"""Who may see a project: its owner and its members; everyone else gets 404 (no title leaks)."""

from __future__ import annotations

from typing import Literal

from sqlalchemy import bindparam, select
from sqlalchemy.ext.asyncio import AsyncSession

from sync_api.db.models import MembershipRow, ProjectRow, UserRow
from sync_api.errors import Forbidden, NotFound

ProjectRole = Literal["owner", "reviewer"]


# Built once (statement construction is a large part of a request's CPU time).
_PROJECT_AND_MEMBERSHIP = (
    select(ProjectRow, MembershipRow.user_id)
    .outerjoin(
        MembershipRow,
        (MembershipRow.project_id == ProjectRow.id)
        & (MembershipRow.user_id == bindparam("user_id")),
    )
    .where(ProjectRow.id == bindparam("project_id"))
)


def not_found(project_id: int) -> NotFound:
    return NotFound(
        f"project {project_id} not found, or you are not a member; ask its owner for an invitation"
    )


async def project_for(
    db: AsyncSession, project_id: int, user: UserRow
) -> tuple[ProjectRow, ProjectRole]:
    """The project and the caller's role in it; 404 when the caller is neither owner nor member."""
    # One query for the project and the caller's membership (this runs on almost every request).
    params = {"project_id": project_id, "user_id": user.id}
    row = (await db.execute(_PROJECT_AND_MEMBERSHIP, params)).first()
    if row is None:
        raise not_found(project_id)
    project, member = row
    if project.owner_id == user.id:
        return project, "owner"
    if member is None:
        raise not_found(project_id)
    return project, "reviewer"


async def owned_project(
    db: AsyncSession, project_id: int, user: UserRow, action: str
) -> ProjectRow:
    """The project when the caller owns it; 403 for members, 404 for everyone else."""
    project, role = await project_for(db, project_id, user)
    if role != "owner":
        raise Forbidden(f"only the owner of project {project_id} can {action}")
    return project
