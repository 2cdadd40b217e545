"""How DICOM series ask to be shown: MONOCHROME1 (dense is bright) and the file's own window.

Series are generated with pydicom; SimpleITK on the same files is the data contract's reference
for the voxel values (it inverts MONOCHROME1 itself).
"""

from __future__ import annotations

import numpy as np
import pytest
import SimpleITK as sitk
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence
from pydicom.uid import JPEGLosslessSV1

from naesview_app.datasets.readers.dicom import read_dicom_series
from naesview_app.datasets.readers.dicom_display import file_window
from tests.unit.test_dicom_codecs import _gdcm_jpeg_lossless
from tests.unit.test_dicom_series import (
    _enhanced,
    simpleitk_reference,
    slice_dataset,
    to_bytes,
)


def grey(value: np.ndarray, center: float, width: float) -> np.ndarray:
    """The app's one window definition (ui/src/windowing.js `windowValue`), in numpy."""
    g = np.floor((value.astype(np.float64) - (center - width / 2)) * 255 / width + 0.5)
    return np.clip(g, 0, 255)


def radiograph(bits: int, signed: bool, n: int = 3) -> list[np.ndarray]:
    """A CR-like MONOCHROME1 image: air (much x-ray reaches the plate) has the highest stored
    values; bone, the dense part, the lowest. Rows 0-3 air, 4-7 soft tissue, 8-11 bone."""
    hi = (1 << (bits - 1)) - 1 if signed else (1 << bits) - 1
    lo = -(1 << (bits - 1)) if signed else 0
    levels = [hi - 5, (hi + lo) // 2, lo + 5]
    dtype = np.dtype(f"{'i' if signed else 'u'}{2 if bits > 8 else 1}")
    planes = []
    for k in range(n):
        plane = np.repeat(np.array(levels), 4)[:, None] * np.ones((1, 6), np.int64)
        plane[:, k] += 1  # slices differ a little
        planes.append(plane.astype(dtype))
    return planes


def monochrome1_series(planes, bits, *, window=None, slope=None, intercept=None, syntax=None):
    files = []
    for k, plane in enumerate(planes):
        ds = slice_dataset(plane, (0.0, 0.0, 2.0 * k), slope=slope, intercept=intercept)
        ds.PhotometricInterpretation = "MONOCHROME1"
        ds.BitsStored, ds.HighBit = bits, bits - 1
        if window is not None:
            ds.WindowCenter, ds.WindowWidth = window
        files.append((f"cr/{k:03d}.dcm", ds))
    return files


def _bytes(files) -> list[tuple[str, bytes]]:
    return [(name, to_bytes(ds)) for name, ds in files]


@pytest.mark.parametrize(
    ("bits", "signed", "slope", "intercept"),
    [
        (12, False, None, None),  # CR: 12 bits in 16
        (16, False, None, None),
        (8, False, None, None),
        (16, True, None, None),
        (12, False, "2", "-10"),  # rescale applies after the inversion, as in SimpleITK
        (16, True, "1", "-1024"),
        (12, False, "0.5", "3"),  # float values
    ],
)
def test_monochrome1_values_are_inverted_like_simpleitk(
    bits, signed, slope, intercept, tmp_path
) -> None:
    planes = radiograph(bits, signed)
    files = _bytes(monochrome1_series(planes, bits, slope=slope, intercept=intercept))
    vol = read_dicom_series(files, name="CR")
    reference = sitk.GetArrayFromImage(simpleitk_reference(files, tmp_path))
    assert vol.shape == reference.shape
    assert np.array_equal(vol.as_float32(), reference.astype(np.float32))
    assert vol.stored_dtype == planes[0].dtype.name
    assert vol.array.dtype == planes[0].dtype  # inverted in the stored type: no copy, no float
    # Dense (bone, the lowest stored values) now has the highest values: bright in any viewer.
    bone, air = vol.as_float32()[0, 8:].mean(), vol.as_float32()[0, :4].mean()
    assert bone > air


def test_monochrome2_is_not_inverted() -> None:
    planes = radiograph(12, False)
    files = monochrome1_series(planes, 12)
    for _, ds in files:
        ds.PhotometricInterpretation = "MONOCHROME2"
    vol = read_dicom_series(_bytes(files), name="CR")
    assert np.array_equal(vol.array, np.stack(planes))


def test_monochrome1_with_the_files_window_shows_dense_bright_as_dicom_specifies() -> None:
    """DICOM: window the stored (rescaled) values, then invert the grey scale. The app shows
    the returned values through the returned window with its one definition: the same greys."""
    planes = radiograph(12, False)
    center, width = 2000.0, 3000.0
    files = monochrome1_series(planes, 12, window=(str(center), str(width)))
    vol = read_dicom_series(_bytes(files), name="CR")
    assert vol.window == (4095 - center, width)  # mirrored with the values
    shown = grey(vol.as_float32(), *vol.window)
    dicom = 255 - grey(np.stack(planes).astype(np.float64), center, width)
    assert np.abs(shown - dicom).max() <= 1  # at most a rounding tie apart
    assert shown[0, 8:].min() > shown[0, 4:8].max() > shown[0, :4].max()  # bone > tissue > air


def test_monochrome1_window_is_mirrored_in_rescaled_units() -> None:
    planes = radiograph(12, False)
    files = monochrome1_series(planes, 12, window=("1000", "400"), slope="2", intercept="-10")
    vol = read_dicom_series(_bytes(files), name="CR")
    # stored v -> 4095 - v, value = 2 * that - 10: the window center maps the same way.
    assert vol.window == (2 * 4095 - 2 * 10 - 1000.0, 400.0)
    dicom = 255 - grey(np.stack(planes).astype(np.float64) * 2 - 10, 1000.0, 400.0)
    assert np.abs(grey(vol.as_float32(), *vol.window) - dicom).max() <= 1


def test_monochrome1_compressed_goes_through_the_same_inversion(tmp_path) -> None:
    planes = radiograph(16, False)
    files = monochrome1_series(planes, 16)
    for _, ds in files:
        ds.PixelData = _gdcm_jpeg_lossless(ds.pixel_array, tmp_path)
        ds["PixelData"].VR = "OB"
        ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
    vol = read_dicom_series(_bytes(files), name="CR")
    assert np.array_equal(vol.array, 65535 - np.stack(planes))


def test_the_first_slices_window_becomes_the_volumes() -> None:
    planes = [np.full((4, 4), 100 * k, np.int16) for k in range(3)]
    files = []
    for k, plane in enumerate(planes):
        ds = slice_dataset(plane, (0.0, 0.0, 2.0 * (2 - k)), slope="1", intercept="-1024")
        ds.WindowCenter = ["40", "-600"]  # soft tissue (the default) and lung
        ds.WindowWidth = ["400", "1500"]
        if k != 2:  # the lowest slice comes first in slice order; the others differ
            ds.WindowCenter, ds.WindowWidth = "500", "2000"
        files.append((f"ct/{k}.dcm", to_bytes(ds)))
    vol = read_dicom_series(files, name="CT")
    assert vol.window == (40.0, 400.0)


@pytest.mark.parametrize(
    ("center", "width"),
    [(None, None), ("40", None), ("40", "0"), ("40", "-5"), ("nan", "400")],
)
def test_no_usable_window_leaves_it_to_the_viewer(center, width) -> None:
    ds = slice_dataset(np.zeros((4, 4), np.int16), (0.0, 0.0, 0.0))
    if center is not None:
        ds.WindowCenter = center
    if width is not None:
        ds.WindowWidth = width
    vol = read_dicom_series([("a.dcm", to_bytes(ds))], name="x")
    assert vol.window is None


def test_a_damaged_window_does_not_cost_the_volume() -> None:
    ds = slice_dataset(np.ones((4, 4), np.int16), (0.0, 0.0, 0.0))
    ds.WindowCenter, ds.WindowWidth = "7777.5", "400"
    data = to_bytes(ds)
    assert data.count(b"7777.5") == 1
    vol = read_dicom_series([("a.dcm", data.replace(b"7777.5", b"forty!"))], name="x")
    assert vol.window is None
    assert np.array_equal(vol.array, np.ones((1, 4, 4)))


def test_enhanced_multiframe_window_from_the_frame_voi_lut() -> None:
    planes = [np.full((4, 4), k, np.int16) for k in range(3)]
    ds = _enhanced(planes, [(0.0, 0.0, 2.0 * k) for k in range(3)])
    voi = Dataset()
    voi.WindowCenter, voi.WindowWidth = "300", "600"
    ds.SharedFunctionalGroupsSequence[0].FrameVOILUTSequence = Sequence([voi])
    vol = read_dicom_series([("mf.dcm", to_bytes(ds))], name="mf")
    assert vol.window == (300.0, 600.0)
    del ds.SharedFunctionalGroupsSequence[0].FrameVOILUTSequence
    per_frame = Dataset()
    per_frame.WindowCenter, per_frame.WindowWidth = "70", "140"
    ds.PerFrameFunctionalGroupsSequence[1].FrameVOILUTSequence = Sequence([per_frame])
    assert file_window(ds, 1) == (70.0, 140.0)
    assert file_window(ds, 0) is None
