"""The zip layer and the Dataset API: natural order, listing, fingerprint, hostile members."""

from __future__ import annotations

import threading
import tracemalloc
import zipfile
from pathlib import Path

import numpy as np
import pytest

from naesview_app.datasets import natural_key, open_dataset
from naesview_app.datasets.archive import ZipArchive
from naesview_app.datasets.central_directory import read_central_directory
from naesview_app.datasets.naming import unsafe_member_reason
from naesview_app.datasets.synthetic import ct_phantom, nifti_bytes, write_zip
from naesview_app.errors import DatasetError, ReaderError

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"


def _tiny(seed: int = 0) -> bytes:
    return nifti_bytes(ct_phantom((4, 5, 6), seed=seed)[0], (1.0, 1.0, 1.0))


# --- natural order ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("smaller", "larger"),
    [
        ("case2", "case10"),
        ("scan2_Head", "scan10_Pelvis"),
        ("case0012_Thorax_v2", "case0012_Thorax_v10"),
        ("slice_2.png", "slice_10.png"),
        ("a", "B"),  # case-folded
        ("Case2", "case2"),  # equal when folded: the raw name decides
        ("c007", "c7"),  # equal numbers: the raw name decides
        ("9", "a"),
    ],
)
def test_natural_order(smaller: str, larger: str) -> None:
    assert natural_key(smaller) < natural_key(larger)
    assert sorted([larger, smaller], key=natural_key) == [smaller, larger]


def test_cases_are_in_natural_order_and_ids_are_indices(tmp_path: Path) -> None:
    names = ["case10", "case2", "case1", "Case3", "case0012_Thorax_v10", "case0012_Thorax_v2"]
    path = write_zip(tmp_path / "d.zip", [(f"{n}/ct.nii.gz", _tiny()) for n in names])
    with open_dataset(path) as ds:
        assert [c.name for c in ds.cases] == [
            "case1",
            "case2",
            "Case3",
            "case10",
            "case0012_Thorax_v2",
            "case0012_Thorax_v10",
        ]
        assert [c.id for c in ds.cases] == list(range(6))


# --- listing -------------------------------------------------------------------------------


def test_listing_names_volumes_and_ignores_packing_artefacts(tmp_path: Path) -> None:
    png = _png_bytes()
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("case1/", b"")
        zf.writestr("case1/image.nii.gz", _tiny())
        zf.writestr(
            "case1/sub/mask.nii", nifti_bytes(np.zeros((4, 5, 6), np.uint8), (1, 1, 1), gz=False)
        )
        zf.writestr("case1/series/T1/slice_10.png", png)
        zf.writestr("case1/series/T1/slice_2.png", png)
        zf.writestr("case1/notes.txt", b"hello")
        zf.writestr("case1/.hidden/x.nii", b"")
        zf.writestr("__MACOSX/case1/._image.nii.gz", b"")
        zf.writestr("README.txt", b"read me")
        zf.writestr("empty/", b"")
    with open_dataset(path) as ds:
        (case,) = ds.cases
        assert [(v.name, v.kind) for v in case.volumes] == [
            ("image.nii.gz", "nifti"),
            ("series/T1", "png"),
            ("sub/mask.nii", "nifti"),
        ]
        assert [e.volume for e in case.errors] == ["notes.txt"]
        assert {(i.member, i.reason) for i in ds.ignored} == {
            ("README.txt", "file at the top level"),
            ("__MACOSX/case1/._image.nii.gz", "__MACOSX folder"),
            ("case1/.hidden/x.nii", "dot-file or dot-folder"),
            ("empty/", "empty folder"),
        }
        assert ds.read_volume(0, "series/T1").shape == (2, 3, 4)
        with pytest.raises(
            ReaderError, match=r"case 0 \(case1\), volume `notes.txt`: not a volume"
        ):
            ds.read_volume(0, "notes.txt")
        with pytest.raises(
            ReaderError, match=r"not found; this case has: image\.nii\.gz, series/T1"
        ):
            ds.read_volume(0, "T2")
        with pytest.raises(DatasetError, match="no case 5"):
            ds.read_volume(5, "image.nii.gz")


def _png_bytes() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(np.arange(12, dtype=np.uint8).reshape(3, 4)).save(out, format="PNG")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "unsafe"),
    [
        ("case1/image.nii.gz", False),
        ("case1/a..b.nii", False),
        ("../evil.txt", True),
        ("case1/../../evil.nii.gz", True),
        ("/tmp/evil.nii.gz", True),
        ("C:/evil.nii", True),
        ("case1\\..\\..\\evil.nii.gz", True),
        ("case1/x\x00.nii", True),
    ],
)
def test_unsafe_member_names(name: str, unsafe: bool) -> None:
    assert (unsafe_member_reason(name) is not None) == unsafe


# --- fingerprint -----------------------------------------------------------------------------


def _repack(source: Path, target: Path, *, reverse: bool, method: int, dirs: bool) -> None:
    with zipfile.ZipFile(source) as zin:
        infos = [i for i in zin.infolist() if not i.is_dir()]
        if reverse:
            infos.reverse()
        with zipfile.ZipFile(target, "w", compression=method) as zout:
            written: set[str] = set()
            for info in infos:
                folder = info.filename.rpartition("/")[0]
                if dirs and folder and folder not in written:
                    zout.writestr(folder + "/", b"")
                    written.add(folder)
                zout.writestr(info.filename, zin.read(info))


def test_fingerprint_ignores_how_the_zip_was_packed(tmp_path: Path) -> None:
    with open_dataset(SHARED / "mini.zip") as ds:
        original = ds.fingerprint
    assert len(original) == 64
    for n, (reverse, method, dirs) in enumerate(
        [(True, zipfile.ZIP_DEFLATED, False), (False, zipfile.ZIP_STORED, True)]
    ):
        copy = tmp_path / f"copy{n}.zip"
        _repack(SHARED / "mini.zip", copy, reverse=reverse, method=method, dirs=dirs)
        assert copy.read_bytes() != (SHARED / "mini.zip").read_bytes()
        with open_dataset(copy) as ds:
            assert ds.fingerprint == original


def test_fingerprint_changes_with_content_and_names(tmp_path: Path) -> None:
    a = write_zip(tmp_path / "a.zip", [("case1/ct.nii.gz", _tiny(0))])
    b = write_zip(tmp_path / "b.zip", [("case1/ct.nii.gz", _tiny(1))])
    c = write_zip(tmp_path / "c.zip", [("case2/ct.nii.gz", _tiny(0))])
    prints = set()
    for path in (a, b, c):
        with open_dataset(path) as ds:
            prints.add(ds.fingerprint)
    assert len(prints) == 3


def test_fingerprint_serialisation_is_as_documented(tmp_path: Path) -> None:
    import hashlib
    import struct
    import zlib

    members = [("case1/b.nii", b"\x01" * 7), ("case1/a.nii", b"xyz"), ("README.txt", b"r")]
    path = write_zip(tmp_path / "d.zip", members)
    blob = b"naesview-fingerprint/1\n"
    for name, data in sorted(members, key=lambda m: m[0].encode()):
        raw = name.encode()
        blob += struct.pack("<I", len(raw)) + raw + struct.pack("<QI", len(data), zlib.crc32(data))
    with open_dataset(path) as ds:
        assert ds.fingerprint == hashlib.sha256(blob).hexdigest()


# --- hostile input -----------------------------------------------------------------------------


def test_path_traversal_members_are_reported_and_nothing_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = set(tmp_path.iterdir())
    monkeypatch.chdir(tmp_path)  # a reader that extracted would write here or above
    evil = Path("/tmp/naesview_evil.nii.gz")
    existed = evil.exists()
    with open_dataset(SHARED / "bad" / "path_traversal.zip") as ds:
        assert [c.name for c in ds.cases] == ["case1", "case2"]
        assert len(ds.errors) == 5
        assert all(e.member and "unsafe member name" in e.error for e in ds.errors)
        for case in ds.cases:
            assert ds.read_volume(case.id, "image.nii.gz").shape
    assert set(tmp_path.iterdir()) == before
    assert not list(tmp_path.parent.glob("evil*"))
    assert evil.exists() == existed


def test_declared_size_bomb_is_refused_without_allocating() -> None:
    with open_dataset(SHARED / "bad" / "declared_size_bomb.zip") as ds:
        tracemalloc.start()
        try:
            with pytest.raises(
                ReaderError, match=r"case 1 \(case2\), volume `image.nii`:.*declares"
            ):
                ds.read_volume(1, "image.nii")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        assert peak < 1_000_000
        assert ds.read_volume(0, "image.nii.gz").shape


def test_member_over_the_size_limit_is_refused(tmp_path: Path) -> None:
    path = write_zip(tmp_path / "d.zip", [("case1/ct.nii", b"\0" * 5000)])
    with (
        open_dataset(path, max_member_bytes=4096) as ds,
        pytest.raises(ReaderError, match="over the 4,096 byte limit"),
    ):
        ds.read_volume(0, "ct.nii")


def test_member_inflating_past_its_declared_size_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("case1/ct.nii", b"\0" * 100_000)
    data = bytearray(path.read_bytes())
    # Lower the declared size (local and central headers) to 1,000 bytes.
    for signature, offset in ((b"PK\x03\x04", 22), (b"PK\x01\x02", 24)):
        at = data.find(signature)
        data[at + offset : at + offset + 4] = (1000).to_bytes(4, "little")
    path.write_bytes(bytes(data))
    with open_dataset(path) as ds, pytest.raises(ReaderError, match="longer than declared"):
        ds.read_volume(0, "ct.nii")


def test_crc_mismatch_is_detected(tmp_path: Path) -> None:
    payload = nifti_bytes(ct_phantom((4, 5, 6))[0], (1, 1, 1), gz=False)
    path = tmp_path / "d.zip"
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        zf.writestr("case1/ct.nii", payload)
    data = bytearray(path.read_bytes())
    at = data.find(payload[-20:])
    data[at] ^= 0xFF
    path.write_bytes(bytes(data))
    with open_dataset(path) as ds, pytest.raises(ReaderError, match="CRC-32 mismatch"):
        ds.read_volume(0, "ct.nii")


def test_encrypted_member() -> None:
    with open_dataset(SHARED / "bad" / "encrypted_member.zip") as ds:
        with pytest.raises(ReaderError, match=r"encrypted.*not supported"):
            ds.read_volume(0, "image.nii.gz")
        assert ds.read_volume(1, "image.nii.gz").shape


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("truncated.zip", "not a readable zip"),
        ("not_a_zip.zip", "not a readable zip"),
        ("zero_bytes.zip", "empty file"),
        ("empty.zip", "no cases"),
    ],
)
def test_unusable_zip_is_a_dataset_error(name: str, message: str) -> None:
    with pytest.raises(DatasetError, match=message) as caught:
        open_dataset(SHARED / "bad" / name)
    assert name in str(caught.value)
    assert "\n" not in str(caught.value)


def test_missing_file_is_a_dataset_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="cannot open"):
        open_dataset(tmp_path / "nope.zip")


# --- reads -------------------------------------------------------------------------------------


def test_reads_from_many_threads_agree(tmp_path: Path) -> None:
    with open_dataset(SHARED / "tiny_ct_many.zip") as ds:
        expected = {c.id: ds.read_volume(c.id, "ct.nii.gz").sha256() for c in ds.cases[:40]}
        results: dict[int, str] = {}
        failures: list[BaseException] = []

        def work(ids: list[int]) -> None:
            try:
                for i in ids:
                    results[i] = ds.read_volume(i, "ct.nii.gz").sha256()
            except BaseException as exc:  # collected and re-raised in the test thread
                failures.append(exc)

        threads = [threading.Thread(target=work, args=(list(range(k, 40, 4)),)) for k in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=60)
        assert not failures
        assert results == expected


def test_closed_dataset_refuses_reads() -> None:
    ds = open_dataset(SHARED / "mini.zip")
    ds.close()
    with pytest.raises(DatasetError, match="closed"):
        ds.read_volume(0, "image.nii.gz")


def test_archive_head_never_raises_on_damaged_members() -> None:
    archive = ZipArchive(SHARED / "bad" / "corrupt_members.zip")
    try:
        for member in archive.members:
            assert isinstance(archive.head(member, 132), bytes)
    finally:
        archive.close()


def test_damaged_zips_only_ever_give_our_errors(tmp_path: Path) -> None:
    """Random byte damage (mostly in the central directory): a DatasetError or ReaderErrors that
    say what is wrong, never another exception and never an "unexpected" one."""
    import random

    source = write_zip(
        tmp_path / "src.zip",
        [(f"case{i}/ct.nii{'.gz' if i % 2 else ''}", _tiny(i)) for i in range(1, 4)],
    )
    original = source.read_bytes()
    rng = random.Random(7)
    target = tmp_path / "damaged.zip"
    problems: list[str] = []
    for _ in range(300):
        data = bytearray(original)
        for _ in range(rng.randint(1, 4)):
            near_end = rng.random() < 0.6
            at = len(data) - rng.randrange(1, 400) if near_end else rng.randrange(len(data))
            data[at] = rng.randrange(256)
        target.write_bytes(bytes(data))
        try:
            ds = open_dataset(target)
        except DatasetError:
            continue
        with ds:
            for case in ds.cases:
                for ref in case.volumes:
                    problems.extend(_unexpected(ds, case.id, ref.name))
    assert problems == []


def _unexpected(ds, case_id: int, name: str) -> list[str]:
    try:
        ds.read_volume(case_id, name)
    except ReaderError as exc:
        return [str(exc)] if "unexpected" in str(exc) else []
    return []


def test_volume_head_gives_the_first_bytes_of_one_file_volumes() -> None:
    with open_dataset(SHARED / "mini.zip") as ds:
        head = ds.volume_head(0, "image.nii.gz", 64)
        assert len(head) == 64
        assert head[:2] == b"\x1f\x8b"
        assert ds.volume_head(0, "no such volume", 64) == b""
    with open_dataset(SHARED / "png_jpeg.zip") as ds:
        assert ds.volume_head(0, "png", 64) == b""  # a folder: no single file to show


@pytest.mark.parametrize(
    "name", sorted(p.relative_to(SHARED).as_posix() for p in SHARED.rglob("*.zip"))
)
def test_central_directory_parser_agrees_with_zipfile(name: str) -> None:
    data = (SHARED / name).read_bytes()
    fast = read_central_directory(data) if data else None
    try:
        infos = zipfile.ZipFile(SHARED / name).infolist()
    except zipfile.BadZipFile:
        assert fast is None  # left to zipfile, which explains the damage
        return
    assert fast is not None
    assert [tuple(m) for m in fast] == [
        (
            i.filename,
            i.file_size,
            i.compress_size,
            i.CRC,
            i.compress_type,
            bool(i.flag_bits & 1),
            i.header_offset,
            i.is_dir(),
        )
        for i in infos
    ]


def test_bytes_before_the_zip_are_allowed(tmp_path: Path) -> None:
    inner = write_zip(tmp_path / "inner.zip", [("case1/ct.nii.gz", _tiny())]).read_bytes()
    path = tmp_path / "sfx.zip"
    path.write_bytes(b"#!/bin/sh\nexit 0\n" + inner)  # a self-extractor stub
    with open_dataset(path) as ds:
        assert ds.read_volume(0, "ct.nii.gz").shape == (4, 5, 6)


def test_volume_bytes_are_the_verified_file() -> None:
    with open_dataset(SHARED / "mini.zip") as ds:
        data = ds.volume_bytes(3, "sub/prediction.nii")
        assert data == zipfile.ZipFile(SHARED / "mini.zip").read("case10/sub/prediction.nii")
        with pytest.raises(ReaderError, match="not a one-file volume"):
            ds.volume_bytes(0, "nothing")
    with (
        open_dataset(SHARED / "bad" / "corrupt_members.zip") as ds,
        pytest.raises(ReaderError, match=r"case 2 \(case3\).*CRC-32 mismatch"),
    ):
        ds.volume_bytes(2, "image.nii.gz")


def test_missing_decoder_keeps_its_class_through_the_dataset(tmp_path, monkeypatch):
    """A reader's MissingDecoderError reaches callers as itself (code `missing_decoder`)."""
    from types import SimpleNamespace

    from naesview_app.datasets import dataset as dataset_module
    from naesview_app.datasets.synthetic import write_tiny_cases
    from naesview_app.errors import MissingDecoderError

    def refuse(files, *, name):
        raise MissingDecoderError("JPEG 2000, no decoder; install pylibjpeg-openjpeg")

    monkeypatch.setattr(
        dataset_module, "reader_for_kind", lambda kind: SimpleNamespace(kind=kind, read=refuse)
    )
    path = tmp_path / "tiny.zip"
    write_tiny_cases(path, cases=1)
    with open_dataset(path) as ds:
        name = ds.cases[0].volumes[0].name
        with pytest.raises(MissingDecoderError) as info:
            ds.read_volume(0, name)
    assert info.value.code == "missing_decoder"
    assert info.value.case is not None
    assert info.value.volume == name
