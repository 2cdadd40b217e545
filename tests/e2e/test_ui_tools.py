"""The left-button tools of the review screen look selected exactly when they are the one a left
drag uses: W/L, Pan, or the brush (Paint / Erase). Real Chromium on `naesview app --browser`,
signed in to a real sync server, reviewing `../shared/data/mini.zip` with a brush project.

Checked from the outside: which tool buttons carry `is-on` (and the brush's aria-pressed), what a
left drag on the axial view actually changes (the window numbers or the edited mask), through
buttons, the w / b / e keys, and a change of case.
"""

from __future__ import annotations

from pathlib import Path

from naesview_wire import AnswerOption, BrushConfig, Layer, ProjectConfig, Viewport, ViewportGrid
from tests.e2e.helpers import MINI, app_page, choose_dataset, review_stack, sign_in, wait_case

MASK = "mask.nii.gz"

# The tool buttons that look selected, by label (W/L, Pan, Paint, Erase).
SELECTED = """() => [...document.querySelectorAll(
  '.segmented .seg, [data-testid=brush-paint], [data-testid=brush-erase]')]
  .filter((b) => b.classList.contains('is-on')).map((b) => b.textContent)"""

STATE = """() => ({
  leftDrag: window.naesview.review.viewer.getState().leftDrag,
  grid: document.querySelector('[data-testid=viewer]').dataset.leftDrag,
  brush: window.naesview.brush.debug().enabled,
  paintPressed: document.querySelector('[data-testid=brush-paint]').getAttribute('aria-pressed'),
  erasePressed: document.querySelector('[data-testid=brush-erase]').getAttribute('aria-pressed'),
})"""


def tools_config() -> ProjectConfig:
    mask_layer = Layer(volume=MASK, is_mask=True, colour="#ff3030", opacity=0.4)
    return ProjectConfig(
        question="Fix the mask, then answer.",
        viewports=ViewportGrid(
            rows=1,
            columns=2,
            viewports=(
                Viewport(orientation="axial", layers=(Layer(volume="image.nii.gz"), mask_layer)),
                Viewport(orientation="coronal", layers=(Layer(volume="image.nii.gz"),)),
            ),
        ),
        answers=(
            AnswerOption(value="fixed", label="Mask fixed", key=1),
            AnswerOption(value="bad", label="Beyond repair", key=2),
        ),
        brush=BrushConfig(volume=MASK, radius_mm=4.0),
    )


def selected(page) -> list[str]:
    page.evaluate("() => window.naesview.review.viewer.renderNow()")  # the brush follows a frame
    return page.evaluate(SELECTED)


def window_text(page) -> str:
    """The window numbers the axial view shows ("W 1500  L 400")."""
    page.evaluate("() => window.naesview.review.viewer.renderNow()")
    return page.inner_text("[data-testid=viewer] .viewport >> nth=0 >> .vp-window")


def drag_axial(page) -> None:
    """A left drag across the middle of the axial view."""
    box = page.evaluate(
        "() => { const r = window.naesview.review.viewer.canvas(0).getBoundingClientRect();"
        " return [r.left + r.width / 2, r.top + r.height / 2]; }"
    )
    x, y = box
    page.mouse.move(x - 10, y - 10)
    page.mouse.down()
    page.mouse.move(x + 25, y + 30, steps=6)
    page.mouse.up()
    page.mouse.move(2, 2)


def added(page) -> int:
    page.wait_for_function("() => window.naesview.brush?.debug().history !== null", timeout=15000)
    return page.evaluate("() => window.naesview.brush.debug().history.metrics().added")


def test_exactly_the_active_tool_looks_selected(tmp_path: Path, browser) -> None:
    errors: list[str] = []
    (tmp_path / "sync").mkdir()
    with (
        review_stack(tmp_path / "sync", config=tools_config()) as stack,
        app_page(browser, tmp_path / "home", errors) as (_, page),
    ):
        sign_in(page, stack.server, stack.reviewer)
        choose_dataset(page, MINI)
        page.click("[data-testid=start-review]")
        wait_case(page, 0, (0, 1))

        # The brush is on when the case opens: only Paint looks selected, and a drag paints.
        assert selected(page) == ["Paint"]
        state = page.evaluate(STATE)
        assert state["leftDrag"] == "tool"
        assert state["grid"] == "tool"
        assert state["paintPressed"] == "true"
        before = window_text(page)
        drag_axial(page)
        painted = added(page)
        assert painted > 0
        assert window_text(page) == before

        # W/L clicked: W/L alone looks selected, the brush is away, a drag windows the image.
        page.click(".segmented .seg:has-text('W/L')")
        assert selected(page) == ["W/L"]
        state = page.evaluate(STATE)
        assert state["brush"] is False
        assert state["paintPressed"] == "false"
        assert state["grid"] == "window"
        drag_axial(page)
        assert window_text(page) != before
        assert added(page) == painted

        # b takes the brush again (Paint alone), Pan clicked puts it away (Pan alone).
        page.keyboard.press("b")
        assert selected(page) == ["Paint"]
        page.click(".segmented .seg:has-text('Pan')")
        assert selected(page) == ["Pan"]
        assert page.evaluate(STATE)["brush"] is False

        # e: the brush in erase mode (Erase alone); w: W/L again (W/L alone).
        page.keyboard.press("e")
        assert selected(page) == ["Erase"]
        assert page.evaluate(STATE)["erasePressed"] == "true"
        page.keyboard.press("w")
        assert selected(page) == ["W/L"]

        # Paint, then Paint again: the brush goes and left drag is W/L again, as before it.
        page.click("[data-testid=brush-paint]")
        assert selected(page) == ["Paint"]
        page.click("[data-testid=brush-paint]")
        assert selected(page) == ["W/L"]
        assert page.evaluate(STATE)["grid"] == "window"

        # The brush stays the selected tool from case to case.
        page.click("[data-testid=brush-paint]")
        assert selected(page) == ["Paint"]
        page.click("[data-testid=answer-fixed]")
        wait_case(page, 1, (0, 1))
        assert selected(page) == ["Paint"]
        assert page.evaluate(STATE)["leftDrag"] == "tool"
    assert errors == []
