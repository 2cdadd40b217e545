"""Review rules: what a submission must satisfy, revisions, who reads what."""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import UTC
from typing import Any

import msgspec
from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from naesview_wire import (
    EditedMask,
    Progress,
    ProjectConfig,
    Review,
    ReviewRecord,
    mask_problem,
)
from sync_api.db.models import (
    ConfigVersionRow,
    MembershipRow,
    ProjectRow,
    ReviewRow,
    UserRow,
    utcnow,
)
from sync_api.errors import Conflict, Forbidden, Invalid
from sync_api.projects.access import project_for

_masks_decoder = msgspec.json.Decoder(tuple[EditedMask, ...])


def canonical_body(review: Review) -> bytes:
    """The review as stored: `created` in UTC, so replays from any time zone hash the same."""
    normal = msgspec.structs.replace(review, created=review.created.astimezone(UTC))
    return msgspec.json.encode(normal)


# Config versions are immutable, so a decoded version can be kept for the process's lifetime.
_config_cache: dict[tuple[int, int], ProjectConfig] = {}
_CONFIG_CACHE_SIZE = 1024


async def _config(db: AsyncSession, project_id: int, version: int) -> ProjectConfig:
    cached = _config_cache.get((project_id, version))
    if cached is not None:
        return cached
    row = (
        await db.execute(
            select(ConfigVersionRow.config_json).where(
                ConfigVersionRow.project_id == project_id, ConfigVersionRow.version == version
            )
        )
    ).scalar()
    if row is None:
        raise Invalid(
            f"project {project_id} has no config version {version}; reload the project and retry"
        )
    config = msgspec.json.decode(row, type=ProjectConfig)
    if len(_config_cache) >= _CONFIG_CACHE_SIZE:
        _config_cache.clear()
    _config_cache[(project_id, version)] = config
    return config


def review_problem(review: Review, project: ProjectRow, config: ProjectConfig) -> str | None:
    """Why the review does not fit its project and config version (one line), or None."""
    where = f"project {project.id}, case {review.case_id}"
    if review.case_id >= project.case_count:
        return (
            f"{where}: no such case; the project has {project.case_count} cases "
            f"(ids 0–{project.case_count - 1})"
        )
    options = [a.value for a in config.answers]
    if review.answer not in options:
        return (
            f"{where}: answer `{review.answer}` is not an option of config version "
            f"{review.config_version} ({', '.join(options)})"
        )
    if config.comment == "required" and not (review.comment or "").strip():
        return f"{where}: this project requires a comment; write one and submit again"
    if config.comment == "off" and review.comment:
        return f"{where}: comments are off in config version {review.config_version}; leave it out"
    if not config.timing and review.elapsed_ms is not None:
        # The owner chose not to record reviewers' time: the server does not store it either.
        return (
            f"{where}: timing is off in config version {review.config_version}; "
            "leave elapsed_ms out"
        )
    if review.masks:
        if config.brush is None:
            return f"{where}: config version {review.config_version} has no brush editing"
        for mask in review.masks:
            if mask.volume != config.brush.volume:
                return (
                    f"{where}: mask `{mask.volume}` is not the editable mask "
                    f"`{config.brush.volume}`"
                )
            problem = mask_problem(mask)
            if problem:
                return f"{where}: {problem}"
    return None


async def submit_review(
    db: AsyncSession, user: UserRow, review_uuid: uuid.UUID, review: Review
) -> tuple[ReviewRecord, bool]:
    """Store `review`; returns (record, created). A replay of the same body returns the stored
    record and creates nothing (even once the project is closed: it is already stored); the
    same uuid with other content is a conflict."""
    if review.uuid != review_uuid:
        raise Invalid(f"the body's uuid {review.uuid} differs from the URL's {review_uuid}")
    body_sha256 = hashlib.sha256(canonical_body(review)).hexdigest()
    # Replays are common (an outbox retrying after a timeout): answer them from the caller's
    # own stored revisions of this case, without the checks a new review needs.
    replayed = await _stored(db, user, review, body_sha256)
    if replayed is not None:
        return replayed, False
    project, role = await project_for(db, review.project_id, user)
    if project.status == "closed":
        raise Conflict(f"project {project.id} is closed; it accepts no more reviews")
    if project.status == "draft" and role != "owner":
        raise Conflict(f"project {project.id} is still a draft; wait until its owner opens it")
    config = await _config(db, project.id, review.config_version)
    problem = review_problem(review, project, config)
    if problem:
        raise Invalid(problem)
    values = {
        "uuid": str(review.uuid),
        "project_id": project.id,
        "reviewer_id": user.id,
        "config_version": review.config_version,
        "case_id": review.case_id,
        "answer": review.answer,
        "comment": review.comment,
        "elapsed_ms": review.elapsed_ms,
        "created": review.created,
        "received": utcnow(),
        "masks_json": msgspec.json.encode(review.masks) if review.masks else None,
        "body_sha256": body_sha256,
    }
    # ON CONFLICT DO NOTHING: concurrent replays of one uuid insert it exactly once.
    connection = await db.connection()
    result = await connection.execute(_INSERT_REVIEW[connection.dialect.name], values)
    created = result.rowcount == 1
    # Read in the insert's transaction, so the answer shows exactly what was committed.
    record = await _stored(db, user, review, body_sha256)
    if record is None:  # the uuid is taken by another reviewer, project or case
        raise _reused(review)
    await db.commit()
    return record, created


def _reused(review: Review) -> Conflict:
    return Conflict(
        f"review {review.uuid} was already submitted with other content; "
        "submit a changed answer with a new uuid"
    )


async def _stored(
    db: AsyncSession, user: UserRow, review: Review, body_sha256: str
) -> ReviewRecord | None:
    """The caller's stored review with this uuid, among their revisions of this case (usually
    one row); None when not stored; Conflict when stored with other content."""
    params = {"project_id": review.project_id, "reviewer_id": user.id, "case_id": review.case_id}
    rows = (await db.execute(_REVISIONS_OF_CASE, params)).all()
    stored = next((row for row in rows if row[0].uuid == str(review.uuid)), None)
    if stored is None:
        return None
    if stored[0].body_sha256 != body_sha256:
        raise _reused(review)
    return record_of(stored)


def _revisions_query(
    project_id: Any, reviewer_id: Any | None = None, case_id: Any | None = None
) -> Select:
    """Reviews of a project with their revision number and revision count per reviewer and case."""
    partition = (ReviewRow.reviewer_id, ReviewRow.case_id)
    revision = func.row_number().over(
        partition_by=partition, order_by=(ReviewRow.created, ReviewRow.id)
    )
    revisions = func.count().over(partition_by=partition)
    query = (
        select(ReviewRow, UserRow, revision.label("revision"), revisions.label("revisions"))
        .join(UserRow, UserRow.id == ReviewRow.reviewer_id)
        .where(ReviewRow.project_id == project_id)
    )
    if reviewer_id is not None:
        query = query.where(ReviewRow.reviewer_id == reviewer_id)
    if case_id is not None:
        query = query.where(ReviewRow.case_id == case_id)
    return query.order_by(ReviewRow.case_id, ReviewRow.reviewer_id, ReviewRow.created, ReviewRow.id)


# Built once: constructing these statements cost more CPU per review than running them.
_REVISIONS_OF_CASE = _revisions_query(
    bindparam("project_id"), bindparam("reviewer_id"), bindparam("case_id")
)
_INSERT_REVIEW = {
    "sqlite": sqlite.insert(ReviewRow).on_conflict_do_nothing(index_elements=["uuid"]),
    "postgresql": postgresql.insert(ReviewRow).on_conflict_do_nothing(index_elements=["uuid"]),
}


def review_of(row: ReviewRow) -> Review:
    return Review(
        uuid=uuid.UUID(row.uuid),
        project_id=row.project_id,
        config_version=row.config_version,
        case_id=row.case_id,
        answer=row.answer,
        comment=row.comment,
        elapsed_ms=row.elapsed_ms,
        created=row.created,
        masks=_masks_decoder.decode(row.masks_json) if row.masks_json else (),
    )


def record_of(row: Any) -> ReviewRecord:
    review_row: ReviewRow = row[0]
    reviewer: UserRow = row[1]
    return ReviewRecord(
        review=review_of(review_row),
        reviewer_id=reviewer.id,
        reviewer=reviewer.display_name,
        received=review_row.received,
        revision=row.revision,
        current=row.revision == row.revisions,
    )


async def _records(db: AsyncSession, query: Select) -> list[ReviewRecord]:
    return [record_of(row) for row in await db.execute(query)]


async def list_reviews(
    db: AsyncSession,
    user: UserRow,
    project_id: int,
    *,
    reviewer_id: int | None,
    all_revisions: bool,
) -> list[ReviewRecord]:
    """Reviews of a project: the owner reads everyone's, a reviewer only their own."""
    _, role = await project_for(db, project_id, user)
    if role != "owner":
        if reviewer_id not in (None, user.id):
            raise Forbidden(f"only the owner of project {project_id} can read others' reviews")
        reviewer_id = user.id
    records = await _records(db, _revisions_query(project_id, reviewer_id))
    return records if all_revisions else [r for r in records if r.current]


async def progress(db: AsyncSession, user: UserRow, project_id: int) -> list[Progress]:
    """Cases answered per reviewer: every member (and the owner if they reviewed) for the
    owner; only themselves for a reviewer."""
    project, role = await project_for(db, project_id, user)
    return await progress_of(db, project, only_user=None if role == "owner" else user.id)


async def progress_of(
    db: AsyncSession, project: ProjectRow, only_user: int | None
) -> list[Progress]:
    done_query = (
        select(ReviewRow.reviewer_id, func.count(func.distinct(ReviewRow.case_id)))
        .where(ReviewRow.project_id == project.id)
        .group_by(ReviewRow.reviewer_id)
    )
    done = dict((await db.execute(done_query)).tuples().all())
    members = select(MembershipRow.user_id).where(MembershipRow.project_id == project.id)
    users_query = select(UserRow).where(UserRow.id.in_(members) | UserRow.id.in_(list(done)))
    if only_user is not None:
        users_query = users_query.where(UserRow.id == only_user)
    users: Sequence[UserRow] = (await db.execute(users_query.order_by(UserRow.id))).scalars().all()
    return [
        Progress(
            user_id=u.id,
            username=u.username,
            display_name=u.display_name,
            done=done.get(u.id, 0),
            total=project.case_count,
        )
        for u in users
    ]
