"""`Dataset.lend_volume`: a volume's stored bytes for a decoder that outlives the call; closing the
dataset waits until they are given back, and problems name the case and the volume."""

from __future__ import annotations

import gzip
import threading
import zipfile
import zlib
from pathlib import Path

import pytest

from naesview_app.datasets import open_dataset
from naesview_app.errors import ReaderError


def make_zip(path: Path, *, method: int, damage: bool = False) -> bytes:
    payload = gzip.compress(b"voxels" * 1000)
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        zf.writestr("case1/image.nii.gz", payload)
        zf.writestr("case1/notes.nii.gz", payload)
    if damage:  # flip one byte inside the first member's data: the CRC-32 no longer matches
        raw = bytearray(path.read_bytes())
        at = raw.index(payload[20:40]) if method == zipfile.ZIP_STORED else 60
        raw[at] ^= 0xFF
        path.write_bytes(bytes(raw))
    return payload


def test_a_stored_member_is_lent_without_a_copy_and_close_waits_for_it(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    payload = make_zip(path, method=zipfile.ZIP_STORED)
    dataset = open_dataset(path)
    lent = dataset.lend_volume(0, "image.nii.gz", verify=False)
    assert isinstance(lent.data, memoryview)
    assert bytes(lent.data) == payload
    closed = threading.Event()
    closer = threading.Thread(target=lambda: (dataset.close(), closed.set()))
    closer.start()
    assert not closed.wait(0.3)  # the bytes are still lent: close waits
    lent.data.release()
    lent.release()
    lent.release()  # a second release is harmless
    assert closed.wait(10)
    closer.join()


@pytest.mark.parametrize("method", [zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED])
def test_verified_bytes_refuse_a_damaged_member_naming_case_and_volume(
    tmp_path: Path, method: int
) -> None:
    path = tmp_path / "d.zip"
    make_zip(path, method=method, damage=True)
    with open_dataset(path) as dataset:
        with pytest.raises(ReaderError) as caught:
            dataset.lend_volume(0, "image.nii.gz")
        message = str(caught.value)
        assert "case1" in message
        assert "image.nii.gz" in message
        assert "damaged" in message or "CRC" in message
        # Nothing stays lent after the refusal: the other volume is lent and close returns.
        with dataset.lend_volume(0, "notes.nii.gz") as other:
            assert len(other.data) > 0
            del other
    # (leaving the with-block closed the dataset: it did not wait forever)


def test_unverified_stored_bytes_are_the_raw_member_even_if_damaged(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    make_zip(path, method=zipfile.ZIP_STORED, damage=True)
    with (
        open_dataset(path) as dataset,
        dataset.lend_volume(0, "image.nii.gz", verify=False) as lent,
    ):
        with pytest.raises((OSError, zlib.error)):
            gzip.decompress(bytes(lent.data))  # the gzip layer finds it (CRC or stream error)
        lent.data.release()


def test_unknown_volumes_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    make_zip(path, method=zipfile.ZIP_STORED)
    with (
        open_dataset(path) as dataset,
        pytest.raises(ReaderError, match="not a one-file volume"),
    ):
        dataset.lend_volume(0, "missing.nii.gz")
