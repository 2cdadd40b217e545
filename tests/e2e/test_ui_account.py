"""The reviewer's account in the app, in Chromium against a real sync server: changing the password
through the top bar's dialog, and what the app says when an admin disables the account."""

from __future__ import annotations

from pathlib import Path

import pytest

from naesview_app.sync.errors import Forbidden, SignedOut
from tests.e2e.helpers import (
    MINI,
    app_page,
    choose_dataset,
    publish,
    review_config,
    sign_in,
    wait_case,
    wait_reviews,
)
from tests.sync_server import SignedInUser, SyncServer

NEW_PASSWORD = "a brand new password"


def sign_in_result(server: SyncServer, who: SignedInUser, password: str) -> str:
    """'ok', 'wrong' (401) or 'disabled' (403) for a sign-in from another client."""
    with server.client() as client:
        try:
            client.sign_in(who.user.username, password)
        except SignedOut:
            return "wrong"
        except Forbidden:
            return "disabled"
        return "ok"


def open_dialog(page) -> None:
    page.click("[data-testid=account]")
    page.wait_for_selector("[data-testid=change-password]")
    assert page.evaluate("document.activeElement.id") == "current-password"


def fill(page, current: str, new: str, again: str) -> None:
    page.fill("#current-password", current)
    page.fill("#new-password", new)
    page.fill("#new-password-again", again)


def test_change_password_through_the_dialog(browser, server: SyncServer, tmp_path: Path) -> None:
    reviewer = server.new_user("reviewer")
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors) as (app, page):
        sign_in(page, server, reviewer)
        open_dialog(page)
        # The server's rules are shown where the new password is typed.
        assert "8 to 256 characters" in page.inner_text("[data-testid=change-password]")

        # Checked before anything is sent: mismatch, too short (Enter submits).
        fill(page, reviewer.password, NEW_PASSWORD, NEW_PASSWORD + "x")
        page.press("#new-password-again", "Enter")
        error = page.locator("[data-testid=password-error]")
        differ = "The two new passwords differ; type the same new password twice."
        assert error.inner_text() == differ
        assert page.evaluate("document.activeElement.id") == "new-password-again"
        fill(page, reviewer.password, "short", "short")
        page.press("#new-password-again", "Enter")
        assert error.inner_text() == "The new password is too short (5 characters); use at least 8."
        assert sign_in_result(server, reviewer, reviewer.password) == "ok"

        fill(page, reviewer.password, NEW_PASSWORD, NEW_PASSWORD)
        page.press("#new-password-again", "Enter")
        page.wait_for_selector("[data-testid=password-changed]")
        assert "other computers were signed out" in page.inner_text("[data-testid=change-password]")
        page.keyboard.press("Escape")
        page.wait_for_selector("[data-testid=change-password]", state="detached")
        assert page.evaluate("document.activeElement.dataset.testid") == "account"

        # The app's session goes on: a relaunch is still signed in and lists the projects.
        with pytest.raises(SignedOut):
            reviewer.client.me()  # the reviewer's other session was signed out
        app.restart()
        page.goto(app.url)
        page.wait_for_selector("[data-testid=project-list] .empty", timeout=15000)
        assert app.call("list_projects") == {"projects": []}

        # Sign out; the old password fails, the new one works.
        page.click("[data-testid=sign-out]")
        page.wait_for_selector("#password")
        page.fill("#server", server.base_url)  # a new origin after the restart: nothing remembered
        page.fill("#username", reviewer.user.username)
        page.fill("#password", reviewer.password)
        page.click("form.signin button[type=submit]")
        page.wait_for_selector(".signin .error-line:not([hidden])")
        assert "wrong username or password" in page.inner_text(".signin .error-line")
        page.fill("#password", NEW_PASSWORD)
        page.click("form.signin button[type=submit]")
        page.wait_for_selector("[data-testid=project-list]")
    assert errors == []


def test_wrong_current_password_shows_the_error_and_changes_nothing(
    browser, server: SyncServer, tmp_path: Path
) -> None:
    reviewer = server.new_user("reviewer")
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors) as (app, page):
        sign_in(page, server, reviewer)
        open_dialog(page)
        fill(page, "not my password", NEW_PASSWORD, NEW_PASSWORD)
        page.click("[data-testid=password-submit]")
        error = page.locator("[data-testid=password-error]")
        error.wait_for()
        assert error.inner_text() == "The current password is wrong; type it again."
        assert page.evaluate("document.activeElement.id") == "current-password"
        assert page.locator("[data-testid=password-changed]").count() == 0
        # Cancel closes it; nothing changed anywhere.
        page.click("[data-testid=change-password] button:text('Cancel')")
        page.wait_for_selector("[data-testid=change-password]", state="detached")
        assert page.locator("[data-testid=project-list]").count() == 1
        reviewer.client.me()  # the other session still works
        assert sign_in_result(server, reviewer, reviewer.password) == "ok"
        assert sign_in_result(server, reviewer, NEW_PASSWORD) == "wrong"
        assert app.call("sign_in_notice") == {"message": None}
    assert errors == []


def test_disabled_account_is_said_plainly_and_answers_wait(
    browser, server: SyncServer, tmp_path: Path
) -> None:
    from naesview_wire import ProjectPublic
    from tests.e2e.helpers import fingerprint_of

    stack = publish(
        server,
        review_config(),
        fingerprint=fingerprint_of(MINI),
        case_count=4,
        public=ProjectPublic(title="Prostate masks"),
    )
    reviewer = stack.reviewer
    said = (
        f"Account `{reviewer.user.username}` is disabled; ask an admin of this server to enable it."
    )
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors) as (_, page):
        sign_in(page, server, reviewer)
        choose_dataset(page, MINI)
        page.click("[data-testid=start-review]")
        wait_case(page, 0)
        # The account area is on the review screen too; keys pressed in the dialog stay there
        # (1 would answer the case), and Tab keeps the focus inside it.
        open_dialog(page)
        page.keyboard.press("Shift+Tab")  # the close button, first in the dialog
        page.keyboard.press("Shift+Tab")  # wraps around to the last: the submit button
        assert page.evaluate("document.activeElement.dataset.testid") == "password-submit"
        page.keyboard.press("1")
        page.keyboard.press("Escape")
        page.wait_for_selector("[data-testid=change-password]", state="detached")
        assert page.locator(".answer.is-selected").count() == 0

        server.admin.disable_user(reviewer.user.id)
        page.keyboard.press("1")  # saved on this computer; the server refuses to take it
        wait_case(page, 1)
        page.wait_for_function(
            "() => document.querySelector('[data-testid=sync-status]').title.includes('disabled')",
            timeout=15000,
        )
        assert "1 waiting" in page.inner_text("[data-testid=sync-status]")

        # The next call that needs the server brings the sign-in form, which says why.
        page.click("[data-testid=back]")
        page.wait_for_selector("[data-testid=sign-in-notice]:not([hidden])")
        assert page.inner_text("[data-testid=sign-in-notice] strong") == "The server signed you out"
        assert page.inner_text("[data-testid=sign-in-notice] p") == said
        # Signing in again says the same (403 at sign-in).
        page.fill("#password", reviewer.password)
        page.click("form.signin button[type=submit]")
        page.wait_for_selector(".signin .error-line:not([hidden])")
        assert page.inner_text(".signin .error-line") == said[0].lower() + said[1:-1]
        assert sign_in_result(server, reviewer, reviewer.password) == "disabled"

        # Enabled again: the reviewer signs in and the waiting answer goes out.
        server.admin.enable_user(reviewer.user.id)
        page.fill("#password", reviewer.password)
        page.click("form.signin button[type=submit]")
        page.wait_for_selector("[data-testid=project-list]")
        records = wait_reviews(stack, 1)
        assert [(r.review.answer, r.reviewer_id) for r in records] == [("good", reviewer.user.id)]
    assert errors == []
