"""Damaged or hostile DICOM input: a one-line ReaderError, never another exception, a hang or a
large allocation from an unchecked size."""

from __future__ import annotations

import random
import time
from io import BytesIO

import numpy as np
import pydicom
import pytest
from pydicom.uid import DeflatedExplicitVRLittleEndian, RLELossless

from naesview_app.datasets.readers import dicom_native
from naesview_app.datasets.readers.dicom import read_dicom_series
from naesview_app.errors import ReaderError
from tests.unit.test_dicom_series import make_series, slice_dataset, to_bytes


def test_declared_frame_count_bomb_is_refused_before_allocating() -> None:
    ds = slice_dataset(np.zeros((512, 512), np.int16), (0.0, 0.0, 0.0))
    ds.NumberOfFrames = 2_000_000_000  # 500 TB declared, 512 kB present
    ds.SpacingBetweenSlices = "1"
    started = time.perf_counter()
    with pytest.raises(ReaderError, match=r"voxels declared, over the \d+ voxel limit"):
        read_dicom_series([("bomb.dcm", to_bytes(ds))], name="bomb")
    assert time.perf_counter() - started < 2.0


def test_deflate_bomb_is_refused_by_its_inflated_size(monkeypatch) -> None:
    ds = slice_dataset(np.zeros((64, 64), np.int16), (0.0, 0.0, 0.0))
    ds.file_meta.TransferSyntaxUID = DeflatedExplicitVRLittleEndian
    data = to_bytes(ds)  # 8 kB of zeros deflate to a few dozen bytes
    assert len(data) < 2000
    assert read_dicom_series([("ok.dcm", data)], name="CT").shape == (1, 64, 64)
    monkeypatch.setattr(dicom_native, "MAX_INFLATED_BYTES", 4096)
    with pytest.raises(ReaderError, match=r"`z\.dcm` is not a readable DICOM file \(deflated data"):
        read_dicom_series([("z.dcm", data)], name="CT")


def test_impossible_header_values_are_named() -> None:
    ds = slice_dataset(np.zeros((4, 4), np.int16), (0.0, 0.0, 0.0))
    ds["PixelData"].VR = "OW"  # pydicom needs BitsAllocated to choose it otherwise
    del ds.BitsAllocated
    with pytest.raises(ReaderError, match=r"`a\.dcm` has an impossible BitsAllocated"):
        read_dicom_series([("a.dcm", to_bytes(ds))], name="v")
    ds = slice_dataset(np.zeros((4, 4), np.int16), (0.0, 0.0, 0.0))
    ds.Columns = 0
    with pytest.raises(ReaderError, match="impossible Columns"):
        read_dicom_series([("b.dcm", to_bytes(ds))], name="v")


@pytest.mark.filterwarnings("ignore::UserWarning")  # pydicom warns about the damaged values
@pytest.mark.parametrize("syntax", [None, RLELossless, DeflatedExplicitVRLittleEndian])
def test_mutated_files_fail_cleanly(syntax) -> None:
    """Flip, cut and overwrite bytes of a valid series; every outcome is a Volume or ReaderError."""
    files, _ = make_series(n=3, shape=(8, 8))
    if syntax is not None:
        recoded = []
        for name, data in files:
            ds = pydicom.dcmread(BytesIO(data))
            if syntax == RLELossless:
                ds.compress(syntax, generate_instance_uid=False)
            else:
                ds.file_meta.TransferSyntaxUID = syntax
            recoded.append((name, to_bytes(ds)))
        files = recoded
    rng = random.Random(42)
    outcomes = {"volume": 0, "error": 0}
    messages = []
    started = time.perf_counter()
    for _ in range(150):
        victim = rng.randrange(len(files))
        data = bytearray(files[victim][1])
        kind = rng.choice(("flip", "cut", "overwrite"))
        at = rng.randrange(128, len(data))
        if kind == "flip":
            for _ in range(rng.randint(1, 8)):
                data[rng.randrange(128, len(data))] ^= 1 << rng.randrange(8)
        elif kind == "cut":
            del data[at:]
        else:
            data[at : at + 4] = rng.randbytes(4)
        mutated = [*files[:victim], (files[victim][0], bytes(data)), *files[victim + 1 :]]
        try:
            read_dicom_series(mutated, name="T1")
            outcomes["volume"] += 1
        except ReaderError as exc:  # anything else fails the test with its traceback
            messages.append(str(exc))
            outcomes["error"] += 1
    assert outcomes["error"] > 0
    assert all("\n" not in m and m.startswith("volume `T1`: ") for m in messages)
    assert time.perf_counter() - started < 20


def test_floating_point_pixel_data_is_named() -> None:
    ds = slice_dataset(np.zeros((4, 4), np.int16), (0.0, 0.0, 0.0))
    ds.FloatPixelData = np.zeros((4, 4), np.float32).tobytes()
    del ds.PixelData
    ds.BitsAllocated = ds.BitsStored = 32
    ds.HighBit = 31
    del ds.PixelRepresentation
    with pytest.raises(ReaderError, match="floating-point pixel data"):
        read_dicom_series([("pmap.dcm", to_bytes(ds))], name="ADC")
