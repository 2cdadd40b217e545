"""The review UI on a CT-sized volume: exact pixels of a 512×512 slice with its mask, the first
image before all voxels are in, and how long a window/level redraw takes in Chromium.

Timings are printed (and kept loose in the asserts): shared machines are noisy, and the
benchmarks in `benchmarks/` are where they are tracked.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from naesview_app.datasets.synthetic import ct_phantom, write_ct_dataset
from naesview_wire import AnswerOption, Layer, ProjectConfig, ProjectPublic, Viewport, ViewportGrid
from tests.e2e.helpers import (
    Stack,
    app_page,
    assert_shows,
    choose_dataset,
    expected_view,
    fingerprint_of,
    publish,
    read_viewport,
    sign_in,
)
from tests.sync_server import sqlite_url, start_sync_server

SHAPE = (96, 512, 512)  # 48 MiB of int16 per case
SPACING = (1.5, 0.7, 0.7)

REDRAW = """(n) => {
  const viewer = window.naesview.review.viewer;
  const volume = viewer.getState().viewports[0].layers[0].volume;
  const times = [];
  for (let k = 0; k < n; k++) {
    viewer.dispatch({ type: "window", volume, center: 40 + k, width: 400 + 2 * k });
    const t0 = performance.now();
    viewer.renderNow(0);  // the 512×512 axial slice with its mask
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  viewer.renderNow();
  return { median: times[Math.floor(n / 2)], canvas: viewer.canvas(0).width };
}"""


@pytest.fixture(scope="module")
def ct_zip(tmp_path_factory) -> Path:
    return write_ct_dataset(
        tmp_path_factory.mktemp("ct") / "ct.zip", cases=1, shape=SHAPE, spacing=SPACING
    )


def ct_config() -> ProjectConfig:
    return ProjectConfig(
        viewports=ViewportGrid(
            rows=1,
            columns=2,
            viewports=(
                Viewport(
                    orientation="axial",
                    layers=(
                        Layer(volume="image.nii.gz"),
                        Layer(volume="mask.nii.gz", is_mask=True, colour="#ffd000", opacity=0.5),
                    ),
                ),
                Viewport(orientation="coronal", layers=(Layer(volume="image.nii.gz"),)),
            ),
        ),
        answers=(AnswerOption(value="seen", label="Seen", key=1),),
        comment="off",
    )


@pytest.fixture(scope="module")
def ct_stack(tmp_path_factory, ct_zip: Path) -> Iterator[Stack]:
    with start_sync_server(sqlite_url(tmp_path_factory.mktemp("sync"))) as server:
        yield publish(
            server,
            ct_config(),
            fingerprint=fingerprint_of(ct_zip),
            case_count=1,
            public=ProjectPublic(title="CT lesions", short_description="Large volumes."),
        )


def test_large_ct_slice_is_exact_and_redraws_fast(ct_stack, ct_zip: Path, browser, tmp_path):
    image, mask = ct_phantom(SHAPE, seed=1)  # case1 of write_ct_dataset
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors) as (_, page):
        sign_in(page, ct_stack.server, ct_stack.reviewer)
        choose_dataset(page, ct_zip, until="[data-testid=fingerprint-ok]")
        page.click("[data-testid=start-review]")
        page.wait_for_function(
            """() => { const r = window.naesview.review;
               return r && r.index === 0 && r.timing.allVoxelsMs !== null; }""",
            timeout=60000,
        )
        timing = page.evaluate("() => window.naesview.review.timing")
        redraw = page.evaluate(REDRAW, 41)  # at zoom 1, as the reviewer first sees it
        # 512 voxels in a ~490 px wide view are smaller than a pixel: zoom in so that each voxel
        # covers whole pixels and can be read back (the centre stays; the edges leave the view).
        page.evaluate(
            """() => { const v = window.naesview.review.viewer;
               v.dispatch({ type: "zoom", viewport: 0, factor: 2.5 });
               v.dispatch({ type: "zoom", viewport: 1, factor: 2.5 }); }"""
        )
        axial = read_viewport(page, 0)
        assert (axial["width"], axial["height"], axial["index"]) == (512, 512, 48)
        assert_shows(
            axial, expected_view(image, axial, mask, colour=(255, 208, 0), opacity=0.5), "CT"
        )
        coronal = read_viewport(page, 1)
        assert abs(coronal["pxH"] / coronal["pxW"] - SPACING[0] / SPACING[2]) < 1e-6
        assert_shows(coronal, expected_view(image, coronal), "CT coronal")

        figures = {
            "load_case_ms": timing["caseInfoMs"],
            "first_image_ms": timing["firstDrawMs"],
            "all_voxels_ms": timing["allVoxelsMs"],
            "redraw_512_with_mask_ms": redraw["median"],
        }
        print("large CT figures:", json.dumps(figures))
        assert timing["firstDrawMs"] is not None
        assert timing["firstDrawMs"] <= timing["allVoxelsMs"] + 50
        assert redraw["median"] < 50  # the target is 2 ms; this only catches a broken path
    assert errors == []
    assert np.isfinite(list(figures.values())).all()
