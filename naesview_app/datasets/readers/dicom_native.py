"""Parse one DICOM file from memory; uncompressed little-endian pixels stay where they are.

pydicom copies the pixel bytes out of the file and then again into an array. For the common
uncompressed case (Explicit/Implicit VR Little Endian) the header is parsed up to Pixel Data and
the voxels are a read-only numpy view on the file's own bytes, so the reader's copy into the
output volume is the only one. Everything else (compressed, deflated, big-endian) is read by
pydicom in full and decoded by its plugins.
"""

from __future__ import annotations

import struct
import zlib
from io import BytesIO

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.filereader import read_dataset
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    ExplicitVRLittleEndian,
    ImplicitVRLittleEndian,
)

Buffer = bytes | bytearray | memoryview
"""A file's bytes: the dataset layer hands stored zip members over as views of the map."""

_PIXEL_DATA_TAG = (0x7FE0, 0x0010)
_LONG_LENGTH_VRS = {b"OB", b"OW", b"OD", b"OF", b"OL", b"OV", b"UN"}
_UNDEFINED_LENGTH = 0xFFFFFFFF
MAX_INFLATED_BYTES = 2 * 1024**3  # one deflated file; checked before pydicom inflates it
_DEFLATED = DeflatedExplicitVRLittleEndian.encode()


def parse_file(data: Buffer) -> tuple[Dataset, np.ndarray | None]:
    """The dataset, plus the pixels as ``[frame, row, column]`` when they could stay in place.

    When the second item is None the dataset holds Pixel Data (if the file has any) for pydicom.
    """
    deflated_from = _deflated_data_offset(data)
    if deflated_from is not None:  # positions in the file are not those of the inflated data
        if not _inflates_within(data, deflated_from, MAX_INFLATED_BYTES):
            raise ValueError(f"deflated data inflates to more than {MAX_INFLATED_BYTES} bytes")
        return pydicom.dcmread(BytesIO(data)), None
    stream = BytesIO(data)
    ds = pydicom.dcmread(stream, stop_before_pixels=True)
    syntax = ds.file_meta.get("TransferSyntaxUID")
    if syntax is None or syntax.is_deflated:
        return pydicom.dcmread(BytesIO(data)), None
    at = stream.tell()
    if syntax in (ExplicitVRLittleEndian, ImplicitVRLittleEndian):
        pixels = _pixels_in_place(data, at, ds, implicit=syntax == ImplicitVRLittleEndian)
        if pixels is not None:
            return ds, pixels
    stream.seek(at)  # read on from Pixel Data rather than parse the header twice
    rest = read_dataset(stream, syntax.is_implicit_VR, syntax.is_little_endian)
    for element in rest:
        ds[element.tag] = element
    return ds, None


def _deflated_data_offset(data: Buffer) -> int | None:
    """Where the deflated data set starts, when the file meta (from byte 132) names Deflate."""
    at, deflated = 132, False
    while len(data) >= at + 8 and struct.unpack_from("<H", data, at)[0] == 0x0002:
        element = struct.unpack_from("<H", data, at + 2)[0]
        if bytes(data[at + 4 : at + 6]) in _LONG_LENGTH_VRS:
            (length,), value = struct.unpack_from("<I", data, at + 8), at + 12
        else:
            (length,), value = struct.unpack_from("<H", data, at + 6), at + 8
        if element == 0x0010:
            deflated = bytes(data[value : value + length]).rstrip(b"\0 ") == _DEFLATED
        at = value + length
    return at if deflated else None


def _inflates_within(data: Buffer, start: int, limit: int) -> bool:
    """Count the inflated size in bounded pieces (pydicom inflates all of it at once)."""
    inflater = zlib.decompressobj(-zlib.MAX_WBITS)
    total = 0
    view = memoryview(data)
    try:
        for position in range(start, len(data), 1 << 16):
            piece: bytes | memoryview = view[position : position + (1 << 16)]
            while piece:
                total += len(inflater.decompress(piece, 1 << 20))
                if total > limit:
                    return False
                piece = inflater.unconsumed_tail
    except zlib.error:
        return True  # damaged: pydicom reports it
    return True


def _pixels_in_place(data: Buffer, at: int, ds: Dataset, *, implicit: bool) -> np.ndarray | None:
    """Pixel Data as a view on `data`, or None when the layout is not the simple one."""
    if len(data) < at + 8 or struct.unpack_from("<HH", data, at) != _PIXEL_DATA_TAG:
        return None
    if implicit:
        (length,), header = struct.unpack_from("<I", data, at + 4), 8
    elif bytes(data[at + 4 : at + 6]) in _LONG_LENGTH_VRS:
        (length,), header = struct.unpack_from("<I", data, at + 8), 12
    else:
        return None
    try:
        bits = int(ds.BitsAllocated)
        signed = int(ds.get("PixelRepresentation", 0)) == 1
        shape = (int(ds.get("NumberOfFrames") or 1), int(ds.Rows), int(ds.Columns))
        samples = int(ds.get("SamplesPerPixel") or 1)
    except (AttributeError, TypeError, ValueError):
        return None
    if bits not in (8, 16, 32) or samples != 1 or length == _UNDEFINED_LENGTH:
        return None
    dtype = np.dtype(f"<{'i' if signed else 'u'}{bits // 8}")
    count = shape[0] * shape[1] * shape[2]
    if length < count * dtype.itemsize or len(data) < at + header + count * dtype.itemsize:
        return None  # cut short: pydicom's decoder reports it
    pixels = np.frombuffer(data, dtype, count, at + header).reshape(shape)
    unused = bits - int(ds.get("BitsStored") or bits)
    if unused > 0:  # the unused high bits mean nothing (PS3.5 8.1.1); clear or sign-extend them
        pixels = (pixels << unused) >> unused
    return pixels
