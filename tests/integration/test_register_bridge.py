"""A reviewer creates their own account with an owner's invitation code through the Bridge,
against a real sync server: signed in, in the code's project; and each refusal says what to do."""

from __future__ import annotations

import secrets
import typing
from collections.abc import Iterator
from pathlib import Path

import msgspec
import pytest

from naesview_app.bridge import Bridge
from naesview_app.config import AppPaths, load_session
from naesview_app.local_server import VoxelStore
from naesview_app.review.services import ReviewApp
from naesview_app.sync.errors import SignedOut
from naesview_wire.accounts import InvitationCode
from naesview_wire.base import Name, Username
from tests.sync_server import SyncServer, free_port, run_sql, sample_project, sqlite_url
from tests.sync_server import start_sync_server as start

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "a good long password"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    folder = tmp_path_factory.mktemp("sync")
    with start(sqlite_url(folder), log_dir=folder) as running:
        yield running


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[Bridge, AppPaths]]:
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    review_app = ReviewApp(paths=paths, voxels=VoxelStore(), mode="browser")
    try:
        yield Bridge(review_app), paths
    finally:
        review_app.close()


def invitation(server: SyncServer) -> tuple[str, int, str]:
    """A fresh owner's project and an invitation code to it: (code, project id, title)."""
    owner = server.new_user("owner")
    project = owner.client.create_project(sample_project())
    return owner.client.create_invitation(project.id).code, project.id, project.public.title


def fresh_name() -> str:
    return f"newbie-{secrets.token_hex(4)}"


def register(bridge: Bridge, server: SyncServer, code: str, username: str, **more: str) -> dict:
    args = {"server": server.base_url, "code": code, "username": username, "password": PASSWORD}
    return bridge.register({**args, **more})


def test_register_signs_in_and_lists_the_invited_project(app, server: SyncServer) -> None:
    bridge, paths = app
    code, project_id, title = invitation(server)
    name = fresh_name()
    # Spaces around what was pasted do not matter; the display name is optional.
    account = register(bridge, server, f"  {code} ", f" {name}", display_name="")
    assert account == {
        "server": server.base_url,
        "username": name,
        "display_name": name,
        "role": "reviewer",
    }
    projects = bridge.list_projects()["projects"]
    assert [(p["id"], p["title"], p["role"]) for p in projects] == [(project_id, title, "reviewer")]
    stored = load_session(paths)  # signed in like `sign_in`: the session survives a relaunch
    assert stored is not None
    assert stored.username == name
    assert bridge.app_info()["signed_in"]["username"] == name
    # The account is a real one: it signs in elsewhere with the same password.
    with server.client() as other:
        assert other.sign_in(name, PASSWORD).user.display_name == name


def test_display_name_is_kept(app, server: SyncServer) -> None:
    bridge, _ = app
    code, _, _ = invitation(server)
    account = register(bridge, server, code, fresh_name(), display_name="  Dr Ann Lee ")
    assert account["display_name"] == "Dr Ann Lee"


def test_used_unknown_and_expired_codes(app, server: SyncServer) -> None:
    bridge, _ = app
    code, _, _ = invitation(server)
    assert "error" not in register(bridge, server, code, fresh_name())
    bridge.sign_out()
    used = register(bridge, server, code, fresh_name())
    assert used["error"] == {
        "code": "gone",
        "message": "this invitation code was already used; ask the project owner for a new one",
    }
    unknown = register(bridge, server, "not-a-real-code-at-all", fresh_name())
    assert unknown["error"] == {
        "code": "not_found",
        "message": "invitation code not found; check it or ask the project owner for a new one",
    }
    expired, _, _ = invitation(server)
    run_sql(server.database_url, "UPDATE invitations SET expires = created WHERE used_at IS NULL")
    late = register(bridge, server, expired, fresh_name())
    assert late["error"] == {
        "code": "gone",
        "message": "this invitation code has expired; ask the project owner for a new one",
    }
    assert bridge.app_info()["signed_in"] is None  # none of these signed anyone in


def test_taken_username_leaves_the_code_usable(app, server: SyncServer) -> None:
    bridge, _ = app
    taken = server.new_user("reviewer")
    code, project_id, _ = invitation(server)
    error = register(bridge, server, code, taken.user.username)["error"]
    assert error == {
        "code": "username_taken",
        "message": f"username `{taken.user.username}` is taken; choose another",
    }
    with server.client() as anonymous:
        assert anonymous.preview_invitation(code).project_id == project_id
    with pytest.raises(SignedOut):  # the existing account's password was not touched
        server.client().sign_in(taken.user.username, PASSWORD)
    assert "error" not in register(bridge, server, code, fresh_name())


def test_servers_rules_are_checked_before_sending(app, server: SyncServer) -> None:
    bridge, _ = app
    code, project_id, _ = invitation(server)
    cases = {
        ("", "ann", PASSWORD): (
            "invitation_code",
            "type the invitation code the project owner sent you",
        ),
        ("short", "ann", PASSWORD): (
            "invitation_code",
            "an invitation code is 8 to 64 letters, digits, - or _; check the code you were sent",
        ),
        (code, "", PASSWORD): (
            "username_rules",
            "choose a user name: 2 to 64 letters, digits and _ . @ -, "
            "starting with a letter or digit",
        ),
        (code, "ann lee", PASSWORD): (
            "username_rules",
            "the user name `ann lee` is not allowed; use 2 to 64 letters, digits and _ . @ -, "
            "starting with a letter or digit",
        ),
        (code, "ann", "1234567"): (
            "password_rules",
            "the password is too short (7 characters); use at least 8",
        ),
        (code, "ann", "x" * 257): (
            "password_rules",
            "the password is too long (257 characters); use at most 256",
        ),
    }
    for (typed_code, username, password), expected in cases.items():
        error = bridge.register(
            {
                "server": server.base_url,
                "code": typed_code,
                "username": username,
                "password": password,
            }
        )["error"]
        assert (error["code"], error["message"]) == expected, (typed_code, username)
    long_name = register(bridge, server, code, fresh_name(), display_name="N" * 201)["error"]
    assert long_name["code"] == "username_rules"
    # None of them reached the server: the code is still unused.
    with server.client() as anonymous:
        assert anonymous.preview_invitation(code).project_id == project_id
    assert "error" not in register(bridge, server, code, fresh_name())


def test_server_unreachable(app) -> None:
    bridge, _ = app
    port = free_port()
    error = bridge.register(
        {
            "server": f"127.0.0.1:{port}",
            "code": "abcdefgh1234",
            "username": "ann",
            "password": PASSWORD,
        }
    )["error"]
    assert error["code"] == "server_unreachable"
    assert error["message"].startswith(f"sync server http://127.0.0.1:{port} unreachable")
    assert error["message"].endswith("check the address and your network, then try again")
    assert bridge.app_info()["signed_in"] is None


def test_the_ui_states_the_servers_registration_rules() -> None:
    """ui/src/register.js checks the form before sending; its rules must be the wire types'."""
    source = (ROOT / "ui" / "src" / "register.js").read_text()

    def meta(annotated: object) -> msgspec.Meta:
        return typing.get_args(annotated)[1]

    username, code, name = meta(Username), meta(InvitationCode), meta(Name)
    expected = {
        "USERNAME_PATTERN": f"/{username.pattern}/",
        "USERNAME_MIN": str(username.min_length),
        "USERNAME_MAX": str(username.max_length),
        "CODE_PATTERN": f"/{code.pattern}/",
        "CODE_MIN": str(code.min_length),
        "CODE_MAX": str(code.max_length),
        "DISPLAY_NAME_MAX": str(name.max_length),
    }
    for constant, value in expected.items():
        assert f"export const {constant} = {value};" in source, constant
