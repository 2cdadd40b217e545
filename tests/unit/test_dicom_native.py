"""Uncompressed pixels read in place: same values as pydicom's decoder, no extra copies."""

from __future__ import annotations

import tracemalloc
from io import BytesIO

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRBigEndian, ImplicitVRLittleEndian

from naesview_app.datasets.readers.dicom import read_dicom_series
from naesview_app.datasets.readers.dicom_native import parse_file
from tests.unit.test_dicom_series import (
    AXIAL,
    SAGITTAL,
    make_series,
    simpleitk_reference,
    slice_dataset,
    to_bytes,
)


@pytest.mark.parametrize(("dtype", "signed"), [(np.uint16, False), (np.int16, True)])
def test_unused_high_bits_are_cleared_or_sign_extended_like_pydicom(dtype, signed) -> None:
    # 12 bits stored in 16, with junk in the 4 unused high bits.
    rng = np.random.default_rng(2)
    raw = rng.integers(0, 1 << 16, size=(3, 6, 5), dtype=np.uint32).astype(np.uint16)
    files = []
    for k in range(3):
        ds = slice_dataset(raw[k].view(dtype), (0.0, 0.0, 1.5 * k))
        ds.BitsStored, ds.HighBit = 12, 11
        files.append((f"f{k}", to_bytes(ds)))
    _, in_place = parse_file(files[0][1])
    assert in_place is not None  # the in-place path really ran
    expected = np.stack([pydicom.dcmread(BytesIO(data)).pixel_array for _, data in files])
    low = raw.astype(np.int64) & 0xFFF
    want = np.where(low >= 2048, low - 4096, low) if signed else low
    assert np.array_equal(expected, want)  # what pydicom does, stated independently
    vol = read_dicom_series(files, name="ct")
    assert np.array_equal(vol.array, expected)


@pytest.mark.parametrize("syntax", [ImplicitVRLittleEndian, ExplicitVRBigEndian])
def test_other_uncompressed_syntaxes(syntax) -> None:
    planes = [np.arange(20, dtype=np.int16).reshape(4, 5) * (k + 1) - 30 for k in range(3)]
    files = []
    for k, plane in enumerate(planes):
        ds = slice_dataset(plane, (0.0, 0.0, 2.0 * k))
        ds.file_meta.TransferSyntaxUID = syntax
        if syntax == ExplicitVRBigEndian:
            ds.PixelData = plane.astype(">i2").tobytes()
        files.append((f"f{k}", to_bytes(ds)))
    assert pydicom.dcmread(BytesIO(files[0][1])).file_meta.TransferSyntaxUID == syntax
    assert (parse_file(files[0][1])[1] is None) == (syntax == ExplicitVRBigEndian)
    vol = read_dicom_series(files, name="mr")
    assert np.array_equal(vol.array, np.stack(planes))


def test_many_sagittal_slices_written_in_tiles_match_simpleitk(tmp_path) -> None:
    # 40 slices (two batches of up to 32) and 23 rows of 700 columns (tiles of 5 rows + 3).
    files, _ = make_series(n=40, shape=(23, 700), orientation=SAGITTAL, step=1.0)
    vol = read_dicom_series(files, name="sag")
    reference = simpleitk_reference(files, tmp_path)
    assert vol.shape == (23, 700, 40)
    assert np.array_equal(vol.array, sitk.GetArrayFromImage(reference))


@pytest.mark.parametrize("orientation", [AXIAL, SAGITTAL], ids=["axial", "sagittal"])
def test_peak_memory_is_close_to_the_volume(orientation) -> None:
    files, _ = make_series(n=40, shape=(256, 256), orientation=orientation)
    read_dicom_series(files, name="warm-up")  # imports and caches outside the measurement
    tracemalloc.start()
    try:
        vol = read_dicom_series(files, name="v")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak <= 1.3 * vol.nbytes, f"peak {peak} bytes for a {vol.nbytes} byte volume"


def test_an_icon_image_before_the_pixels_is_not_mistaken_for_them() -> None:
    icon = Dataset()
    icon.Rows = icon.Columns = 2
    icon.BitsAllocated, icon.BitsStored, icon.HighBit, icon.PixelRepresentation = 8, 8, 7, 0
    icon.SamplesPerPixel, icon.PhotometricInterpretation = 1, "MONOCHROME2"
    icon.PixelData = bytes([9, 9, 9, 9])
    planes = [np.arange(20, dtype=np.int16).reshape(4, 5) + k for k in range(3)]
    files = []
    for k, plane in enumerate(planes):
        ds = slice_dataset(plane, (0.0, 0.0, 2.0 * k))
        ds.IconImageSequence = Sequence([icon])  # (0088,0200) sorts before Pixel Data
        files.append((f"f{k}", to_bytes(ds)))
    _, in_place = parse_file(files[0][1])
    assert in_place is not None
    assert in_place.shape == (1, 4, 5)
    assert np.array_equal(read_dicom_series(files, name="v").array, np.stack(planes))
