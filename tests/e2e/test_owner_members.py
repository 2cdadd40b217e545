"""The owner removes a reviewer from the manage page: real Chromium on `naesview app --browser`,
a real sync server.

Each reviewer's row under Members and progress has **Remove**; the owner's own row has none. The
in-app question names the reviewer, the project and how many reviews stay in the export; Cancel,
Esc and a click outside keep the reviewer, Remove takes them out on the server and the table
shows them as removed (their reviews kept). A reviewer already removed elsewhere gives one line.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import app_page, sign_in
from tests.sync_server import SyncServer, sample_project, sample_review

VIEW = {"width": 1400, "height": 1000}
ROWS = "[data-testid=owner-member]"
DIALOG = "[data-testid=owner-remove-dialog]"


def row(page, username: str):
    return page.locator(f"{ROWS}[data-username='{username}']")


def statuses(page) -> dict[str, str]:
    return page.evaluate(
        """(sel) => Object.fromEntries([...document.querySelectorAll(sel)].map(
             (r) => [r.dataset.username, r.dataset.status]))""",
        ROWS,
    )


def test_owner_removes_a_reviewer_after_confirming(browser, server: SyncServer, tmp_path: Path):
    owner = server.new_user("owner")
    project = owner.client.create_project(sample_project(title="Liver masks, round 2"))
    leaving, staying = server.new_user("reviewer"), server.new_user("reviewer")
    for reviewer in (leaving, staying):
        reviewer.client.accept_invitation(owner.client.create_invitation(project.id).code)
    for case_id in (1, 2, 3):
        leaving.client.submit_review(sample_review(project.id, case_id))
    owner.client.submit_review(sample_review(project.id, 4))  # the owner's own row: "you"

    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors, viewport=VIEW) as (_, page):
        sign_in(page, server, owner)
        page.click("[data-testid=owner-entry]")
        mine = f"[data-testid=owner-project][data-project-id='{project.id}']"
        page.click(f"{mine} >> [data-testid=owner-manage]")
        page.wait_for_selector(f"{ROWS} >> nth=2")
        assert statuses(page) == {
            leaving.user.username: "member",
            staying.user.username: "member",
            owner.user.username: "you",
        }
        assert row(page, owner.user.username).locator("button").count() == 0
        heights = page.evaluate(
            "(sel) => [...document.querySelectorAll(sel)].map((r) => r.offsetHeight)", ROWS
        )
        assert max(heights) - min(heights) <= 1, heights  # a Remove does not make a row taller
        remove = row(page, leaving.user.username).get_by_role("button", name="Remove")

        # The question: who, which project, how many reviews stay; Cancel is the default.
        remove.click()
        dialog = page.locator(DIALOG)
        dialog.wait_for()
        text = " ".join(dialog.inner_text().split())
        name = leaving.user.display_name
        assert text.startswith(
            f"Remove {name} from Liver masks, round 2? Their 3 reviews stay in the export; "
            "they can join again with a new invitation code."
        ), text
        assert page.evaluate("() => document.activeElement.dataset.testid") == (
            "owner-remove-cancel"
        )
        box = dialog.locator(".leave-card").bounding_box()
        assert box is not None
        assert box["x"] >= 0
        assert box["x"] + box["width"] <= VIEW["width"]
        assert box["y"] >= 0
        assert box["y"] + box["height"] <= VIEW["height"]
        page.keyboard.press("Escape")
        assert dialog.count() == 0
        remove.click()
        page.keyboard.press("Enter")  # Enter on the focused Cancel keeps them too
        assert page.locator(DIALOG).count() == 0
        remove.click()
        page.mouse.click(10, 10)  # outside the card
        assert page.locator(DIALOG).count() == 0
        remove.click()
        page.click("[data-testid=owner-remove-cancel]")
        assert page.locator(DIALOG).count() == 0
        members = [m.user_id for m in owner.client.list_members(project.id)]
        assert members == [leaving.user.id, staying.user.id]  # nothing happened so far

        # Remove: gone from the server's members, listed as removed with their progress kept.
        remove.click()
        page.click("[data-testid=owner-remove-confirm]")
        page.wait_for_function(
            """([sel, who]) => document.querySelector(`${sel}[data-username='${who}']`)
                 ?.dataset.status === 'removed'""",
            arg=[ROWS, leaving.user.username],
        )
        assert [m.user_id for m in owner.client.list_members(project.id)] == [staying.user.id]
        gone = row(page, leaving.user.username)
        assert gone.locator("button").count() == 0
        assert gone.locator("[data-testid=owner-member-progress]").inner_text() == "3 of 20"
        assert gone.locator("[data-testid=owner-member-removed]").text_content() == "removed"
        assert project.id not in [p.id for p in leaving.client.list_projects()]
        assert len(owner.client.export_json(project.id).reviews) == 4
        assert page.locator("[data-testid=owner-error]").is_hidden()

        # Removed behind the page's back: one line, and the table shows the server's state.
        owner.client.remove_member(project.id, staying.user.id)
        row(page, staying.user.username).get_by_role("button", name="Remove").click()
        assert "Their 0 reviews stay" in page.locator(DIALOG).inner_text()
        page.click("[data-testid=owner-remove-confirm]")
        error = page.locator("[data-testid=owner-error]")
        error.wait_for()
        assert error.inner_text() == (
            f"User {staying.user.id} is not a member of project {project.id}"
        )
        page.wait_for_function(
            "([sel, who]) => !document.querySelector(`${sel}[data-username='${who}']`)",
            arg=[ROWS, staying.user.username],
        )
        assert statuses(page) == {
            owner.user.username: "you",
            leaving.user.username: "removed",
        }
    assert errors == []
