"""How a DICOM series asks to be shown: grey-scale polarity and its own default window.

- **MONOCHROME1** (CR, DX, some mammography): the lowest stored value is white. The reader
  turns every stored sample v into ``lo + hi - v`` (``lo``..``hi``: the range BitsStored and
  PixelRepresentation allow, so ``4095 - v`` for 12-bit unsigned and ``-1 - v`` for signed),
  before RescaleSlope/Intercept. That is exactly what SimpleITK (GDCM) gives, the data
  contract's reference for canonical voxels (checked for 8/12/16-bit, signed, with and without
  rescale), so dense is bright in the viewer, previews and exports with no display flag.
- **Window Center / Window Width** (0028,1050/1051) of the first instance (the first slice in
  slice order), or of an Enhanced file's Frame VOI LUT (shared, else that frame's), in the units
  after RescaleSlope/Intercept, as the app's windows are. A multi-valued window takes the first
  value (the modality's default; the others are alternatives). For MONOCHROME1 the window is
  mirrored with the values (center ``slope * (lo + hi) + 2 * intercept - center``), which shows
  what DICOM specifies: the windowed grey scale, inverted. DICOM's linear VOI function maps
  ``center - 0.5 ± (width - 1) / 2``: half a grey level from the app's one definition, which is
  kept.
"""

from __future__ import annotations

import math
from typing import Any

from pydicom.dataset import Dataset


def inversion_sum(ds: Dataset) -> int | None:
    """MONOCHROME1: ``lo + hi`` of the stored sample range (v becomes it minus v); else None."""
    if str(ds.get("PhotometricInterpretation", "")).strip().upper() != "MONOCHROME1":
        return None
    bits = min(int(ds.get("BitsStored") or ds.BitsAllocated), int(ds.BitsAllocated))
    if int(ds.get("PixelRepresentation", 0)) == 1:
        return -1  # -2**(bits-1) + 2**(bits-1) - 1
    return (1 << bits) - 1


def display_window(
    ds: Dataset, frame_index: int, inversion: int | None, slope: float, intercept: float
) -> tuple[float, float] | None:
    """The file's window for the values the reader returns (mirrored for MONOCHROME1)."""
    window = file_window(ds, frame_index)
    if window is None or inversion is None:
        return window
    center, width = window
    return (slope * inversion + 2 * intercept - center, width)


def file_window(ds: Dataset, frame_index: int = 0) -> tuple[float, float] | None:
    """(center, width) from the file, or None when it has no usable one (never raises: a
    damaged optional display hint must not cost the volume)."""
    try:
        for source in (ds, *_frame_voi(ds, frame_index)):
            window = _window(source)
            if window is not None:
                return window
    except Exception:  # pydicom converts values lazily and raises many types
        return None
    return None


def _frame_voi(ds: Dataset, frame_index: int) -> list[Dataset]:
    """Frame VOI LUT items of an Enhanced multi-frame file: shared first, then the frame's."""
    found = []
    shared = ds.get("SharedFunctionalGroupsSequence")
    if shared:
        found += list(shared[0].get("FrameVOILUTSequence") or [])[:1]
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    if per_frame and 0 <= frame_index < len(per_frame):
        found += list(per_frame[frame_index].get("FrameVOILUTSequence") or [])[:1]
    return found


def _window(item: Dataset) -> tuple[float, float] | None:
    center = _first_number(item.get("WindowCenter"))
    width = _first_number(item.get("WindowWidth"))
    if center is None or width is None or width <= 0:
        return None
    return (center, width)


def _first_number(value: Any) -> float | None:
    if value is None or isinstance(value, str | bytes):
        return None  # absent, or a value pydicom could not read as a decimal string
    try:
        first = value[0] if hasattr(value, "__len__") else value
        number = float(first)
    except (TypeError, ValueError, IndexError):
        return None
    return number if math.isfinite(number) else None
