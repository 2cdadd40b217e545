"""The review UI end to end: real Chromium (Playwright) on `naesview app --browser`, signed in to a
real sync server, reviewing `../shared/data/mini.zip`.

What a reviewer does, checked from the outside: sign in, open the project, read the instructions,
open the dataset, see the right slice (canvas pixels read back and compared with the windowed
slice computed here in numpy from the manifest-checked volume), scroll and window/level, answer by
key, and find the review on the server; a restarted app resumes at the next case.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from naesview_wire import (
    AnswerOption,
    CaseLabel,
    Layer,
    ProjectConfig,
    ProjectCreate,
    ProjectPrivate,
    ProjectPublic,
    Viewport,
    ViewportGrid,
)
from tests.e2e.helpers import (
    MINI,
    Stack,
    app_page,
    assert_shows,
    canonical_volume,
    displayed_slice,
    expected_view,
    read_viewport,
    review_stack,
    shot,
    sign_in,
    wait_case,
    wait_reviews,
)


@pytest.fixture(scope="module")
def stack(tmp_path_factory) -> Iterator[Stack]:
    with review_stack(tmp_path_factory.mktemp("sync")) as running:
        yield running


@pytest.fixture(scope="module")
def app_home(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("app-home")


def test_review_mini_zip(stack: Stack, app_home: Path, browser, tmp_path: Path) -> None:
    errors: list[str] = []
    image = canonical_volume("case1", "image.nii.gz")
    mask = canonical_volume("case1", "mask.nii.gz")
    with app_page(browser, app_home, errors) as (_, page):
        # The token leaves the address bar at once.
        page.wait_for_selector("#server", timeout=15000)
        assert "token=" not in page.url
        shot(page, "signin-browser.png", tmp_path)

        # A wrong password is refused with a one-line message, and nothing else happens.
        page.fill("#server", stack.server.base_url)
        page.fill("#username", stack.reviewer.user.username)
        page.fill("#password", "not-the-password")
        page.click("form.signin button[type=submit]")
        page.wait_for_selector(".error-line:not([hidden])", timeout=15000)
        assert "\n" not in page.inner_text(".error-line").strip()
        assert page.locator("#server").count() == 1

        sign_in(page, stack.server, stack.reviewer)
        card = page.wait_for_selector("[data-testid=project-card]", timeout=15000)
        assert "Prostate masks" in card.inner_text()
        assert "Check the automatic prostate segmentation" in card.inner_text()
        # The owner's thumbnail, decoded and shown (a data URL; nothing is fetched from outside).
        thumb = card.query_selector("img.thumb")
        assert thumb is not None
        assert thumb.evaluate("(img) => img.complete && img.naturalWidth") == 96
        shot(page, "projects-browser.png", tmp_path)

        # Instructions: Markdown rendered, HTML and javascript: links inert.
        card.click()
        page.wait_for_selector("[data-testid=instructions] h2", timeout=15000)
        instructions = page.locator("[data-testid=instructions] .markdown")
        assert instructions.locator("strong").inner_text() == "prostate mask"
        assert instructions.locator("li").count() == 2
        assert instructions.locator("script").count() == 0
        assert "<script>" in instructions.inner_text()
        assert instructions.locator("a[href^=javascript]").count() == 0
        assert page.evaluate("() => window.__injected") is None

        page.fill("#dataset-path", str(MINI))
        page.click(".path-form button[type=submit]")
        page.wait_for_selector("[data-testid=fingerprint-ok]", timeout=20000)
        assert page.locator("[data-testid=fingerprint-warning]").count() == 0
        assert page.locator("[data-testid=missing-volumes]").count() == 0
        start = page.locator("[data-testid=start-review]")
        assert "4 cases" in start.inner_text()
        start.click()

        # Case 1: three viewports, each showing exactly the expected windowed slice.
        wait_case(page, 0)
        assert page.inner_text("[data-testid=case-label]").strip() == "case1"
        assert "Case 1 of 4" in page.inner_text("[data-testid=position]")
        axial, coronal, sagittal = (read_viewport(page, i) for i in range(3))
        # The views open on the slices through the mask (its centre of mass), not the middle.
        assert (axial["orientation"], axial["index"]) == ("axial", 13)  # middle: 12
        assert (coronal["orientation"], coronal["index"]) == ("coronal", 24)  # middle: 20
        assert (sagittal["orientation"], sagittal["index"]) == ("sagittal", 16)
        assert_shows(axial, expected_view(image, axial, mask), "axial with mask")
        assert_shows(coronal, expected_view(image, coronal), "coronal")
        assert_shows(sagittal, expected_view(image, sagittal), "sagittal")
        # The mask really is drawn (some voxels of this slice are inside it).
        assert (displayed_slice(mask, "axial", 13) > 0).any()

        # Scrolling: wheel over the axial view and arrow keys over the coronal one.
        box = page.locator(".viewport").nth(0).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.mouse.wheel(0, 100)
        page.mouse.wheel(0, 100)
        axial = read_viewport(page, 0)
        assert axial["index"] == 15
        assert_shows(axial, expected_view(image, axial, mask), "axial after scrolling")
        assert page.inner_text(".viewport >> nth=0 >> .vp-slice") == "16 / 25"
        box1 = page.locator(".viewport").nth(1).bounding_box()
        page.mouse.move(box1["x"] + box1["width"] / 2, box1["y"] + box1["height"] / 2)
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowUp")
        page.keyboard.press("ArrowUp")
        coronal = read_viewport(page, 1)
        assert coronal["index"] == 21
        assert_shows(coronal, expected_view(image, coronal), "coronal after ↑↑↑")

        # Window/level: a right-button drag to the right widens the window for every view.
        before = read_viewport(page, 2)["window"]
        page.mouse.down(button="right")
        page.mouse.move(box1["x"] + box1["width"] / 2 + 120, box1["y"] + box1["height"] / 2 + 40)
        page.mouse.up(button="right")
        sagittal = read_viewport(page, 2)
        assert sagittal["window"]["width"] > before["width"]
        assert sagittal["window"]["center"] != before["center"]
        assert_shows(sagittal, expected_view(image, sagittal), "sagittal after window drag")
        assert page.inner_text(".viewport >> nth=2 >> .vp-window").startswith("W ")

        # m hides the mask overlay (the image alone), m again shows it.
        page.keyboard.press("m")
        axial = read_viewport(page, 0)
        assert_shows(axial, expected_view(image, axial), "axial, mask hidden")
        assert (displayed_slice(mask, "axial", axial["index"]) > 0).any()  # so it would show
        assert page.inner_text("[data-testid=toggle-masks]") == "Show masks"
        page.keyboard.press("m")
        axial = read_viewport(page, 0)
        assert_shows(axial, expected_view(image, axial, mask), "axial, mask shown again")

        # The opacity slider: at 0 the image alone, at 100 % the project's 0.4 again.
        page.fill("[data-testid=mask-opacity]", "0")
        axial = read_viewport(page, 0)
        assert_shows(axial, expected_view(image, axial), "axial, mask opacity 0")
        page.fill("[data-testid=mask-opacity]", "100")
        axial = read_viewport(page, 0)
        assert_shows(axial, expected_view(image, axial, mask), "axial, mask opacity 100 %")

        # Keyboard help opens on ? and closes on Escape.
        page.keyboard.press("?")
        assert page.locator("[data-testid=help]").is_visible()
        page.keyboard.press("Escape")
        assert not page.locator("[data-testid=help]").is_visible()

        # Let the next case arrive ahead, then answer by key: the switch is immediate.
        page.wait_for_function(
            "() => window.naesview.review.cachedIndices().includes(1)", timeout=20000
        )
        page.wait_for_timeout(500)
        page.keyboard.press("2")
        wait_case(page, 1)
        switch_ms = page.evaluate("() => window.naesview.review.lastSwitchMs")
        print(f"switch to prefetched case2: {switch_ms:.2f} ms")
        assert switch_ms <= 16
        assert page.inner_text("[data-testid=case-label]").strip() == "case2"

        # case2 has 2.2 mm slices: coronal rows are 1.1× as tall as columns are wide.
        coronal2 = read_viewport(page, 1)
        assert abs(coronal2["pxH"] / coronal2["pxW"] - 2.199999 / 2.0) < 1e-3
        image2 = canonical_volume("case2", "image.nii.gz")
        assert_shows(coronal2, expected_view(image2, coronal2), "case2 coronal")

        # A comment, then key 1; then back with ← to see and change the earlier answer.
        page.click("[data-testid=comment]")
        page.keyboard.type("borderline apex")
        page.locator("[data-testid=comment]").blur()
        page.keyboard.press("1")
        wait_case(page, 2)
        assert page.inner_text("[data-testid=case-label]").strip() == "case3"
        page.keyboard.press("ArrowLeft")
        wait_case(page, 1)
        assert "is-selected" in (page.get_attribute("[data-testid=answer-good]", "class") or "")
        assert page.input_value("[data-testid=comment]") == "borderline apex"
        page.keyboard.press("ArrowLeft")
        wait_case(page, 0)
        assert "is-selected" in (page.get_attribute("[data-testid=answer-bad]", "class") or "")
        page.keyboard.press("1")  # change case1 from "bad" to "good"
        wait_case(page, 1)
        page.keyboard.press("Enter")  # answered already: just move on
        wait_case(page, 2)
        # Go to a case by number (g), e.g. to look at an earlier answer; and back.
        page.keyboard.press("g")
        page.keyboard.type("1")  # the field starts selected: typing replaces its "3"
        page.keyboard.press("Enter")
        wait_case(page, 0)
        assert "is-selected" in (page.get_attribute("[data-testid=answer-good]", "class") or "")
        page.click("[data-testid=position]")
        page.keyboard.type("3")
        page.keyboard.press("Enter")
        wait_case(page, 2)
        page.wait_for_function(
            "() => /synced/.test(document.querySelector('[data-testid=sync-status]').textContent)",
            timeout=20000,
        )
        progress = page.inner_text("[data-testid=eta]")
        assert progress.startswith("2 answered"), progress
        shot(page, "review-browser.png", tmp_path)

    # On the server: current reviews with the right case ids, answers, comment and timing.
    records = {r.review.case_id: r for r in wait_reviews(stack, 2) if r.current}
    assert set(records) == {0, 1}
    assert records[0].review.answer == "good"
    assert records[0].revision == 2
    assert records[1].review.answer == "good"
    assert records[1].review.comment == "borderline apex"
    assert records[1].review.config_version == 1
    assert records[1].review.project_id == stack.project_id
    assert records[1].review.elapsed_ms is not None
    assert records[1].review.elapsed_ms > 0
    assert errors == []


def test_restart_resumes_at_the_next_case(stack: Stack, app_home: Path, browser) -> None:
    errors: list[str] = []
    with app_page(browser, app_home, errors) as (_, page):
        # Still signed in (the session is kept by the app), and the dataset is remembered.
        page.wait_for_selector("[data-testid=project-card]", timeout=15000).click()
        start = page.wait_for_selector("[data-testid=start-review]", timeout=20000)
        assert "Resume at case 3 of 4" in start.inner_text()
        shown_at = time.monotonic()
        start.click()
        wait_case(page, 2)
        assert page.inner_text("[data-testid=case-label]").strip() == "case3"
        # case3 is uint8 and case10 float32: both windowed exactly.
        image3 = canonical_volume("case3", "image.nii.gz")
        axial = read_viewport(page, 0)
        mask3 = canonical_volume("case3", "mask.nii.gz")
        assert_shows(axial, expected_view(image3, axial, mask3), "case3 axial")
        # The reviewer switches to another window for 4 s: that time is not the case's.
        page.evaluate("() => window.dispatchEvent(new Event('blur'))")
        page.wait_for_timeout(4000)
        page.evaluate("() => window.dispatchEvent(new Event('focus'))")
        page.keyboard.press("2")
        on_page_ms = (time.monotonic() - shown_at) * 1000
        wait_case(page, 3)
        image10 = canonical_volume("case10", "image.nii.gz")
        sagittal = read_viewport(page, 2)
        assert_shows(sagittal, expected_view(image10, sagittal), "case10 (float32) sagittal")
        page.click("[data-testid=answer-good]")  # by mouse this time
        page.wait_for_selector(".done-overlay:not([hidden])", timeout=15000)
        assert "All cases reviewed" in page.inner_text(".done-overlay")
    records = {r.review.case_id: r for r in wait_reviews(stack, 4) if r.current}
    assert set(records) == {0, 1, 2, 3}
    assert (records[2].review.answer, records[3].review.answer) == ("bad", "good")
    elapsed = records[2].review.elapsed_ms
    assert elapsed is not None
    assert 0 < elapsed < on_page_ms - 3500, (elapsed, on_page_ms)
    assert errors == []


def second_config() -> ProjectConfig:
    """A 2×2 grid: mask outline, a prediction only case10 has, coronal, sagittal; comment
    required; the case label shows the part after the first `e` (case1 -> 1)."""
    return ProjectConfig(
        question="Which is better?",
        viewports=ViewportGrid(
            rows=2,
            columns=2,
            viewports=(
                Viewport(
                    orientation="axial",
                    layers=(
                        Layer(volume="image.nii.gz"),
                        Layer(volume="mask.nii.gz", is_mask=True, colour="#00ff00", outline=True),
                    ),
                ),
                Viewport(
                    orientation="axial",
                    layers=(
                        Layer(volume="image.nii.gz"),
                        Layer(volume="sub/prediction.nii", is_mask=True, colour="#3080ff"),
                    ),
                ),
                Viewport(orientation="coronal", layers=(Layer(volume="image.nii.gz"),)),
                Viewport(orientation="sagittal", layers=(Layer(volume="image.nii.gz"),)),
            ),
        ),
        answers=(
            AnswerOption(value="mask", label="Mask", key=1),
            AnswerOption(value="prediction", label="Prediction", key=2),
            AnswerOption(value="same", label="Same", key=3),
        ),
        label=CaseLabel(delimiter="e", parts=(1,)),
        comment="required",
    )


def test_warnings_required_comment_and_view_tools(stack: Stack, browser, tmp_path: Path) -> None:
    detail = stack.owner.client.create_project(
        ProjectCreate(
            public=ProjectPublic(title="Mask or prediction", short_description="Compare two."),
            private=ProjectPrivate(instructions_md="Pick the better outline."),
            config=second_config(),
            fingerprint="cd" * 32,  # not mini.zip's
            case_count=4,
            status="open",
        )
    )
    code = stack.owner.client.create_invitation(detail.id).code
    errors: list[str] = []
    image = canonical_volume("case1", "image.nii.gz")
    mask = canonical_volume("case1", "mask.nii.gz")
    with app_page(browser, tmp_path / "home", errors) as (_, page):
        sign_in(page, stack.server, stack.reviewer)
        page.wait_for_selector("[data-testid=project-card]", timeout=15000)
        second = page.locator("[data-testid=project-card]", has_text="Mask or prediction")
        assert second.count() == 0

        # Join with the invitation code: a malformed one is explained before asking the server,
        # a wrong one is refused in one line, the right one works.
        page.fill("#invite", "abc")
        page.click("form.join button[type=submit]")
        malformed = page.wait_for_selector(".error-line:not([hidden])", timeout=15000)
        assert "8 to 64 letters" in malformed.inner_text()
        page.fill("#invite", "not-a-real-code-123")
        page.click("form.join button[type=submit]")
        page.wait_for_function(
            """() => { const e = document.querySelector(".error-line");
               return !e.hidden && e.textContent && !e.textContent.includes("8 to 64"); }""",
            timeout=15000,
        )
        message = page.inner_text(".error-line").strip()
        assert "\n" not in message
        page.fill("#invite", code)
        page.click("form.join button[type=submit]")
        second.wait_for(timeout=15000)
        assert "0 of 4 reviewed" in second.inner_text()
        second.click()
        # A path that is not there: one line that names it; nothing else opens.
        page.fill("#dataset-path", str(tmp_path / "nowhere.zip"))
        page.click(".path-form button[type=submit]")
        problem = page.wait_for_selector("[data-testid=dataset-panel] .error-line:not([hidden])")
        assert "nowhere.zip" in problem.inner_text()
        assert "\n" not in problem.inner_text().strip()
        assert page.locator("[data-testid=start-review]").count() == 0
        page.fill("#dataset-path", str(MINI))
        page.click(".path-form button[type=submit]")

        # Not the owner's dataset: said clearly; cases lacking the prediction are listed.
        warning = page.wait_for_selector("[data-testid=fingerprint-warning]", timeout=20000)
        assert "not the same dataset" in warning.inner_text()
        missing = page.locator("[data-testid=missing-volumes]")
        assert "3 cases lack volumes" in missing.inner_text()
        rows = missing.locator("tbody tr")
        assert [rows.nth(i).inner_text().split("\t")[0] for i in range(3)] == [
            "case1",
            "case2",
            "case3",
        ]
        assert "sub/prediction.nii" in missing.inner_text()
        shot(page, "dataset-warnings-browser.png", tmp_path)

        # A review extension (how brush editing plugs in): its panel shows, it hears of each
        # case, and what it returns from masks() is asked for with every answer.
        page.evaluate(
            """() => import("/src/extensions.js").then((m) => {
                 window.__ext = { shown: [], masks: [] };
                 m.registerReviewExtension((api) => {
                   const panel = document.createElement("div");
                   panel.dataset.testid = "ext-panel";
                   panel.textContent = `extension for ${api.config.answers.length} answers`;
                   return { panel,
                     caseShown: ({ index }) => window.__ext.shown.push(index),
                     masks: async ({ index }) => { window.__ext.masks.push(index); return []; } };
                 });
               })"""
        )
        page.click("[data-testid=start-review]")

        wait_case(page, 0, viewports=(0, 1, 2, 3))
        assert page.inner_text("[data-testid=case-label]").strip() == "1"
        assert "prediction" in page.inner_text("[data-testid=case-problems]")
        assert page.locator(".viewport").count() == 4

        # The mask as a green outline, exactly.
        axial = read_viewport(page, 0)
        assert_shows(
            axial,
            expected_view(image, axial, mask, colour=(0, 255, 0), opacity=1.0, outline=True),
            "outlined mask",
        )
        shot(page, "review-grid-browser.png", tmp_path)

        # Comment required: a key alone does not move on; with a comment, ctrl+Enter does.
        page.keyboard.press("3")
        page.wait_for_timeout(300)
        assert page.evaluate("() => window.naesview.review.index") == 0
        assert "comment" in page.inner_text(".panel-message")
        assert page.evaluate("() => document.activeElement.dataset.testid") == "comment"
        page.keyboard.type("identical")
        page.keyboard.press("Control+Enter")
        page.wait_for_function("() => window.naesview.review.index === 1", timeout=20000)
        assert page.inner_text("[data-testid=ext-panel]") == "extension for 3 answers"
        assert page.evaluate("() => window.__ext.masks") == [0]
        assert page.evaluate("() => window.__ext.shown")[:2] == [0, 1]
        page.keyboard.press("ArrowLeft")
        wait_case(page, 0, viewports=(2,))

        # Zoom with ctrl+wheel around the pointer: voxels grow, what is shown stays exact.
        box = page.locator(".viewport").nth(2).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        before = read_viewport(page, 2)
        page.keyboard.down("Control")
        page.mouse.wheel(0, -200)
        page.keyboard.up("Control")
        zoomed = read_viewport(page, 2)
        assert zoomed["pxW"] > before["pxW"] * 1.2
        assert_shows(zoomed, expected_view(image, zoomed), "zoomed coronal")

        # Pan mode (w): a left drag moves the image by the drag.
        page.keyboard.press("w")
        left0 = page.evaluate("() => window.naesview.review.viewer.viewportInfo(2).fit.left")
        page.mouse.down()
        page.mouse.move(box["x"] + box["width"] / 2 + 40, box["y"] + box["height"] / 2, steps=4)
        page.mouse.up()
        page.evaluate("() => window.naesview.review.viewer.renderNow()")
        left1 = page.evaluate("() => window.naesview.review.viewer.viewportInfo(2).fit.left")
        assert abs((left1 - left0) - 40) < 1.5
        page.keyboard.press("r")
        assert (
            page.evaluate("() => window.naesview.review.viewer.getState().viewports[2].zoom") == 1
        )

        # A CT preset sets exactly its window.
        page.select_option("#preset", "ct-lung")
        sagittal = read_viewport(page, 3)
        assert sagittal["window"] == {"center": -600, "width": 1500}
        assert_shows(sagittal, expected_view(image, sagittal), "lung window")

        # Linked views: a click on the axial view moves coronal and sagittal to that voxel.
        page.keyboard.press("w")  # back to W/L mode; a click without a drag changes nothing
        page.keyboard.press("l")
        ax = page.evaluate(
            """() => { const i = window.naesview.review.viewer.viewportInfo(0);
               return { ...i.fit, dpr: i.dpr }; }"""
        )
        box0 = page.locator(".viewport").nth(0).bounding_box()
        u, v = 7, 30  # x = 7, y = 30
        page.mouse.click(
            box0["x"] + (ax["left"] + (u + 0.5) * ax["pxW"]) / ax["dpr"],
            box0["y"] + (ax["top"] + (v + 0.5) * ax["pxH"]) / ax["dpr"],
        )
        slices = page.evaluate(
            "() => window.naesview.review.viewer.getState().viewports.map((v) => v.slice)"
        )
        assert slices[2] == v  # coronal slice = y
        assert slices[3] == u  # sagittal slice = x

        # Double-click: one view over the whole grid; again: back to the grid.
        page.keyboard.press("l")  # unlinked again: no crosshair over the pixels read below
        small = page.locator(".viewport").nth(3).bounding_box()
        page.dblclick(".viewport >> nth=3 >> canvas")
        page.wait_for_function(
            "() => window.naesview.review.viewer.maximized() === 3", timeout=5000
        )
        big = page.locator(".viewport").nth(3).bounding_box()
        assert big["width"] > 1.8 * small["width"]
        assert big["height"] > 1.8 * small["height"]
        assert not page.locator(".viewport").nth(0).is_visible()
        sagittal = read_viewport(page, 3)
        assert_shows(sagittal, expected_view(image, sagittal), "maximized sagittal")
        page.keyboard.press("f")
        assert page.evaluate("() => window.naesview.review.viewer.maximized()") is None
        assert page.locator(".viewport").nth(0).is_visible()

        # Other tools (the brush) draw on top through viewer.addOverlay.
        corner = page.evaluate(
            """() => { const v = window.naesview.review.viewer;
               const remove = v.addOverlay((ctx, info, i) => {
                 if (i === 0) { ctx.fillStyle = "#ff00ff"; ctx.fillRect(0, 0, 4, 4); } });
               v.renderNow();
               const on = Array.from(v.canvas(0).getContext("2d").getImageData(1, 1, 1, 1).data);
               remove(); v.renderNow();
               const off = Array.from(v.canvas(0).getContext("2d").getImageData(1, 1, 1, 1).data);
               return { on, off }; }"""
        )
        assert corner["on"][:3] == [255, 0, 255]
        assert corner["off"][:3] != [255, 0, 255]

        # Sign out (once the answer has reached the server): back to the sign-in form.
        page.wait_for_function(
            "() => /^synced/.test(document.querySelector('[data-testid=sync-status]').textContent)",
            timeout=20000,
        )
        page.click("[data-testid=sign-out]")
        page.wait_for_selector("#password", timeout=15000)

    # Synced in the background by the app's outbox: wait for it.
    records = [r for r in wait_reviews(stack, 1, project_id=detail.id) if r.current]
    assert [(r.review.case_id, r.review.answer, r.review.comment) for r in records] == [
        (0, "same", "identical")
    ]
    assert errors == []
