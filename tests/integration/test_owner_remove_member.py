"""An owner takes a reviewer out of a project through the Bridge (`owner_remove_member`), against
a real sync server: the reviewer is no longer a member and loses the project, their reviews stay
in the export, and a second removal (or a stranger) is refused in one line."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from naesview_app.bridge import Bridge
from naesview_app.config import AppPaths
from naesview_app.local_server import VoxelStore
from naesview_app.review.services import ReviewApp
from naesview_app.sync import NotFound
from tests.sync_server import SyncServer, sample_project, sample_review, sqlite_url
from tests.sync_server import start_sync_server as start


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    folder = tmp_path_factory.mktemp("sync")
    with start(sqlite_url(folder), log_dir=folder) as running:
        yield running


@pytest.fixture
def bridge(tmp_path: Path) -> Iterator[Bridge]:
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    review_app = ReviewApp(paths=paths, voxels=VoxelStore(), mode="browser")
    try:
        yield Bridge(review_app)
    finally:
        review_app.close()


def one_line_error(result: dict) -> tuple[str, str]:
    assert "error" in result, result
    message = result["error"]["message"]
    assert "\n" not in message
    assert "Traceback" not in message
    return result["error"]["code"], message


def test_owner_removes_a_reviewer_and_keeps_their_reviews(bridge: Bridge, server: SyncServer):
    owner = server.new_user("owner")
    signed = bridge.sign_in(
        {"server": server.base_url, "username": owner.user.username, "password": owner.password}
    )
    assert signed["role"] == "owner"
    project = owner.client.create_project(sample_project())
    leaving, staying = server.new_user("reviewer"), server.new_user("reviewer")
    for reviewer in (leaving, staying):
        reviewer.client.accept_invitation(owner.client.create_invitation(project.id).code)
    leaving.client.submit_review(sample_review(project.id, 1))
    leaving.client.submit_review(sample_review(project.id, 4, "reject"))
    owner.client.submit_review(sample_review(project.id, 2))  # the owner reviews too

    rows = bridge.owner_members({"project_id": project.id})["members"]
    assert [(r["username"], r["status"], r["done"]) for r in rows] == [
        (leaving.user.username, "member", 2),
        (staying.user.username, "member", 0),
        (owner.user.username, "you", 1),
    ]

    after = bridge.owner_remove_member({"project_id": project.id, "user_id": leaving.user.id})
    # The answer is the table as it is now: the removed reviewer is listed for their kept reviews.
    assert [(r["username"], r["status"], r["done"]) for r in after["members"]] == [
        (staying.user.username, "member", 0),
        (owner.user.username, "you", 1),
        (leaving.user.username, "removed", 2),
    ]
    assert after == bridge.owner_members({"project_id": project.id})
    assert [m.user_id for m in owner.client.list_members(project.id)] == [staying.user.id]

    # Their reviews stay in the export.
    export = owner.client.export_json(project.id)
    kept = sorted((r.reviewer_id, r.case_id, r.answer) for r in export.reviews)
    assert (leaving.user.id, 1, "accept") in kept
    assert (leaving.user.id, 4, "reject") in kept
    assert len(kept) == 3

    # The removed reviewer no longer sees the project, and a new review is refused plainly.
    assert project.id not in [p.id for p in leaving.client.list_projects()]
    assert project.id in [p.id for p in staying.client.list_projects()]
    with pytest.raises(NotFound) as refused:
        leaving.client.submit_review(sample_review(project.id, 5))
    assert str(refused.value) == (
        f"project {project.id} not found, or you are not a member; ask its owner for an invitation"
    )
    assert len(owner.client.export_json(project.id).reviews) == 3

    # Removing again, or someone who never joined, says so in one line; nothing changes.
    code, message = one_line_error(
        bridge.owner_remove_member({"project_id": project.id, "user_id": leaving.user.id})
    )
    assert code == "not_found"
    assert f"user {leaving.user.id} is not a member of project {project.id}" in message
    assert [m.user_id for m in owner.client.list_members(project.id)] == [staying.user.id]
    code, _ = one_line_error(bridge.owner_remove_member({"project_id": project.id}))
    assert code == "bad_arguments"


def test_only_the_projects_owner_may_remove(bridge: Bridge, server: SyncServer):
    owner, other = server.new_user("owner"), server.new_user("owner")
    project = owner.client.create_project(sample_project())
    reviewer = server.new_user("reviewer")
    reviewer.client.accept_invitation(owner.client.create_invitation(project.id).code)
    bridge.sign_in(
        {"server": server.base_url, "username": other.user.username, "password": other.password}
    )
    code, message = one_line_error(
        bridge.owner_remove_member({"project_id": project.id, "user_id": reviewer.user.id})
    )
    assert code in {"not_found", "forbidden"}, message
    assert [m.user_id for m in owner.client.list_members(project.id)] == [reviewer.user.id]
