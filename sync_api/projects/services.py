"""Project rules: creation, updates, config versions, members and invitations."""

from __future__ import annotations

from datetime import timedelta

import msgspec
from sqlalchemy import delete, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from naesview_wire import (
    ConfigVersion,
    Invitation,
    InvitationCreate,
    InvitationPreview,
    Member,
    ProjectConfig,
    ProjectCreate,
    ProjectDetail,
    ProjectPrivate,
    ProjectPublic,
    ProjectSummary,
    ProjectUpdate,
    RegisterWithInvitation,
    User,
    UserCreate,
    config_problems,
)
from sync_api.accounts.services import add_user, user_out
from sync_api.auth import new_secret, require_role, secret_hash
from sync_api.db.models import (
    ConfigVersionRow,
    InvitationRow,
    MembershipRow,
    ProjectRow,
    ReviewRow,
    UserRow,
    utcnow,
)
from sync_api.errors import Conflict, Gone, Invalid, NotFound
from sync_api.projects.access import ProjectRole, owned_project, project_for
from sync_api.projects.thumbnails import thumbnail_problem


def checked_config(config: ProjectConfig) -> bytes:
    problems = config_problems(config)
    if problems:
        raise Invalid("invalid project config: " + "; ".join(problems))
    return msgspec.json.encode(config)


def checked_public(public: ProjectPublic) -> ProjectPublic:
    if public.thumbnail is not None:
        problem = thumbnail_problem(public.thumbnail)
        if problem:
            raise Invalid(problem)
    return public


def public_of(project: ProjectRow) -> ProjectPublic:
    return ProjectPublic(
        title=project.title,
        short_description=project.short_description,
        thumbnail=project.thumbnail,
    )


def version_out(row: ConfigVersionRow) -> ConfigVersion:
    return ConfigVersion(
        version=row.version,
        config=msgspec.json.decode(row.config_json, type=ProjectConfig),
        created=row.created,
    )


async def latest_version(db: AsyncSession, project_id: int) -> ConfigVersionRow:
    return (
        await db.execute(
            select(ConfigVersionRow)
            .where(ConfigVersionRow.project_id == project_id)
            .order_by(ConfigVersionRow.version.desc())
            .limit(1)
        )
    ).scalar_one()


async def create_project(db: AsyncSession, user: UserRow, body: ProjectCreate) -> ProjectDetail:
    require_role(user, "owner", action="create projects")
    config_json = checked_config(body.config)
    public = checked_public(body.public)
    now = utcnow()
    project = ProjectRow(
        owner_id=user.id,
        title=public.title,
        short_description=public.short_description,
        thumbnail=public.thumbnail,
        instructions_md=body.private.instructions_md,
        status=body.status,
        fingerprint=body.fingerprint,
        case_count=body.case_count,
        created=now,
    )
    db.add(project)
    await db.flush()
    db.add(ConfigVersionRow(project_id=project.id, version=1, config_json=config_json, created=now))
    await db.commit()
    return await project_detail(db, user, project.id)


async def project_detail(db: AsyncSession, user: UserRow, project_id: int) -> ProjectDetail:
    project, role = await project_for(db, project_id, user)
    owner = await db.get(UserRow, project.owner_id)
    assert owner is not None
    return ProjectDetail(
        id=project.id,
        owner=owner.display_name,
        public=public_of(project),
        private=ProjectPrivate(instructions_md=project.instructions_md),
        status=project.status,  # type: ignore[arg-type]
        role=role,
        config=version_out(await latest_version(db, project.id)),
        fingerprint=project.fingerprint,
        case_count=project.case_count,
        created=project.created,
    )


async def list_projects(db: AsyncSession, user: UserRow) -> list[ProjectSummary]:
    member_of = select(MembershipRow.project_id).where(MembershipRow.user_id == user.id)
    rows = (
        await db.execute(
            select(ProjectRow)
            .where((ProjectRow.owner_id == user.id) | ProjectRow.id.in_(member_of))
            .order_by(ProjectRow.id)
        )
    ).scalars()
    projects = list(rows)
    ids = [p.id for p in projects]
    versions = dict(
        (
            await db.execute(
                select(ConfigVersionRow.project_id, func.max(ConfigVersionRow.version))
                .where(ConfigVersionRow.project_id.in_(ids))
                .group_by(ConfigVersionRow.project_id)
            )
        ).all()
    )
    done = dict(
        (
            await db.execute(
                select(ReviewRow.project_id, func.count(func.distinct(ReviewRow.case_id)))
                .where(ReviewRow.project_id.in_(ids), ReviewRow.reviewer_id == user.id)
                .group_by(ReviewRow.project_id)
            )
        ).all()
    )
    summaries = []
    for p in projects:
        role: ProjectRole = "owner" if p.owner_id == user.id else "reviewer"
        summaries.append(
            ProjectSummary(
                id=p.id,
                public=public_of(p),
                status=p.status,  # type: ignore[arg-type]
                role=role,
                config_version=versions[p.id],
                case_count=p.case_count,
                done=done.get(p.id, 0),
            )
        )
    return summaries


async def update_project(
    db: AsyncSession, user: UserRow, project_id: int, body: ProjectUpdate
) -> ProjectDetail:
    project = await owned_project(db, project_id, user, "change it")
    if body.public is not msgspec.UNSET:
        public = checked_public(body.public)
        project.title = public.title
        project.short_description = public.short_description
        project.thumbnail = public.thumbnail
    if body.private is not msgspec.UNSET:
        project.instructions_md = body.private.instructions_md
    if body.status is not msgspec.UNSET:
        project.status = body.status
    if body.fingerprint is not msgspec.UNSET:
        project.fingerprint = body.fingerprint
    if body.case_count is not msgspec.UNSET:
        project.case_count = body.case_count
    await db.commit()
    return await project_detail(db, user, project_id)


async def add_config_version(
    db: AsyncSession, user: UserRow, project_id: int, config: ProjectConfig
) -> ConfigVersion:
    await owned_project(db, project_id, user, "change its config")
    config_json = checked_config(config)
    latest = await latest_version(db, project_id)
    row = ConfigVersionRow(
        project_id=project_id, version=latest.version + 1, config_json=config_json, created=utcnow()
    )
    db.add(row)
    try:
        await db.commit()
    except IntegrityError:
        await db.rollback()
        raise Conflict(
            f"project {project_id} got another config version at the same time; reload and retry"
        ) from None
    return version_out(row)


async def config_versions(db: AsyncSession, user: UserRow, project_id: int) -> list[ConfigVersion]:
    await project_for(db, project_id, user)
    rows = await db.execute(
        select(ConfigVersionRow)
        .where(ConfigVersionRow.project_id == project_id)
        .order_by(ConfigVersionRow.version)
    )
    return [version_out(row) for row in rows.scalars()]


async def config_version(
    db: AsyncSession, user: UserRow, project_id: int, version: int
) -> ConfigVersion:
    await project_for(db, project_id, user)
    row = (
        await db.execute(
            select(ConfigVersionRow).where(
                ConfigVersionRow.project_id == project_id, ConfigVersionRow.version == version
            )
        )
    ).scalar()
    if row is None:
        raise NotFound(f"project {project_id} has no config version {version}")
    return version_out(row)


async def list_members(db: AsyncSession, user: UserRow, project_id: int) -> list[Member]:
    await owned_project(db, project_id, user, "list its members")
    rows = await db.execute(
        select(UserRow, MembershipRow.joined)
        .join(MembershipRow, MembershipRow.user_id == UserRow.id)
        .where(MembershipRow.project_id == project_id)
        .order_by(MembershipRow.joined, UserRow.id)
    )
    return [
        Member(user_id=u.id, username=u.username, display_name=u.display_name, joined=joined)
        for u, joined in rows.tuples()
    ]


async def remove_member(db: AsyncSession, user: UserRow, project_id: int, member_id: int) -> None:
    """The member loses access (404 from now on); their reviews stay for the owner and exports."""
    await owned_project(db, project_id, user, "remove members")
    result = await db.execute(
        delete(MembershipRow).where(
            MembershipRow.project_id == project_id, MembershipRow.user_id == member_id
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(f"user {member_id} is not a member of project {project_id}")
    await db.commit()


async def create_invitation(
    db: AsyncSession, user: UserRow, project_id: int, body: InvitationCreate
) -> Invitation:
    await owned_project(db, project_id, user, "invite reviewers")
    code = new_secret()
    now = utcnow()
    expires = now + timedelta(hours=body.expires_in_hours)
    db.add(
        InvitationRow(
            project_id=project_id, code_hash=secret_hash(code), created=now, expires=expires
        )
    )
    await db.commit()
    return Invitation(code=code, project_id=project_id, expires=expires)


async def revoke_invitation(db: AsyncSession, user: UserRow, project_id: int, code: str) -> None:
    """Delete an unused code of this project; a used one stays (it records who joined)."""
    await owned_project(db, project_id, user, "revoke invitations")
    result = await db.execute(
        delete(InvitationRow).where(
            InvitationRow.project_id == project_id,
            InvitationRow.code_hash == secret_hash(code),
            InvitationRow.used_at.is_(None),
        )
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise NotFound(
            f"no unused invitation with this code in project {project_id}; "
            "it was already used or revoked"
        )
    await db.commit()


async def usable_invitation(db: AsyncSession, code: str) -> InvitationRow:
    row = (
        await db.execute(select(InvitationRow).where(InvitationRow.code_hash == secret_hash(code)))
    ).scalar()
    if row is None:
        raise NotFound("invitation code not found; check it or ask the project owner for a new one")
    if row.used_at is not None:
        raise Gone("this invitation code was already used; ask the project owner for a new one")
    if row.expires <= utcnow():
        raise Gone("this invitation code has expired; ask the project owner for a new one")
    return row


async def preview_invitation(db: AsyncSession, code: str) -> InvitationPreview:
    invitation = await usable_invitation(db, code)
    project = await db.get(ProjectRow, invitation.project_id)
    assert project is not None
    owner = await db.get(UserRow, project.owner_id)
    assert owner is not None
    return InvitationPreview(
        project_id=project.id,
        public=public_of(project),
        owner=owner.display_name,
        expires=invitation.expires,
    )


async def _use_invitation(db: AsyncSession, invitation: InvitationRow, user_id: int) -> None:
    # Conditional update: of two concurrent uses of one code, exactly one succeeds.
    result = await db.execute(
        update(InvitationRow)
        .where(InvitationRow.id == invitation.id, InvitationRow.used_at.is_(None))
        .values(used_at=utcnow(), used_by=user_id)
    )
    if result.rowcount != 1:  # type: ignore[attr-defined]
        raise Gone("this invitation code was already used; ask the project owner for a new one")
    db.add(MembershipRow(project_id=invitation.project_id, user_id=user_id, joined=utcnow()))


async def accept_invitation(db: AsyncSession, user: UserRow, code: str) -> ProjectSummary:
    invitation = await usable_invitation(db, code)
    project_id = invitation.project_id
    project = await db.get(ProjectRow, project_id)
    assert project is not None
    already = project.owner_id == user.id or (
        await db.get(MembershipRow, (project_id, user.id)) is not None
    )
    if not already:  # joining twice leaves the code for someone else
        await _use_invitation(db, invitation, user.id)
        await db.commit()
    return next(p for p in await list_projects(db, user) if p.id == project_id)


async def register_with_invitation(db: AsyncSession, body: RegisterWithInvitation) -> User:
    invitation = await usable_invitation(db, body.code)
    user = await add_user(
        db,
        UserCreate(
            username=body.username,
            password=body.password,
            display_name=body.display_name,
            role="reviewer",
        ),
    )
    await _use_invitation(db, invitation, user.id)
    await db.commit()  # account, membership and used code together, or nothing
    return user_out(user)
