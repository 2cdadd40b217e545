"""Circular-brush mask editing: the maths (pure numpy) and the packed form of an edited mask.

The brush rule and the slice mapping are exactly those of ``ui/src/brush.js`` (read its header for
the coordinate conventions); ``tests/unit/test_brush_crosslang.py`` compares both voxel for voxel.

- A slice of a canonical ``[z, y, x]`` mask is shown with columns ``u`` and rows ``v``:
  axial ``[z]`` (u = x, v = y), coronal ``[::-1, y, :]`` (u = x, v = nz-1-z) and sagittal
  ``[::-1, :, x]`` (u = y, v = nz-1-z). :func:`slice_view` returns that 2D view (writable).
- A stroke from ``p0`` to ``p1`` (continuous ``(u, v)``, voxel centres at integers) covers every
  voxel whose centre lies within ``radius_mm`` of the segment, in millimetres, plus the voxel
  nearest each end point.
- An edited mask is packed as ``zlib(np.packbits(mask.ravel() != 0))``: one bit per voxel, C order,
  most significant bit first, padded with zero bits (docs/decisions/0005-mask-packing.md).
"""

from __future__ import annotations

import math
import zlib
from typing import Literal, NamedTuple

import msgspec
import numpy as np

from naesview_app.errors import NaesviewError
from naesview_wire import EditedMask
from naesview_wire.review import MASK_MAX_PACKED_BYTES, MASK_MAX_VOXELS, mask_problem

Orientation = Literal["axial", "coronal", "sagittal"]
ORIENTATIONS: tuple[Orientation, ...] = ("axial", "coronal", "sagittal")
Point = tuple[float, float]
"""A continuous slice position ``(u, v)``."""

ZLIB_LEVEL = 6
"""zlib's default level, as naesview_wire documents for `EditedMask.packed` (see 0005)."""
MAX_VOXELS = MASK_MAX_VOXELS
"""Largest mask accepted when unpacking (the wire's limit): guards memory against a bad shape."""


class MaskError(NaesviewError):
    """An edited mask cannot be used (bad shape, corrupt packing, grids that do not match)."""

    code = "mask"


class Rect(NamedTuple):
    """Half-open slice rectangle ``[u0, u1) x [v0, v1)``."""

    u0: int
    v0: int
    u1: int
    v1: int


class StrokeResult(NamedTuple):
    changed: int
    """Voxels whose value changed."""
    rect: Rect | None
    """Where they are on the slice (None when nothing changed): what a viewer redraws."""


class MaskMetrics(NamedTuple):
    added: int
    """Voxels inside the edited mask but not the original (non-zero means inside)."""
    removed: int
    """Voxels inside the original but not the edited mask."""
    dice: float
    """2|A and B| / (|A| + |B|); 1.0 when both are empty."""


class PackedMask(msgspec.Struct, frozen=True):
    """A binary mask on the canonical grid, bit-packed and zlib-compressed."""

    shape: tuple[int, int, int]
    """Canonical ``[z, y, x]`` shape."""
    data: bytes
    """``zlib.compress(np.packbits(mask.ravel() != 0))``."""

    def to_wire(self, volume: str, metrics: MaskMetrics) -> EditedMask:
        """The review's `EditedMask` for mask layer `volume`, checked as the server checks it."""
        if len(self.data) > MASK_MAX_PACKED_BYTES:
            raise MaskError(
                f"edited mask `{volume}` packs to {len(self.data)} bytes, more than a review may "
                f"carry ({MASK_MAX_PACKED_BYTES}); undo the scattered edits or reset the mask"
            )
        edited = EditedMask(
            volume=volume,
            shape=self.shape,
            packed=self.data,
            added=metrics.added,
            removed=metrics.removed,
            dice=min(1.0, max(0.0, metrics.dice)),
        )
        problem = mask_problem(edited)
        if problem is not None:
            raise MaskError(problem)
        return edited

    @classmethod
    def from_wire(cls, edited: EditedMask) -> PackedMask:
        """The packed mask a review carries (shape and data are checked by `unpack_mask`)."""
        z, y, x = edited.shape
        return cls(shape=(int(z), int(y), int(x)), data=bytes(edited.packed))


# ---- slices --------------------------------------------------------------------------------


def slice_view(mask: np.ndarray, orientation: Orientation, index: int) -> np.ndarray:
    """Slice `index` of a canonical ``[z, y, x]`` array as displayed: rows v, columns u (a view)."""
    if orientation == "axial":
        return mask[index]
    if orientation == "coronal":
        return mask[::-1, index, :]
    if orientation == "sagittal":
        return mask[::-1, :, index]
    raise ValueError(f"unknown orientation {orientation!r}: use axial, coronal or sagittal")


def slice_spacing(spacing: tuple[float, float, float], orientation: Orientation) -> Point:
    """Pixel spacing ``(su, sv)`` in mm of a slice, from the volume's ``[z, y, x]`` spacing."""
    sz, sy, sx = spacing
    return {"axial": (sx, sy), "coronal": (sx, sz), "sagittal": (sy, sz)}[orientation]


def slice_to_voxel(
    shape: tuple[int, int, int], orientation: Orientation, index: int, u: int, v: int
) -> tuple[int, int, int]:
    """The canonical ``(z, y, x)`` of integer position ``(u, v)`` on slice `index`."""
    nz = shape[0]
    if orientation == "axial":
        return (index, v, u)
    if orientation == "coronal":
        return (nz - 1 - v, index, u)
    return (nz - 1 - v, u, index)


# ---- brush ---------------------------------------------------------------------------------


def stroke_footprint(
    width: int, height: int, su: float, sv: float, p0: Point, p1: Point, radius_mm: float
) -> tuple[Rect, np.ndarray] | None:
    """The voxels a stroke covers on a ``height x width`` slice: ``(rect, covered)`` where
    `covered` is a boolean ``[v, u]`` array over `rect`; None when the stroke misses the slice.

    Every float operation runs in float64 in the same order as brush.js, so both languages agree
    on every voxel, including those exactly on the circle.
    """
    (u0, v0), (u1, v1) = p0, p1
    if not all(math.isfinite(n) for n in (u0, v0, u1, v1, radius_mm)):
        return None  # a pointer event without a position paints nothing
    r = max(0.0, float(radius_mm))
    ru, rv = r / su, r / sv
    lo_u = max(0, math.ceil(min(u0, u1) - ru) - 1)
    hi_u = min(width - 1, math.floor(max(u0, u1) + ru) + 1)
    lo_v = max(0, math.ceil(min(v0, v1) - rv) - 1)
    hi_v = min(height - 1, math.floor(max(v0, v1) + rv) + 1)
    if lo_u > hi_u or lo_v > hi_v:
        return None
    dx = (u1 - u0) * su
    dy = (v1 - v0) * sv
    len2 = dx * dx + dy * dy
    px = (np.arange(lo_u, hi_u + 1, dtype=np.float64) - u0) * su
    py = (np.arange(lo_v, hi_v + 1, dtype=np.float64) - v0) * sv
    px, py = px[None, :], py[:, None]
    if len2 > 0:
        t = np.clip((px * dx + py * dy) / len2, 0.0, 1.0)
    else:
        t = np.zeros((py.shape[0], px.shape[1]))
    ex = px - t * dx
    ey = py - t * dy
    covered = ex * ex + ey * ey <= r * r
    for u, v in {(u0, v0), (u1, v1)}:
        iu, iv = math.floor(u + 0.5), math.floor(v + 0.5)
        if lo_u <= iu <= hi_u and lo_v <= iv <= hi_v and iu < width and iv < height:
            covered[iv - lo_v, iu - lo_u] = True
    return Rect(lo_u, lo_v, hi_u + 1, hi_v + 1), covered


def paint_stroke(
    mask: np.ndarray,
    spacing: tuple[float, float, float],
    orientation: Orientation,
    index: int,
    p0: Point,
    p1: Point,
    radius_mm: float,
    value: int,
) -> StrokeResult:
    """Paint (value 1) or erase (value 0) a stroke on one slice of a canonical mask, in place."""
    view = slice_view(mask, orientation, index)
    su, sv = slice_spacing(spacing, orientation)
    hit = stroke_footprint(view.shape[1], view.shape[0], su, sv, p0, p1, radius_mm)
    if hit is None:
        return StrokeResult(0, None)
    rect, covered = hit
    region = view[rect.v0 : rect.v1, rect.u0 : rect.u1]
    change = covered & (region != value)
    changed = int(np.count_nonzero(change))
    if not changed:
        return StrokeResult(0, None)
    region[change] = value
    vs, us = np.nonzero(change)
    return StrokeResult(
        changed,
        Rect(
            rect.u0 + int(us.min()),
            rect.v0 + int(vs.min()),
            rect.u0 + int(us.max()) + 1,
            rect.v0 + int(vs.max()) + 1,
        ),
    )


# ---- packing and metrics -------------------------------------------------------------------


def pack_mask(mask: np.ndarray) -> PackedMask:
    """Bit-pack (non-zero = 1) and compress a canonical ``[z, y, x]`` mask."""
    if mask.ndim != 3:
        raise MaskError(f"a mask has 3 axes, this one has shape {mask.shape}")
    bits = np.packbits(np.ascontiguousarray(mask).reshape(-1))
    shape = (int(mask.shape[0]), int(mask.shape[1]), int(mask.shape[2]))
    return PackedMask(shape=shape, data=zlib.compress(bits.tobytes(), ZLIB_LEVEL))


def packed_size(shape: tuple[int, ...]) -> int:
    """Bytes of the bit-packed mask before compression: ceil(voxels / 8)."""
    return (math.prod(shape) + 7) // 8


def unpack_mask(packed: PackedMask) -> np.ndarray:
    """The uint8 {0, 1} ``[z, y, x]`` mask; raises MaskError when shape and data disagree."""
    shape = packed.shape
    if len(shape) != 3 or any(not isinstance(n, int) or n <= 0 for n in shape):
        raise MaskError(f"edited mask shape {shape} is not three positive sizes")
    voxels = math.prod(shape)
    if voxels > MAX_VOXELS:
        raise MaskError(f"edited mask shape {shape} has {voxels} voxels, more than {MAX_VOXELS}")
    expected = packed_size(shape)
    inflater = zlib.decompressobj()
    try:
        # max_length: never inflate more than the shape allows, whatever the stream claims.
        bits = inflater.decompress(packed.data, expected + 1)
    except zlib.error as exc:
        raise MaskError(
            f"edited mask data is not a zlib stream ({exc}); edit the case again and resubmit it"
        ) from None
    if (
        len(bits) != expected
        or not inflater.eof
        or inflater.unconsumed_tail
        or inflater.unused_data
    ):
        raise MaskError(
            f"edited mask data does not fit shape {shape} ({expected} packed bytes expected); "
            "edit the case again and resubmit it"
        )
    flat = np.unpackbits(np.frombuffer(bits, dtype=np.uint8), count=voxels)
    return flat.reshape(shape)


def mask_metrics(original: np.ndarray, edited: np.ndarray) -> MaskMetrics:
    """Voxels added and removed by an edit, and Dice(original, edited); non-zero means inside."""
    if original.shape != edited.shape:
        raise MaskError(f"masks differ in shape: {original.shape} and {edited.shape}")
    o = original.astype(bool, copy=False)
    e = edited.astype(bool, copy=False)
    inside_o = int(np.count_nonzero(o))
    inside_e = int(np.count_nonzero(e))
    both = int(np.count_nonzero(o & e))
    total = inside_o + inside_e
    dice = 1.0 if total == 0 else 2.0 * both / total
    return MaskMetrics(added=inside_e - both, removed=inside_o - both, dice=dice)


# ---- from the UI to the review -------------------------------------------------------------


def mask_from_raw(body: bytes | bytearray | memoryview, shape: tuple[int, int, int]) -> np.ndarray:
    """The ``[z, y, x]`` uint8 mask the UI uploads as raw bytes (one byte per voxel, C order)."""
    expected = math.prod(shape)
    if len(body) != expected:
        raise MaskError(
            f"uploaded mask has {len(body)} bytes, shape {list(shape)} needs {expected}; "
            "reload the case and edit it again"
        )
    return np.frombuffer(body, dtype=np.uint8).reshape(shape)


def review_mask(volume: str, original: np.ndarray, edited: np.ndarray) -> EditedMask:
    """What a review carries for an edited mask layer: packed mask plus added, removed, Dice
    against the `original` canonical mask (as read from the dataset)."""
    if original.shape != edited.shape:
        raise MaskError(
            f"mask `{volume}`: edited shape {list(edited.shape)} differs from the original "
            f"{list(original.shape)}; reload the case and edit it again"
        )
    return pack_mask(edited).to_wire(volume, mask_metrics(original, edited))
