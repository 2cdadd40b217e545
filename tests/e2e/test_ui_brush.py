"""Brush editing of a mask in the review UI, end to end: real Chromium on `naesview app --browser`
signed in to a real sync server, reviewing `../shared/data/mini.zip` with a project whose config
lets the reviewer edit `mask.nii.gz`.

The reviewer paints a stroke with the mouse, undoes and redoes it, erases with Shift held, and
answers. The expected mask is computed here with the Python brush maths
(`naesview_app.imaging.brush.paint_stroke`) from the pointer positions the canvas received, and
compared with what the page holds, what the viewports draw (the axial and the coronal view both
show the mask) and what the server stored (`unpack_mask`), metrics included.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from naesview_app.imaging.brush import PackedMask, mask_metrics, paint_stroke, unpack_mask
from naesview_wire import AnswerOption, BrushConfig, Layer, ProjectConfig, Viewport, ViewportGrid
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

RADIUS_MM = 4.0
SPACING = (2.0, 2.0, 2.0)  # mini.zip case1, [z, y, x] mm (manifest.json)
MASK = "mask.nii.gz"


def brush_config() -> ProjectConfig:
    """Axial and coronal views with the editable mask on top, a sagittal view without it."""
    mask_layer = Layer(volume=MASK, is_mask=True, colour="#ff3030", opacity=0.4)
    return ProjectConfig(
        question="Fix the mask, then answer.",
        viewports=ViewportGrid(
            rows=1,
            columns=3,
            viewports=(
                Viewport(orientation="axial", layers=(Layer(volume="image.nii.gz"), mask_layer)),
                Viewport(orientation="coronal", layers=(Layer(volume="image.nii.gz"), mask_layer)),
                Viewport(orientation="sagittal", layers=(Layer(volume="image.nii.gz"),)),
            ),
        ),
        answers=(
            AnswerOption(value="fixed", label="Mask fixed", key=1),
            AnswerOption(value="bad", label="Beyond repair", key=2),
        ),
        brush=BrushConfig(volume=MASK, radius_mm=RADIUS_MM),
    )


def folder(path: Path) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    return path


def open_first_case(page, stack) -> None:
    sign_in(page, stack.server, stack.reviewer)
    choose_dataset(page, MINI)
    page.click("[data-testid=start-review]")
    wait_case(page, 0)


# Records where the pointer was, in canvas pixels, for every pointer event the canvas receives.
RECORD = """(i) => {
  const canvas = window.naesview.review.viewer.canvas(i);
  const strokes = (window.__strokes = []);
  const at = (e) => {
    const r = canvas.getBoundingClientRect();
    const d = window.devicePixelRatio || 1;
    return [(e.clientX - r.left) * d, (e.clientY - r.top) * d];
  };
  canvas.addEventListener("pointerdown", (e) => { if (e.button === 0) strokes.push([at(e)]); });
  canvas.addEventListener("pointermove", (e) => { if (e.buttons & 1) strokes.at(-1).push(at(e)); });
}"""

# Pixels of the paint-mode brush circle (#ffff66) on viewport i's canvas.
CURSOR_PIXELS = """(i) => {
  const viewer = window.naesview.review.viewer;
  viewer.renderNow();
  const c = viewer.canvas(i);
  const px = c.getContext("2d").getImageData(0, 0, c.width, c.height).data;
  let n = 0;
  for (let o = 0; o < px.length; o += 4) {
    if (px[o] > 240 && px[o + 1] > 240 && px[o + 2] > 80 && px[o + 2] < 120) n++;
  }
  return n;
}"""

EDITED = """() => Array.from(window.naesview.brush.debug().history.mask.entries())
  .filter(([, v]) => v).map(([k]) => k)"""


def drag(page, viewport: int, start: tuple[float, float], end: tuple[float, float]) -> list:
    """Left-drag across viewport `viewport` between two slice positions (u, v); returns the
    pointer positions the canvas got, as slice positions (voxel centres at integers)."""
    info = page.evaluate(
        """(i) => { const v = window.naesview.review.viewer; v.renderNow();
           const r = v.canvas(i).getBoundingClientRect(); const f = v.viewportInfo(i).fit;
           return {left: r.left, top: r.top, dpr: window.devicePixelRatio || 1,
                   fl: f.left, ft: f.top, pxW: f.pxW, pxH: f.pxH}; }""",
        viewport,
    )

    def client(u: float, v: float) -> tuple[float, float]:
        x = info["fl"] + (u + 0.5) * info["pxW"]
        y = info["ft"] + (v + 0.5) * info["pxH"]
        return info["left"] + round(x / info["dpr"]), info["top"] + round(y / info["dpr"])

    page.mouse.move(*client(*start))
    page.mouse.down()
    page.mouse.move(*client(*end), steps=8)
    page.mouse.up()
    page.mouse.move(2, 2)  # off the viewports: no brush circle over the pixels read back
    canvas_points = page.evaluate("() => window.__strokes.at(-1)")
    return [
        ((x - info["fl"]) / info["pxW"] - 0.5, (y - info["ft"]) / info["pxH"] - 0.5)
        for x, y in canvas_points
    ]


def apply_stroke(mask: np.ndarray, index: int, points: list, value: int) -> None:
    """What the page must have done: a dab at the first point, then each segment."""
    previous = points[0]
    for point in points:
        paint_stroke(mask, SPACING, "axial", index, previous, point, RADIUS_MM, value)
        previous = point


def metrics_text(original: np.ndarray, edited: np.ndarray) -> str:
    m = mask_metrics(original, edited)
    return f"Added {m.added} · Removed {m.removed} · Dice {m.dice:.3f}"


def test_paint_undo_redo_erase_and_answer(tmp_path: Path, browser) -> None:
    errors: list[str] = []
    image = canonical_volume("case1", "image.nii.gz")
    original = (canonical_volume("case1", MASK) != 0).astype(np.uint8)
    with (
        review_stack(folder(tmp_path / "sync"), config=brush_config()) as stack,
        app_page(browser, tmp_path / "home", errors) as (_, page),
    ):
        open_first_case(page, stack)
        panel = page.locator("[data-testid=brush-panel]")
        assert panel.is_visible()
        page.wait_for_function(
            "() => window.naesview.brush?.debug().history !== null", timeout=15000
        )
        assert page.inner_text("[data-testid=brush-metrics]") == "Added 0 · Removed 0 · Dice 1.000"
        assert page.inner_text("[data-testid=brush-radius-label]") == "4.0 mm"
        assert page.locator("[data-testid=brush-paint]").get_attribute("aria-pressed") == "true"

        # The keys are in the ? help; ] and [ step the radius (20 %) and back.
        page.keyboard.press("?")
        help_text = page.inner_text("[data-testid=help]")
        assert "Brush radius" in help_text
        assert "ctrl+Z" in help_text
        page.keyboard.press("Escape")
        page.keyboard.press("]")
        assert page.inner_text("[data-testid=brush-radius-label]") == "4.8 mm"
        page.keyboard.press("[")
        assert page.inner_text("[data-testid=brush-radius-label]") == "4.0 mm"

        axial = read_viewport(page, 0)
        z = axial["index"]
        # The brush circle follows the pointer over a view that shows the mask, and only there.
        box = page.locator(".viewport[data-index='0'] canvas").bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        assert page.evaluate(CURSOR_PIXELS, 0) > 5
        page.mouse.move(2, 2)
        assert page.evaluate(CURSOR_PIXELS, 0) == 0
        coronal_y = read_viewport(page, 1)["index"]
        page.evaluate(RECORD, 0)

        # Paint: a stroke along row y = coronal_y of the axial slice, so the coronal view shows it.
        points = drag(page, 0, (3.0, float(coronal_y)), (14.0, float(coronal_y)))
        assert len(points) >= 3
        painted = original.copy()
        apply_stroke(painted, z, points, 1)
        added = np.argwhere(painted != original)
        assert len(added) > 10
        assert set(added[:, 0]) == {z}  # only on the painted slice
        assert abs(added[:, 1] - coronal_y).max() <= RADIUS_MM / SPACING[1]  # along the stroke
        assert page.evaluate(EDITED) == np.flatnonzero(painted).tolist()
        assert page.inner_text("[data-testid=brush-metrics]") == metrics_text(original, painted)
        # At once in both views that show the mask.
        assert_shows(read_viewport(page, 0), expected_view(image, axial, painted), "axial")
        coronal = read_viewport(page, 1)
        assert_shows(coronal, expected_view(image, coronal, painted), "coronal")

        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        shot(page, "review-brush.png", tmp_path)
        page.mouse.move(2, 2)

        # Undo puts the original back, redo the stroke.
        page.keyboard.press("Control+z")
        assert page.evaluate(EDITED) == np.flatnonzero(original).tolist()
        assert page.inner_text("[data-testid=brush-metrics]") == "Added 0 · Removed 0 · Dice 1.000"
        assert_shows(read_viewport(page, 1), expected_view(image, coronal, original), "undone")
        page.keyboard.press("Control+Shift+z")
        assert page.evaluate(EDITED) == np.flatnonzero(painted).tolist()

        # Erase with Shift held, across the middle of the original mask on this slice.
        inside = np.argwhere(original[z])
        assert len(inside), "case1's mask must cross the middle axial slice"
        cy, cx = inside.mean(axis=0)
        page.keyboard.down("Shift")
        erase_points = drag(page, 0, (cx - 2.0, cy), (cx + 2.0, cy))
        page.keyboard.up("Shift")
        edited = painted.copy()
        apply_stroke(edited, z, erase_points, 0)
        assert (edited < original).any(), "the erase stroke removed nothing"
        assert page.evaluate(EDITED) == np.flatnonzero(edited).tolist()
        expected_metrics = mask_metrics(original, edited)
        assert page.inner_text("[data-testid=brush-metrics]") == metrics_text(original, edited)

        # Reset to original is one more step, undone like a stroke; e toggles Erase and back.
        page.click("[data-testid=brush-reset]")
        assert page.evaluate(EDITED) == np.flatnonzero(original).tolist()
        assert page.inner_text("[data-testid=brush-metrics]") == "Added 0 · Removed 0 · Dice 1.000"
        page.keyboard.press("Control+z")
        assert page.evaluate(EDITED) == np.flatnonzero(edited).tolist()
        page.keyboard.press("e")
        assert page.get_attribute("[data-testid=brush-erase]", "aria-pressed") == "true"
        page.keyboard.press("e")
        assert page.get_attribute("[data-testid=brush-paint]", "aria-pressed") == "true"

        # Answer: the edited mask goes to the server with the review.
        page.keyboard.press("1")
        wait_case(page, 1)
        (record,) = wait_reviews(stack, 1)
        assert record.review.answer == "fixed"
        (stored,) = record.review.masks
        assert stored.volume == MASK
        assert np.array_equal(unpack_mask(PackedMask.from_wire(stored)), edited)
        assert (stored.added, stored.removed) == (expected_metrics.added, expected_metrics.removed)
        assert stored.dice == pytest.approx(expected_metrics.dice)
        assert errors == []


def test_no_brush_controls_without_brush_editing(tmp_path: Path, browser) -> None:
    errors: list[str] = []
    with (
        review_stack(folder(tmp_path / "sync")) as stack,
        app_page(browser, tmp_path / "home", errors) as (_, page),
    ):
        open_first_case(page, stack)
        assert page.locator("[data-testid=brush-panel]").count() == 0
        assert page.evaluate("() => window.naesview.brush ?? null") is None
        page.keyboard.press("?")
        assert "Brush" not in page.inner_text("[data-testid=help]")
        page.keyboard.press("Escape")
        # The left drag is still window/level, not a brush.
        assert page.get_attribute(".viewer-grid", "data-left-drag") == "window"
        assert errors == []
