"""The demo's generated data looks like what it claims to be: chest CTs in Hounsfield units with
one visible lesion each and a mask on it (right in about two thirds of the cases, visibly wrong
in the rest), and MR heads whose four sequences have the contrasts a reader expects."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from naesview_app.datasets import open_dataset
from naesview_app.demo_data import (
    CT_CASES,
    CT_SEED,
    MR_CASES,
    MR_SHAPE,
    MR_SPACING,
    ct_case_name,
    thumbnail_png,
    write_demo_datasets,
)
from naesview_app.demo_phantoms import MASK_FLAWS, CtCase, chest_ct_cases, head_mr_sequences


@pytest.fixture(scope="module")
def ct_cases() -> list[CtCase]:
    return list(chest_ct_cases(CT_CASES, seed=CT_SEED))


def dice(a: np.ndarray, b: np.ndarray) -> float:
    return 2 * float(np.count_nonzero(a & b)) / (np.count_nonzero(a) + np.count_nonzero(b))


def fraction(image: np.ndarray, lo: float, hi: float) -> float:
    return float(np.mean((image >= lo) & (image <= hi)))


def test_ct_grids_are_clinical(ct_cases: list[CtCase]) -> None:
    for case in ct_cases:
        slices, rows, columns = case.image.shape
        assert (rows, columns) == (256, 256)
        assert 40 <= slices <= 80
        dz, dy, dx = case.spacing
        assert dz in (2.5, 3.0)
        assert dy == dx
        assert 1.2 <= dx <= 1.5
        assert case.image.dtype == np.int16
        assert case.mask.dtype == np.uint8
        assert set(np.unique(case.mask)) == {0, 1}
        assert case.mask.shape == case.image.shape
    assert len({c.image.shape[0] for c in ct_cases}) > 5  # the cases differ
    assert len({c.spacing for c in ct_cases}) > 10


def test_ct_values_are_hounsfield_units(ct_cases: list[CtCase]) -> None:
    for case in ct_cases:
        image = case.image
        assert np.all(image[:, :4, :4] == -1000)  # air in the corners
        assert fraction(image, -1000, -1000) > 0.2
        assert fraction(image, -130, -60) > 0.02  # fat
        assert fraction(image, 20, 80) > 0.04  # muscle and soft tissue
        assert fraction(image, 90, 200) > 0.01  # enhanced blood, liver, kidneys
        assert 0.002 < fraction(image, 400, 1100) < 0.06  # bone
        assert image.max() < 1200
        assert image.min() >= -1024
        if case.site == "lung":
            assert fraction(image[image.shape[0] // 2], -950, -750) > 0.05  # aerated lung


def test_ct_has_mild_noise(ct_cases: list[CtCase]) -> None:
    for case in ct_cases:
        middle = case.image[case.image.shape[0] // 2].astype(np.float32)
        # Fat next to fat: the difference of neighbours is noise. CT noise is not white: the
        # demo's neighbours share 2/3 of it, so var(a - b) = 2σ²(1 - 2/3).
        a, b = middle[:, :-1], middle[:, 1:]
        both = (a > -130) & (a < -70) & (b > -130) & (b < -70)
        sigma = float(np.std((a - b)[both])) / np.sqrt(2 / 3)
        assert 9 < sigma < 20, sigma
        air = middle[:8, :8]
        assert float(air.std()) == 0.0  # no noise outside the body


def test_each_ct_case_has_one_visible_lesion_on_its_middle_slice(ct_cases: list[CtCase]) -> None:
    for i, case in enumerate(ct_cases, start=1):
        z = case.image.shape[0] // 2
        assert case.lesion[z].any(), f"case {i}: no lesion on the middle slice"
        dz, dy, dx = case.spacing
        volume = np.count_nonzero(case.lesion) * dz * dy * dx
        diameter = (6 * volume / np.pi) ** (1 / 3)
        assert 6 <= diameter <= 27, (i, diameter)
        # Its inside against a ring round it on the middle slice.
        ys, xs = np.nonzero(case.lesion[z])
        cy, cx = ys.mean(), xs.mean()
        r = np.sqrt(len(ys) / np.pi)
        yy, xx = np.mgrid[: case.image.shape[1], : case.image.shape[2]]
        d = np.hypot(yy - cy, xx - cx)
        inside = float(np.mean(case.image[z][d <= max(1.0, 0.5 * r)]))
        ring = float(np.median(case.image[z][(d >= r + 2) & (d <= r + 5)]))
        if case.site == "lung":
            assert inside - ring > 400, (i, inside, ring)  # a soft-tissue nodule in lung
        else:
            assert ring - inside > 60, (i, inside, ring)  # a hypodense liver lesion
            assert 70 < ring < 160


def test_masks_sit_on_their_lesion_and_a_third_are_wrong(ct_cases: list[CtCase]) -> None:
    flaws = [c.flaw for c in ct_cases]
    for i, case in enumerate(ct_cases, start=1):
        mask = case.mask > 0
        assert (mask & case.lesion).any(), f"case {i}: the mask misses its lesion"
        if case.flaw is None:
            assert dice(mask, case.lesion) > 0.99, i
        else:
            assert dice(mask, case.lesion) < 0.75, (i, case.flaw, dice(mask, case.lesion))
    wrong = sum(f is not None for f in flaws)
    assert 5 <= wrong <= 8
    assert set(flaws) - {None} == set(MASK_FLAWS)
    assert flaws[0] is None  # the first case a new user sees has a good mask
    assert sum(c.site == "liver" for c in ct_cases) >= 3
    assert sum(c.site == "lung" for c in ct_cases) >= 10


def test_ct_cases_are_deterministic(ct_cases: list[CtCase]) -> None:
    again = next(chest_ct_cases(1, seed=CT_SEED))
    np.testing.assert_array_equal(again.image, ct_cases[0].image)
    np.testing.assert_array_equal(again.mask, ct_cases[0].mask)
    other = next(chest_ct_cases(1, seed=CT_SEED + 1))
    assert not np.array_equal(other.image[:5], ct_cases[0].image[:5])


def test_mr_sequences_have_their_contrasts() -> None:
    sequences = head_mr_sequences(MR_SHAPE, MR_SPACING, seed=201)
    assert list(sequences) == ["T1", "T1GD", "T2", "FLAIR"]
    t1, gd, t2, flair = (sequences[s].astype(np.float32) for s in sequences)
    for array in sequences.values():
        assert array.shape == MR_SHAPE
        assert array.dtype == np.int16
        assert array[:, :3, :3].max() == 0  # background
    head = t2 > 300
    assert 0.2 < head.mean() < 0.7
    # CSF: bright on T2, dark on FLAIR and T1.
    csf = head & (t2 > 1300) & (flair < 250)
    assert csf.sum() > 1000
    assert np.median(t1[csf]) < 300
    # White matter: bright on T1, dark on T2.
    wm = head & (t1 > 750) & (t2 < 520)
    assert wm.sum() > 20000
    # The tumour's rim enhances: much brighter after gadolinium, not before.
    enhancing = (gd - t1) > 500
    assert 200 < enhancing.sum() < 20000
    # Oedema: bright on FLAIR where T2 is bright too.
    assert ((flair > 900) & (t2 > 950)).sum() > 500
    z = MR_SHAPE[0] // 2
    assert enhancing[z - 3 : z + 4].any()  # the tumour is near the middle slice


def test_demo_zips_read_back_with_the_names_projects_use(tmp_path: Path) -> None:
    ct, mr = write_demo_datasets(tmp_path)
    with open_dataset(ct) as dataset:
        assert [c.name for c in dataset.cases] == [ct_case_name(i) for i in range(1, 21)]
        assert dataset.cases[0].name == "P001_chest_siteB"
        image = dataset.read_volume(0, "image.nii.gz")
        mask = dataset.read_volume(0, "mask.nii.gz")
        assert image.array.dtype == np.int16
        assert mask.array.shape == image.array.shape
        assert (image.slope, image.intercept) == (1.0, 0.0)
        first = next(chest_ct_cases(1, seed=CT_SEED))
        np.testing.assert_array_equal(image.array, first.image)
        np.testing.assert_allclose(image.spacing, first.spacing, rtol=1e-6)
    with open_dataset(mr) as dataset:
        assert [c.name for c in dataset.cases] == [f"H{i:03d}_brain" for i in (1, 2, 3)]
        assert len(dataset.cases) == MR_CASES
        names = sorted(v.name for v in dataset.cases[0].volumes)
        assert names == ["FLAIR.nii.gz", "T1.nii.gz", "T1GD.nii.gz", "T2.nii.gz"]
    with zipfile.ZipFile(ct) as zf:
        assert len(zf.namelist()) == 2 * CT_CASES
    assert ct.stat().st_size < 60e6
    assert mr.stat().st_size < 20e6
    before = ct.stat().st_mtime_ns
    write_demo_datasets(tmp_path)  # already there: kept
    assert ct.stat().st_mtime_ns == before


def test_thumbnail_shows_the_lesion_in_red() -> None:
    picture = Image.open(io.BytesIO(thumbnail_png()))
    assert picture.size == (160, 160)
    rgb = np.asarray(picture.convert("RGB")).astype(int)
    red = (rgb[..., 0] - rgb[..., 1] > 60) & (rgb[..., 0] - rgb[..., 2] > 60)
    assert red.sum() >= 4
    assert len(np.unique(rgb.reshape(-1, 3), axis=0)) > 50  # an image, not a flat picture
