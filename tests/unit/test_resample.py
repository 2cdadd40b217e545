"""Resampling a layer onto another volume's grid, checked against positions computed here."""

from __future__ import annotations

import numpy as np
import pytest

from naesview_app.imaging.resample import resample_to, same_grid
from naesview_app.imaging.volume import Volume

FLIP_X = (-1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


def image(shape=(6, 10, 12), spacing=(2.0, 1.0, 1.0), origin=(0.0, 0.0, 0.0), **kw) -> Volume:
    array = np.arange(np.prod(shape), dtype=np.int16).reshape(shape)
    return Volume(array=array, spacing=spacing, origin=origin, name="image.nii.gz", **kw)


def lps_of(volume: Volume, index_zyx: np.ndarray) -> np.ndarray:
    """LPS mm of voxel indices given as rows of (z, y, x)."""
    direction = np.asarray(volume.direction).reshape(3, 3)
    xyz = index_zyx[:, ::-1] * np.asarray(volume.spacing[::-1])
    return xyz @ direction.T + np.asarray(volume.origin)


def index_of(volume: Volume, lps: np.ndarray) -> np.ndarray:
    """Continuous (z, y, x) index of LPS points."""
    direction = np.asarray(volume.direction).reshape(3, 3)
    xyz = (lps - np.asarray(volume.origin)) @ direction / np.asarray(volume.spacing[::-1])
    return xyz[:, ::-1]


def all_indices(shape) -> np.ndarray:
    return np.indices(shape).reshape(3, -1).T.astype(np.float64)


def test_same_grid_returns_the_same_object() -> None:
    ref = image()
    mask = Volume(
        array=np.zeros(ref.shape, np.uint8), spacing=(2.0, 1.0, 1.0), origin=(1e-5, 0.0, -1e-5)
    )
    assert same_grid(mask, ref)
    assert resample_to(mask, ref, is_mask=True) is mask
    assert resample_to(ref, ref, is_mask=False) is ref


@pytest.mark.parametrize(
    "change",
    [
        {"origin": (0.5, 0.0, 0.0)},
        {"spacing": (2.0, 1.0, 1.1)},
        {"direction": FLIP_X},
        {"shape": (6, 10, 11)},
    ],
)
def test_other_grids_are_not_the_same(change) -> None:
    assert not same_grid(image(**change), image())


def test_a_degenerate_grid_matches_nothing() -> None:
    flat = image(spacing=(0.0, 1.0, 1.0))
    assert not same_grid(image(), flat)
    assert not same_grid(flat, image())


def test_mask_on_a_coarser_shifted_grid_lands_on_the_nearest_voxels() -> None:
    ref = image(shape=(8, 12, 16), spacing=(1.0, 1.0, 1.0), origin=(-5.0, 3.0, 10.0))
    coarse = np.zeros((4, 6, 8), np.uint8)
    coarse[1:3, 2:5, 3:6] = 1
    coarse[3, 0, 0] = 1
    # 2x downsampled, origin shifted by 0.3 mm: no fine voxel centre is ever half-way (no ties).
    mask = Volume(array=coarse, spacing=(2.0, 2.0, 2.0), origin=(-4.7, 3.3, 10.3), name="mask")
    out = resample_to(mask, ref, is_mask=True)

    assert out.shape == ref.shape
    assert (out.spacing, out.origin, out.direction) == (ref.spacing, ref.origin, ref.direction)
    assert out.array.dtype == np.uint8
    assert set(np.unique(out.array)) == {0, 1}

    fine = all_indices(ref.shape)
    nearest = np.rint(index_of(mask, lps_of(ref, fine))).astype(int)
    inside = np.all((nearest >= 0) & (nearest < np.array(coarse.shape)), axis=1)
    expected = np.zeros(len(fine), np.uint8)
    expected[inside] = coarse[tuple(nearest[inside].T)]
    assert np.array_equal(out.array.reshape(-1), expected)
    # A known voxel: fine (z=2, y=4, x=6) is at LPS (1.0, 7.0, 12.0) -> coarse (0.85, 1.85, 2.85)
    assert out.array[2, 4, 6] == coarse[1, 2, 3] == 1
    assert out.array[0, 0, 0] == coarse[0, 0, 0] == 0


def test_mask_in_a_flipped_layout_is_flipped_back() -> None:
    ref = image()
    stored = np.zeros(ref.shape, np.uint8)
    stored[1:4, 2:5, 0:3] = 1  # near the stored x = 0, which is the reference's far right
    # x runs the other way: stored voxel x = 0 lies at the reference's last column.
    far_x = (ref.shape[2] - 1) * ref.spacing[2]
    mask = Volume(array=stored, spacing=ref.spacing, origin=(far_x, 0.0, 0.0), direction=FLIP_X)
    assert not same_grid(mask, ref)
    out = resample_to(mask, ref, is_mask=True)
    assert np.array_equal(out.array, stored[:, :, ::-1])


def test_outside_the_mask_is_background() -> None:
    ref = image()
    mask = Volume(array=np.ones((2, 2, 2), np.uint8), spacing=(2.0, 1.0, 1.0), origin=(4, 4, 4))
    out = resample_to(mask, ref, is_mask=True)
    assert out.array.sum() == 8
    assert np.array_equal(
        np.argwhere(out.array), [[z, y, x] for z in (2, 3) for y in (4, 5) for x in (4, 5)]
    )


def test_labels_stay_labels() -> None:
    ref = image(spacing=(1.0, 1.0, 1.0))
    labels = np.random.default_rng(0).integers(0, 4, size=(3, 5, 6)).astype(np.uint8)
    mask = Volume(array=labels, spacing=(2.0, 2.0, 2.0), origin=(0.2, 0.2, 0.2))
    out = resample_to(mask, ref, is_mask=True)
    assert set(np.unique(out.array)) <= {0, 1, 2, 3}


def test_image_is_interpolated_linearly_in_real_values() -> None:
    # A ramp along x with a DICOM-like rescale: linear interpolation reproduces it exactly.
    x = np.arange(8, dtype=np.int16)
    stored = np.broadcast_to(x * 10, (4, 5, 8)).copy()
    layer = Volume(array=stored, spacing=(2.0, 2.0, 2.0), slope=0.5, intercept=-100.0, name="pet")
    ref = Volume(array=np.zeros((8, 10, 14), np.int16), spacing=(1.0, 1.0, 1.0), origin=(0.5, 0, 0))
    out = resample_to(layer, ref, is_mask=False)
    assert out.array.dtype == np.float32
    assert (out.slope, out.intercept) == (1.0, 0.0)
    lps_x = 0.5 + np.arange(14)  # reference x positions, all inside the layer's 0..14 mm
    expected = (lps_x / 2.0 * 10) * 0.5 - 100.0
    assert out.array[3, 4] == pytest.approx(expected, abs=1e-4)
    assert out.array[3, 4, 0] != out.array[3, 4, 1]  # really interpolated, not nearest


def test_bool_masks_stay_bool() -> None:
    ref = image()
    mask = Volume(array=np.ones((3, 5, 6), np.bool_), spacing=(4.0, 2.0, 2.0))
    out = resample_to(mask, ref, is_mask=True)
    assert out.array.dtype == np.bool_
    assert out.array.shape == ref.shape


def _random_grids(seed: int) -> tuple[Volume, Volume]:
    rng = np.random.default_rng(seed)
    angles = rng.uniform(-0.6, 0.6, 3)
    c, s = np.cos(angles), np.sin(angles)
    rx = np.array([[1, 0, 0], [0, c[0], -s[0]], [0, s[0], c[0]]])
    ry = np.array([[c[1], 0, s[1]], [0, 1, 0], [-s[1], 0, c[1]]])
    rz = np.array([[c[2], -s[2], 0], [s[2], c[2], 0], [0, 0, 1]])
    direction = tuple((rz @ ry @ rx).reshape(-1)) if seed % 2 else (1.0, 0, 0, 0, 1.0, 0, 0, 0, 1.0)
    shape = tuple(int(n) for n in rng.integers(5, 14, 3))
    labels = rng.integers(0, 3, size=shape).astype(np.uint8)
    mask = Volume(
        array=labels,
        spacing=tuple(float(v) for v in rng.uniform(0.5, 3.0, 3)),
        origin=tuple(float(v) for v in rng.uniform(-2, 2, 3)),
        direction=direction,
    )
    ref_shape = tuple(int(n) for n in rng.integers(6, 20, 3))
    reference = Volume(
        array=np.zeros(ref_shape, np.int16),
        spacing=tuple(float(v) for v in rng.uniform(0.4, 2.5, 3)),
        origin=tuple(float(v) for v in rng.uniform(-3, 3, 3)),
        direction=direction,
    )
    return mask, reference


@pytest.mark.parametrize("seed", range(12))
def test_fast_nearest_path_equals_simpleitk(seed) -> None:
    from naesview_app.imaging import resample

    mask, reference = _random_grids(seed)
    fast = resample._nearest_same_direction(mask, reference)
    assert fast is not None  # same direction: the fast path applies
    assert 0 < np.count_nonzero(fast) < fast.size  # the grids overlap, partly
    slow = resample._simpleitk_resample(mask.array, mask, reference, nearest=True)
    assert fast.dtype == slow.dtype == np.uint8
    assert np.array_equal(fast, slow)
    assert np.array_equal(resample_to(mask, reference, is_mask=True).array, slow)
