"""A case opens on the slices through its mask, not the middle ones: real Chromium on
`naesview app --browser`, signed in to a real sync server, reviewing `../shared/data/mini.zip`
with the axial view showing `mask.nii.gz` over the image and coronal and sagittal views of the
same image.

The expected slices are worked out here from the manifest-checked volumes (the mask's centre of
mass on each axis, moved to the nearest slice that holds mask voxels), the canvas pixels are
read back and compared with the windowed slice with the mask blended in, and the slice shown
must hold mask voxels. case1 is the first case shown (its mask and image arrive while it is on
screen); case3 (189 axial slices, its image streamed slice by slice) and case10 are reached by
answering. Reset goes back to the mask's slices. (An empty mask keeping the middle slices is
checked by ui/tests/viewer-state.test.js: mini.zip has none.)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from tests.e2e.helpers import (
    MINI,
    app_page,
    assert_shows,
    canonical_volume,
    choose_dataset,
    displayed_slice,
    expected_view,
    read_viewport,
    review_stack,
    sign_in,
    wait_case,
)

IMAGE, MASK = "image.nii.gz", "mask.nii.gz"


def expected_focus(mask: np.ndarray) -> list[int]:
    """[z, y, x]: per axis, the rounded centre of mass, or the nearest slice with mask voxels."""
    inside = mask != 0
    focus = []
    for axis in range(3):
        counts = inside.sum(axis=tuple(a for a in range(3) if a != axis))
        mean = int(np.floor((counts * np.arange(len(counts))).sum() / counts.sum() + 0.5))
        holding = np.flatnonzero(counts)
        focus.append(int(holding[np.argmin(np.abs(holding - mean) * 2 + (holding > mean))]))
    return focus


def slices(page) -> list[int]:
    return page.evaluate(
        "() => window.naesview.review.viewer.getState().viewports.map((v) => v.slice)"
    )


def check_case(page, case: str, what: str) -> None:
    image = canonical_volume(case, IMAGE)
    mask = canonical_volume(case, MASK)
    z, y, x = expected_focus(mask)
    middle = [image.shape[0] // 2, image.shape[1] // 2, image.shape[2] // 2]
    assert [z, y, x] != middle, f"{case}: the mask's slices must differ from the middle ones"
    page.wait_for_function(
        "(want) => { const s = window.naesview.review.viewer.getState();"
        " return s.viewports.map((v) => v.slice).join() === want.join(); }",
        arg=[z, y, x],
        timeout=20000,
    )
    axial, coronal, sagittal = (read_viewport(page, i) for i in range(3))
    assert [axial["index"], coronal["index"], sagittal["index"]] == [z, y, x], what
    # The mask is on the axial slice shown, and drawn there as expected.
    assert (displayed_slice(mask, "axial", z) != 0).sum() > 0, what
    assert_shows(axial, expected_view(image, axial, mask), f"{what}: axial with mask")
    assert_shows(coronal, expected_view(image, coronal), f"{what}: coronal")
    assert_shows(sagittal, expected_view(image, sagittal), f"{what}: sagittal")
    assert page.inner_text(".viewport >> nth=0 >> .vp-slice") == f"{z + 1} / {image.shape[0]}"


def test_cases_open_on_the_slices_through_the_mask(tmp_path: Path, browser) -> None:
    errors: list[str] = []
    (tmp_path / "sync").mkdir()
    with (
        review_stack(tmp_path / "sync") as stack,
        app_page(browser, tmp_path / "home", errors) as (_, page),
    ):
        sign_in(page, stack.server, stack.reviewer)
        choose_dataset(page, MINI)
        page.click("[data-testid=start-review]")

        # case1: the first case shown.
        wait_case(page, 0)
        check_case(page, "case1", "case1 as it opens")

        # Scrolled away, the views stay where the reviewer put them; Reset brings the mask back.
        box = page.locator(".viewport").nth(0).bounding_box()
        page.mouse.move(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        page.keyboard.press("Home")
        assert slices(page)[0] == 0
        page.keyboard.press("r")
        check_case(page, "case1", "case1 after reset")
        page.mouse.move(2, 2)

        # case3, reached by answering case1 and case2; its image is streamed.
        page.keyboard.press("1")
        wait_case(page, 1)
        page.keyboard.press("1")
        wait_case(page, 2)
        check_case(page, "case3", "case3")

        # case10 (the fourth: cases are in natural order), a float32 image.
        page.keyboard.press("1")
        wait_case(page, 3)
        check_case(page, "case10", "case10")
    assert errors == []
