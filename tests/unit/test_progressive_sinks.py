"""Progressive decoding puts every voxel where the reader would, whatever the inflater's output
pieces look like: pieces smaller than a slice, pieces across slices and across the header's end,
several gzip members, the layout copied as is (one copy straight into the array) or reoriented and
byte-swapped (slice by slice through one reused buffer)."""

from __future__ import annotations

import gzip
import io
import itertools

import nibabel as nib
import numpy as np
import pytest

import naesview_app.review.progressive as progressive
from naesview_app.datasets.readers.nifti import read_nifti
from naesview_app.errors import ReaderError
from naesview_app.review.progressive import start_progressive_nifti

SHAPE_XYZ = (7, 5, 6)  # 6 slices of 7 × 5: no piece size below lines up with a slice


def nifti_gz(affine: np.ndarray, dtype: str, *, members: int = 1) -> bytes:
    data = np.arange(np.prod(SHAPE_XYZ), dtype=np.int64).reshape(SHAPE_XYZ, order="F")
    header = nib.Nifti1Header(endianness=">" if dtype.startswith(">") else "<")
    header.set_data_dtype(np.dtype(dtype))
    image = nib.Nifti1Image((data * 7 - 90).astype(dtype), affine, header)
    image.header.set_qform(affine, code=1)
    image.header.set_sform(affine, code=1)
    raw = io.BytesIO()
    image.to_file_map({"image": nib.FileHolder(fileobj=raw), "header": nib.FileHolder(fileobj=raw)})
    payload = raw.getvalue()
    cut = np.linspace(0, len(payload), members + 1).astype(int)
    return b"".join(gzip.compress(payload[a:b]) for a, b in itertools.pairwise(cut))


LPS = np.diag([-0.8, -0.8, 2.5, 1.0])  # stored as the canonical array: straight copy
RAS = np.diag([0.8, 0.8, 2.5, 1.0])  # x and y flipped on the way
HEAD_FIRST = np.diag([-0.8, -0.8, -2.5, 1.0])  # slices in reverse order


@pytest.mark.parametrize("step", [13, 70, 349, 1 << 20])
@pytest.mark.parametrize(
    ("affine", "dtype", "members", "sink"),
    [
        (LPS, "<i2", 1, "_DirectSink"),
        (LPS, "<f4", 3, "_DirectSink"),
        (LPS, ">i2", 2, "_PlaneByPlaneSink"),  # big-endian: swapped slice by slice
        (RAS, "<i2", 1, "_PlaneByPlaneSink"),
        (HEAD_FIRST, "<u2", 2, "_PlaneByPlaneSink"),
    ],
)
def test_every_piece_size_gives_the_readers_array(
    monkeypatch: pytest.MonkeyPatch,
    step: int,
    affine: np.ndarray,
    dtype: str,
    members: int,
    sink: str,
) -> None:
    monkeypatch.setattr(progressive, "_OUT_STEP", step)
    used: list[str] = []
    for name in ("_DirectSink", "_PlaneByPlaneSink"):
        cls = getattr(progressive, name)
        monkeypatch.setattr(cls, "take", _spy(cls.take, name, used))
    data = nifti_gz(affine, dtype, members=members)
    expected = read_nifti(data, name="image.nii.gz")
    stored = nib.Nifti1Image.from_bytes(gzip.decompress(data)).header
    assert (stored.endianness, stored.get_data_dtype().newbyteorder("=")) == (
        dtype[0],
        np.dtype(dtype).newbyteorder("="),
    )
    started = start_progressive_nifti(data, name="image.nii.gz")
    assert started is not None
    volume, growing = started
    growing.wait_all(30)
    assert set(used) == {sink}
    assert volume.array.dtype == expected.array.dtype
    np.testing.assert_array_equal(volume.array, expected.array)
    assert growing.ready_count() == SHAPE_XYZ[2]


def _spy(take, name: str, used: list[str]):  # type: ignore[no-untyped-def]
    def spied(self, piece):  # type: ignore[no-untyped-def]
        used.append(name)
        return take(self, piece)

    return spied


@pytest.mark.parametrize("affine", [LPS, RAS])
def test_a_stream_cut_short_fails_after_the_slices_it_holds(
    monkeypatch: pytest.MonkeyPatch, affine: np.ndarray
) -> None:
    monkeypatch.setattr(progressive, "_OUT_STEP", 64)
    whole = gzip.decompress(nifti_gz(affine, "<i2"))
    cut = gzip.compress(whole[: len(whole) - 7 * 5 * 2 - 3])  # the last slice and 3 bytes missing
    started = start_progressive_nifti(cut, name="image.nii.gz")
    assert started is not None
    _, growing = started
    with pytest.raises(ReaderError, match="truncated"):
        growing.wait_all(30)
    assert growing.ready_count() == SHAPE_XYZ[2] - 2
