"""A reviewer's mask edits are never silently lost, end to end: real Chromium on
`naesview app --browser`, a real sync server, `../shared/data/mini.zip` and a brush project.

1. Paint, answer, restart the app, go back to the case: the views draw the edited mask (pixels
   read back), the brush measures it against the project's mask, and changing the answer without
   touching the brush still sends the edit (the server's current review carries it).
2. Leaving a case with edits no answer carries (→, ←, the Project button, Sign out) asks first:
   Keep editing (Enter, Esc) stays on the case with the edits, Discard edits drops them.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from naesview_app.imaging.brush import PackedMask, mask_metrics, unpack_mask
from tests.e2e.helpers import (
    MINI,
    app_page,
    assert_shows,
    canonical_volume,
    choose_dataset,
    expected_view,
    read_viewport,
    review_stack,
    shot,
    sign_in,
    wait_case,
    wait_reviews,
)
from tests.e2e.test_ui_brush import EDITED, MASK, RECORD, brush_config, drag, folder

HISTORY_READY = "() => window.naesview.brush?.debug().history != null"
CONFIRM = "[data-testid=leave-confirm]"


def edited_mask(page, shape: tuple[int, ...]) -> np.ndarray:
    mask = np.zeros(int(np.prod(shape)), np.uint8)
    mask[page.evaluate(EDITED)] = 1
    return mask.reshape(shape)


def metrics_text(original: np.ndarray, edited: np.ndarray) -> str:
    m = mask_metrics(original, edited)
    return f"Added {m.added} · Removed {m.removed} · Dice {m.dice:.3f}"


def paint_across(page, viewport: int = 0) -> None:
    """One stroke across the middle rows of the axial view (adds voxels next to the mask)."""
    shown = read_viewport(page, viewport)
    page.evaluate(RECORD, viewport)
    v = shown["height"] / 2
    drag(page, viewport, (2.0, v), (shown["width"] - 3.0, v))


def current_review(stack, case_id: int, answer: str, timeout: float = 20):
    """The server's current review of `case_id` once its answer is `answer`."""
    deadline = time.monotonic() + timeout
    while True:
        current = [
            r.review
            for r in stack.owner.client.list_reviews(stack.project_id)
            if r.current and r.review.case_id == case_id
        ]
        if current and current[0].answer == answer:
            return current[0]
        if time.monotonic() > deadline:
            raise AssertionError(f"case {case_id}: current review {current}, wanted `{answer}`")
        time.sleep(0.2)


def test_an_answered_edit_comes_back_after_a_restart_and_goes_out_again(
    tmp_path: Path, browser
) -> None:
    errors: list[str] = []
    image = canonical_volume("case1", "image.nii.gz")
    original = (canonical_volume("case1", MASK) != 0).astype(np.uint8)
    with (
        review_stack(folder(tmp_path / "sync"), config=brush_config()) as stack,
        app_page(browser, tmp_path / "home", errors) as (app, page),
    ):
        sign_in(page, stack.server, stack.reviewer)
        choose_dataset(page, MINI)
        page.click("[data-testid=start-review]")
        wait_case(page, 0)
        page.wait_for_function(HISTORY_READY, timeout=15000)
        paint_across(page)
        edited = edited_mask(page, original.shape)
        assert (edited > original).sum() > 10
        page.keyboard.press("1")  # answer: saved with the edit
        wait_case(page, 1)
        (record,) = wait_reviews(stack, 1)
        assert np.array_equal(unpack_mask(PackedMask.from_wire(record.review.masks[0])), edited)

        app.restart()  # nothing of this sitting is left in memory but the outbox file
        page.goto(app.url)
        choose_dataset(page, MINI)
        page.click("[data-testid=start-review]")
        wait_case(page, 1)  # resumes at the first case not answered
        page.keyboard.press("ArrowLeft")
        wait_case(page, 0)
        page.wait_for_function(HISTORY_READY, timeout=15000)
        assert page.locator(CONFIRM).count() == 0  # arriving with a saved edit is not an edit
        assert np.array_equal(edited_mask(page, original.shape), edited)
        # Drawn as edited in both views of the mask, and measured against the project's mask.
        for viewport in (0, 1):
            shown = read_viewport(page, viewport)
            assert_shows(shown, expected_view(image, shown, edited), f"view {viewport}")
        metrics = page.inner_text("[data-testid=brush-metrics]")
        assert metrics == metrics_text(original, edited)
        assert not page.locator("[data-testid=brush-reset]").is_disabled()
        assert page.locator("[data-testid=brush-undo]").is_disabled()

        # Change the answer without touching the brush: the edit goes with it.
        page.keyboard.press("2")
        wait_case(page, 1)
        changed = current_review(stack, 0, "bad")
        (mask,) = changed.masks
        assert np.array_equal(unpack_mask(PackedMask.from_wire(mask)), edited)
        assert (mask.added, mask.removed) == (
            int(((edited == 1) & (original == 0)).sum()),
            int(((edited == 0) & (original == 1)).sum()),
        )

        # Reset to original, then answer: from then on the project's mask is the answer's.
        page.keyboard.press("ArrowLeft")
        wait_case(page, 0)
        page.wait_for_function(HISTORY_READY, timeout=15000)
        page.click("[data-testid=brush-reset]")
        page.keyboard.press("1")
        wait_case(page, 1)
        assert current_review(stack, 0, "fixed").masks == ()
        assert errors == []


def test_leaving_a_case_with_unsaved_edits_asks_first(tmp_path: Path, browser) -> None:
    errors: list[str] = []
    original = (canonical_volume("case1", MASK) != 0).astype(np.uint8)
    with (
        review_stack(folder(tmp_path / "sync"), config=brush_config()) as stack,
        app_page(browser, tmp_path / "home", errors) as (_, page),
    ):
        sign_in(page, stack.server, stack.reviewer)
        choose_dataset(page, MINI)
        page.click("[data-testid=start-review]")
        wait_case(page, 0)
        page.wait_for_function(HISTORY_READY, timeout=15000)

        # Untouched: → moves on without a question, and ← comes back.
        page.keyboard.press("ArrowRight")
        wait_case(page, 1)
        page.keyboard.press("ArrowLeft")
        wait_case(page, 0)
        page.wait_for_function(HISTORY_READY, timeout=15000)

        paint_across(page)
        edited = edited_mask(page, original.shape)
        assert not np.array_equal(edited, original)

        # → asks; Enter is "Keep editing": same case, edits kept, focus on the question's button.
        page.keyboard.press("ArrowRight")
        dialog = page.wait_for_selector(CONFIRM, timeout=5000)
        assert "You edited the mask of this case but did not answer." in dialog.inner_text()
        assert dialog.get_attribute("role") == "alertdialog"
        assert page.evaluate("document.activeElement.dataset.testid") == "leave-keep"
        shot(page, "review-leave-confirm.png", tmp_path)
        page.keyboard.press("2")  # an answer key does nothing while the question is open
        page.keyboard.press("Enter")
        assert page.locator(CONFIRM).count() == 0
        assert page.evaluate("window.naesview.review.index") == 0
        assert np.array_equal(edited_mask(page, original.shape), edited)
        assert wait_reviews_now(stack) == 0

        # The Project button and Sign out ask too; Esc keeps editing.
        for trigger in ("[data-testid=back]", "[data-testid=sign-out]"):
            page.click(trigger)
            page.wait_for_selector(CONFIRM, timeout=5000)
            page.keyboard.press("Escape")
            assert page.locator(CONFIRM).count() == 0
            assert page.evaluate("window.naesview.review?.index") == 0, trigger

        # Tab to "Discard edits", Enter: the next case, and the edits are gone for good.
        page.keyboard.press("ArrowRight")
        page.wait_for_selector(CONFIRM, timeout=5000)
        page.keyboard.press("Tab")
        assert page.evaluate("document.activeElement.dataset.testid") == "leave-discard"
        page.keyboard.press("Enter")
        wait_case(page, 1)
        page.keyboard.press("ArrowLeft")
        wait_case(page, 0)
        page.wait_for_function(HISTORY_READY, timeout=15000)
        assert np.array_equal(edited_mask(page, original.shape), original)
        assert page.inner_text("[data-testid=brush-metrics]") == "Added 0 · Removed 0 · Dice 1.000"
        assert page.locator(CONFIRM).count() == 0

        # Painted again and answered: saved with the answer, no question on the way.
        paint_across(page)
        edited = edited_mask(page, original.shape)
        page.keyboard.press("1")
        wait_case(page, 1)
        assert page.locator(CONFIRM).count() == 0
        (record,) = wait_reviews(stack, 1)
        assert np.array_equal(unpack_mask(PackedMask.from_wire(record.review.masks[0])), edited)

        # An edit undone back to what was saved is no edit: ← and → go without a question.
        page.keyboard.press("ArrowLeft")
        wait_case(page, 0)
        page.wait_for_function(HISTORY_READY, timeout=15000)
        paint_across(page, viewport=1)
        page.keyboard.press("Control+z")
        page.keyboard.press("ArrowRight")
        wait_case(page, 1)
        assert page.locator(CONFIRM).count() == 0
        assert errors == []


def wait_reviews_now(stack) -> int:
    return len(stack.owner.client.list_reviews(stack.project_id))
