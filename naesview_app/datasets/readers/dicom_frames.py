"""Frames of parsed DICOM files: where each 2-D frame lies and how its values scale.

A folder holds single-frame files (one slice each), Enhanced multi-frame files (per-frame
functional groups give each frame's position) or simple multi-frame files (one position plus a
step along the normal). All three become the same list of `Frame`s, so sorting and checks are
written once (`dicom_geometry.py`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from pydicom.dataset import Dataset

from naesview_app.datasets.readers.dicom_geometry import GeometryError, SliceGeometry

_IDENTITY_ORIENTATION = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


@dataclass(frozen=True, slots=True)
class Frame:
    file_index: int
    frame_index: int
    """Index of this frame in the file's decoded `[frame, row, column]` array."""
    geometry: SliceGeometry
    slope: float
    intercept: float


def frames_of(ds: Dataset, file_index: int, label: str) -> list[Frame]:
    """Every frame of one file, in the file's own frame order."""
    count = int(ds.get("NumberOfFrames") or 1)
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if count > 1 and per_frame is not None:
        return _enhanced_frames(ds, file_index, label, count)
    slope, intercept = _rescale(ds, ds)
    spacing = _pixel_spacing(ds)
    position = _floats(ds.get("ImagePositionPatient"), 3)
    orientation = _floats(ds.get("ImageOrientationPatient"), 6)
    if count == 1:
        geometry = SliceGeometry(label, position, orientation, spacing)  # type: ignore[arg-type]
        return [Frame(file_index, 0, geometry, slope, intercept)]
    # Simple multi-frame: one position, frames step along the normal.
    if position is None or orientation is None:  # no geometry at all: stack like a PNG series
        position, orientation = (0.0, 0.0, 0.0), _IDENTITY_ORIENTATION
    normal = np.cross(orientation[:3], orientation[3:])
    offsets = _frame_offsets(ds, count)
    return [
        Frame(
            file_index,
            j,
            SliceGeometry(
                f"{label} frame {j + 1}",
                tuple(float(v) for v in np.asarray(position) + offsets[j] * normal),  # type: ignore[arg-type]
                orientation,
                spacing,
            ),
            slope,
            intercept,
        )
        for j in range(count)
    ]


def _enhanced_frames(ds: Dataset, file_index: int, label: str, count: int) -> list[Frame]:
    per_frame = ds.PerFrameFunctionalGroupsSequence
    if len(per_frame) != count:
        raise GeometryError(
            f"`{label}` declares {count} frames but describes {len(per_frame)} "
            "(PerFrameFunctionalGroupsSequence)"
        )
    shared_seq = ds.get("SharedFunctionalGroupsSequence")
    shared = shared_seq[0] if shared_seq else None
    frames = []
    for j, group in enumerate(per_frame):
        position = _floats(
            _functional(group, shared, "PlanePositionSequence", "ImagePositionPatient"), 3
        )
        orientation = _floats(
            _functional(group, shared, "PlaneOrientationSequence", "ImageOrientationPatient"), 6
        )
        spacing = _floats(_functional(group, shared, "PixelMeasuresSequence", "PixelSpacing"), 2)
        transform = _functional_item(group, shared, "PixelValueTransformationSequence")
        slope, intercept = _rescale(transform if transform is not None else ds, ds)
        geometry = SliceGeometry(
            f"{label} frame {j + 1}",
            position,  # type: ignore[arg-type]
            orientation,
            spacing or _pixel_spacing(ds),
        )
        frames.append(Frame(file_index, j, geometry, slope, intercept))
    return frames


def _functional_item(group: Dataset, shared: Dataset | None, sequence: str) -> Dataset | None:
    for source in (group, shared):
        if source is not None and source.get(sequence):
            return source[sequence][0]
    return None


def _functional(group: Dataset, shared: Dataset | None, sequence: str, keyword: str) -> Any:
    for source in (group, shared):
        if source is not None and source.get(sequence):
            value = source[sequence][0].get(keyword)
            if value is not None:
                return value
    return None


def _frame_offsets(ds: Dataset, count: int) -> list[float]:
    grid = ds.get("GridFrameOffsetVector")
    if grid is not None and len(grid) == count:
        return [float(v) - float(grid[0]) for v in grid]
    step = ds.get("SpacingBetweenSlices") or ds.get("SliceThickness") or 1.0
    return [j * float(step) for j in range(count)]


def _rescale(source: Dataset, fallback: Dataset) -> tuple[float, float]:
    """RescaleSlope/Intercept as float64 parsed from their decimal strings (the data contract).

    An absent, empty or zero slope means "no scaling", like the reference cross-check.
    """
    slope = source.get("RescaleSlope", fallback.get("RescaleSlope"))
    intercept = source.get("RescaleIntercept", fallback.get("RescaleIntercept"))
    return (float(slope) if slope else 1.0, float(intercept) if intercept else 0.0)


def _pixel_spacing(ds: Dataset) -> tuple[float, float] | None:
    return _floats(ds.get("PixelSpacing") or ds.get("ImagerPixelSpacing"), 2)  # type: ignore[return-value]


def _floats(value: Any, count: int) -> tuple[float, ...] | None:
    if value is None:
        return None
    try:
        numbers = tuple(float(v) for v in value)
    except (TypeError, ValueError):
        return None
    return numbers if len(numbers) == count and all(np.isfinite(numbers)) else None
