"""The reviewer's own account through the Bridge, against a real sync server: changing the
password (the session in use stays valid, other sessions end) and what a disabled account says."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest

from naesview_app.bridge import Bridge
from naesview_app.config import AppPaths, StoredSession, save_session
from naesview_app.local_server import VoxelStore
from naesview_app.review.account import PASSWORD_MAX, PASSWORD_MIN
from naesview_app.review.services import ReviewApp
from naesview_app.sync.errors import SignedOut
from naesview_wire.base import Password
from tests.sync_server import SignedInUser, SyncServer, free_port, sqlite_url
from tests.sync_server import start_sync_server as start

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    folder = tmp_path_factory.mktemp("sync")
    with start(sqlite_url(folder), log_dir=folder) as running:
        yield running


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[Bridge, ReviewApp, AppPaths]]:
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    review_app = ReviewApp(paths=paths, voxels=VoxelStore(), mode="browser")
    try:
        yield Bridge(review_app), review_app, paths
    finally:
        review_app.close()


def signed_in(bridge: Bridge, server: SyncServer, who: SignedInUser, password: str = "") -> dict:
    return bridge.sign_in(
        {
            "server": server.base_url,
            "username": who.user.username,
            "password": password or who.password,
        }
    )


def can_sign_in(server: SyncServer, who: SignedInUser, password: str) -> bool:
    with server.client() as client:
        try:
            client.sign_in(who.user.username, password)
        except SignedOut:
            return False
        return True


def test_change_password_keeps_this_session_and_ends_the_others(app, server: SyncServer) -> None:
    bridge, _, _ = app
    reviewer = server.new_user("reviewer")  # reviewer.client: a session on another computer
    assert "error" not in signed_in(bridge, server, reviewer)
    new = "a new password, long enough"
    assert bridge.change_password({"old_password": reviewer.password, "new_password": new}) == {}
    # The app's stored session still works: projects load, the notice stays empty.
    assert bridge.list_projects() == {"projects": []}
    assert bridge.sign_in_notice() == {"message": None}
    with pytest.raises(SignedOut):  # the other computer was signed out
        reviewer.client.me()
    assert not can_sign_in(server, reviewer, reviewer.password)
    assert can_sign_in(server, reviewer, new)


def test_wrong_current_password_changes_nothing(app, server: SyncServer) -> None:
    bridge, _, _ = app
    reviewer = server.new_user("reviewer")
    signed_in(bridge, server, reviewer)
    for typed in ("not-the-password", "short", ""):
        error = bridge.change_password({"old_password": typed, "new_password": "whatever-new-1"})
        assert error["error"] == {
            "code": "wrong_password",
            "message": "the current password is wrong; type it again",
        }, typed
    assert bridge.list_projects() == {"projects": []}  # still signed in
    reviewer.client.me()  # the other session was not touched either
    assert can_sign_in(server, reviewer, reviewer.password)
    assert not can_sign_in(server, reviewer, "whatever-new-1")


def test_new_password_outside_the_servers_rules_is_refused_before_sending(
    app, server: SyncServer
) -> None:
    bridge, _, _ = app
    reviewer = server.new_user("reviewer")
    signed_in(bridge, server, reviewer)
    short = bridge.change_password({"old_password": reviewer.password, "new_password": "1234567"})
    assert short["error"] == {
        "code": "password_rules",
        "message": "the new password is too short (7 characters); use at least 8",
    }
    long = "x" * (PASSWORD_MAX + 1)
    too_long = bridge.change_password({"old_password": reviewer.password, "new_password": long})
    assert too_long["error"]["code"] == "password_rules"
    assert "use at most 256" in too_long["error"]["message"]
    assert can_sign_in(server, reviewer, reviewer.password)
    # Exactly the limits are accepted by the server (the rules are the server's own).
    edge = "e" * PASSWORD_MIN
    assert bridge.change_password({"old_password": reviewer.password, "new_password": edge}) == {}
    assert can_sign_in(server, reviewer, edge)


def test_change_password_signed_out_or_server_unreachable(tmp_path: Path) -> None:
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    args = {"old_password": "old-password", "new_password": "new-password"}
    with closing(ReviewApp(paths=paths, voxels=VoxelStore(), mode="browser")) as review_app:
        # Not signed in at all: the UI shows the sign-in form.
        assert Bridge(review_app).change_password(args)["error"]["code"] == "signed_out"
    # Signed in (on disk, from an earlier launch) to a server that is not there any more.
    gone = f"http://127.0.0.1:{free_port()}"
    save_session(
        paths, StoredSession(server=gone, token="t", username="ann", user_id=1, role="reviewer")
    )
    with closing(ReviewApp(paths=paths, voxels=VoxelStore(), mode="browser")) as review_app:
        error = Bridge(review_app).change_password(args)["error"]
    assert error["code"] == "server_unreachable"
    assert gone in error["message"]
    assert "\n" not in error["message"]


def test_disabled_account_says_so_at_sign_in_and_after_a_refused_token(
    app, server: SyncServer
) -> None:
    bridge, _, _ = app
    reviewer = server.new_user("reviewer")
    signed_in(bridge, server, reviewer)
    assert bridge.sign_in_notice() == {"message": None}
    server.admin.disable_user(reviewer.user.id)
    said = (
        f"account `{reviewer.user.username}` is disabled; ask an admin of this server to enable it"
    )
    # The next call that talks to the server is refused with the server's reason...
    assert bridge.list_projects()["error"] == {"code": "signed_out", "message": said}
    # ...which the sign-in form then shows.
    assert bridge.sign_in_notice() == {"message": said}
    # Signing in again is refused (403) with the same words.
    assert signed_in(bridge, server, reviewer)["error"] == {"code": "forbidden", "message": said}
    # A wrong password at sign-in is not a refused session: the notice is still the reason.
    assert bridge.sign_in_notice() == {"message": said}
    server.admin.enable_user(reviewer.user.id)
    assert "error" not in signed_in(bridge, server, reviewer)
    assert bridge.sign_in_notice() == {"message": None}  # a successful sign-in clears it
    assert bridge.list_projects() == {"projects": []}


def test_sign_out_clears_the_notice(app, server: SyncServer) -> None:
    bridge, review_app, _ = app
    review_app.session_refused("signed out: the session expired; sign in again")
    assert bridge.sign_in_notice()["message"].startswith("signed out")
    assert bridge.sign_out() == {}
    assert bridge.sign_in_notice() == {"message": None}


def test_the_ui_states_the_servers_password_rules() -> None:
    """ui/src/account.js shows and checks the rules; they must be the wire type's."""
    import typing

    meta = typing.get_args(Password)[1]
    source = (ROOT / "ui" / "src" / "account.js").read_text()
    assert re.search(rf"export const PASSWORD_MIN = {meta.min_length};", source)
    assert re.search(rf"export const PASSWORD_MAX = {meta.max_length};", source)
    assert (meta.min_length, meta.max_length) == (PASSWORD_MIN, PASSWORD_MAX)
