"""Compressed transfer syntaxes: each decodes to the original voxels, and a missing decoder
plugin is reported with the package to install. No GPL decoder is needed (decision 0008)."""

from __future__ import annotations

import importlib.util
import io
import os
import tempfile
from pathlib import Path

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from PIL import Image
from pydicom.data import get_testdata_file
from pydicom.encaps import encapsulate, generate_frames
from pydicom.pixels import get_decoder
from pydicom.uid import (
    DeflatedExplicitVRLittleEndian,
    JPEG2000Lossless,
    JPEGBaseline8Bit,
    JPEGExtended12Bit,
    JPEGLossless,
    JPEGLosslessSV1,
    JPEGLSLossless,
    RLELossless,
)

from naesview_app.datasets.readers.dicom import read_dicom_series
from naesview_app.errors import MissingDecoderError
from tests.unit.test_dicom_series import _enhanced, slice_dataset, to_bytes

SHAPE = (40, 36)  # JPEG 2000 needs >= 32 pixels a side at its default 6 resolutions


def _planes(dtype=np.int16, n: int = 3) -> list[np.ndarray]:
    rng = np.random.default_rng(11)
    low, high = (0, 255) if dtype == np.uint8 else (-800, 3000)
    yy, xx = np.mgrid[: SHAPE[0], : SHAPE[1]]
    smooth = (yy * 7 + xx * 5).astype(np.int64)
    return [
        np.clip(smooth + k * 9 + rng.integers(0, 3, SHAPE), low, high).astype(dtype)
        for k in range(n)
    ]


def _gdcm_jpeg_lossless(plane: np.ndarray, tmp_path) -> bytes:
    """JPEG Lossless SV1 pixel data as GDCM (SimpleITK) encodes it; pydicom has no encoder."""
    path = tmp_path / "gdcm.dcm"
    writer = sitk.ImageFileWriter()
    writer.SetFileName(str(path))
    writer.SetUseCompression(True)
    writer.SetCompressor("JPEG")
    writer.Execute(sitk.GetImageFromArray(plane[np.newaxis]))
    ds = pydicom.dcmread(path)
    assert ds.file_meta.TransferSyntaxUID == JPEGLosslessSV1
    return ds.PixelData


def _pillow_jpeg(plane: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(plane, mode="L").save(buffer, format="JPEG", quality=95)
    return encapsulate([buffer.getvalue()])


def _series(syntax: str, planes: list[np.ndarray], tmp_path) -> list[tuple[str, bytes]]:
    files = []
    for k, plane in enumerate(planes):
        ds = slice_dataset(plane, (0.0, 0.0, 3.0 * k))
        if syntax in (RLELossless, JPEGLSLossless, JPEG2000Lossless):
            ds.compress(syntax, generate_instance_uid=False)
        elif syntax in (JPEGLosslessSV1, JPEGLossless):
            # An SV1 stream is a valid Process 14 stream: the general JPEG Lossless UID fits too.
            ds.PixelData = _gdcm_jpeg_lossless(plane, tmp_path)
            ds["PixelData"].VR = "OB"
            ds.file_meta.TransferSyntaxUID = syntax
        elif syntax == JPEGBaseline8Bit:
            ds.PixelData = _pillow_jpeg(plane)
            ds["PixelData"].VR = "OB"
            ds.file_meta.TransferSyntaxUID = syntax
        else:
            ds.file_meta.TransferSyntaxUID = syntax
        files.append((f"ct/{k:03d}.dcm", to_bytes(ds)))
    files.reverse()
    return files


@pytest.mark.parametrize(
    "syntax",
    [
        RLELossless,
        JPEGLSLossless,
        JPEG2000Lossless,
        JPEGLosslessSV1,
        DeflatedExplicitVRLittleEndian,
    ],
    ids=["rle", "jpeg-ls", "jpeg2000", "jpeg-lossless", "deflate"],
)
def test_lossless_syntaxes_decode_to_the_original(syntax, tmp_path) -> None:
    planes = _planes()
    files = _series(syntax, planes, tmp_path)
    assert pydicom.dcmread(io.BytesIO(files[0][1])).file_meta.TransferSyntaxUID == syntax
    vol = read_dicom_series(files, name="ct")
    assert vol.array.dtype == np.int16
    assert np.array_equal(vol.array, np.stack(planes))


@pytest.mark.parametrize("syntax", [JPEGLosslessSV1, JPEGLossless], ids=["sv1", "process-14"])
@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.int16])
def test_jpeg_lossless_decodes_without_the_gpl_plugin(syntax, dtype, tmp_path) -> None:
    """JPEG Lossless goes through GDCM (SimpleITK), never pylibjpeg-libjpeg (GPL-3.0)."""
    assert importlib.util.find_spec("libjpeg") is None, "pylibjpeg-libjpeg (GPL) is installed"
    assert "naesview-gdcm" in get_decoder(syntax).available_plugins
    planes = _planes(dtype)
    if dtype == np.uint16:
        planes = [(p.astype(np.int32) + 40000).astype(np.uint16) for p in planes]  # > 32767
    vol = read_dicom_series(_series(syntax, planes, tmp_path), name="ct")
    assert vol.array.dtype == dtype
    assert np.array_equal(vol.array, np.stack(planes))


def test_jpeg_lossless_without_memfd_goes_through_a_temporary_file(monkeypatch, tmp_path) -> None:
    """Windows and macOS have no memfd_create: the plugin's other path, and it leaves nothing."""
    planes = _planes()
    files = _series(JPEGLosslessSV1, planes, tmp_path)
    scratch = tmp_path / "scratch"
    scratch.mkdir()
    monkeypatch.delattr(os, "memfd_create", raising=False)
    monkeypatch.setattr(tempfile, "tempdir", str(scratch))
    vol = read_dicom_series(files, name="ct")
    assert np.array_equal(vol.array, np.stack(planes))
    assert list(scratch.iterdir()) == []


def test_jpeg_lossless_multiframe_decodes_every_frame(tmp_path) -> None:
    planes = _planes(np.int16, n=4)
    ds = _enhanced(planes, [(0.0, 0.0, 2.0 * k) for k in range(4)])
    ds.PixelData = encapsulate([_frame(_gdcm_jpeg_lossless(plane, tmp_path)) for plane in planes])
    ds["PixelData"].VR = "OB"
    ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    vol = read_dicom_series([("mf.dcm", to_bytes(ds))], name="mf")
    assert np.array_equal(vol.array, np.stack(planes))


def _frame(pixel_data: bytes) -> bytes:
    (frame,) = generate_frames(pixel_data, number_of_frames=1)
    return frame


def test_jpeg_extended_12_bit_decodes_like_libjpeg() -> None:
    """pydicom's 12-bit JPEG Extended sample (Pillow cannot: 8-bit only) through GDCM, against
    figures recorded from pylibjpeg-libjpeg 2.5.0 before it was dropped: lossy decoders may
    round the inverse DCT differently, here by 1 grey level on 1.4 % of the pixels."""
    path = get_testdata_file("JPGExtended.dcm", download=False)
    assert path is not None
    vol = read_dicom_series([("JPGExtended.dcm", Path(path).read_bytes())], name="x")
    assert vol.array.dtype == np.uint16
    assert vol.reorientation.flips == ()  # no geometry in this file: stored order is canonical
    plane = vol.array[0]
    assert plane.shape == (1024, 256)
    libjpeg_sum = 3_770_427
    assert abs(int(plane.sum(dtype=np.int64)) - libjpeg_sum) < 0.002 * libjpeg_sum
    assert int(plane.max()) == 264
    picks = [(0, 0), (100, 100), (512, 128), (700, 200), (1023, 255), (300, 50)]
    assert [int(plane[p]) for p in picks] == [1, 1, 14, 1, 1, 15]


def test_jpeg_baseline_decodes_close_to_the_original(tmp_path) -> None:
    planes = _planes(np.uint8)
    vol = read_dicom_series(_series(JPEGBaseline8Bit, planes, tmp_path), name="sc")
    assert vol.stored_dtype == "uint8"
    difference = np.abs(vol.array.astype(np.int16) - np.stack(planes).astype(np.int16))
    assert difference.max() <= 4  # lossy, quality 95
    assert difference.mean() < 1.0


@pytest.mark.parametrize(
    ("syntax", "package"),
    [
        (JPEG2000Lossless, "install pylibjpeg + pylibjpeg-openjpeg"),
        (JPEGLSLossless, "install pyjpegls"),
        (JPEGLosslessSV1, "install SimpleITK (pip install SimpleITK)"),
        (JPEGExtended12Bit, "install SimpleITK (pip install SimpleITK)"),
    ],
)
def test_missing_decoder_names_the_package(syntax, package, monkeypatch, tmp_path) -> None:
    files = _series(JPEGLosslessSV1 if syntax == JPEGExtended12Bit else syntax, _planes(), tmp_path)
    if syntax == JPEGExtended12Bit:  # relabelled: the check reads the header only
        files = [(n, _relabel(data, syntax)) for n, data in files]
    decoder = get_decoder(syntax)
    # What pydicom sees when the plugin packages are not installed: no available plugin.
    monkeypatch.setattr(decoder, "_available", {})
    monkeypatch.setattr(decoder, "_unavailable", {"pylibjpeg": ("numpy", "pylibjpeg")})
    with pytest.raises(MissingDecoderError) as caught:
        read_dicom_series(files, name="CT")
    message = str(caught.value)
    assert message.startswith(f"volume `CT`: {syntax.name} pixel data, no decoder installed")
    assert package in message
    assert "pylibjpeg-libjpeg" not in message  # never point users at the GPL plugin
    assert "\n" not in message


def _relabel(data: bytes, syntax: str) -> bytes:
    ds = pydicom.dcmread(io.BytesIO(data))
    ds.file_meta.TransferSyntaxUID = syntax
    return to_bytes(ds)


@pytest.mark.parametrize(
    ("filename", "lossless"),
    [
        ("JPGExtended.dcm", False),  # JPEG Extended 12-bit
        ("JPEG2000.dcm", False),  # JPEG 2000 (lossy)
        ("JPEGLSNearLossless_16.dcm", False),
        ("MR_small_jp2klossless.dcm", True),
        ("MR_small_RLE.dcm", True),
        ("image_dfl.dcm", True),  # Deflated, 512x512 8-bit
    ],
)
def test_pydicom_sample_files_match_gdcm(filename: str, lossless: bool) -> None:
    """Real encoder output (pydicom's test files), decoded here by pydicom's plugins, against
    SimpleITK's own decoders (GDCM): an independent second decoding."""
    path = get_testdata_file(filename, download=False)
    assert path is not None, f"{filename} ships with pydicom"
    data = Path(path).read_bytes()
    vol = read_dicom_series([(filename, data)], name="sample")
    reference = sitk.GetArrayFromImage(sitk.DICOMOrient(sitk.ReadImage(path), "LPS"))
    ours = vol.as_float32()
    assert ours.shape == reference.shape
    difference = np.abs(ours.astype(np.float64) - reference.astype(np.float64))
    if lossless:
        assert difference.max() == 0
    else:  # lossy codecs: decoders may round differently, by a level or two
        assert difference.max() <= 2
        assert difference.mean() < 0.05
