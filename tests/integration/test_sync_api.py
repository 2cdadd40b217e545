"""The sync API end to end on a real server, on SQLite and PostgreSQL (through `SyncClient`)."""

from __future__ import annotations

import csv
import io
import json
import uuid
import zlib

import httpx
import msgspec
import pytest

from naesview_app.sync import BadRequest, Conflict, Forbidden, Gone, NotFound, SignedOut
from naesview_app.sync.errors import TooManyAttempts
from naesview_wire import (
    EditedMask,
    ProjectPublic,
    ProjectUpdate,
    RegisterWithInvitation,
)
from tests.sync_server import (
    SyncServer,
    project_with_reviewer,
    query_sql,
    run_sql,
    sample_config,
    sample_project,
    sample_review,
)

PNG_1x1 = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d4944415478da63f8cfc0f01f0005000201a5f6c1e10000000049454e44ae426082"
)


def test_health_and_openapi_document_every_route(sync_server: SyncServer):
    assert sync_server.client().healthz() == "0.1.0"
    schema = httpx.get(f"{sync_server.base_url}/schema/openapi.json").json()
    operations = [op for path in schema["paths"].values() for op in path.values()]
    assert len(operations) >= 20
    for op in operations:
        assert op.get("summary") or op.get("description"), op


def test_owner_invites_reviewer_who_reviews_and_owner_exports(sync_server: SyncServer):
    owner, reviewer, project = project_with_reviewer(sync_server, case_count=5)
    assert project.config.version == 1
    assert project.role == "owner"
    seen = reviewer.client.get_project(project.id)
    assert seen.role == "reviewer"
    assert seen.private.instructions_md.startswith("# Check the liver mask")

    first = reviewer.client.submit_review(sample_review(project.id, 0, "accept"))
    assert (first.revision, first.current) == (1, True)
    reviewer.client.submit_review(sample_review(project.id, 1, "reject", comment="leak"))
    change = reviewer.client.submit_review(sample_review(project.id, 0, "reject"))
    assert (change.revision, change.current) == (2, True)

    mine = reviewer.client.list_reviews(project.id)
    assert sorted((r.review.case_id, r.review.answer) for r in mine) == [
        (0, "reject"),
        (1, "reject"),
    ]
    every = reviewer.client.list_reviews(project.id, all_revisions=True)
    assert [(r.review.case_id, r.revision, r.current) for r in every] == [
        (0, 1, False),
        (0, 2, True),
        (1, 1, True),
    ]
    [progress] = owner.client.progress(project.id)
    assert (progress.user_id, progress.done, progress.total) == (reviewer.user.id, 2, 5)
    summary = next(p for p in reviewer.client.list_projects() if p.id == project.id)
    assert (summary.done, summary.case_count, summary.role) == (2, 5, "reviewer")

    exported = owner.client.export_json(project.id)
    assert [(r.case_id, r.answer, r.revision, r.current) for r in exported.reviews] == [
        (0, "accept", 1, False),
        (0, "reject", 2, True),
        (1, "reject", 1, True),
    ]
    assert {r.reviewer_name for r in exported.reviews} == {reviewer.user.display_name}
    assert exported.progress[0].done == 2
    rows = list(csv.DictReader(io.StringIO(owner.client.export_csv(project.id))))
    assert [(r["case_id"], r["answer"], r["config_version"], r["current"]) for r in rows] == [
        ("0", "accept", "1", "False"),
        ("0", "reject", "1", "True"),
        ("1", "reject", "1", "True"),
    ]
    assert rows[2]["comment"] == "leak"
    assert rows[0]["reviewer_done"] == "2"
    assert rows == list(csv.DictReader(owner.client.iter_export_csv(project.id)))


def test_replay_is_idempotent_and_a_reused_uuid_conflicts(sync_server: SyncServer):
    _, reviewer, project = project_with_reviewer(sync_server)
    review = sample_review(project.id, 3)
    url = f"{sync_server.base_url}/reviews/{review.uuid}"
    headers = {"Authorization": f"Bearer {reviewer.client.token}"}
    body = msgspec.json.encode(review)
    assert httpx.put(url, content=body, headers=headers).status_code == 201
    assert httpx.put(url, content=body, headers=headers).status_code == 200
    assert len(reviewer.client.list_reviews(project.id, all_revisions=True)) == 1
    changed = msgspec.structs.replace(review, answer="reject")
    with pytest.raises(Conflict, match="already submitted with other content"):
        reviewer.client.submit_review(changed)
    [stored] = reviewer.client.list_reviews(project.id)
    assert stored.review == review


def test_server_checks_answers_cases_versions_and_masks(sync_server: SyncServer):
    owner, reviewer, project = project_with_reviewer(sync_server, case_count=4)
    submit = reviewer.client.submit_review
    with pytest.raises(BadRequest, match="answer `maybe` is not an option of config version 1"):
        submit(sample_review(project.id, 0, "maybe"))
    with pytest.raises(BadRequest, match="no such case; the project has 4 cases"):
        submit(sample_review(project.id, 4))
    with pytest.raises(BadRequest, match="no config version 2"):
        submit(sample_review(project.id, 0, config_version=2))

    config = msgspec.structs.replace(sample_config(brush=True), answers=sample_config().answers[:1])
    version = owner.client.add_config_version(project.id, config)
    assert version.version == 2
    assert owner.client.get_config_version(project.id, 1).config == sample_config()
    versions = reviewer.client.list_config_versions(project.id)
    assert [(v.version, v.config) for v in versions] == [(1, sample_config()), (2, config)]
    with pytest.raises(BadRequest, match="answer `reject` is not an option of config version 2"):
        submit(sample_review(project.id, 0, "reject", config_version=2))
    # Version 1 still accepts its own options: versions are immutable.
    submit(sample_review(project.id, 0, "reject", config_version=1))

    packed = zlib.compress(bytes([0b10000000]) + bytes(1))  # 16 bits for a 1×2×8 mask
    mask = EditedMask(
        volume="mask.nii.gz", shape=(1, 2, 8), packed=packed, added=1, removed=0, dice=1.0
    )
    record = submit(sample_review(project.id, 1, config_version=2, masks=(mask,)))
    assert record.review.masks == (mask,)
    wrong = msgspec.structs.replace(mask, shape=(1, 3, 8))
    with pytest.raises(BadRequest, match="unpacks to 2 bytes, but shape"):
        submit(sample_review(project.id, 1, config_version=2, masks=(wrong,)))
    with pytest.raises(BadRequest, match="has no brush editing"):
        submit(sample_review(project.id, 1, config_version=1, masks=(mask,)))
    assert len(reviewer.client.list_reviews(project.id, all_revisions=True)) == 2


def test_server_keeps_no_time_when_the_config_has_timing_off(sync_server: SyncServer):
    owner, reviewer, project = project_with_reviewer(sync_server, case_count=3)
    untimed = msgspec.structs.replace(sample_config(), timing=False)
    assert owner.client.add_config_version(project.id, untimed).version == 2
    submit = reviewer.client.submit_review
    with pytest.raises(BadRequest, match="timing is off in config version 2; leave elapsed_ms out"):
        submit(sample_review(project.id, 0, config_version=2))
    untimed_review = msgspec.structs.replace(
        sample_review(project.id, 0, config_version=2), elapsed_ms=None
    )
    record = submit(untimed_review)
    assert record.review.elapsed_ms is None
    assert submit(sample_review(project.id, 1, config_version=1)).review.elapsed_ms == 1200
    exported = owner.client.export_json(project.id).reviews
    assert [(r.case_id, r.elapsed_ms) for r in exported] == [(0, None), (1, 1200)]


def test_privacy_between_reviewers_and_projects(sync_server: SyncServer):
    owner, reviewer, project = project_with_reviewer(sync_server)
    draft = owner.client.create_project(sample_project(title="Secret draft", status="draft"))
    other = sync_server.new_user("reviewer")
    other_owner = sync_server.new_user("owner")
    reviewer.client.submit_review(sample_review(project.id, 0))

    for outsider in (other, other_owner, sync_server.new_user("admin")):
        with pytest.raises(NotFound) as caught:
            outsider.client.get_project(draft.id)
        assert "Secret draft" not in str(caught.value)
        assert all(p.id not in (project.id, draft.id) for p in outsider.client.list_projects())
        with pytest.raises(NotFound):
            outsider.client.list_reviews(project.id)
    with pytest.raises(Forbidden):
        reviewer.client.list_reviews(project.id, reviewer_id=owner.user.id)
    with pytest.raises(Forbidden):
        reviewer.client.export_json(project.id)
    # The owner reads everyone's; a second reviewer sees none of the first one's reviews.
    second = sync_server.new_user("reviewer")
    second.client.accept_invitation(owner.client.create_invitation(project.id).code)
    assert second.client.list_reviews(project.id) == []
    assert [p.user_id for p in second.client.progress(project.id)] == [second.user.id]
    assert len(owner.client.list_reviews(project.id)) == 1

    # A removed reviewer loses access; the owner keeps their reviews.
    owner.client.remove_member(project.id, reviewer.user.id)
    with pytest.raises(NotFound):
        reviewer.client.get_project(project.id)
    with pytest.raises(NotFound):
        reviewer.client.submit_review(sample_review(project.id, 1))
    assert [m.user_id for m in owner.client.list_members(project.id)] == [second.user.id]
    assert len(owner.client.list_reviews(project.id)) == 1
    with pytest.raises(NotFound, match="is not a member"):
        owner.client.remove_member(project.id, reviewer.user.id)


def test_owner_revokes_an_unused_invitation(sync_server: SyncServer):
    owner, reviewer, project = project_with_reviewer(sync_server)
    revoked = owner.client.create_invitation(project.id).code
    kept = owner.client.create_invitation(project.id).code
    with pytest.raises(Forbidden):
        reviewer.client.revoke_invitation(project.id, revoked)
    owner.client.revoke_invitation(project.id, revoked)
    newcomer = sync_server.new_user("reviewer")
    with pytest.raises(NotFound):
        newcomer.client.accept_invitation(revoked)
    with pytest.raises(NotFound, match="already used or revoked"):
        owner.client.revoke_invitation(project.id, revoked)
    # Other codes still work; a used code cannot be revoked (it records who joined).
    newcomer.client.accept_invitation(kept)
    assert newcomer.client.get_project(project.id).id == project.id
    with pytest.raises(NotFound, match="already used or revoked"):
        owner.client.revoke_invitation(project.id, kept)


def test_project_status_and_updates(sync_server: SyncServer):
    owner, reviewer, project = project_with_reviewer(sync_server, status="draft")
    with pytest.raises(Conflict, match="still a draft"):
        reviewer.client.submit_review(sample_review(project.id, 0))
    owner.client.submit_review(sample_review(project.id, 0))  # an owner may try their own draft
    updated = owner.client.update_project(
        project.id,
        ProjectUpdate(status="open", public=ProjectPublic(title="Renamed", thumbnail=PNG_1x1)),
    )
    assert (updated.status, updated.public.title, updated.public.thumbnail) == (
        "open",
        "Renamed",
        PNG_1x1,
    )
    assert updated.private == project.private  # untouched fields stay
    before_closing = sample_review(project.id, 0)
    stored = reviewer.client.submit_review(before_closing)
    owner.client.update_project(project.id, ProjectUpdate(status="closed"))
    with pytest.raises(Conflict, match="closed"):
        reviewer.client.submit_review(sample_review(project.id, 1))
    # A late replay of what was stored before closing is still answered as stored.
    assert reviewer.client.submit_review(before_closing) == stored
    with pytest.raises(Forbidden):
        reviewer.client.update_project(project.id, ProjectUpdate(status="open"))
    with pytest.raises(BadRequest, match="not a complete PNG or JPEG"):
        owner.client.update_project(
            project.id, ProjectUpdate(public=ProjectPublic(title="x", thumbnail=b"GIF89a...."))
        )


def test_invitations_register_join_expire_and_are_single_use(sync_server: SyncServer):
    owner = sync_server.new_user("owner")
    project = owner.client.create_project(sample_project())
    anonymous = sync_server.client()
    code = owner.client.create_invitation(project.id).code
    preview = anonymous.preview_invitation(code)
    assert (preview.project_id, preview.public.title) == (project.id, project.public.title)
    name = f"newbie-{uuid.uuid4().hex[:6]}"
    registration = RegisterWithInvitation(
        code=code, username=name, password="a-good-password", display_name="New Reviewer"
    )
    user = anonymous.register_with_invitation(registration)
    assert user.role == "reviewer"
    anonymous.sign_in(name, "a-good-password")
    assert [p.id for p in anonymous.list_projects()] == [project.id]
    again = msgspec.structs.replace(registration, username=name + "x")
    with pytest.raises(Gone, match="already used"):
        sync_server.client().register_with_invitation(again)

    expired = owner.client.create_invitation(project.id, expires_in_hours=1).code
    run_sql(
        sync_server.database_url,
        "UPDATE invitations SET expires = created WHERE used_at IS NULL",
    )
    late = sync_server.new_user("reviewer")
    with pytest.raises(Gone, match="expired"):
        late.client.accept_invitation(expired)
    with pytest.raises(NotFound, match="invitation code not found"):
        late.client.accept_invitation("not-a-real-code-at-all")
    assert late.client.list_projects() == []
    # Taken usernames are refused and nothing is stored (the code stays usable).
    fresh = owner.client.create_invitation(project.id).code
    with pytest.raises(Conflict, match="is taken"):
        sync_server.client().register_with_invitation(
            msgspec.structs.replace(registration, code=fresh)
        )
    assert sync_server.client().preview_invitation(fresh).project_id == project.id


def test_tokens_expire_and_can_be_revoked(sync_server: SyncServer):
    alice = sync_server.new_user("reviewer")
    assert alice.client.me().id == alice.user.id
    second = sync_server.client()
    second.sign_in(alice.user.username, alice.password)
    second.sign_out()
    with pytest.raises(SignedOut):
        sync_server.client(token=second.token or "gone").me()
    assert alice.client.me().id == alice.user.id  # signing out one session keeps the others

    sync_server.admin.revoke_tokens(alice.user.id)
    with pytest.raises(SignedOut, match="revoked"):
        alice.client.me()
    bob = sync_server.new_user("reviewer")
    run_sql(
        sync_server.database_url,
        f"UPDATE tokens SET expires = created WHERE user_id = {bob.user.id}",
    )
    with pytest.raises(SignedOut, match="expired"):
        bob.client.me()
    with pytest.raises(SignedOut):
        sync_server.client(token="nonsense").list_projects()
    # Signing in again clears the dead tokens (revoked or expired) of that user.
    count = f"SELECT count(*) FROM tokens WHERE user_id = {alice.user.id}"
    assert query_sql(sync_server.database_url, count) == [(2,)]
    sync_server.client().sign_in(alice.user.username, alice.password)
    assert query_sql(sync_server.database_url, count) == [(1,)]


def test_repeated_failed_sign_ins_are_slowed_down(sync_server: SyncServer):
    carol = sync_server.new_user("reviewer")
    client = sync_server.client()
    for _ in range(3):
        with pytest.raises(SignedOut, match="wrong username or password"):
            client.sign_in(carol.user.username, "wrong-password")
    with pytest.raises(TooManyAttempts) as caught:
        client.sign_in(carol.user.username, carol.password)  # even the right one waits
    assert caught.value.retry_after >= 1
    with pytest.raises(SignedOut):
        client.sign_in("nobody-by-this-name", "whatever-password")


BAD_BODIES = [
    (b"{not json", "invalid request body"),
    (b'{"username": 5, "password": "xxxxxxxxxx"}', "Expected `str`, got `int`"),
    (b'{"username": "a-user", "password": "xxxxxxxxxx", "admin": true}', "unknown field"),
    (b"[]", "Expected `object`"),
]


@pytest.mark.parametrize(("body", "message"), BAD_BODIES)
def test_bad_input_is_a_short_4xx_and_stores_nothing(sync_server, body, message):
    response = httpx.post(f"{sync_server.base_url}/auth/sign-in", content=body)
    assert response.status_code == 400
    detail = response.json()["detail"]
    assert message in detail
    assert "Traceback" not in detail
    assert "\n" not in detail


def test_oversize_and_path_fields_are_refused(sync_server: SyncServer):
    _, reviewer, project = project_with_reviewer(sync_server)
    headers = {"Authorization": f"Bearer {reviewer.client.token}"}
    review = msgspec.to_builtins(sample_review(project.id, 0))
    url = f"{sync_server.base_url}/reviews/{review['uuid']}"
    for extra in ({"path": "/data/case00/image.nii.gz"}, {"file_name": "case00"}):
        response = httpx.put(url, json={**review, **extra}, headers=headers)
        assert response.status_code == 400
        assert "unknown field" in response.json()["detail"]
    big = {**review, "comment": "x" * (17 * 1024 * 1024)}
    response = httpx.put(url, json=big, headers=headers, timeout=30)
    assert response.status_code == 413
    assert reviewer.client.list_reviews(project.id) == []


def test_numbers_beyond_database_columns_are_refused_not_crashing(sync_server: SyncServer):
    _, reviewer, project = project_with_reviewer(sync_server)
    headers = {"Authorization": f"Bearer {reviewer.client.token}"}
    review = msgspec.to_builtins(sample_review(project.id, 0))
    url = f"{sync_server.base_url}/reviews/{review['uuid']}"
    for field in ("project_id", "config_version", "case_id"):
        response = httpx.put(url, json={**review, field: 2**40}, headers=headers)
        assert response.status_code == 400, (field, response.text)
        assert field in response.json()["detail"]
    assert reviewer.client.list_reviews(project.id) == []


def _image(kind: str, size: tuple[int, int]) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", size, (200, 40, 40)).save(out, format=kind)
    return out.getvalue()


def test_thumbnails_must_be_real_png_or_jpeg_of_limited_size(sync_server: SyncServer):
    owner = sync_server.new_user("owner")
    for kind in ("PNG", "JPEG"):
        thumbnail = _image(kind, (64, 48))
        public = ProjectPublic(title=f"With {kind}", thumbnail=thumbnail)
        created = owner.client.create_project(
            msgspec.structs.replace(sample_project(), public=public)
        )
        assert owner.client.get_project(created.id).public.thumbnail == thumbnail
    too_wide = _image("PNG", (2000, 10))
    with pytest.raises(BadRequest, match="thumbnail is 2000×10; it must be at most 1024×1024"):
        owner.client.update_project(
            created.id, ProjectUpdate(public=ProjectPublic(title="x", thumbnail=too_wide))
        )
    truncated = _image("JPEG", (64, 48))[:-200]
    with pytest.raises(BadRequest, match="not a complete PNG or JPEG"):
        owner.client.update_project(
            created.id, ProjectUpdate(public=ProjectPublic(title="x", thumbnail=truncated))
        )
    assert owner.client.get_project(created.id).public.title == "With JPEG"


def test_request_log_is_one_json_line_per_request_without_secrets(sync_server: SyncServer):
    _, reviewer, project = project_with_reviewer(sync_server)
    marker = f"secret comment {uuid.uuid4()}"
    reviewer.client.submit_review(sample_review(project.id, 2, comment=marker))
    response = httpx.get(
        f"{sync_server.base_url}/projects/{project.id}/export.csv",
        headers={"Authorization": f"Bearer {reviewer.client.token}"},
    )
    assert response.status_code == 403
    assert httpx.get(f"{sync_server.base_url}/no/such/route").status_code == 404
    log = sync_server.log()
    assert marker not in log
    assert reviewer.client.token not in log
    assert reviewer.password not in log
    entries = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    assert {"method": "PUT", "path": "/reviews/{review_uuid}", "status": 201} in [
        {k: e[k] for k in ("method", "path", "status")} for e in entries
    ]
    assert all(set(e) == {"method", "path", "status", "ms"} for e in entries)
    assert {"method": "GET", "path": "<unmatched>", "status": 404, "ms": None} in entries


def test_exports_are_streamed(sync_server: SyncServer):
    owner, reviewer, project = project_with_reviewer(sync_server)
    reviewer.client.submit_review(sample_review(project.id, 0))
    headers = {"Authorization": f"Bearer {owner.client.token}"}
    for name in ("export.csv", "export.json"):
        with httpx.stream(
            "GET", f"{sync_server.base_url}/projects/{project.id}/{name}", headers=headers
        ) as response:
            assert response.status_code == 200
            assert response.headers.get("transfer-encoding") == "chunked"
            assert "content-length" not in response.headers
        # Closed without reading the body: the server must not be left holding a connection.
    assert owner.client.progress(project.id)[0].done == 1


def test_csv_export_defuses_formulas_typed_by_reviewers(sync_server: SyncServer):
    owner, reviewer, project = project_with_reviewer(sync_server)
    formula = '=HYPERLINK("http://evil.example","click")'
    reviewer.client.submit_review(sample_review(project.id, 0, comment=formula))
    [row] = csv.DictReader(io.StringIO(owner.client.export_csv(project.id)))
    assert row["comment"] == "'" + formula
    assert owner.client.export_json(project.id).reviews[0].comment == formula
