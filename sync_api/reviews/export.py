"""Owner exports of every review of a project, streamed as CSV or JSON from the database."""

from __future__ import annotations

import csv
import io
from collections.abc import AsyncIterator
from typing import Any

import msgspec
from sqlalchemy import select
from sqlalchemy.ext.asyncio import async_sessionmaker

from naesview_wire import ExportRow, Progress
from sync_api.db.models import ProjectRow, ReviewRow, utcnow
from sync_api.reviews.services import _revisions_query, progress_of, review_of

CSV_COLUMNS = [f for f in ExportRow.__struct_fields__ if f != "masks"] + [
    "mask_edits",
    "reviewer_done",
    "reviewer_total",
]
BATCH = 500
CASES_PER_BATCH = 200
# A spreadsheet runs a cell starting with these as a formula: in the free-text columns (typed by
# reviewers) such cells get a leading apostrophe in CSV. JSON is always exact.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
FREE_TEXT = {"comment", "reviewer_name"}


def export_row(row: Any) -> ExportRow:
    review_row, reviewer = row[0], row[1]
    review = review_of(review_row)
    return ExportRow(
        uuid=review.uuid,
        case_id=review.case_id,
        reviewer_id=reviewer.id,
        reviewer_username=reviewer.username,
        reviewer_name=reviewer.display_name,
        config_version=review.config_version,
        answer=review.answer,
        comment=review.comment,
        elapsed_ms=review.elapsed_ms,
        created=review.created,
        received=review_row.received,
        revision=row.revision,
        current=row.revision == row.revisions,
        masks=review.masks,
    )


async def _rows(sessionmaker: async_sessionmaker, project_id: int) -> AsyncIterator[ExportRow]:
    """Every review of the project, fetched a group of cases at a time in short sessions.

    No database connection is held while rows wait to be sent: a slow or vanished client then
    cannot keep a connection (on SQLite, the only one) busy or leak it when the stream is
    cancelled. Grouping by case keeps each (reviewer, case) revision partition whole.
    """
    async with sessionmaker() as session:
        case_ids = (
            (
                await session.execute(
                    select(ReviewRow.case_id)
                    .where(ReviewRow.project_id == project_id)
                    .distinct()
                    .order_by(ReviewRow.case_id)
                )
            )
            .scalars()
            .all()
        )
    for start in range(0, len(case_ids), CASES_PER_BATCH):
        group = case_ids[start : start + CASES_PER_BATCH]
        query = _revisions_query(project_id).where(ReviewRow.case_id.between(group[0], group[-1]))
        async with sessionmaker() as session:
            rows = [export_row(row) for row in await session.execute(query)]
        for row in rows:
            yield row


async def _progress(sessionmaker: async_sessionmaker, project: ProjectRow) -> list[Progress]:
    async with sessionmaker() as session:
        return await progress_of(session, project, only_user=None)


def _cell(column: str, value: Any) -> Any:
    if column in FREE_TEXT and isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


async def stream_csv(sessionmaker: async_sessionmaker, project: ProjectRow) -> AsyncIterator[str]:
    progress = {p.user_id: p for p in await _progress(sessionmaker, project)}
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    count = 0
    async for row in _rows(sessionmaker, project.id):
        cells = [_cell(f, msgspec.to_builtins(getattr(row, f))) for f in CSV_COLUMNS[:-3]]
        edits = ";".join(f"{m.volume}:+{m.added}/-{m.removed}:dice={m.dice:.4f}" for m in row.masks)
        mine = progress.get(row.reviewer_id)
        writer.writerow([*cells, edits, mine.done if mine else 0, project.case_count])
        count += 1
        if count % BATCH == 0:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


async def stream_json(
    sessionmaker: async_sessionmaker, project: ProjectRow
) -> AsyncIterator[bytes]:
    """The `naesview_wire.Export` document, written piece by piece."""
    encode = msgspec.json.encode
    progress = await _progress(sessionmaker, project)
    yield (
        b'{"project_id":'
        + encode(project.id)
        + b',"title":'
        + encode(project.title)
        + b',"exported":'
        + encode(utcnow())
        + b',"progress":'
        + encode(progress)
        + b',"reviews":['
    )
    first = True
    async for row in _rows(sessionmaker, project.id):
        yield (b"" if first else b",") + encode(row)
        first = False
    yield b"]}"
