"""Fast review of many tiny cases (`../shared/data/tiny_ct_many.zip`, 300 × 32³ CT): answering by
key moves to the next case at once, because the next cases' voxels were fetched ahead; every
answer reaches the server for the right case, in the natural case order."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from naesview_wire import (
    AnswerOption,
    Layer,
    ProjectConfig,
    ProjectCreate,
    ProjectPrivate,
    ProjectPublic,
    Viewport,
    ViewportGrid,
)
from tests.e2e.conftest import start_browser_app
from tests.e2e.test_review_ui import SHARED, browser, new_page, sign_in  # noqa: F401
from tests.sync_server import sqlite_url, start_sync_server

TINY = SHARED / "tiny_ct_many.zip"
ANSWERED = 25


def test_answering_many_tiny_cases_by_key(browser, tmp_path: Path) -> None:  # noqa: F811
    from naesview_app.datasets.dataset import open_dataset

    dataset = open_dataset(TINY)
    try:
        fingerprint = dataset.fingerprint
        names = [case.name for case in dataset.cases]
    finally:
        dataset.close()
    config = ProjectConfig(
        viewports=ViewportGrid(
            viewports=(Viewport(orientation="axial", layers=(Layer(volume="ct.nii.gz"),)),)
        ),
        answers=(
            AnswerOption(value="normal", label="Normal", key=1),
            AnswerOption(value="abnormal", label="Abnormal", key=2),
        ),
        comment="off",
    )
    with start_sync_server(sqlite_url(tmp_path)) as server:
        owner = server.new_user("owner")
        detail = owner.client.create_project(
            ProjectCreate(
                public=ProjectPublic(title="Tiny CTs"),
                private=ProjectPrivate(),
                config=config,
                fingerprint=fingerprint,
                case_count=len(names),
                status="open",
            )
        )
        reviewer = server.new_user("reviewer")
        reviewer.client.accept_invitation(owner.client.create_invitation(detail.id).code)

        class Who:
            pass

        who = Who()
        who.server, who.reviewer = server, reviewer
        errors: list[str] = []
        with start_browser_app(tmp_path / "home") as app, new_page(browser, errors) as page:
            page.goto(app.url)
            sign_in(page, who)
            page.wait_for_selector("[data-testid=project-card]", timeout=15000).click()
            page.fill("#dataset-path", str(TINY))
            page.click(".path-form button[type=submit]")
            page.wait_for_selector("[data-testid=fingerprint-ok]", timeout=30000)
            page.click("[data-testid=start-review]")
            switches = []
            for k in range(ANSWERED):
                # The case is on screen and the next one has arrived ahead.
                page.wait_for_function(
                    """(k) => { const r = window.naesview.review;
                       if (!r || r.index !== k) return false;
                       r.viewer.renderNow();
                       return r.viewer.viewportInfo(0)?.status === "ok"
                         && r.cachedIndices().includes(k + 1); }""",
                    arg=k,
                    timeout=20000,
                )
                assert page.inner_text("[data-testid=case-label]").strip() == names[k]
                page.wait_for_timeout(120)  # a brisk reviewer: a glance, then a key
                page.keyboard.press("2" if k % 5 == 0 else "1")
                page.wait_for_function(
                    "(k) => window.naesview.review.index === k + 1", arg=k, timeout=20000
                )
                switches.append(page.evaluate("() => window.naesview.review.lastSwitchMs"))
            print(
                "switch to the next tiny case (ms):",
                json.dumps(
                    {
                        "median": statistics.median(switches),
                        "max": max(switches),
                        "n": len(switches),
                    }
                ),
            )
            assert statistics.median(switches) <= 16
        assert errors == []

        import time

        deadline = time.monotonic() + 30
        records = []
        while time.monotonic() < deadline:
            records = owner.client.list_reviews(detail.id)
            if len(records) >= ANSWERED:
                break
            time.sleep(0.3)
        answers = {r.review.case_id: r.review.answer for r in records if r.current}
        assert answers == {k: ("abnormal" if k % 5 == 0 else "normal") for k in range(ANSWERED)}
