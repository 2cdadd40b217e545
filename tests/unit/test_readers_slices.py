"""PNG/JPEG slice folders and the DICOM registration, beyond the manifest's cases."""

from __future__ import annotations

import io
import sys

import numpy as np
import pytest
from PIL import Image

from naesview_app.datasets.readers import folder_kind_by_head, reader_for_kind
from naesview_app.datasets.readers.slices import read_slices
from naesview_app.errors import ReaderError


def _encode(array: np.ndarray, mode: str | None = None, fmt: str = "PNG") -> bytes:
    image = Image.fromarray(array) if mode is None else Image.fromarray(array).convert(mode)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()


def _ramp(value: int, shape=(3, 4)) -> np.ndarray:
    return np.full(shape, value, dtype=np.uint8)


def test_slices_stack_in_natural_order() -> None:
    files = [(f"png/slice_{i}.png", _encode(_ramp(i))) for i in (10, 2, 1)]
    volume = read_slices(files, name="png", kind="png")
    assert volume.shape == (3, 3, 4)
    assert [int(volume.array[z, 0, 0]) for z in range(3)] == [1, 2, 10]
    assert volume.spacing == (1.0, 1.0, 1.0)
    assert volume.stored_dtype == "uint8"


def test_sixteen_bit_png_is_kept() -> None:
    plane = (np.arange(12, dtype=np.uint16).reshape(3, 4) * 5000).astype(np.uint16)
    volume = read_slices([("s/1.png", _encode(plane))], name="s", kind="png")
    assert volume.array.dtype == np.uint16
    assert volume.stored_dtype == "uint16"
    np.testing.assert_array_equal(volume.array[0], plane)


@pytest.mark.parametrize("mode", ["RGB", "RGBA", "P", "LA", "1"])
def test_other_modes_become_grey_like_pillow(mode: str) -> None:
    rgb = np.random.default_rng(0).integers(0, 256, (5, 6, 3), dtype=np.uint8)
    data = _encode(rgb, mode)
    want = np.asarray(Image.open(io.BytesIO(data)).convert("L"))
    volume = read_slices([("s/1.png", data)], name="s", kind="png")
    np.testing.assert_array_equal(volume.array[0], want)
    assert volume.stored_dtype == "uint8"


def test_different_sizes_name_the_slices() -> None:
    files = [("s/1.png", _encode(_ramp(1, (3, 4)))), ("s/2.png", _encode(_ramp(1, (3, 5))))]
    with pytest.raises(ReaderError, match=r"'1.png' is 4x3, '2.png' is 5x3"):
        read_slices(files, name="s", kind="png")


def test_undecodable_slice_is_named() -> None:
    data = _encode(_ramp(7, (32, 32)), fmt="JPEG")
    files = [("j/1.jpg", data), ("j/2.jpg", data[: len(data) // 3])]
    with pytest.raises(ReaderError, match=r"slice '2\.jpg' could not be decoded"):
        read_slices(files, name="j", kind="jpeg")


def test_dicom_is_sniffed_by_its_preamble() -> None:
    assert folder_kind_by_head(b"\0" * 128 + b"DICM") == "dicom"
    assert folder_kind_by_head(b"%PDF-1.4") is None


def test_missing_dicom_module_is_a_reader_error(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stripped install without the DICOM module: reading fails in one line, nothing crashes.
    import naesview_app.datasets.readers as readers

    monkeypatch.setitem(sys.modules, "naesview_app.datasets.readers.dicom", None)
    monkeypatch.delattr(readers, "dicom", raising=False)
    with pytest.raises(ReaderError, match="DICOM reading is not available"):
        reader_for_kind("dicom").read([("T1/1", b"\0" * 132)], name="T1")
    assert folder_kind_by_head(b"\0" * 128 + b"DICM") == "dicom"
