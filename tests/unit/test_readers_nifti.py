"""The NIfTI reader against SimpleITK (the definition), on files made here in every layout.

SimpleITK reads from a temporary file because it cannot read bytes; our reader never does.
"""

from __future__ import annotations

import gzip
import math
import tracemalloc
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from naesview_app.datasets.gunzip import gunzip, gunzip_stream
from naesview_app.datasets.readers.nifti import read_nifti
from naesview_app.errors import ReaderError
from naesview_app.imaging.orientation import undo_reorientation

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _rotation(axis: int, degrees: float) -> np.ndarray:
    c, s = math.cos(math.radians(degrees)), math.sin(math.radians(degrees))
    i, j = [a for a in range(3) if a != axis]
    r = np.eye(3)
    r[i, i], r[i, j], r[j, i], r[j, j] = c, -s, s, c
    return r


def _affine(codes: str, zooms: tuple[float, float, float], tilt: float = 0.0) -> np.ndarray:
    """RAS affine whose index axes i, j, k point along the axis codes (e.g. "PIR")."""
    unit = {"R": (0, 1), "L": (0, -1), "A": (1, 1), "P": (1, -1), "S": (2, 1), "I": (2, -1)}
    m = np.zeros((3, 3))
    for col, code in enumerate(codes):
        axis, sign = unit[code]
        m[axis, col] = sign * zooms[col]
    m = _rotation(2, tilt) @ _rotation(0, tilt / 2) @ m
    affine = np.eye(4)
    affine[:3, :3] = m
    affine[:3, 3] = (-11.5, 7.25, 3.0)
    return affine


def _sitk_reference(path: Path) -> tuple[np.ndarray, sitk.Image]:
    image = sitk.DICOMOrient(sitk.ReadImage(str(path)), "LPS")
    return np.ascontiguousarray(sitk.GetArrayFromImage(image), "<f4"), image


def _assert_like_sitk(data: bytes, tmp_path: Path, suffix: str = ".nii.gz") -> None:
    path = tmp_path / f"v{suffix}"
    path.write_bytes(data)
    want, image = _sitk_reference(path)
    got = read_nifti(data, name="v")
    assert got.shape == want.shape
    np.testing.assert_array_equal(got.as_float32(), want)
    np.testing.assert_allclose(got.spacing, image.GetSpacing()[::-1], rtol=1e-4)
    np.testing.assert_allclose(got.origin, image.GetOrigin(), atol=1e-3)
    np.testing.assert_allclose(got.direction, image.GetDirection(), atol=1e-5)
    assert got.array.flags.c_contiguous


def _image(
    shape: tuple[int, int, int] = (7, 6, 5), dtype: str = "int16", seed: int = 0
) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 120, size=shape).astype(dtype)


LAYOUTS = ["RAS", "LPS", "LAS", "PIR", "ASL", "SPL", "IRP", "RSA"]


@pytest.mark.parametrize("codes", LAYOUTS)
@pytest.mark.parametrize("tilt", [0.0, 17.0])
def test_orientation_matches_dicomorient(codes: str, tilt: float, tmp_path: Path) -> None:
    img = nib.Nifti1Image(_image(), _affine(codes, (0.8, 1.5, 2.5), tilt))
    _assert_like_sitk(gzip.compress(img.to_bytes()), tmp_path)


def _rotated(az: float, ax: float, ay: float) -> np.ndarray:
    affine = np.eye(4)
    m = _rotation(2, az) @ _rotation(0, ax) @ _rotation(1, ay) @ np.diag([0.9, 1.1, 2.0])
    affine[:3, :3] = m
    affine[:3, 3] = (1.0, 2.0, 3.0)
    return affine


ROTATIONS = [(45, 0, 0), (45, 45, 0), (30, 45, 0), (45, 45, 45), (60, 60, 60), (90, 45, 30)] + [
    tuple(float(a) for a in np.random.default_rng(1).uniform(-180, 180, 3)) for _ in range(12)
]


@pytest.mark.parametrize("angles", ROTATIONS)
def test_ties_and_oblique_frames_resolve_like_itk(angles, tmp_path: Path) -> None:
    # Exact 45 degree ties and two axes near one patient axis: ITK pairs greedily.
    img = nib.Nifti1Image(_image(), _rotated(*angles))
    _assert_like_sitk(img.to_bytes(), tmp_path, ".nii")


@pytest.mark.parametrize("dtype", [">i2", "<u2", "uint8", "int8", ">f4", "<f8", "<i4"])
def test_sample_types_and_byte_orders(dtype: str, tmp_path: Path) -> None:
    img = nib.Nifti1Image(_image(dtype=dtype), _affine("LAS", (1.0, 1.0, 2.0)))
    got = read_nifti(img.to_bytes())
    assert got.array.dtype == np.dtype(dtype).newbyteorder("=")
    assert got.stored_dtype == np.dtype(dtype).newbyteorder("=").name
    _assert_like_sitk(img.to_bytes(), tmp_path, ".nii")


def test_scaling_is_kept_beside_the_stored_values(tmp_path: Path) -> None:
    img = nib.Nifti1Image(_image(dtype="int16"), _affine("RAS", (1, 1, 1)))
    img.header.set_slope_inter(0.0123, -1024.0)
    data = img.to_bytes()
    got = read_nifti(data)
    assert got.array.dtype == np.int16
    assert (got.slope, got.intercept) == (float(np.float32(0.0123)), -1024.0)
    _assert_like_sitk(data, tmp_path, ".nii")


@pytest.mark.parametrize("which", ["sform only", "qform only", "neither"])
def test_frame_from_sform_or_qform_or_neither(which: str, tmp_path: Path) -> None:
    img = nib.Nifti1Image(_image(), None)
    affine = _affine("LPS", (0.7, 0.7, 3.0), 9.0)
    if which != "neither":
        img.header.set_sform(affine, code=1 if which == "sform only" else 0)
        img.header.set_qform(affine, code=1 if which == "qform only" else 0)
    else:
        img.header.set_sform(None, code=0)
        img.header.set_qform(None, code=0)
    _assert_like_sitk(img.to_bytes(), tmp_path, ".nii")


_TURNED = _rotated(17, 0, 0)
_SHEARED = np.array([[2, 0.5, 0, 10], [0, 2, 0, 20], [0, 0, 3, 30], [0, 0, 0, 1.0]])


@pytest.mark.parametrize(
    ("sform", "s_code", "qform", "q_code"),
    [
        (np.diag([1, 1, 1, 1.0]), 2, _TURNED, 1),  # aligned sform vs scanner qform: qform
        (np.diag([1, 1, 1, 1.0]), 4, _TURNED, 1),  # MNI sform vs scanner qform: qform
        (np.diag([1, 1, 1, 1.0]), 1, _TURNED, 1),  # scanner sform wins
        (np.diag([1, 1, 1, 1.0]), 3, _TURNED, 2),
        (_TURNED, 2, _TURNED, 1),  # the same transform twice
        (_SHEARED, 1, np.diag([2, 2, 3, 1.0]), 1),  # sheared sform: qform
        (np.diag([3, 3, 3, 1.0]), 1, np.eye(4), 1),  # sform scales differ from pixdim
        (_TURNED, 2, None, 0),  # sform only, not scanner
    ],
)
def test_sform_or_qform_chosen_like_itk(sform, s_code, qform, q_code, tmp_path: Path) -> None:
    img = nib.Nifti1Image(_image(), None)
    img.header.set_sform(sform, code=s_code)
    img.header.set_qform(qform, code=q_code)
    if s_code == 1 and sform[0, 0] == 3:
        img.header.set_zooms((1.0, 1.0, 1.0))
    _assert_like_sitk(img.to_bytes(), tmp_path, ".nii")


def test_sheared_sform_without_qform_is_refused_like_itk(tmp_path: Path) -> None:
    img = nib.Nifti1Image(_image(), None)
    img.header.set_sform(_SHEARED, code=1)
    img.header.set_qform(None, code=0)
    path = tmp_path / "shear.nii"
    path.write_bytes(img.to_bytes())
    with pytest.raises(RuntimeError, match="orthonormal"):
        sitk.ReadImage(str(path))
    with pytest.raises(ReaderError, match="shear"):
        read_nifti(path.read_bytes())


@pytest.mark.parametrize("gz", [False, True])
def test_nifti2_reads_like_the_same_nifti1(gz: bool, tmp_path: Path) -> None:
    # SimpleITK 2.5 cannot read NIfTI-2: the NIfTI-1 twin (checked against it) is the reference.
    array, affine = _image(dtype="float32"), _affine("PIR", (1.0, 2.0, 3.0), 11.0)
    two = nib.Nifti2Image(array, affine).to_bytes()
    one = nib.Nifti1Image(array, affine).to_bytes()
    _assert_like_sitk(one, tmp_path, ".nii")
    got = read_nifti(gzip.compress(two) if gz else two)
    want = read_nifti(one)
    np.testing.assert_array_equal(got.array, want.array)
    # NIfTI-2 stores the frame in float64, NIfTI-1 in float32: equal to float32 precision.
    np.testing.assert_allclose(got.spacing, want.spacing, rtol=1e-6)
    np.testing.assert_allclose(got.origin, want.origin, atol=1e-4)
    np.testing.assert_allclose(got.direction, want.direction, atol=1e-6)


def test_header_extensions_and_vox_offset(tmp_path: Path) -> None:
    img = nib.Nifti1Image(_image(), _affine("RAS", (1, 1, 1)))
    img.header.extensions.append(nib.nifti1.Nifti1Extension(6, b"a comment, 16 b"))
    data = img.to_bytes()
    assert np.frombuffer(data[108:112], "<f4")[0] > 352
    _assert_like_sitk(data, tmp_path, ".nii")


def test_vox_offset_zero_reads_after_the_header() -> None:
    img = nib.Nifti1Image(_image(), _affine("RAS", (1, 1, 1)))
    data = bytearray(img.to_bytes())
    header = nib.Nifti1Header.from_fileobj(__import__("io").BytesIO(bytes(data[:348])))
    header["vox_offset"] = 0
    data[:348] = header.binaryblock
    got = read_nifti(bytes(data))
    np.testing.assert_array_equal(
        undo_reorientation(got.array, got.reorientation), _image().transpose(2, 1, 0)
    )


def test_undo_reorientation_gives_the_stored_array() -> None:
    stored = _image((9, 8, 7))
    img = nib.Nifti1Image(stored, _affine("PIR", (1, 1, 1), 12.0))
    got = read_nifti(img.to_bytes())
    assert got.reorientation.stored_shape == (7, 8, 9)
    back = undo_reorientation(got.array, got.reorientation)
    np.testing.assert_array_equal(back, stored.transpose(2, 1, 0))


# --- refusals ------------------------------------------------------------------------------


def _plain(shape=(16, 20, 24)) -> bytes:
    return nib.Nifti1Image(_image(shape), _affine("RAS", (1, 1, 1))).to_bytes()


@pytest.mark.parametrize("gz", [False, True])
def test_short_data_is_refused_where_simpleitk_zero_fills(gz: bool, tmp_path: Path) -> None:
    data = _plain()[:1000]
    data = gzip.compress(data) if gz else data
    path = tmp_path / ("short.nii.gz" if gz else "short.nii")
    path.write_bytes(data)
    assert sitk.ReadImage(str(path)).GetSize() == (16, 20, 24)  # SimpleITK accepts it
    with pytest.raises(ReaderError, match="truncated"):
        read_nifti(data)


def test_gzip_stream_cut_short_is_refused() -> None:
    data = gzip.compress(_plain())
    with pytest.raises(ReaderError, match=r"truncated|ends early"):
        read_nifti(data[: len(data) - 100])


def test_data_after_the_gzip_stream_is_refused() -> None:
    with pytest.raises(ReaderError, match="after the end of the gzip stream"):
        read_nifti(gzip.compress(_plain()) + b"garbage!")


def test_multi_member_gzip_is_read_whole() -> None:
    raw = _plain()
    data = gzip.compress(raw[:5000]) + gzip.compress(raw[5000:])
    got = read_nifti(data)
    np.testing.assert_array_equal(got.array, read_nifti(raw).array)


def test_four_d_with_several_volumes_is_refused() -> None:
    data = nib.Nifti1Image(np.zeros((4, 4, 4, 3), np.int16), np.eye(4)).to_bytes()
    with pytest.raises(ReaderError, match="only 3-D volumes"):
        read_nifti(data)


def test_four_d_with_one_volume_is_read() -> None:
    data = nib.Nifti1Image(np.ones((4, 5, 6, 1), np.int16), np.eye(4)).to_bytes()
    assert read_nifti(data).shape == (6, 5, 4)


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        (lambda d: d.__setitem__(slice(344, 348), b"\0\0\0\0"), "Analyze"),
        (lambda d: d.__setitem__(slice(344, 348), b"ni1\0"), "two-file"),
        (lambda d: d.__setitem__(slice(0, 4), (999).to_bytes(4, "little")), "not a NIfTI"),
        (lambda d: d.__setitem__(slice(70, 72), (128).to_bytes(2, "little")), "not supported"),
    ],
)
def test_bad_headers_are_refused(patch, message: str) -> None:
    data = bytearray(_plain())
    patch(data)
    with pytest.raises(ReaderError, match=message):
        read_nifti(bytes(data))


def test_too_short_for_a_header() -> None:
    with pytest.raises(ReaderError, match="too short"):
        read_nifti(b"\0" * 100)


def test_gzip_holding_far_more_than_the_header_needs_is_refused() -> None:
    with pytest.raises(ReaderError, match="over the limit"):
        read_nifti(gzip.compress(_plain() + b"\0" * (2 << 20)))


def test_impossible_headers_are_refused_before_allocating() -> None:
    with zipfile.ZipFile(SHARED / "bad" / "bad_nifti_headers.zip") as zf:
        members = {n.rpartition("/")[2]: zf.read(n) for n in zf.namelist() if "case2_broken" in n}
    tracemalloc.start()
    try:
        for name in ("huge_dims.nii.gz", "neg_dim.nii", "bad_datatype.nii", "nan_spacing.nii"):
            with pytest.raises(ReaderError):
                read_nifti(members[name], name=name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1_000_000


def test_declared_size_over_the_limit_is_refused_before_reading() -> None:
    with pytest.raises(ReaderError, match="over the 1,000 byte limit"):
        read_nifti(_plain(), max_volume_bytes=1000)


# --- gunzip ----------------------------------------------------------------------------------


def test_gunzip_paths_agree_and_cap_output() -> None:
    raw = bytes(range(256)) * 4000
    one = gzip.compress(raw)
    assert gunzip(one, expected_size=len(raw), max_bytes=len(raw)) == raw
    assert gunzip_stream(one, max_bytes=len(raw)) == raw
    two = gzip.compress(raw[:1000]) + gzip.compress(raw[1000:])
    assert gunzip(two, expected_size=len(raw), max_bytes=len(raw)) == raw
    assert gunzip_stream(one + b"\0" * 64, max_bytes=len(raw)) == raw  # zero padding is fine
    with pytest.raises(ReaderError, match="over the limit"):
        gunzip_stream(one, max_bytes=len(raw) - 1)


def test_damaged_headers_only_ever_give_reader_errors() -> None:
    import random

    rng = random.Random(3)
    sources = [
        nib.Nifti1Image(_image(dtype="int16"), _affine("LAS", (1, 2, 3))).to_bytes(),
        nib.Nifti2Image(_image(dtype="float32"), _affine("PIR", (1, 2, 3))).to_bytes(),
    ]
    for trial in range(600):
        data = bytearray(sources[trial % 2])
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(0, 548)] = rng.randrange(256)
        payload = gzip.compress(bytes(data)) if trial % 3 == 0 else bytes(data)
        try:
            volume = read_nifti(payload)
        except ReaderError:
            continue
        assert volume.array.ndim == 3
        volume.sha256()


def test_reorientation_undoes_to_the_stored_array_for_every_shared_nifti() -> None:
    """`Reorientation` must take the canonical array back to the file's own voxel order
    (edited masks are written back through it), for every layout in the shared data."""
    import io

    checked = 0
    for name in ("mini.zip", "tiny_ct_many.zip", "bad/bad_nifti_headers.zip"):
        with zipfile.ZipFile(SHARED / name) as zf:
            for member in zf.namelist():
                if not member.endswith((".nii", ".nii.gz")):
                    continue
                data = zf.read(member)
                try:
                    volume = read_nifti(data)
                except ReaderError:
                    continue
                raw = gzip.decompress(data) if data[:2] == b"\x1f\x8b" else data
                stored = np.asanyarray(
                    nib.Nifti1Image.from_stream(io.BytesIO(raw)).dataobj.get_unscaled()
                )
                back = undo_reorientation(volume.array, volume.reorientation)
                np.testing.assert_array_equal(
                    back, stored.reshape(stored.shape[:3]).T, err_msg=member
                )
                checked += 1
    assert checked > 300
