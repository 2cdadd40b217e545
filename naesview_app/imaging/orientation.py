"""Canonical LPS orientation: nearest-axis permutations and flips, never resampling.

This is what ``SimpleITK.DICOMOrient(img, "LPS")`` does: each image index axis is mapped to the
patient axis its direction is closest to, and the array is permuted and flipped so that index
x runs towards Left, y towards Posterior, z towards Superior. An oblique volume keeps its voxel
values; its direction matrix stays close to, but not exactly, the identity.

Stored arrays are in the file's ``[k, j, i]`` order (index axis i is the last numpy axis).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from naesview_app.imaging.volume import Reorientation, Vec3


@dataclass(frozen=True, slots=True)
class CanonicalGeometry:
    spacing: Vec3
    """``[z, y, x]`` in mm."""
    origin: Vec3
    """LPS ``(x, y, z)`` in mm of canonical voxel ``[0, 0, 0]``."""
    direction: tuple[float, ...]
    """Row-major 3x3; column j is the direction of canonical index axis j (x, y, z)."""
    reorientation: Reorientation


def nearest_patient_axes(directions: np.ndarray) -> list[tuple[int, float]]:
    """For each index axis (column of `directions`), its nearest patient axis and sign.

    ITK's rule (``DICOMOrientation::DirectionCosinesToOrientation``): take the largest absolute
    entry of the whole matrix, pair its patient axis (row) with its index axis (column), drop
    that row and column, repeat. Equal values go to the later entry in row-major order, as in
    ITK's multimap. Without conflicts this is each column's largest entry.
    """
    entries = sorted(
        ((abs(float(directions[p, s])), p * 3 + s, p, s) for p in range(3) for s in range(3)),
        reverse=True,
    )
    chosen = [-1, -1, -1]
    used_rows: set[int] = set()
    for _, _, p, s in entries:
        if chosen[s] == -1 and p not in used_rows:
            chosen[s] = p
            used_rows.add(p)
    return [
        (p, -1.0 if math.copysign(1.0, directions[p, s]) < 0 else 1.0) for s, p in enumerate(chosen)
    ]


def canonical_geometry(
    directions: np.ndarray,
    spacing_ijk: Vec3,
    origin: Vec3,
    stored_shape: tuple[int, int, int],
) -> CanonicalGeometry:
    """Geometry of the canonical array of a stored ``[k, j, i]`` array.

    `directions`: 3x3 LPS unit vectors of index axes i, j, k as columns. `origin`: LPS position of
    stored voxel ``[0, 0, 0]``. `spacing_ijk`: voxel size along i, j, k.
    """
    axes_signs = nearest_patient_axes(directions)
    source = {p: s for s, (p, _) in enumerate(axes_signs)}  # patient axis -> stored index axis
    # numpy axis n holds index axis 2 - n, in stored and in canonical order alike.
    permutation = tuple(2 - source[2 - n] for n in range(3))
    flips = tuple(n for n in range(3) if axes_signs[source[2 - n]][1] < 0)
    dims_ijk = stored_shape[::-1]
    corner = np.array(origin, dtype=np.float64)
    for s, (_, sign) in enumerate(axes_signs):
        if sign < 0:
            corner = corner + directions[:, s] * spacing_ijk[s] * (dims_ijk[s] - 1)
    columns = [directions[:, source[p]] * axes_signs[source[p]][1] for p in range(3)]
    direction = np.stack(columns, axis=1)
    spacing = tuple(float(spacing_ijk[source[2 - n]]) for n in range(3))
    return CanonicalGeometry(
        spacing=(spacing[0], spacing[1], spacing[2]),
        origin=(float(corner[0]), float(corner[1]), float(corner[2])),
        direction=tuple(float(v) for v in direction.reshape(-1)),
        reorientation=Reorientation(
            axes=(permutation[0], permutation[1], permutation[2]),
            flips=flips,
            stored_shape=stored_shape,
        ),
    )


def apply_reorientation(stored: np.ndarray, how: Reorientation) -> np.ndarray:
    """The canonical C-contiguous array: flips in place when no axes move, else one copy."""
    if how.axes == (0, 1, 2):
        if how.flips:
            if not stored.flags.writeable:
                stored = stored.copy()
            flip_in_place(stored, how.flips)
        return np.ascontiguousarray(stored)
    return np.ascontiguousarray(np.flip(stored.transpose(how.axes), how.flips))


def undo_reorientation(canonical: np.ndarray, how: Reorientation) -> np.ndarray:
    """The array in the file's stored ``[k, j, i]`` order (to write an edited mask back)."""
    unflipped = np.flip(canonical, how.flips) if how.flips else canonical
    return np.ascontiguousarray(unflipped.transpose(np.argsort(how.axes)))


def flip_in_place(a: np.ndarray, flips: tuple[int, ...]) -> None:
    """Flip a 3-D array along `flips` using one slice of scratch memory (memory <= 1.1x raw)."""
    in_plane = tuple(ax - 1 for ax in flips if ax != 0)
    n = a.shape[0]

    def plane(k: int) -> np.ndarray:
        return np.flip(a[k], in_plane) if in_plane else a[k]

    if 0 in flips:
        for k in range(n // 2):
            scratch = plane(k).copy()
            a[k] = plane(n - 1 - k)
            a[n - 1 - k] = scratch
        if n % 2 and in_plane:
            a[n // 2] = plane(n // 2).copy()
    elif in_plane:
        for k in range(n):
            a[k] = plane(k).copy()
