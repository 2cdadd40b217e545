"""NIfTI-1 and NIfTI-2 (`.nii`, `.nii.gz`) from bytes: nibabel parses the header, we do the rest.

Order of work, so that nothing is allocated from an unchecked size: decompress only the header,
check it (dims, datatype, spacing, size limit), then inflate the whole stream with the size the
header promises (libdeflate; every gzip member verified), check the payload length, and view
the voxels in place. The stored sample type is kept (scaling beside it), big-endian data is
swapped in place, and the array is brought to canonical LPS ``[z, y, x]`` by flips in place or,
when axes move, one copy.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from typing import Literal

import nibabel as nib
import numpy as np

from naesview_app.datasets.gunzip import gunzip, gunzip_head, is_gzip
from naesview_app.datasets.readers.nifti_frame import lps_frame
from naesview_app.errors import ReaderError
from naesview_app.imaging.orientation import apply_reorientation, canonical_geometry
from naesview_app.imaging.volume import Volume

MAX_VOLUME_BYTES = 4 * 1024**3
"""Largest voxel payload a header may declare (after the zip's own member limit)."""
_HEADER_BYTES = 540
_TRAILING_SLACK = 1 << 20
_MAX_VOX_OFFSET = 256 << 20
"""A gzip stream may hold a little more than the header needs, never much more."""
_SUPPORTED_DTYPES = frozenset(
    ["uint8", "int8", "int16", "uint16", "int32", "uint32", "int64", "uint64", "float32", "float64"]
)


class NiftiReader:
    kind = "nifti"
    layout: Literal["file", "folder"] = "file"
    formats = "NIfTI-1 and NIfTI-2 single files, .nii or .nii.gz"

    def claims_name(self, name: str) -> bool:
        lower = name.lower()
        return lower.endswith((".nii", ".nii.gz"))

    def claims_head(self, head: bytes) -> bool:
        return False  # NIfTI is recognised by name; its magic sits at byte 344 or 4

    def read(
        self, files: Sequence[tuple[str, bytes | bytearray | memoryview]], *, name: str
    ) -> Volume:
        ((_, data),) = files
        return read_nifti(data, name=name)


def read_nifti(
    data: bytes | bytearray | memoryview,
    *,
    name: str = "",
    max_volume_bytes: int = MAX_VOLUME_BYTES,
) -> Volume:
    """Decode one NIfTI file (gzipped or not) into a canonical `Volume`."""
    gz = is_gzip(data)
    head = gunzip_head(data, _HEADER_BYTES) if gz else bytes(data[:_HEADER_BYTES])
    header = parse_header(head)
    shape_ijk, dtype = check_header(header, max_volume_bytes=max_volume_bytes)
    offset = data_offset(header)
    payload = int(np.prod(shape_ijk, dtype=np.int64)) * dtype.itemsize
    need = offset + payload
    if gz:
        buffer = gunzip(data, expected_size=need, max_bytes=need + _TRAILING_SLACK)
    else:
        buffer = data if isinstance(data, bytearray) else bytearray(data)
    if len(buffer) < need:
        raise ReaderError(f"file holds {len(buffer):,} bytes, the header needs {need:,}: truncated")

    stored = np.frombuffer(buffer, dtype=dtype, count=payload // dtype.itemsize, offset=offset)
    stored = stored.reshape(shape_ijk[::-1])  # NIfTI is Fortran order: [k, j, i] in C order
    if not dtype.isnative:
        stored = stored.view(dtype.newbyteorder("="))  # same bytes, then swapped in place
        stored.byteswap(inplace=True)
        stored = stored.view(dtype.newbyteorder("="))
    directions, origin = lps_frame(header)
    zooms = [abs(float(z)) for z in header["pixdim"][1:4]]
    geometry = canonical_geometry(
        directions,
        (zooms[0], zooms[1], zooms[2]),
        origin,
        (int(stored.shape[0]), int(stored.shape[1]), int(stored.shape[2])),
    )
    array = apply_reorientation(stored, geometry.reorientation)
    slope, intercept = _scaling(header)
    return Volume(
        array=array,
        spacing=geometry.spacing,
        origin=geometry.origin,
        direction=geometry.direction,
        name=name,
        kind="nifti",
        stored_dtype=dtype.newbyteorder("=").name,
        slope=slope,
        intercept=intercept,
        reorientation=geometry.reorientation,
    )


def parse_header(head: bytes) -> nib.Nifti1Header:
    """The nibabel header (NIfTI-1 or -2) of the first bytes; refuses Analyze and pairs."""
    if len(head) < 348:
        raise ReaderError(f"file too short for a NIfTI header ({len(head)} bytes)")
    size_le = int.from_bytes(head[:4], "little")
    size_be = int.from_bytes(head[:4], "big")
    if 348 in (size_le, size_be):
        klass: type[nib.Nifti1Header] = nib.Nifti1Header
        magic = head[344:348]
        if magic == b"ni1\x00":
            raise ReaderError("header of a two-file NIfTI (.hdr/.img); use a single .nii file")
        if magic != b"n+1\x00":
            raise ReaderError("no NIfTI-1 magic 'n+1' (Analyze 7.5 files are not supported)")
    elif 540 in (size_le, size_be):
        klass = nib.Nifti2Header
        if len(head) < 540 or head[4:8] != b"n+2\x00":
            raise ReaderError("no NIfTI-2 magic 'n+2' (two-file NIfTI-2 is not supported)")
    else:
        raise ReaderError("not a NIfTI file (header size is neither 348 nor 540)")
    try:
        return klass.from_fileobj(io.BytesIO(head), check=False)
    except Exception as exc:  # nibabel raises several types for a malformed block
        raise ReaderError(f"not a readable NIfTI header ({exc})") from exc


def check_header(
    header: nib.Nifti1Header, *, max_volume_bytes: int
) -> tuple[tuple[int, int, int], np.dtype]:
    """Shape (i, j, k) and stored dtype, after refusing anything impossible or too large."""
    dims = [int(d) for d in header["dim"]]
    ndim = dims[0]
    if not 1 <= ndim <= 7 or any(d < 1 for d in dims[1 : ndim + 1]):
        raise ReaderError(f"impossible NIfTI dimensions: dim = {dims}")
    extra = dims[4 : ndim + 1]
    if any(d != 1 for d in extra):
        raise ReaderError(
            f"{ndim}-D image with shape {tuple(dims[1 : ndim + 1])}; only 3-D volumes are read"
        )
    shape = (dims[1], dims[2] if ndim >= 2 else 1, dims[3] if ndim >= 3 else 1)
    try:
        dtype = np.dtype(header.get_data_dtype())
    except Exception as exc:
        raise ReaderError(f"datatype code {int(header['datatype'])} is not supported") from exc
    if dtype.newbyteorder("=").name not in _SUPPORTED_DTYPES:
        raise ReaderError(
            f"datatype {dtype.newbyteorder('=').name or dtype} is not supported "
            f"(one value per voxel expected)"
        )
    pixdim = [float(p) for p in header["pixdim"][1:4]]
    if not all(math.isfinite(p) and p != 0 for p in pixdim):
        raise ReaderError(f"impossible voxel spacing {tuple(pixdim)}")
    nbytes = shape[0] * shape[1] * shape[2] * dtype.itemsize
    if nbytes > max_volume_bytes:
        raise ReaderError(
            f"header declares {shape[0]}x{shape[1]}x{shape[2]} voxels ({nbytes:,} bytes), "
            f"over the {max_volume_bytes:,} byte limit"
        )
    return shape, dtype


def data_offset(header: nib.Nifti1Header) -> int:
    """Where voxels start: vox_offset, but never inside the header (vox_offset = 0 is common)."""
    minimum = header.sizeof_hdr + 4
    value = float(header["vox_offset"])
    if math.isfinite(value) and value > _MAX_VOX_OFFSET:
        raise ReaderError(f"impossible vox_offset {value:.0f} (header extensions over 256 MiB)")
    return int(value) if math.isfinite(value) and value >= minimum else minimum


_lps_frame = lps_frame  # the name project/geometry.py first imported


def _scaling(header: nib.Nifti1Header) -> tuple[float, float]:
    """scl_slope/scl_inter as stored; a slope of 0 or not finite means no scaling (NIfTI)."""
    slope = float(header["scl_slope"])  # float32 in NIfTI-1 (widened exactly), float64 in -2
    inter = float(header["scl_inter"])
    if not math.isfinite(slope) or slope == 0.0:
        return 1.0, 0.0
    return slope, inter if math.isfinite(inter) else 0.0
