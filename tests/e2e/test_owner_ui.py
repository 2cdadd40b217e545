"""The owner's screens end to end: real Chromium on `naesview app --browser`, a real sync server.

An owner authors the prostate review through the form on `../shared/data/mini.zip` (checked,
previewed, thumbnail captured), exports and re-imports project files (byte for byte), publishes,
opens and invites; a reviewer in a second app joins with the code and answers one case; the owner
sees the progress, edits the project (a new config version, with what changed), and exports the
reviews with and without case names, which must say exactly what was answered. Bad inputs (a
newer project file, a thumbnail that is not an image, a dataset lacking a volume) give clear
messages and save nothing.
"""

from __future__ import annotations

import csv
import io
import json
import os
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from naesview_app.project import read_project_file
from naesview_app.sync import NotFound
from tests.e2e.helpers import EXAMPLES, MINI, SCREENSHOTS, SHARED, app_page, sign_in

VIEW = {"width": 1400, "height": 1000}
# Screenshots for docs/owner.md are rewritten only when asked (NAESVIEW_SCREENSHOTS=1).
WRITE_SCREENSHOTS = os.environ.get("NAESVIEW_SCREENSHOTS") == "1"


@contextmanager
def wide_app_page(browser, home: Path, errors: list[str]):
    """A fresh app and a 1400×1000 page on it; only page errors are recorded (not the console's)."""
    with app_page(browser, home, errors, viewport=VIEW, console_errors=False) as opened:
        yield opened


def shot(page, name: str) -> None:
    if WRITE_SCREENSHOTS:
        page.evaluate(
            "() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))"
        )
        page.screenshot(path=str(SCREENSHOTS / name))


def open_and_invite(page) -> str:
    """On the manage page: open the project to reviewers, make an invitation; returns its code."""
    page.click("[data-testid=owner-open]")
    page.wait_for_function(
        "() => document.querySelector('[data-testid=owner-status]')?.textContent === 'open'"
    )
    page.click("[data-testid=owner-invite]")
    page.wait_for_selector("[data-testid=owner-invite-code]:not([hidden])")
    return page.inner_text("[data-testid=owner-invite-code]").strip()


def error_text(page) -> str:
    page.wait_for_selector("[data-testid=owner-error]:not([hidden])", timeout=15000)
    return page.inner_text("[data-testid=owner-error]")


def author_prostate(page) -> None:
    """Fill the form as the prostate example says (so the export can be compared with it)."""
    example = read_project_file(EXAMPLES / "prostate-review.json")
    page.fill("#owner-title", example.title)
    page.fill("#owner-short", example.short_description)
    page.fill("#owner-instructions", example.instructions_md)
    page.fill("#owner-question", example.config.question)
    page.fill("[data-testid=owner-answer-label-0]", "Acceptable")
    page.fill("[data-testid=owner-answer-value-0]", "acceptable")
    page.fill("[data-testid=owner-answer-label-1]", "Needs refinement")
    page.fill("[data-testid=owner-answer-value-1]", "needs-refinement")
    volume = page.locator("[data-testid=owner-layer-0-0-volume]")
    volume.fill("image.nii.gz")
    volume.press("Tab")
    page.click("[data-testid=owner-layer-add-0]")
    mask = page.locator("[data-testid=owner-layer-0-1-volume]")
    mask.fill("mask.nii.gz")
    mask.press("Tab")
    page.fill("[data-testid=owner-layer-0-1-colour]", "#ff3030")
    page.fill("[data-testid=owner-layer-0-1-opacity]", "0.45")
    page.press("[data-testid=owner-layer-0-1-opacity]", "Tab")
    page.check("[data-testid=owner-brush]")


def test_owner_authors_publishes_invites_and_exports(browser, server, tmp_path: Path) -> None:
    owner = server.new_user("owner")
    reviewer = server.new_user("reviewer")
    errors: list[str] = []
    with wide_app_page(browser, tmp_path / "owner-home", errors) as (_, page):
        sign_in(page, server, owner)
        page.click("[data-testid=owner-entry]")
        page.click("[data-testid=owner-new]")
        page.wait_for_selector("[data-testid=owner-form]")

        # a dataset lacking the configured volume: the check lists every case
        page.fill("#owner-dataset", str(MINI))
        page.click("form.path-form button[type=submit]")
        page.wait_for_selector("#owner-preview-case option >> nth=3", state="attached")
        assert "4 cases" in page.inner_text("[data-testid=owner-dataset-info]")
        volume = page.locator("[data-testid=owner-layer-0-0-volume]")
        volume.fill("T1.nii.gz")
        volume.press("Tab")
        page.click("[data-testid=owner-check]")
        page.wait_for_selector("[data-testid=owner-check-summary]")
        assert "4 of 4 cases are incomplete" in page.inner_text("[data-testid=owner-check-summary]")
        rows = page.locator("[data-testid=owner-check-case]").all_inner_texts()
        assert len(rows) == 4
        assert all("missing T1.nii.gz" in row for row in rows)
        page.wait_for_function(  # the preview shows the layout checked (T1 missing)
            "() => { const p = window.naesview.ownerPreview; return !p.pending && !p.busy; }"
        )
        page.locator("[data-testid=owner-check-result]").scroll_into_view_if_needed()
        shot(page, "owner-check.png")
        page.fill("#owner-title", "Will not be saved")
        page.click("[data-testid=owner-publish]")
        assert "tick “Publish anyway”" in error_text(page)
        assert owner.client.list_projects() == []  # nothing published half-way

        # the real project, through the form
        author_prostate(page)
        page.click("[data-testid=owner-check]")
        page.wait_for_selector("[data-testid=owner-check-summary].ok")
        page.select_option("#owner-preview-case", "3")
        page.wait_for_function(
            """() => { const p = window.naesview.ownerPreview;
                 if (!p || p.pending || p.busy || p.shown?.case_name !== 'case10') return false;
                 p.viewer.renderNow(); return p.viewer.viewportInfo(0)?.status === 'ok'; }""",
            timeout=20000,
        )
        assert page.input_value("#owner-instructions").startswith("# Prostate segmentation")
        page.evaluate("() => document.querySelector('main').scrollTo(0, 0)")  # the editor's top
        shot(page, "owner-new-project.png")

        # thumbnail: not an image, then the preview's viewport
        bad = tmp_path / "notes.png"
        bad.write_bytes(b"this is not a picture")
        page.set_input_files("#owner-thumb-file", str(bad))
        assert "not a PNG or JPEG image" in error_text(page)
        page.click("[data-testid=owner-thumb-capture]")
        page.wait_for_selector("[data-testid=owner-thumbnail]:not([hidden])")

        # the project file the form makes is the shipped example, byte for byte
        exported = tmp_path / "prostate.json"
        page.fill("#owner-export-path", str(exported))
        page.click("[data-testid=owner-export-config]")
        page.wait_for_selector("[data-testid=owner-export-done]:not([hidden])")
        assert exported.read_bytes() == (EXAMPLES / "prostate-review.json").read_bytes()

        page.click("[data-testid=owner-publish]")
        page.wait_for_selector("[data-testid=owner-status]")
        assert page.text_content("[data-testid=owner-status]") == "draft"
        (summary,) = owner.client.list_projects()
        project_id = summary.id
        detail = owner.client.get_project(project_id)
        assert detail.config.config == read_project_file(exported).config
        assert detail.public.thumbnail is not None
        assert detail.public.thumbnail.startswith(b"\x89PNG")
        assert detail.case_count == 4

        code = open_and_invite(page)
        assert code in page.inner_text("[data-testid=owner-invitations]")
        shot(page, "owner-manage.png")

        # a second code, revoked from the list: gone there and refused by the server
        page.click("[data-testid=owner-invite]")
        page.wait_for_function(
            "(c) => document.querySelector('[data-testid=owner-invite-code]').textContent.trim()"
            " !== c",
            arg=code,
        )
        doomed = page.inner_text("[data-testid=owner-invite-code]").strip()
        page.locator("[data-testid=owner-invitations] tr", has_text=doomed).locator(
            "[data-testid=owner-revoke]"
        ).click()
        page.wait_for_function(
            "(c) => !document.querySelector('[data-testid=owner-invitations]').textContent"
            ".includes(c)",
            arg=doomed,
        )
        assert code in page.inner_text("[data-testid=owner-invitations]")
        with pytest.raises(NotFound):
            server.new_user("reviewer").client.accept_invitation(doomed)

        # a second user reviews one case in their own app
        answered = review_one_case(browser, server, reviewer, code, tmp_path)

        page.click("[data-testid=owner-members-refresh]")
        page.wait_for_function(
            """() => [...document.querySelectorAll('[data-testid=owner-member-progress]')]
                 .some((n) => n.textContent === '1 of 4')"""
        )

        # edit: a new config version, and the owner is told what changed
        page.click("[data-testid=owner-edit]")
        page.wait_for_selector("[data-testid=owner-answer-label-1]")
        page.fill("[data-testid=owner-answer-label-1]", "Refine it")
        page.click("[data-testid=owner-save]")
        page.wait_for_selector("[data-testid=owner-changes]")
        changes = page.inner_text("[data-testid=owner-changes]")
        assert "config version 1 → 2" in changes
        assert "answer needs-refinement: Needs refinement (key 2) → Refine it (key 2)" in changes
        # the value is a name: shown as code, never with its Markdown backticks
        assert page.locator("[data-testid=owner-changes] code", has_text="needs-refinement").count()
        assert owner.client.get_project(project_id).config.version == 2

        # exports: de-identified, then with case names mapped on this machine
        plain, named = export_reviews(page, tmp_path, MINI)
        shot(page, "owner-export.png")
        page.click("[data-testid=back]")
        row = page.locator("[data-testid=owner-project]")
        row.wait_for()
        assert "Prostate segmentation review" in row.inner_text()
        assert row.locator("img.thumb").count() == 1
        assert errors == []

    rows = list(csv.DictReader(io.StringIO((plain / f"reviews-{project_id}.csv").read_text())))
    assert [(r["case_id"], r["answer"], r["comment"]) for r in rows] == [
        (str(answered["case_id"]), answered["answer"], answered["comment"])
    ]
    assert rows[0]["reviewer_username"] == reviewer.user.username
    assert "case1" not in (plain / f"reviews-{project_id}.csv").read_text()
    named_rows = list(
        csv.DictReader(io.StringIO((named / f"reviews-{project_id}-names.csv").read_text()))
    )
    assert [(r["case_name"], r["answer"]) for r in named_rows] == [("case1", answered["answer"])]
    body = json.loads((named / f"reviews-{project_id}-names.json").read_text())
    assert [r["case_name"] for r in body["reviews"]] == ["case1"]


def export_reviews(page, tmp_path: Path, dataset: Path) -> tuple[Path, Path]:
    """Export from the manage page: de-identified, then with case names mapped from `dataset`."""
    plain, named = tmp_path / "plain", tmp_path / "named"
    plain.mkdir()
    named.mkdir()
    page.fill("#owner-export-dataset", "")
    page.fill("#owner-export-folder", str(plain))
    page.click("[data-testid=owner-export-reviews]")
    page.wait_for_selector("[data-testid=owner-export-result] .ok")
    page.fill("#owner-export-dataset", str(dataset))
    page.fill("#owner-export-folder", str(named))
    page.check("#owner-map-names")
    page.click("[data-testid=owner-export-reviews]")
    page.wait_for_function(
        """() => document.querySelector('[data-testid=owner-export-result]')
             ?.textContent.includes('with case names')"""
    )
    return plain, named


def review_one_case(
    browser,
    server,
    reviewer,
    code: str,
    tmp_path: Path,
    *,
    dataset: Path = MINI,
    answer: str = "needs-refinement",
    comment: str | None = "edge too wide",
) -> dict:
    """The reviewer joins with the code, opens the dataset and answers the first case shown."""
    errors: list[str] = []
    with wide_app_page(browser, tmp_path / "reviewer-home", errors) as (app, page):
        sign_in(page, server, reviewer)
        assert page.locator("[data-testid=owner-entry]").count() == 0  # reviewers do not own
        page.fill("#invite", code)
        page.click("form.join button[type=submit]")
        page.click("[data-testid=project-card]")
        page.fill("#dataset-path", str(dataset))
        page.click(".path-form button[type=submit]")

        def shown(response) -> bool:
            body = json.loads(response.request.post_data or "{}")
            return response.url.endswith("/bridge/load_case") and body.get("show", True)

        with page.expect_response(shown):
            page.click("[data-testid=start-review]")
        page.wait_for_function("() => window.naesview.review?.index === 0")
        if comment is not None:
            page.fill("[data-testid=comment]", comment)
        page.click(f"[data-testid=answer-{answer}]")
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if app.call("sync_status").get("synced", 0) >= 1:
                break
            time.sleep(0.2)
        else:
            raise AssertionError("the review did not reach the server")
        assert errors == []
    return {"case_id": 0, "answer": answer, "comment": comment or ""}


def fill_form(page, project) -> None:
    """Drive the form to hold `project` (a ProjectFile), field by field, as an owner would."""
    config = project.config
    page.fill("#owner-title", project.title)
    page.fill("#owner-short", project.short_description)
    page.fill("#owner-instructions", project.instructions_md)
    page.fill("#owner-question", config.question)
    while page.locator("[data-testid=owner-answer]").count() < len(config.answers):
        page.click("[data-testid=owner-answer-add]")
    while page.locator("[data-testid=owner-answer]").count() > len(config.answers):
        page.click("[data-testid=owner-answer-remove-0]")
    for i, answer in enumerate(config.answers):
        page.fill(f"[data-testid=owner-answer-label-{i}]", answer.label)
        page.fill(f"[data-testid=owner-answer-value-{i}]", answer.value)
        page.select_option(f"[data-testid=owner-answer-key-{i}]", str(answer.key))
    grid = config.viewports
    while page.locator("[data-testid=owner-viewport]").count() < len(grid.viewports):
        page.click("[data-testid=owner-vp-add]")
    for name, value in (("rows", grid.rows), ("columns", grid.columns)):
        page.fill(f"#owner-{name}", str(value))
        page.press(f"#owner-{name}", "Tab")
    for i, viewport in enumerate(grid.viewports):
        page.select_option(f"[data-testid=owner-vp-orientation-{i}]", viewport.orientation)
        for j, layer in enumerate(viewport.layers):
            if (
                j
                >= page.locator(f"[data-testid=owner-viewport] >> nth={i}")
                .locator("[data-testid=owner-layer]")
                .count()
            ):
                page.click(f"[data-testid=owner-layer-add-{i}]")
            box = f"[data-testid=owner-layer-{i}-{j}"
            page.fill(f"{box}-volume]", layer.volume)
            page.press(f"{box}-volume]", "Tab")
            page.set_checked(f"{box}-mask]", layer.is_mask)
            if layer.is_mask:
                page.fill(f"{box}-colour]", layer.colour)
            page.fill(f"{box}-opacity]", f"{layer.opacity:g}")
            page.press(f"{box}-opacity]", "Tab")
    page.fill("#owner-delimiter", config.label.delimiter or "")
    page.fill("#owner-parts", ", ".join(str(p) for p in config.label.parts or ()))
    page.select_option("#owner-comment", config.comment)
    page.set_checked("#owner-timing", config.timing)
    page.select_option("#owner-order", config.order)
    page.set_checked("#owner-brush", config.brush is not None)


@pytest.mark.parametrize("name", ["anatomy-classification.json", "registration-review.json"])
def test_each_example_is_authored_published_reviewed_and_exported(
    browser, server, tmp_path: Path, name
) -> None:
    from naesview_app.datasets.synthetic import write_mr_dataset

    owner = server.new_user("owner")
    project = read_project_file(EXAMPLES / name)
    if name.startswith("anatomy"):
        dataset = SHARED / "tiny_ct_many.zip"
    else:
        dataset = write_mr_dataset(tmp_path / "mr.zip", cases=2, shape=(12, 24, 24))
    errors: list[str] = []
    with wide_app_page(browser, tmp_path / "home", errors) as (_, page):
        sign_in(page, server, owner)
        page.click("[data-testid=owner-entry]")
        page.click("[data-testid=owner-new]")
        page.fill("#owner-dataset", str(dataset))
        page.click("form.path-form button[type=submit]")
        page.wait_for_selector("#owner-preview-case option >> nth=1", state="attached")
        fill_form(page, project)
        page.click("[data-testid=owner-check]")
        page.wait_for_selector("[data-testid=owner-check-summary].ok")
        page.wait_for_function(
            """(n) => { const p = window.naesview.ownerPreview;
                 if (!p || p.pending || p.busy || !p.shown) return false; p.viewer.renderNow();
                 const ok = (k) => p.viewer.viewportInfo(k)?.status === 'ok';
                 return [...Array(n).keys()].every(ok); }""",
            arg=len(project.config.viewports.viewports),
            timeout=20000,
        )
        if name.startswith("anatomy"):
            label = page.text_content("[data-testid=owner-preview-label]")
            assert "shown to reviewers as “Pelvis”" in label  # case0000_Pelvis, part 1
        out = tmp_path / name
        page.fill("#owner-export-path", str(out))
        page.click("[data-testid=owner-export-config]")
        page.wait_for_selector("[data-testid=owner-export-done]:not([hidden])")
        assert read_project_file(out) == project
        assert out.read_bytes() == (EXAMPLES / name).read_bytes()
        page.locator("[data-testid=owner-viewport] >> nth=0").scroll_into_view_if_needed()
        shot(page, f"owner-form-{name.split('-')[0]}.png")

        # publish, open, invite; a second user answers one case in their own app
        page.click("[data-testid=owner-publish]")
        page.wait_for_selector("[data-testid=owner-status]")
        (summary,) = owner.client.list_projects()
        assert owner.client.get_project(summary.id).config.config == project.config
        code = open_and_invite(page)
        reviewer = server.new_user("reviewer")
        answer = project.config.answers[-1].value
        comment = None if project.config.comment == "off" else "checked"
        review_one_case(
            browser,
            server,
            reviewer,
            code,
            tmp_path,
            dataset=dataset,
            answer=answer,
            comment=comment,
        )
        (record,) = reviewer.client.list_reviews(summary.id)
        stored = record.review
        assert (stored.answer, stored.comment or None) == (answer, comment)

        # exports: de-identified, then with case names mapped on this machine
        plain, named = export_reviews(page, tmp_path, dataset)
        assert errors == []

    from naesview_app.datasets import open_dataset

    with open_dataset(dataset) as opened:
        case_name = opened.cases[stored.case_id].name
    rows = list(csv.DictReader(io.StringIO((plain / f"reviews-{summary.id}.csv").read_text())))
    assert [(r["case_id"], r["answer"]) for r in rows] == [(str(stored.case_id), answer)]
    assert case_name not in (plain / f"reviews-{summary.id}.csv").read_text()
    named_rows = list(
        csv.DictReader(io.StringIO((named / f"reviews-{summary.id}-names.csv").read_text()))
    )
    assert [(r["case_name"], r["answer"]) for r in named_rows] == [(case_name, answer)]


def test_project_files_import_exactly_and_refuse_newer_ones(
    browser, server, tmp_path: Path
) -> None:
    owner = server.new_user("owner")
    errors: list[str] = []
    newer = tmp_path / "from-the-future.json"
    raw = json.loads((EXAMPLES / "registration-review.json").read_text())
    raw["format"] = "naesview-project-file/3"
    newer.write_text(json.dumps(raw))
    with wide_app_page(browser, tmp_path / "home", errors) as (app, page):
        sign_in(page, server, owner)
        page.click("[data-testid=owner-entry]")
        page.wait_for_selector("[data-testid=owner-new]")
        page.set_input_files("#owner-import", str(newer))
        message = error_text(page)
        assert page.locator("[data-testid=owner-form]").count() == 0  # nothing opened
        assert "from-the-future.json" in message
        assert "update naesView" in message
        for name in ("anatomy-classification.json", "registration-review.json"):
            page.goto(app.url)
            page.click("[data-testid=owner-entry]")
            page.set_input_files("#owner-import", str(EXAMPLES / name))
            page.wait_for_selector("[data-testid=owner-form]")
            assert page.input_value("#owner-title") == read_project_file(EXAMPLES / name).title
            # instructions are shown as Markdown, never as HTML or script
            page.fill(
                "#owner-instructions",
                '# Hi\n<img src=x onerror="window.__owned=1"><script>window.__owned=2</script>'
                "\n[x](javascript:window.__owned=3)",
            )
            preview = page.locator("[data-testid=owner-instructions-preview]")
            assert preview.locator("img, script, a[href^=javascript]").count() == 0
            assert "<img src=x" in preview.inner_text()
            assert page.evaluate("() => window.__owned") is None
            page.fill("#owner-instructions", read_project_file(EXAMPLES / name).instructions_md)
            out = tmp_path / f"again-{name}"
            page.fill("#owner-export-path", str(out))
            page.click("[data-testid=owner-export-config]")
            page.wait_for_selector("[data-testid=owner-export-done]:not([hidden])")
            assert out.read_bytes() == (EXAMPLES / name).read_bytes()
        assert owner.client.list_projects() == []
        assert errors == []
