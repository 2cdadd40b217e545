"""Fast review of many tiny cases (`../shared/data/tiny_ct_many.zip`, 300 × 32³ CT): answering by
key moves to the next case at once, because the next cases' voxels were fetched ahead; every
answer reaches the server for the right case, in the natural case order."""

from __future__ import annotations

import json
import statistics
from pathlib import Path

from naesview_wire import AnswerOption, Layer, ProjectConfig, ProjectPublic, Viewport, ViewportGrid
from tests.e2e.helpers import (
    SHARED,
    app_page,
    choose_dataset,
    publish,
    sign_in,
    wait_case,
    wait_reviews,
)
from tests.sync_server import sqlite_url, start_sync_server

TINY = SHARED / "tiny_ct_many.zip"
ANSWERED = 25


def test_answering_many_tiny_cases_by_key(browser, tmp_path: Path) -> None:
    from naesview_app.datasets.dataset import open_dataset

    with open_dataset(TINY) as dataset:
        fingerprint = dataset.fingerprint
        names = [case.name for case in dataset.cases]
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
        stack = publish(
            server,
            config,
            fingerprint=fingerprint,
            case_count=len(names),
            public=ProjectPublic(title="Tiny CTs"),
        )
        errors: list[str] = []
        with app_page(browser, tmp_path / "home", errors) as (_, page):
            sign_in(page, server, stack.reviewer)
            choose_dataset(page, TINY, until="[data-testid=fingerprint-ok]")
            page.click("[data-testid=start-review]")
            switches = []
            for k in range(ANSWERED):
                # The case is on screen and the next one has arrived ahead.
                wait_case(page, k, viewports=(0,), next_cached=True)
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

        records = wait_reviews(stack, ANSWERED, timeout=30)
        answers = {r.review.case_id: r.review.answer for r in records if r.current}
        assert answers == {k: ("abnormal" if k % 5 == 0 else "normal") for k in range(ANSWERED)}
