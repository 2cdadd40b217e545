"""Nothing overlaps at 1280×800: the texts of every view (even in a 4×4 grid), the side panel's
controls and the top bar's parts are checked pairwise with their on-screen rectangles."""

from __future__ import annotations

from pathlib import Path

from naesview_wire import AnswerOption, Layer, ProjectConfig, Viewport, ViewportGrid
from tests.e2e.helpers import MINI, app_page, choose_dataset, review_stack, sign_in, wait_case

OVERLAPS = """() => {
  const visible = (e) => {
    const r = e.getBoundingClientRect();
    return r.width > 1 && r.height > 1 && getComputedStyle(e).display !== "none"
      && e.textContent.trim() !== "" && !e.classList.contains("sr-only");
  };
  const hit = (a, b) => {
    const r = a.getBoundingClientRect();
    const s = b.getBoundingClientRect();
    return r.left < s.right - 0.5 && s.left < r.right - 0.5
      && r.top < s.bottom - 0.5 && s.top < r.bottom - 0.5;
  };
  const text = (e) => e.textContent.trim().slice(0, 40);
  const clashes = [];
  const check = (group, where) => {
    const items = group.filter(visible);
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        if (!hit(items[i], items[j])) continue;
        clashes.push(`${where}: ${text(items[i])} / ${text(items[j])}`);
      }
    }
  };
  const all = (selector) => [...document.querySelectorAll(selector)];
  const texts = ".vp-title, .vp-slice, .vp-window, .vp-zoom, .vp-edge";
  all(".viewport").forEach((vp, k) => check([...vp.querySelectorAll(texts)], `view ${k + 1}`));
  const containers = ["tools", "tool-row", "progress"];
  const leaf = (e) => !containers.some((c) => e.classList.contains(c));
  check(all(".review-panel > *, .tool-row > *").filter(leaf), "panel");
  check(all(".topbar > *, .progress-line > *").filter(leaf), "top bar");
  const wide = document.documentElement.scrollWidth > window.innerWidth;
  if (wide) clashes.push("wider than the window");
  return clashes;
}"""


def grid_config(rows: int, columns: int, answers: int) -> ProjectConfig:
    orientations = ["axial", "coronal", "sagittal"]
    return ProjectConfig(
        question="Rate the image quality of this case on the scale below, then go on.",
        viewports=ViewportGrid(
            rows=rows,
            columns=columns,
            viewports=tuple(
                Viewport(
                    orientation=orientations[k % 3],  # type: ignore[arg-type]
                    layers=(
                        Layer(volume="image.nii.gz"),
                        Layer(volume="mask.nii.gz", is_mask=True, opacity=0.4),
                    ),
                )
                for k in range(rows * columns)
            ),
        ),
        answers=tuple(
            AnswerOption(value=f"grade{k}", label=f"Grade {k} of {answers}", key=k)
            for k in range(1, answers + 1)
        ),
        comment="required",
    )


def test_nothing_overlaps_in_a_4x4_grid_with_nine_answers(browser, tmp_path: Path) -> None:
    errors: list[str] = []
    with (
        review_stack(tmp_path, config=grid_config(4, 4, 9)) as stack,
        app_page(browser, tmp_path / "home", errors) as (_, page),
    ):
        sign_in(page, stack.server, stack.reviewer)
        choose_dataset(page, MINI)
        page.click("[data-testid=start-review]")
        wait_case(page, 0, viewports=(15,))
        assert page.locator(".viewport").count() == 16
        assert page.locator(".answer").count() == 9
        assert page.evaluate(OVERLAPS) == []
        # Zoomed in, one view large, and with the help open: still nothing on top of another.
        page.hover(".viewport >> nth=5")
        page.keyboard.press("+")
        page.keyboard.press("f")
        assert page.evaluate(OVERLAPS) == []
    assert errors == []
