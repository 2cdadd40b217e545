"""The background sync is signed out by the server (401) while the reviewer goes on answering:
through the Bridge against a real sync server, the sync status says so ("n waiting — signed out")
and `sign_in_notice` gives the server's reason for the review screen's banner; a server that is
only unreachable is not "signed out"; signing in again sends the waiting reviews and clears both.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from naesview_app.bridge import Bridge
from naesview_app.config import AppPaths, StoredSession, save_session
from naesview_app.local_server import VoxelStore
from naesview_app.review.outbox import Account
from naesview_app.review.services import ReviewApp
from tests.sync_server import (
    SyncServer,
    free_port,
    project_with_reviewer,
    sample_review,
    sqlite_url,
)
from tests.sync_server import start_sync_server as start


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    folder = tmp_path_factory.mktemp("sync")
    with start(sqlite_url(folder), log_dir=folder) as running:
        yield running


def until(check: Callable[[], bool], what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(0.05)


def test_a_refused_token_shows_as_signed_out_until_the_reviewer_signs_in_again(
    server: SyncServer, tmp_path: Path
) -> None:
    owner, reviewer, project = project_with_reviewer(server, case_count=5)
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    app = ReviewApp(
        paths=paths, voxels=VoxelStore(), mode="browser", sync_min_delay=0.05, sync_max_delay=0.2
    )
    try:
        bridge = Bridge(app)
        user = {"server": server.base_url, "username": reviewer.user.username}
        assert "error" not in bridge.sign_in({**user, "password": reviewer.password})
        account = Account(server.base_url, reviewer.user.id)
        # What an answer does (ReviewSession.submit): into the outbox, then the syncer is woken.
        app._outbox.add(account, sample_review(project.id, 0))
        app._syncer.notify()
        until(lambda: bridge.sync_status()["synced"] == 1, "the first review sent")
        assert bridge.sync_status()["label"] == "synced"

        server.admin.revoke_tokens(reviewer.user.id)
        for case_id in (1, 2):
            app._outbox.add(account, sample_review(project.id, case_id))
            app._syncer.notify()
        until(lambda: bridge.sync_status()["online"] is False, "the refused send")
        status = bridge.sync_status()
        assert (status["pending"], status["rejected"], status["label"]) == (
            2,
            0,
            "2 waiting — signed out",
        )
        said = "signed out: this token is unknown or was revoked; sign in again"
        assert status["last_error"] == said
        assert bridge.sign_in_notice() == {"message": said}

        # Signed in again: the waiting reviews go out, and nothing says signed out any more.
        assert "error" not in bridge.sign_in({**user, "password": reviewer.password})
        until(lambda: bridge.sync_status()["synced"] == 3, "the waiting reviews sent")
        assert bridge.sync_status()["label"] == "synced"
        assert bridge.sign_in_notice() == {"message": None}
        on_server = owner.client.list_reviews(project.id)
        assert sorted(r.review.case_id for r in on_server) == [0, 1, 2]
    finally:
        app.close()


def test_an_unreachable_server_is_not_signed_out(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    gone = f"http://127.0.0.1:{free_port()}"
    save_session(
        paths, StoredSession(server=gone, token="t", username="ann", user_id=1, role="reviewer")
    )
    app = ReviewApp(
        paths=paths, voxels=VoxelStore(), mode="browser", sync_min_delay=0.05, sync_max_delay=0.2
    )
    try:
        bridge = Bridge(app)
        app._outbox.add(Account(gone, 1), sample_review(1, 0))
        app._syncer.notify()
        until(lambda: bridge.sync_status()["online"] is False, "the failed send")
        status = bridge.sync_status()
        assert status["label"] == "saved locally · 1 waiting"
        assert bridge.sign_in_notice() == {"message": None}
    finally:
        app.close()
