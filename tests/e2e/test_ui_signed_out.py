"""The server signs the reviewer out while they review, in Chromium against a real sync server:
the answers keep being saved on this computer, the review screen says so plainly in a banner
(not only the sync status's tooltip) with a Sign in button, and signing in again brings the
reviewer back to the project and sends the waiting answers.
"""

from __future__ import annotations

import time
from pathlib import Path

from naesview_wire import ProjectPublic
from tests.e2e.helpers import (
    MINI,
    app_page,
    choose_dataset,
    fingerprint_of,
    publish,
    review_config,
    shot,
    sign_in,
    wait_case,
    wait_reviews,
)
from tests.sync_server import SyncServer

BANNER = "[data-testid=signed-out-banner]"
SHOWN = f"{BANNER}:not([hidden])"
SAYS = (
    "The server signed you out: your answers are kept on this computer and will be sent after "
    "you sign in again."
)
SYNC_POLL_S = 5.0  # review.js SYNC_POLL_MS


def sync_text(page) -> str:
    return page.inner_text("[data-testid=sync-status]")


def reason(page) -> str:
    return page.inner_text("[data-testid=signed-out-reason]")


def test_signed_out_while_reviewing_keeps_answers_and_says_so(
    browser, server: SyncServer, tmp_path: Path
) -> None:
    stack = publish(
        server,
        review_config(),
        fingerprint=fingerprint_of(MINI),
        case_count=4,
        public=ProjectPublic(title="Prostate masks"),
    )
    reviewer = stack.reviewer
    name = reviewer.user.username
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors) as (app, page):
        sign_in(page, server, reviewer)
        choose_dataset(page, MINI)
        page.click("[data-testid=start-review]")
        wait_case(page, 0)
        page.keyboard.press("1")
        wait_case(page, 1)
        wait_reviews(stack, 1)
        assert page.locator(SHOWN).count() == 0

        # An admin revokes the reviewer's sessions; the reviewer answers on.
        server.admin.revoke_tokens(reviewer.user.id)
        page.keyboard.press("1")
        answered = time.monotonic()
        wait_case(page, 2)
        page.wait_for_selector(SHOWN, timeout=15000)
        shown_s = time.monotonic() - answered
        banner = page.inner_text(BANNER)
        assert SAYS in banner
        assert reason(page) == "Signed out: this token is unknown or was revoked; sign in again."
        assert page.get_attribute(BANNER, "role") == "status"  # said, not a dialog in the way
        assert sync_text(page) == "1 waiting — signed out"
        assert page.evaluate("document.getElementById('app').dataset.screen") == "review"
        shot(page, "review-signed-out.png", tmp_path)

        # The account is disabled too: the answers still go into the outbox, and the banner gives
        # the server's new reason.
        server.admin.disable_user(reviewer.user.id)
        page.keyboard.press("2")
        wait_case(page, 3)
        disabled = f"Account `{name}` is disabled; ask an admin of this server to enable it."
        page.wait_for_function(
            "(said) => document.querySelector('[data-testid=signed-out-reason]').textContent"
            " === said",
            arg=disabled,
            timeout=15000,
        )
        page.wait_for_function(
            "() => document.querySelector('[data-testid=sync-status]').textContent"
            " === '2 waiting — signed out'",
            timeout=15000,
        )
        status = app.call("sync_status")
        assert (status["pending"], status["online"]) == (2, False)
        assert len(stack.owner.client.list_reviews(stack.project_id)) == 1

        # Sign in: the sign-in form says why; while disabled, signing in is refused.
        page.click(f"{BANNER} [data-testid=signed-out-sign-in]")
        page.wait_for_selector("[data-testid=sign-in-notice]:not([hidden])")
        assert page.inner_text("[data-testid=sign-in-notice] p") == disabled
        assert page.input_value("#username") == name
        page.fill("#password", reviewer.password)
        page.click("form.signin button[type=submit]")
        page.wait_for_selector(".signin .error-line:not([hidden])")

        # Enabled again: signing in goes back to the project, and the waiting answers arrive.
        server.admin.enable_user(reviewer.user.id)
        page.fill("#password", reviewer.password)
        page.click("form.signin button[type=submit]")
        page.wait_for_selector("[data-testid=instructions]", timeout=15000)
        assert page.evaluate("document.getElementById('app').dataset.screen") == "project"
        records = wait_reviews(stack, 3)
        answers = sorted((r.review.case_id, r.review.answer) for r in records)
        assert answers == [(0, "good"), (1, "good"), (2, "bad")]
        assert {r.reviewer_id for r in records} == {reviewer.user.id}
        page.wait_for_selector("[data-testid=start-review]", timeout=15000)
        page.click("[data-testid=start-review]")
        wait_case(page, 3)  # resumes at the first case not answered
        page.wait_for_function(
            "() => document.querySelector('[data-testid=sync-status]').textContent === 'synced'",
            timeout=15000,
        )
        assert page.locator(SHOWN).count() == 0
    print(f"banner shown {shown_s:.1f} s after the answer the server refused")
    assert shown_s < SYNC_POLL_S + 3
    assert errors == []


def test_signing_in_as_someone_else_goes_to_the_projects(
    browser, server: SyncServer, tmp_path: Path
) -> None:
    stack = publish(
        server,
        review_config(),
        fingerprint=fingerprint_of(MINI),
        case_count=4,
        public=ProjectPublic(title="Prostate masks"),
    )
    other = server.new_user("reviewer")
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors) as (_, page):
        sign_in(page, server, stack.reviewer)
        choose_dataset(page, MINI)
        page.click("[data-testid=start-review]")
        wait_case(page, 0)
        server.admin.revoke_tokens(stack.reviewer.user.id)
        page.keyboard.press("1")
        page.wait_for_selector(SHOWN, timeout=15000)
        page.click("[data-testid=signed-out-sign-in]")
        page.wait_for_selector("#password")
        page.fill("#username", other.user.username)
        page.fill("#password", other.password)
        page.click("form.signin button[type=submit]")
        page.wait_for_selector("[data-testid=project-list]", timeout=15000)
        assert page.evaluate("document.getElementById('app').dataset.screen") == "projects"
    assert errors == []
