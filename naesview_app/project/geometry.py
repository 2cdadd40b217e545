"""A volume's voxel grid without its voxels: NIfTI from the header alone, others by reading.

The pre-flight check compares the grids of a viewport's layers in every case. Decoding thousands
of volumes for that would take minutes; a NIfTI header (the first 540 bytes) says everything the
comparison needs, in well under a millisecond. DICOM and PNG/JPEG folders are read in full.
"""

from __future__ import annotations

import numpy as np

from naesview_app.datasets import Dataset
from naesview_app.datasets.gunzip import gunzip_head, is_gzip
from naesview_app.datasets.readers.nifti import MAX_VOLUME_BYTES, check_header, parse_header
from naesview_app.datasets.readers.nifti_frame import lps_frame  # the reader's own rule
from naesview_app.errors import ReaderError
from naesview_app.imaging.orientation import canonical_geometry
from naesview_app.imaging.volume import Volume

_HEADER_BYTES = 540
_SNIFF_BYTES = 16 * 1024
_NO_VOXEL = np.zeros((1, 1, 1), dtype=np.uint8)


def grid_only(shape: tuple[int, int, int], volume: Volume) -> Volume:
    """A `Volume` with `volume`'s geometry and `shape` but no voxel memory (a broadcast view),
    fit for `same_grid` and `resample`'s geometry maths, not for reading values."""
    return Volume(
        array=np.broadcast_to(_NO_VOXEL, shape),
        spacing=volume.spacing,
        origin=volume.origin,
        direction=volume.direction,
        name=volume.name,
        kind=volume.kind,
        stored_dtype=volume.stored_dtype,
    )


GridCache = dict[bytes, Volume]
"""Header-only grids by the header bytes that define them (see `read_grid`)."""
_CACHE_LIMIT = 4096


def read_grid(
    dataset: Dataset, case_id: int, volume_name: str, *, cache: GridCache | None = None
) -> tuple[Volume, bool]:
    """The grid of one volume and whether it came from the header alone.

    With a `cache`, volumes whose headers agree on every geometry field get the very same grid
    object back, so callers can skip comparing them (`a is b`). Raises ReaderError naming case
    and volume, like `Dataset.read_volume`.
    """
    case = dataset.case(case_id)
    ref = case.volume(volume_name)
    if ref is not None and ref.kind == "nifti" and len(ref.members) == 1:
        grid = _nifti_header_grid(dataset.volume_head(case_id, volume_name, _SNIFF_BYTES), cache)
        if grid is not None:
            return grid, True
    volume = dataset.read_volume(case_id, volume_name)
    return grid_only(volume.shape, volume), False


def _nifti_header_grid(head: bytes, cache: GridCache | None) -> Volume | None:
    """The grid from a NIfTI file's first bytes, or None when the header cannot be had cheaply
    (then the caller reads the volume, which also explains any error properly). The bytes are
    not verified: the full read checks CRC and size when the case is reviewed."""
    if not head:
        return None
    if is_gzip(head):
        try:
            head = gunzip_head(head, _HEADER_BYTES)
        except ReaderError:
            return None
    full_key, grid_key = _header_keys(head)
    if cache is not None and full_key in cache:
        return cache[full_key]
    try:
        header = parse_header(head)
        shape_ijk, _ = check_header(header, max_volume_bytes=MAX_VOLUME_BYTES)
    except ReaderError:
        return None
    # An image and its mask usually share every geometry field and differ in datatype only:
    # the grid computed for one serves the other (and `a is b` then skips the comparison).
    grid = cache.get(grid_key) if cache is not None else None
    if grid is None:
        try:
            directions, origin = lps_frame(header)
        except ReaderError:
            return None
        zooms = [abs(float(z)) for z in header["pixdim"][1:4]]
        stored_shape = (int(shape_ijk[2]), int(shape_ijk[1]), int(shape_ijk[0]))
        geometry = canonical_geometry(
            directions, (zooms[0], zooms[1], zooms[2]), origin, stored_shape
        )
        axes = geometry.reorientation.axes
        shape = (stored_shape[axes[0]], stored_shape[axes[1]], stored_shape[axes[2]])
        grid = Volume(
            array=np.broadcast_to(_NO_VOXEL, shape),
            spacing=geometry.spacing,
            origin=geometry.origin,
            direction=geometry.direction,
            kind="nifti",
        )
    if cache is not None:
        cache[full_key] = cache[grid_key] = grid
        while len(cache) > _CACHE_LIMIT:
            cache.pop(next(iter(cache)))  # oldest first: recent cases stay
    return grid


def _header_keys(head: bytes) -> tuple[bytes, bytes]:
    """(every header byte the checks read, the bytes that fix the grid): size and byte order,
    dims, pixdim, q/sform, plus datatype for the first (NIfTI-1 offsets). A NIfTI-2 header
    counts whole for both."""
    if len(head) >= 348 and head[:4] in (b"\x5c\x01\x00\x00", b"\x00\x00\x01\x5c"):
        grid = head[:4] + head[40:56] + head[76:108] + head[252:348]
        return grid + head[70:74], grid
    return head, head


def physical_bounds(grid: Volume) -> tuple[np.ndarray, np.ndarray]:
    """Lowest and highest LPS corner (mm) of the box spanned by the voxel centres."""
    direction = np.asarray(grid.direction, dtype=np.float64).reshape(3, 3)
    steps = direction * np.asarray(grid.spacing[::-1], dtype=np.float64)  # columns: x, y, z
    z, y, x = (n - 1 for n in grid.shape)
    corners = np.array(
        [[i, j, k] for k in (0, z) for j in (0, y) for i in (0, x)], dtype=np.float64
    )
    points = corners @ steps.T + np.asarray(grid.origin, dtype=np.float64)
    return points.min(axis=0), points.max(axis=0)


def overlap(a: Volume, b: Volume) -> bool:
    """Whether the two grids' boxes share any space (half a voxel of slack on each side)."""
    lo_a, hi_a = physical_bounds(a)
    lo_b, hi_b = physical_bounds(b)
    slack = (max(a.spacing) + max(b.spacing)) / 2
    return bool(np.all(lo_a <= hi_b + slack) and np.all(lo_b <= hi_a + slack))
