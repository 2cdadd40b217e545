"""Pure geometry of a DICOM series: slice order, grid checks and the canonical LPS layout.

No pydicom here: these functions take numbers (positions, orientations, spacings) so they can be
tested without files. `dicom.py` feeds them what it parsed.

The reference is SimpleITK: `ImageSeriesReader` (GDCM sorts slices along the slice normal; the
z spacing and z direction come from the first and last positions) then `DICOMOrient(img, "LPS")`
(a permutation and flips of the index axes, chosen greedily by the largest direction cosine).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

# Same tolerances as the reference (../shared/data/tools/make_manifest.py).
ORIENTATION_TOLERANCE = 1e-4
DUPLICATE_POSITION_MM = 1e-3


class GeometryError(ValueError):
    """The slices do not form one regular 3-D grid; the message says why (one line)."""


@dataclass(frozen=True, slots=True)
class SliceGeometry:
    """Where one 2-D frame lies: the label is what error messages show (a file name)."""

    label: str
    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None  # ImageOrientationPatient: row then column cosines
    pixel_spacing: tuple[float, ...] | None = None
    """PixelSpacing: (between rows, between columns) in mm, as DICOM orders them."""


@dataclass(frozen=True, slots=True)
class StackGeometry:
    """A sorted stack in its stored layout: index axes x = columns, y = rows, z = slices."""

    order: tuple[int, ...]
    """Indices into the input slices, sorted along the normal (stored slice k is order[k])."""
    spacing_xyz: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: np.ndarray
    """3x3; column j is the LPS direction of index axis j (x, y, z)."""


@dataclass(frozen=True, slots=True)
class CanonicalLayout:
    """How to turn the stored `[slice, row, column]` array into canonical LPS `[z, y, x]`.

    ``canonical = np.flip(stored.transpose(axes), flips)``.
    """

    axes: tuple[int, int, int]
    flips: tuple[int, ...]
    shape: tuple[int, int, int]
    spacing_zyx: tuple[float, float, float]
    origin: tuple[float, float, float]
    direction: tuple[float, ...]
    """Row-major 3x3 as SimpleITK's GetDirection() of the reoriented image."""


def stack_geometry(
    slices: Sequence[SliceGeometry], *, single_slice_thickness: float = 1.0
) -> StackGeometry:
    """Sort slices along their normal and check they form one evenly spaced grid."""
    _check_pixel_spacing(slices)
    if len(slices) == 1 and (slices[0].position is None or slices[0].orientation is None):
        x, y = _spacing_xy(slices[0])
        return StackGeometry((0,), (x, y, single_slice_thickness), (0.0, 0.0, 0.0), np.eye(3))
    missing = [s.label for s in slices if s.position is None or s.orientation is None]
    if missing:
        raise GeometryError(
            f"{len(missing)} of {len(slices)} slices have no ImagePositionPatient/"
            f"ImageOrientationPatient (e.g. `{missing[0]}`), so they cannot be stacked"
        )
    orientations = np.array([s.orientation for s in slices], dtype=np.float64)
    # The orientation most slices share is the stack's; the others are named.
    rounded = Counter(tuple(np.round(o, 3)) for o in orientations.tolist())
    usual_key = np.array(rounded.most_common(1)[0][0])
    usual = int(np.argmin(np.abs(orientations - usual_key).max(axis=1)))
    odd = np.flatnonzero(
        np.abs(orientations - orientations[usual]).max(axis=1) > ORIENTATION_TOLERANCE
    )
    if odd.size:
        hint = (
            "a localizer or scout image? remove it from the folder"
            if odd.size <= 3 and odd.size * 4 < len(slices)
            else "one folder must hold one stack"
        )
        raise GeometryError(
            f"slices have different orientations: {odd.size} of {len(slices)} (e.g. "
            f"`{slices[int(odd[0])].label}`) are not oriented like the others ({hint})"
        )
    row, col = orientations[usual, :3], orientations[usual, 3:]
    normal = np.cross(row, col)
    positions = np.array([s.position for s in slices], dtype=np.float64)
    along = positions @ normal
    order = np.argsort(along, kind="stable")
    _check_spacing(along[order], [slices[i].label for i in order])

    first, last = positions[order[0]], positions[order[-1]]
    z_spacing = single_slice_thickness
    if len(slices) > 1:
        # Like ITK's ImageSeriesReader: the z spacing spans the first and last slice, while the
        # z direction stays the slice normal (a tilted gantry keeps an orthogonal direction).
        z_spacing = float(np.linalg.norm(last - first)) / (len(slices) - 1)
    # Like ITK, direction and pixel spacing are the first sorted slice's (the others agree within
    # the tolerances).
    row, col = orientations[order[0], :3], orientations[order[0], 3:]
    direction = np.column_stack([row, col, np.cross(row, col)])
    x_spacing, y_spacing = _spacing_xy(slices[int(order[0])])
    return StackGeometry(
        tuple(int(i) for i in order),
        (x_spacing, y_spacing, z_spacing),
        (float(first[0]), float(first[1]), float(first[2])),
        direction,
    )


def _spacing_xy(slice_: SliceGeometry) -> tuple[float, float]:
    """(x, y) = (between columns, between rows). Like GDCM: 1 mm when the file gives none or
    zero, and the magnitude of a negative value."""
    if slice_.pixel_spacing is None:
        return (1.0, 1.0)
    row, column = (abs(v) or 1.0 for v in slice_.pixel_spacing)
    return (column, row)


def _check_pixel_spacing(slices: Sequence[SliceGeometry]) -> None:
    spacings = Counter(s.pixel_spacing for s in slices)
    if len(spacings) == 1:
        return
    known = np.array([s for s in spacings if s is not None], dtype=np.float64)
    if len(known) == len(spacings) and np.ptp(known, axis=0).max() <= 1e-4 * known.max():
        return
    listed = ", ".join(
        f"{s[0]:g}×{s[1]:g} mm ({n} slices)" if s else f"none ({n} slices)"
        for s, n in spacings.most_common()
    )
    raise GeometryError(
        f"slices have different pixel spacings: {listed}; one folder must hold one grid"
    )


def _check_spacing(along: np.ndarray, labels: list[str]) -> None:
    if along.size < 2:
        return
    gaps = np.diff(along)
    shared = np.flatnonzero(gaps < DUPLICATE_POSITION_MM)
    if shared.size:
        i = int(shared[0])
        raise GeometryError(
            f"{shared.size} of {along.size} slices repeat another slice's position (e.g. "
            f"`{labels[i]}` and `{labels[i + 1]}` at {along[i]:.2f} mm along the normal): "
            "several volumes in one folder? put each in its own folder"
        )
    smallest = float(gaps.min())
    if float(gaps.max()) - smallest > 0.01 * smallest + 1e-3:
        usual = float(np.median(gaps))
        off = np.abs(gaps - usual) > 0.01 * usual + 1e-3
        worst = int(np.argmax(np.abs(gaps - usual)))
        missing = round(gaps[worst] / usual) - 1
        if missing > 10:  # far more than a dropped slice or two
            guess = "separate stacks in one folder? put each in its own folder"
        elif missing >= 1:
            guess = f"about {missing} slice{'s' if missing > 1 else ''} missing there"
        else:
            guess = "slices unevenly spaced"
        more = f"; {int(off.sum()) - 1} more uneven gaps" if off.sum() > 1 else ""
        raise GeometryError(
            f"slices are not evenly spaced: {gaps[worst]:.3f} mm between slice {worst + 1} "
            f"`{labels[worst]}` and slice {worst + 2} `{labels[worst + 1]}` of {along.size} where "
            f"the usual spacing is {usual:.3f} mm ({guess}{more})"
        )


def canonical_layout(stack: StackGeometry, stored_shape: tuple[int, int, int]) -> CanonicalLayout:
    """Permute and flip the stored axes to LPS, as SimpleITK.DICOMOrient(img, "LPS") does."""
    direction = stack.direction
    patient_axis = _nearest_patient_axes(direction)  # index axis i -> LPS axis
    signs = [1.0 if direction[patient_axis[i], i] >= 0 else -1.0 for i in range(3)]
    source = {patient_axis[i]: i for i in range(3)}  # LPS axis -> stored index axis
    size_xyz = (stored_shape[2], stored_shape[1], stored_shape[0])

    origin = np.array(stack.origin, dtype=np.float64)
    for i in range(3):
        if signs[i] < 0:  # the new first voxel is the old last one along this axis
            origin = origin + (size_xyz[i] - 1) * stack.spacing_xyz[i] * direction[:, i]
    new_direction = np.column_stack([direction[:, source[j]] * signs[source[j]] for j in range(3)])

    # Canonical numpy axis n is LPS axis 2 - n; the stored numpy axis of index axis i is 2 - i.
    axes = tuple(2 - source[2 - n] for n in range(3))
    flips = tuple(n for n in range(3) if signs[source[2 - n]] < 0)
    return CanonicalLayout(
        axes=(axes[0], axes[1], axes[2]),
        flips=flips,
        shape=(stored_shape[axes[0]], stored_shape[axes[1]], stored_shape[axes[2]]),
        spacing_zyx=tuple(float(stack.spacing_xyz[source[j]]) for j in (2, 1, 0)),  # type: ignore[arg-type]
        origin=(float(origin[0]), float(origin[1]), float(origin[2])),
        direction=tuple(float(v) for v in new_direction.reshape(-1)),
    )


def _nearest_patient_axes(direction: np.ndarray) -> list[int]:
    """Greedy: the largest |cosine| left picks its pair, then its row and column are struck out.

    This is ITK's DICOMOrientation::DirectionCosinesToOrientation, so ties and ~45° rotations
    resolve the way SimpleITK resolves them.
    """
    patient_axis = [-1, -1, -1]
    remaining = {(r, c) for r in range(3) for c in range(3)}
    for _ in range(3):
        r, c = max(remaining, key=lambda rc: (abs(direction[rc[0], rc[1]]), rc[0], rc[1]))
        patient_axis[c] = r
        remaining = {(rr, cc) for rr, cc in remaining if rr != r and cc != c}
    return patient_axis
