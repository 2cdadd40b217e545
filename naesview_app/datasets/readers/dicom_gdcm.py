"""A pydicom decoder plugin for the JPEG family (Baseline, Extended, Lossless) through GDCM,
the DICOM library built into SimpleITK (decision 0008).

pydicom's other decoder for JPEG Extended 12-bit and JPEG Lossless is pylibjpeg-libjpeg, which
is GPL-3.0; SimpleITK (Apache-2.0) is a dependency of the app anyway. GDCM reads files only, so
each frame is wrapped in a minimal DICOM file: in memory (`memfd`) on Linux, a temporary file
elsewhere. Only grayscale frames: the reader refuses colour series before decoding.

Registered by `register()` after pydicom's own plugins, so Pillow still decodes 8-bit Baseline
JPEG; this plugin then takes what Pillow cannot (12-bit Extended, Lossless).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from io import BytesIO
from pathlib import Path

import numpy as np
from pydicom import uid
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.encaps import encapsulate
from pydicom.pixels import get_decoder
from pydicom.pixels.decoders.base import DecodeRunner

LABEL = "naesview-gdcm"
"""The plugin's name in pydicom's decoders (and in its "all plugins failed" messages)."""

DECODER_DEPENDENCIES = {
    uid.JPEGBaseline8Bit: ("SimpleITK>=2.4",),
    uid.JPEGExtended12Bit: ("SimpleITK>=2.4",),
    uid.JPEGLossless: ("SimpleITK>=2.4",),
    uid.JPEGLosslessSV1: ("SimpleITK>=2.4",),
}

_SECONDARY_CAPTURE = uid.SecondaryCaptureImageStorage
_FRAME_UID = uid.UID("2.25.1")  # any valid UID: the wrapper file lives for one decode


def is_available(syntax: str) -> bool:
    # find_spec, not import: SimpleITK takes 60-180 ms to import and is loaded on first decode.
    return syntax in DECODER_DEPENDENCIES and importlib.util.find_spec("SimpleITK") is not None


def register() -> None:
    """Add the plugin to pydicom's JPEG decoders, once (pydicom's `add_plugin` refuses twice)."""
    for syntax in DECODER_DEPENDENCIES:
        decoder = get_decoder(syntax)
        if LABEL not in decoder._available and LABEL not in decoder._unavailable:
            decoder.add_plugin(LABEL, (__name__, "_decode_frame"))


def _decode_frame(src: bytes, runner: DecodeRunner) -> bytes:
    """One encoded frame -> its samples, little-endian, in BitsAllocated-sized containers."""
    if runner.samples_per_pixel != 1:
        raise NotImplementedError(f"{LABEL} decodes grayscale frames only")
    bits_allocated = runner.bits_allocated
    if bits_allocated not in (8, 16):
        raise NotImplementedError(f"{LABEL}: {bits_allocated}-bit samples are not JPEG")
    image = _read_with_gdcm(_wrap(src, runner))
    signed = runner.pixel_representation == 1
    expected = np.dtype(f"<{'i' if signed else 'u'}{bits_allocated // 8}")
    if image.shape[-2:] != (runner.rows, runner.columns) or image.size != runner.rows * (
        runner.columns
    ):
        raise ValueError(
            f"GDCM decoded {image.shape[-1]}x{image.shape[-2]} pixels, the header says "
            f"{runner.columns}x{runner.rows}"
        )
    return np.ascontiguousarray(image, dtype=expected).tobytes()


def _wrap(frame: bytes, runner: DecodeRunner) -> bytes:
    """A minimal Part 10 file holding only this frame (no rescale, no VOI: raw stored values)."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = runner.transfer_syntax
    ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = _SECONDARY_CAPTURE
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = _FRAME_UID
    ds.Rows, ds.Columns = runner.rows, runner.columns
    # MONOCHROME2 whatever the file says: the reader wants stored values, never inverted ones.
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored = runner.bits_allocated, runner.bits_stored
    ds.HighBit, ds.PixelRepresentation = runner.bits_stored - 1, runner.pixel_representation
    ds.PixelData = encapsulate([frame])
    ds["PixelData"].VR = "OB"
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _read_with_gdcm(data: bytes) -> np.ndarray:
    import SimpleITK as sitk

    reader = sitk.ImageFileReader()
    reader.SetImageIO("GDCMImageIO")
    if hasattr(os, "memfd_create"):  # Linux: a file that lives in memory only
        fd = os.memfd_create("naesview-dicom-frame")
        try:
            view = memoryview(data)
            while view:
                view = view[os.write(fd, view) :]
            reader.SetFileName(f"/proc/self/fd/{fd}")
            return sitk.GetArrayFromImage(reader.Execute())
        finally:
            os.close(fd)
    with tempfile.TemporaryDirectory(prefix="naesview-") as folder:
        path = Path(folder) / "frame.dcm"
        path.write_bytes(data)
        reader.SetFileName(str(path))
        return sitk.GetArrayFromImage(reader.Execute())
