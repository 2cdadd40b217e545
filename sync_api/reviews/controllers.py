"""HTTP routes of reviews: `PUT /reviews/{uuid}` and the per-project review reads and exports."""

from __future__ import annotations

import uuid
from typing import Annotated

from litestar import Controller, Request, Response, get, put
from litestar.openapi.datastructures import ResponseSpec
from litestar.params import Parameter
from litestar.response import Stream
from sqlalchemy.ext.asyncio import AsyncSession

from naesview_wire import Export, Progress, Review, ReviewRecord
from sync_api.db.models import UserRow
from sync_api.params import AUTH, ProjectId, UserId, errors
from sync_api.projects.access import owned_project
from sync_api.reviews import export, services


class ReviewsController(Controller):
    tags = ("reviews",)
    security = AUTH

    @put(
        "/reviews/{review_uuid:uuid}",
        status_code=201,
        responses={
            200: ResponseSpec(ReviewRecord, description="A replay: already stored as is."),
            **errors(401, 404, 409, 413),
        },
    )
    async def submit_review(
        self, db: AsyncSession, current_user: UserRow, review_uuid: uuid.UUID, data: Review
    ) -> Response[ReviewRecord]:
        """Submit a review under its client-generated uuid: 201 when stored, 200 when this exact
        review was already stored, 409 when the uuid was used for other content."""
        record, created = await services.submit_review(db, current_user, review_uuid, data)
        return Response(record, status_code=201 if created else 200)

    @get("/projects/{project_id:int}/reviews", responses=errors(401, 403, 404))
    async def list_reviews(
        self,
        db: AsyncSession,
        current_user: UserRow,
        project_id: ProjectId,
        reviewer_id: Annotated[
            UserId | None, Parameter(description="Only this reviewer's (owner only).")
        ] = None,
        all_revisions: Annotated[
            bool, Parameter(description="Include earlier revisions, not just current answers.")
        ] = False,
    ) -> list[ReviewRecord]:
        """Reviews of a project: the owner reads all, a reviewer only their own."""
        return await services.list_reviews(
            db, current_user, project_id, reviewer_id=reviewer_id, all_revisions=all_revisions
        )

    @get("/projects/{project_id:int}/progress", responses=errors(401, 404))
    async def progress(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId
    ) -> list[Progress]:
        """Cases answered per reviewer (the owner sees everyone, a reviewer themselves)."""
        return await services.progress(db, current_user, project_id)

    @get(
        "/projects/{project_id:int}/export.csv",
        media_type="text/csv; charset=utf-8",
        responses=errors(401, 403, 404),
    )
    async def export_csv(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId, request: Request
    ) -> Stream:
        """Every review and revision as CSV, streamed (owner only)."""
        project = await owned_project(db, project_id, current_user, "export its reviews")
        await db.commit()  # end this transaction: on SQLite it would block the export's own
        stream = export.stream_csv(request.app.state.sessionmaker, project)
        return Stream(
            stream,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="project-{project_id}.csv"'},
        )

    @get(
        "/projects/{project_id:int}/export.json",
        media_type="application/json",
        responses={
            200: ResponseSpec(Export, description="The export (`naesview_wire.Export`)."),
            **errors(401, 403, 404),
        },
    )
    async def export_json(
        self, db: AsyncSession, current_user: UserRow, project_id: ProjectId, request: Request
    ) -> Stream:
        """Every review and revision with masks, and per-reviewer progress, as JSON (owner only)."""
        project = await owned_project(db, project_id, current_user, "export its reviews")
        await db.commit()  # end this transaction: on SQLite it would block the export's own
        stream = export.stream_json(request.app.state.sessionmaker, project)
        return Stream(stream, media_type="application/json")
