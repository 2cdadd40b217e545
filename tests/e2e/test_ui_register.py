"""A reviewer creates their account in the app with an owner's invitation code, in Chromium
against a real sync server: from the sign-in screen to the project list with the invited project;
a used code says so and points at the code."""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest

from naesview_app.sync.errors import SignedOut
from naesview_wire import RegisterWithInvitation
from tests.e2e.helpers import app_page
from tests.sync_server import SyncServer, sample_project

PASSWORD = "a good long password"


def owner_invites(server: SyncServer) -> tuple[str, int, str]:
    """An owner's new project and a code for it: (code, project id, title)."""
    owner = server.new_user("owner")
    project = owner.client.create_project(sample_project())
    return owner.client.create_invitation(project.id).code, project.id, project.public.title


def open_register_form(page) -> None:
    page.wait_for_selector("#server", timeout=15000)
    page.click("[data-testid=register-open]")
    page.wait_for_selector("[data-testid=register]")


def fill(page, server: SyncServer, code: str, username: str, password: str, again: str) -> None:
    page.fill("#reg-server", server.base_url)
    page.fill("#reg-code", code)
    page.fill("#reg-username", username)
    page.fill("#reg-password", password)
    page.fill("#reg-password-again", again)


def focused(page) -> str:
    return page.evaluate("document.activeElement.id")


def test_reviewer_creates_an_account_and_sees_the_invited_project(
    browser, server: SyncServer, tmp_path: Path
) -> None:
    code, project_id, title = owner_invites(server)
    name = f"ann-{secrets.token_hex(3)}"
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors) as (app, page):
        open_register_form(page)
        form = page.locator("[data-testid=register]")
        text = form.inner_text()
        # The server's rules are shown where they apply.
        assert "8 to 256 characters" in text
        assert "2 to 64 letters, digits and _ . @ -, starting with a letter or digit" in text

        # Checked before anything is sent (Enter submits): passwords differ, too short.
        fill(page, server, code, name, PASSWORD, PASSWORD + "x")
        page.press("#reg-password-again", "Enter")
        error = page.locator("[data-testid=register-error]")
        assert error.inner_text() == "The two passwords differ; type the same password twice."
        assert focused(page) == "reg-password-again"
        fill(page, server, code, name, "short", "short")
        page.press("#reg-password-again", "Enter")
        assert error.inner_text() == "The password is too short (5 characters); use at least 8."
        assert focused(page) == "reg-password"
        with server.client() as anonymous:  # nothing was sent: the code is unused
            assert anonymous.preview_invitation(code).project_id == project_id

        fill(page, server, code, name, PASSWORD, PASSWORD)
        page.fill("#reg-display-name", "Ann Lee")
        page.press("#reg-password-again", "Enter")
        card = page.locator(f"[data-testid=project-card][data-project-id='{project_id}']")
        card.wait_for(timeout=15000)
        assert page.locator("[data-testid=project-card]").count() == 1
        assert title in card.inner_text()
        assert app.call("app_info")["signed_in"]["username"] == name
        assert page.locator("[data-testid=account]").inner_text().startswith(name)

    with server.client() as other:  # a real account, with the password typed, in the project
        session = other.sign_in(name, PASSWORD)
        assert (session.user.display_name, session.user.role) == ("Ann Lee", "reviewer")
        assert [p.id for p in other.list_projects()] == [project_id]
    assert errors == []


def test_used_code_says_so_and_back_leads_to_sign_in(
    browser, server: SyncServer, tmp_path: Path
) -> None:
    code, _, _ = owner_invites(server)
    with server.client() as someone:  # someone else used the code first
        someone.register_with_invitation(
            RegisterWithInvitation(
                code=code,
                username=f"first-{secrets.token_hex(3)}",
                password=PASSWORD,
                display_name="First",
            )
        )
    name = f"late-{secrets.token_hex(3)}"
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors) as (app, page):
        open_register_form(page)
        fill(page, server, code, name, PASSWORD, PASSWORD)
        page.press("#reg-password-again", "Enter")
        error = page.locator("[data-testid=register-error]")
        error.wait_for()
        assert error.inner_text() == (
            "This invitation code was already used; ask the project owner for a new one."
        )
        assert focused(page) == "reg-code"
        assert app.call("app_info")["signed_in"] is None
        # The back link returns to the sign-in form, the server address kept.
        page.click("[data-testid=register-back]")
        page.wait_for_selector("[data-testid=register]", state="detached")
        assert page.input_value("#server") == server.base_url
        assert focused(page) == "username"
    with server.client() as anonymous, pytest.raises(SignedOut):  # no account was created
        anonymous.sign_in(name, PASSWORD)
    assert errors == []
