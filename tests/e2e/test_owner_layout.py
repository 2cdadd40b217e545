"""The owner's screens look finished at 1280×800 and 1440×900, in real Chromium on a real server.

Checked on the screen's own rectangles: the window itself never scrolls (the top bar stays), the
side panel lines up with the form, nothing overlaps inside a row or a card, no control sticks out
of its card, no button wraps its label, an error strip lines up with the page. And the states
that looked broken: an empty preview before the dataset, a "Publish anyway" left over after the
check passed, an export asked for without a folder, a stray "null" under an export.
"""

from __future__ import annotations

from pathlib import Path

from tests.e2e.helpers import EXAMPLES, MINI, SHARED, app_page, sign_in
from tests.e2e.test_owner_ui import author_prostate, error_text

SIZES = [(1280, 800), (1440, 900)]

# Returns a list of problems (empty when the layout is clean).
LAYOUT = """() => {
  const shown = (e) => {
    const r = e.getBoundingClientRect();
    const s = getComputedStyle(e);
    return r.width > 1 && r.height > 1 && s.display !== "none" && s.visibility !== "hidden"
      && !e.classList.contains("sr-only") && !(e.type === "file");
  };
  const hit = (r, s) => r.left < s.right - 0.5 && s.left < r.right - 0.5
    && r.top < s.bottom - 0.5 && s.top < r.bottom - 0.5;
  const name = (e) =>
    (e.getAttribute("data-testid") || e.textContent.trim() || e.tagName).slice(0, 40);
  const problems = [];
  const doc = document.scrollingElement;
  if (doc.scrollHeight > innerHeight + 1 || doc.scrollWidth > innerWidth + 1) {
    problems.push(`the window scrolls (${doc.scrollWidth}×${doc.scrollHeight})`);
  }
  const bar = document.querySelector(".topbar").getBoundingClientRect();
  if (Math.abs(bar.top) > 0.5) problems.push(`top bar moved to ${bar.top}`);
  // Siblings in a row or a card never overlap.
  const groups = ".owner-inline, .owner-layer, .owner-answer, .row, .owner-card-head, .card, "
    + ".owner-head, .owner-project-row, .page-head, .owner-md";
  for (const group of document.querySelectorAll(groups)) {
    if (!shown(group)) continue;
    const items = [...group.children].filter(shown);
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i].getBoundingClientRect();
        const b = items[j].getBoundingClientRect();
        if (hit(a, b)) problems.push(`overlap: ${name(items[i])} / ${name(items[j])}`);
      }
    }
  }
  // Controls stay inside their card; buttons keep their label on one line.
  for (const card of document.querySelectorAll(".card")) {
    if (!shown(card)) continue;
    const c = card.getBoundingClientRect();
    for (const e of card.querySelectorAll("input, select, button, label, textarea, img, table")) {
      if (!shown(e)) continue;
      const r = e.getBoundingClientRect();
      if (r.left < c.left - 0.5 || r.right > c.right + 0.5) {
        problems.push(`sticks out of its card: ${name(e)}`);
      }
    }
  }
  for (const b of document.querySelectorAll("main button")) {
    if (shown(b) && b.getBoundingClientRect().height > 40) problems.push(`wrapped: ${name(b)}`);
  }
  return problems;
}"""

ALIGNED = """() => {
  const main = document.querySelector("main");
  main.scrollTop = 0;
  const form = document.querySelector(".owner-form-slot").getBoundingClientRect();
  const side = document.querySelector(".owner-side").getBoundingClientRect();
  return [form.top, side.top];
}"""


def check_layout(page, where: str) -> None:
    """At both sizes, scrolled to the top and to the bottom of the page: LAYOUT finds nothing."""
    for width, height in SIZES:
        page.set_viewport_size({"width": width, "height": height})
        for end in ("top", "bottom"):
            page.evaluate(
                "(end) => { const m = document.querySelector('main');"
                " m.scrollTop = end === 'top' ? 0 : m.scrollHeight; }",
                end,
            )
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => r()))")
            assert page.evaluate(LAYOUT) == [], f"{where} at {width}×{height}, {end}"


def test_owner_editor_and_manage_pages_are_clean_at_both_sizes(
    browser, server, tmp_path: Path
) -> None:
    owner = server.new_user("owner")
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors, console_errors=False) as (_, page):
        sign_in(page, server, owner)
        page.click("[data-testid=owner-entry]")
        page.wait_for_selector("[data-testid=owner-projects-empty]")
        check_layout(page, "no project yet")
        page.click("[data-testid=owner-new]")
        page.wait_for_selector("[data-testid=owner-form]")

        # before any dataset: a note instead of an empty preview box, nothing to check yet
        assert page.locator("[data-testid=owner-preview]").is_hidden()
        assert "Open your dataset" in page.inner_text("[data-testid=owner-preview-label]")
        assert page.is_disabled("[data-testid=owner-check]")
        assert page.is_disabled("[data-testid=owner-thumb-capture]")  # no preview to take
        check_layout(page, "empty form")
        form_top, side_top = page.evaluate(ALIGNED)
        assert abs(form_top - side_top) < 1

        # an incomplete dataset: the check's table and the error strip
        page.fill("#owner-dataset", str(MINI))
        page.click("form.path-form button[type=submit]")
        page.wait_for_selector("#owner-preview-case option >> nth=3", state="attached")
        assert page.is_enabled("[data-testid=owner-check]")
        assert page.is_enabled("[data-testid=owner-thumb-capture]")
        volume = page.locator("[data-testid=owner-layer-0-0-volume]")
        volume.fill("T1.nii.gz")
        volume.press("Tab")
        page.click("[data-testid=owner-check]")
        page.wait_for_selector("[data-testid=owner-check-summary]")
        problems = page.locator("[data-testid=owner-preview-problems]")
        problems.locator("code", has_text="T1.nii.gz").wait_for()  # a name, shown as code
        assert "case 0" not in problems.inner_text()  # the label above says "Case 1"
        page.click("[data-testid=owner-publish]")  # no title yet: asked for plainly
        message = error_text(page)
        assert message.startswith("Give the project a title")
        assert "$.title" not in message
        assert page.evaluate("() => document.activeElement.id") == "owner-title"
        page.fill("#owner-title", "Will be checked first")
        page.click("[data-testid=owner-publish]")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=owner-error]').textContent"
            ".includes('Publish anyway')"
        )
        for width, height in SIZES:  # lined up with the page, not the window's edges
            page.set_viewport_size({"width": width, "height": height})
            strip = page.locator("[data-testid=owner-error]").bounding_box()
            form = page.locator(".owner-form-slot").bounding_box()
            side = page.locator(".owner-side").bounding_box()
            assert strip is not None
            assert form is not None
            assert side is not None
            assert abs(strip["x"] - form["x"]) < 1
            assert abs(strip["x"] + strip["width"] - side["x"] - side["width"]) < 1
        assert page.is_visible("label[for=owner-continue]")
        check_layout(page, "form with an incomplete check")

        # completed: the "Publish anyway" question is gone, with its tick
        page.check("#owner-continue")
        author_prostate(page)
        assert page.is_hidden("label[for=owner-continue]")
        assert not page.is_checked("#owner-continue")
        page.click("[data-testid=owner-check]")
        page.wait_for_selector("[data-testid=owner-check-summary].ok")
        assert page.is_hidden("label[for=owner-continue]")
        page.wait_for_function(
            """() => { const p = window.naesview.ownerPreview;
                 if (!p || p.pending || p.busy || !p.shown) return false; p.viewer.renderNow();
                 return p.viewer.viewportInfo(0)?.status === 'ok'; }""",
            timeout=20000,
        )
        check_layout(page, "filled form")
        form_top, side_top = page.evaluate(ALIGNED)
        assert abs(form_top - side_top) < 1

        # the manage page: draft, then open with codes; members; export
        page.click("[data-testid=owner-publish]")
        page.wait_for_selector("[data-testid=owner-status]")
        assert page.get_attribute("[data-testid=owner-open]", "class") == "primary"
        check_layout(page, "manage, draft")
        page.click("[data-testid=owner-open]")
        page.wait_for_function(
            "() => document.querySelector('[data-testid=owner-status]')?.textContent === 'open'"
        )
        page.click("[data-testid=owner-invite]")
        page.wait_for_selector("[data-testid=owner-invite-code]:not([hidden])")
        code = page.inner_text("[data-testid=owner-invite-code]").strip()
        assert page.is_visible("[data-testid=owner-invite-copy]")
        assert code in page.inner_text("[data-testid=owner-invitations]")
        check_layout(page, "manage, open, with a code")

        page.fill("#owner-export-folder", "")
        page.click("[data-testid=owner-export-reviews]")
        message = error_text(page)
        assert "folder" in message
        assert "bug" not in message
        folder = tmp_path / "out"
        folder.mkdir()
        page.fill("#owner-export-folder", str(folder))
        page.click("[data-testid=owner-export-reviews]")
        page.wait_for_selector("[data-testid=owner-export-result] .ok")
        result = page.inner_text("[data-testid=owner-export-result]")
        assert "null" not in result
        assert "reviews-" in result
        label = page.locator("label[for=owner-map-names]").bounding_box()
        run = page.locator("[data-testid=owner-export-reviews]").bounding_box()
        assert label is not None
        assert run is not None
        assert run["y"] >= label["y"] + label["height"]  # the button on a row of its own
        check_layout(page, "manage, after an export")

        page.click("[data-testid=back]")
        page.wait_for_selector("[data-testid=owner-project]")
        check_layout(page, "one project")
    assert errors == []


# The texts of each preview view (title, slice, window, zoom, edges) never overlap one another.
VIEW_TEXTS = """() => {
  const shown = (e) => { const r = e.getBoundingClientRect();
    return r.width > 1 && getComputedStyle(e).display !== "none" && e.textContent.trim() !== ""; };
  const hit = (r, s) => r.left < s.right - 0.5 && s.left < r.right - 0.5
    && r.top < s.bottom - 0.5 && s.top < r.bottom - 0.5;
  const clashes = [];
  const views = [...document.querySelectorAll("[data-testid=owner-preview] .viewport")];
  views.forEach((vp, k) => {
    const items = [...vp.querySelectorAll(".vp-title, .vp-slice, .vp-window, .vp-zoom, .vp-edge")]
      .filter(shown);
    for (let i = 0; i < items.length; i++) {
      for (let j = i + 1; j < items.length; j++) {
        const a = items[i].getBoundingClientRect();
        const b = items[j].getBoundingClientRect();
        const what = `${items[i].textContent} / ${items[j].textContent}`;
        if (hit(a, b)) clashes.push(`view ${k + 1}: ${what}`);
      }
    }
  });
  const titles = views.map((vp) => vp.querySelector(".vp-title"));
  return { clashes, titles: titles.map((t) => (t && shown(t) ? t.textContent : null)) };
}"""


def test_small_preview_views_keep_their_titles_without_overlap(
    browser, server, tmp_path: Path
) -> None:
    """A 1 × 3 layout in the side panel: views ~160 px wide still say what they show."""
    owner = server.new_user("owner")
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors, console_errors=False) as (_, page):
        sign_in(page, server, owner)
        page.click("[data-testid=owner-entry]")
        page.set_input_files("#owner-import", str(EXAMPLES / "anatomy-classification.json"))
        page.wait_for_selector("[data-testid=owner-form]")
        page.fill("#owner-dataset", str(SHARED / "tiny_ct_many.zip"))
        page.click("form.path-form button[type=submit]")
        page.wait_for_function(
            """() => { const p = window.naesview.ownerPreview;
                 if (!p || p.pending || p.busy || !p.shown) return false; p.viewer.renderNow();
                 return [0, 1, 2].every((k) => p.viewer.viewportInfo(k)?.status === 'ok'); }""",
            timeout=30000,
        )
        for width, height in SIZES:
            page.set_viewport_size({"width": width, "height": height})
            page.evaluate("() => new Promise((r) => requestAnimationFrame(() => r()))")
            found = page.evaluate(VIEW_TEXTS)
            assert found["clashes"] == [], f"{width}×{height}"
            assert found["titles"] == ["Axial", "Sagittal", "Coronal"], f"{width}×{height}"
            assert page.evaluate(LAYOUT) == [], f"{width}×{height}"
    assert errors == []
