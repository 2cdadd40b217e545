"""Put a layer on another volume's voxel grid (SimpleITK), or leave it alone when it already is.

Layers of one viewport are drawn on the image's grid. A mask or prediction saved on exactly that
grid (the common case) is returned untouched; anything else is resampled in physical (LPS mm)
space: nearest neighbour for masks, so labels stay labels, and linear for images.

To write an edited mask back onto its own grid, resample it the other way:
``resample_to(edited, original_mask, is_mask=True)``.
"""

from __future__ import annotations

import numpy as np
import SimpleITK as sitk

from naesview_app.imaging.volume import Volume

GRID_TOLERANCE_VOXELS = 0.01
"""Grids match when no voxel centre of one lies further than this (in voxels) from the other's.

Headers round-trip through float32 (NIfTI) and decimal strings (DICOM), so exact equality would
resample layers that were saved on the image's grid.
"""


def same_grid(a: Volume, b: Volume) -> bool:
    """Same shape and the same voxel centres, within `GRID_TOLERANCE_VOXELS`."""
    if a.shape != b.shape:
        return False
    try:
        a_to_b = np.linalg.inv(_index_to_lps(b)) @ _index_to_lps(a)
    except np.linalg.LinAlgError:  # a degenerate grid (zero spacing) matches nothing
        return False
    z, y, x = (n - 1 for n in a.shape)
    corners = np.array(
        [[i, j, k, 1.0] for k in (0, z) for j in (0, y) for i in (0, x)], dtype=np.float64
    )
    in_b = corners @ a_to_b.T  # the shift is affine in the index, so corners bound it
    return bool(np.abs(in_b - corners)[:, :3].max() <= GRID_TOLERANCE_VOXELS)


def resample_to(volume: Volume, reference: Volume, *, is_mask: bool) -> Volume:
    """`volume` on `reference`'s grid; the same object when the grids already match.

    Masks: nearest neighbour, stored values and type kept, 0 outside the layer.
    Images: linear on the scaled values, float32 out, the layer's minimum outside it.
    """
    if same_grid(volume, reference):
        return volume
    if is_mask:
        array = _nearest_same_direction(volume, reference)
        if array is None:
            array = _simpleitk_resample(volume.array, volume, reference, nearest=True)
    else:
        # A separable numpy version measured no faster than SimpleITK here: keep SimpleITK.
        array = _simpleitk_resample(volume.as_float32(), volume, reference, nearest=False)
    return Volume(
        array=array,
        spacing=reference.spacing,
        origin=reference.origin,
        direction=reference.direction,
        name=volume.name,
        kind=volume.kind,
        stored_dtype=volume.stored_dtype,
        slope=volume.slope if is_mask else 1.0,
        intercept=volume.intercept if is_mask else 0.0,
        window=volume.window,  # scaled units: still right for the resampled values
    )


def _nearest_same_direction(volume: Volume, reference: Volume) -> np.ndarray | None:
    """Nearest neighbour as SimpleITK computes it, when both grids share one direction.

    Then each output axis maps to one source axis, so the lookup is three 1-D index lists and
    three gathers: 8x faster than SimpleITK's per-voxel transform (0.33 s against 2.6 s for a
    512x512x300 mask on this machine kind), and this is the usual case: a mask saved at another
    resolution or crop. None when the directions differ.
    """
    axes = _axis_positions(volume, reference)
    if axes is None:
        return None
    out = np.zeros(reference.shape, dtype=volume.array.dtype)
    if any(position.size == 0 for position, _ in axes):
        return out  # no overlap
    gathered = volume.array
    for numpy_axis, (position, _) in enumerate(axes):  # whole rows and planes at a time
        nearest = np.floor(position + 0.5).astype(np.intp)  # ITK rounds half up
        gathered = gathered.take(nearest, axis=numpy_axis)
    out[_box(axes)] = gathered
    return out


def _axis_positions(
    volume: Volume, reference: Volume
) -> list[tuple[np.ndarray, np.ndarray]] | None:
    """Per numpy axis (z, y, x): the source's continuous index of each reference voxel that
    falls inside the source (ITK: -0.5 <= index < size - 0.5), and which reference voxels those
    are. None unless both grids share one direction (then every axis maps to one axis)."""
    direction = np.asarray(volume.direction, dtype=np.float64).reshape(3, 3)
    if np.abs(direction - np.asarray(reference.direction).reshape(3, 3)).max() > 1e-9:
        return None
    source_spacing, output_spacing = volume.spacing[::-1], reference.spacing[::-1]
    if any(spacing <= 0 for spacing in (*source_spacing, *output_spacing)):
        return None
    offset = np.linalg.solve(direction, np.subtract(reference.origin, volume.origin))
    axes = []
    for axis in (2, 1, 0):  # numpy order z, y, x; `offset` and spacings are x, y, z
        count, available = reference.shape[2 - axis], volume.shape[2 - axis]
        position = (offset[axis] + np.arange(count) * output_spacing[axis]) / source_spacing[axis]
        inside = (position >= -0.5) & (position < available - 0.5)
        axes.append((position[inside], np.flatnonzero(inside)))
    return axes


def _box(axes: list[tuple[np.ndarray, np.ndarray]]) -> tuple[slice, slice, slice]:
    """Positions grow along each axis, so the reference voxels inside form one box."""
    z, y, x = (slice(int(kept[0]), int(kept[-1]) + 1) for _, kept in axes)
    return (z, y, x)


def _simpleitk_resample(
    source: np.ndarray, volume: Volume, reference: Volume, *, nearest: bool
) -> np.ndarray:
    is_bool = source.dtype == np.bool_
    image = sitk.GetImageFromArray(source.view(np.uint8) if is_bool else source)
    image.SetSpacing(tuple(float(s) for s in volume.spacing[::-1]))
    image.SetOrigin(tuple(float(o) for o in volume.origin))
    image.SetDirection(tuple(float(d) for d in volume.direction))

    resampler = sitk.ResampleImageFilter()
    resampler.SetSize([int(n) for n in reference.shape[::-1]])
    resampler.SetOutputSpacing(tuple(float(s) for s in reference.spacing[::-1]))
    resampler.SetOutputOrigin(tuple(float(o) for o in reference.origin))
    resampler.SetOutputDirection(tuple(float(d) for d in reference.direction))
    resampler.SetTransform(sitk.Transform())
    if nearest:
        resampler.SetInterpolator(sitk.sitkNearestNeighbor)
        resampler.SetDefaultPixelValue(0.0)
    else:
        resampler.SetInterpolator(sitk.sitkLinear)
        resampler.SetDefaultPixelValue(float(source.min()) if source.size else 0.0)
        resampler.SetOutputPixelType(sitk.sitkFloat32)
    array = sitk.GetArrayFromImage(resampler.Execute(image))
    return array.astype(np.bool_) if is_bool else array


def _index_to_lps(volume: Volume) -> np.ndarray:
    """4x4 affine from index (x, y, z) to LPS mm."""
    affine = np.eye(4)
    affine[:3, :3] = np.asarray(volume.direction, dtype=np.float64).reshape(3, 3) * np.asarray(
        volume.spacing[::-1], dtype=np.float64
    )
    affine[:3, 3] = volume.origin
    return affine
