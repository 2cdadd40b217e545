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
    a_to_b = np.linalg.inv(_index_to_lps(b)) @ _index_to_lps(a)
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
    source = volume.array if is_mask else volume.as_float32()
    if source.dtype == np.bool_:
        source = source.view(np.uint8)
    image = sitk.GetImageFromArray(source)
    image.SetSpacing(tuple(float(s) for s in volume.spacing[::-1]))
    image.SetOrigin(tuple(float(o) for o in volume.origin))
    image.SetDirection(tuple(float(d) for d in volume.direction))

    resampler = sitk.ResampleImageFilter()
    resampler.SetSize([int(n) for n in reference.shape[::-1]])
    resampler.SetOutputSpacing(tuple(float(s) for s in reference.spacing[::-1]))
    resampler.SetOutputOrigin(tuple(float(o) for o in reference.origin))
    resampler.SetOutputDirection(tuple(float(d) for d in reference.direction))
    resampler.SetTransform(sitk.Transform())
    if is_mask:
        resampler.SetInterpolator(sitk.sitkNearestNeighbor)
        resampler.SetDefaultPixelValue(0.0)
    else:
        resampler.SetInterpolator(sitk.sitkLinear)
        resampler.SetDefaultPixelValue(float(source.min()) if source.size else 0.0)
        resampler.SetOutputPixelType(sitk.sitkFloat32)
    array = sitk.GetArrayFromImage(resampler.Execute(image))
    if volume.array.dtype == np.bool_:
        array = array.astype(np.bool_)
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
    )


def _index_to_lps(volume: Volume) -> np.ndarray:
    """4x4 affine from index (x, y, z) to LPS mm."""
    affine = np.eye(4)
    affine[:3, :3] = np.asarray(volume.direction, dtype=np.float64).reshape(3, 3) * np.asarray(
        volume.spacing[::-1], dtype=np.float64
    )
    affine[:3, 3] = volume.origin
    return affine
