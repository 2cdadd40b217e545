"""canonical_layout is SimpleITK.DICOMOrient(img, "LPS"): same array, origin, spacing, direction."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import SimpleITK as sitk

from naesview_app.datasets.readers.dicom_geometry import (
    GeometryError,
    SliceGeometry,
    StackGeometry,
    canonical_layout,
    stack_geometry,
)


def _rotation(angles) -> np.ndarray:
    ax, ay, az = angles
    rx = np.array([[1, 0, 0], [0, np.cos(ax), -np.sin(ax)], [0, np.sin(ax), np.cos(ax)]])
    ry = np.array([[np.cos(ay), 0, np.sin(ay)], [0, 1, 0], [-np.sin(ay), 0, np.cos(ay)]])
    rz = np.array([[np.cos(az), -np.sin(az), 0], [np.sin(az), np.cos(az), 0], [0, 0, 1]])
    return rz @ ry @ rx


def _directions() -> list[np.ndarray]:
    rng = np.random.default_rng(0)
    out = []
    # Every axis-aligned layout (48 permutations with flips), then oblique and ~45° ones.
    for perm in itertools.permutations(range(3)):
        for signs in itertools.product((1.0, -1.0), repeat=3):
            out.append(np.eye(3)[:, perm] * signs)
    for _ in range(60):
        out.append(_rotation(rng.uniform(-np.pi, np.pi, 3)))
    for angles in itertools.product((0.0, np.pi / 4, -np.pi / 4, np.pi / 2), repeat=3):
        out.append(_rotation(angles))
    return out


@pytest.mark.parametrize("direction", _directions())
def test_layout_equals_dicomorient(direction: np.ndarray) -> None:
    shape = (3, 4, 5)  # stored [slice, row, column]
    stored = np.arange(60, dtype=np.float32).reshape(shape)
    spacing, origin = (0.7, 0.8, 2.5), (5.0, -7.0, 11.0)
    image = sitk.GetImageFromArray(stored)
    image.SetSpacing(spacing)
    image.SetOrigin(origin)
    image.SetDirection(direction.reshape(-1).tolist())
    reference = sitk.DICOMOrient(image, "LPS")

    layout = canonical_layout(StackGeometry((0, 1, 2), spacing, origin, direction), shape)
    canonical = np.flip(stored.transpose(layout.axes), layout.flips)
    assert np.array_equal(canonical, sitk.GetArrayFromImage(reference))
    assert layout.shape == canonical.shape
    assert layout.spacing_zyx == pytest.approx(reference.GetSpacing()[::-1])
    assert layout.origin == pytest.approx(reference.GetOrigin(), abs=1e-9)
    assert layout.direction == pytest.approx(reference.GetDirection(), abs=1e-12)


def _slices(z_positions, orientation=(1.0, 0.0, 0.0, 0.0, 1.0, 0.0)) -> list[SliceGeometry]:
    return [
        SliceGeometry(f"s{k}", (0.0, 0.0, z), orientation, (0.6, 0.5))
        for k, z in enumerate(z_positions)
    ]


def test_stack_sorts_along_the_normal() -> None:
    stack = stack_geometry(_slices([4.0, 0.0, 2.0, 6.0]))
    assert stack.order == (1, 2, 0, 3)
    assert stack.spacing_xyz == (0.5, 0.6, 2.0)
    assert stack.origin == (0.0, 0.0, 0.0)


def test_spacing_within_one_percent_is_even() -> None:
    stack_geometry(_slices([0.0, 2.0, 4.01, 6.0]))
    with pytest.raises(GeometryError, match="not evenly spaced"):
        stack_geometry(_slices([0.0, 2.0, 4.1, 6.0]))


def test_slices_without_position_cannot_be_stacked() -> None:
    slices = [*_slices([0.0, 1.0]), SliceGeometry("lost", None, None, (0.6, 0.5))]
    with pytest.raises(GeometryError, match="1 of 3 slices have no ImagePositionPatient"):
        stack_geometry(slices)


def test_pixel_spacing_comes_from_the_first_sorted_slice() -> None:
    slices = [
        SliceGeometry("high", (0.0, 0.0, 2.0), (1.0, 0.0, 0.0, 0.0, 1.0, 0.0), (0.60002, 0.5)),
        SliceGeometry("low", (0.0, 0.0, 0.0), (1.0, 0.0, 0.0, 0.0, 1.0, 0.0), (0.60001, 0.5)),
    ]
    assert stack_geometry(slices).spacing_xyz == (0.5, 0.60001, 2.0)
    slices.append(SliceGeometry("odd", (0.0, 0.0, 4.0), (1.0, 0.0, 0.0, 0.0, 1.0, 0.0), (0.7, 0.5)))
    with pytest.raises(
        GeometryError, match=r"different pixel spacings: .*0\.7×0\.5 mm \(1 slices\)"
    ):
        stack_geometry(slices)
