"""Every shared test dataset, read through the public API, equals ../shared/data/manifest.json.

Also the reader contract (nibabel's pattern): one class states what every reader must do, and each
registered reader runs it against every manifest volume of its kind, fed straight from the zip.
"""

from __future__ import annotations

import json
import math
import zipfile
from pathlib import Path

import numpy as np
import pytest

from naesview_app.datasets.inspect import DatasetReport, inspect_dataset
from naesview_app.datasets.readers import READERS, reader_for_kind

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
if not (SHARED / "manifest.json").is_file():
    pytest.fail(f"shared test data not found at {SHARED} (expected beside the checkout)")
MANIFEST = json.loads((SHARED / "manifest.json").read_text())
DATASETS = {d["dataset"]: d for d in MANIFEST["datasets"]}


@pytest.fixture(scope="module")
def reports() -> dict[str, DatasetReport]:
    return {}


def _report(reports: dict[str, DatasetReport], name: str) -> DatasetReport:
    if name not in reports:
        reports[name] = inspect_dataset(SHARED / name)
    return reports[name]


def assert_volume_matches(got, want: dict, where: str) -> None:
    assert got.kind == want["kind"], where
    assert got.shape == want["shape"], where
    assert got.dtype == want["dtype"], where
    for g, w in zip(got.spacing, want["spacing"], strict=True):
        assert math.isclose(g, w, rel_tol=1e-4), (
            f"{where}: spacing {got.spacing} != {want['spacing']}"
        )
    for g, w in zip(got.origin, want["origin"], strict=True):
        assert abs(g - w) <= 1e-3, f"{where}: origin {got.origin} != {want['origin']}"
    np.testing.assert_allclose(got.direction, want["direction"], atol=1e-5, err_msg=where)
    assert got.min == want["min"], where
    assert got.max == want["max"], where
    assert got.sha256 == want["sha256"], where


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_dataset_matches_manifest(name: str, reports: dict[str, DatasetReport]) -> None:
    want = DATASETS[name]
    got = _report(reports, name)

    assert [(c.id, c.name) for c in got.cases] == [(c["id"], c["name"]) for c in want["cases"]]
    assert sorted(i.member for i in got.ignored) == sorted(i["member"] for i in want["ignored"])
    # Which dataset-level problems (by member), not their wording.
    assert sorted(str(e.member) for e in got.errors) == sorted(
        str(e.get("member")) for e in want["errors"]
    )
    assert got.ok == (not want["errors"] and not any(c["errors"] for c in want["cases"]))
    for got_case, want_case in zip(got.cases, want["cases"], strict=True):
        where = f"{name}:{got_case.name}"
        assert [v.name for v in got_case.volumes] == [v["name"] for v in want_case["volumes"]], (
            where
        )
        assert sorted(e.volume for e in got_case.errors) == sorted(
            e["volume"] for e in want_case["errors"]
        ), where
        for got_volume, want_volume in zip(got_case.volumes, want_case["volumes"], strict=True):
            assert_volume_matches(got_volume, want_volume, f"{where}/{got_volume.name}")
        for failure in got_case.errors:
            assert failure.error
            assert "\n" not in failure.error
            assert "Traceback" not in failure.error


def test_manifest_covers_every_shared_zip() -> None:
    on_disk = {p.relative_to(SHARED).as_posix() for p in SHARED.rglob("*.zip")}
    assert on_disk == set(DATASETS)


# --------------------------------------------------------------------------------------------
# The reader contract
# --------------------------------------------------------------------------------------------


def _volumes_of_kind(kind: str) -> list[tuple[str, str, dict]]:
    return [
        (d["dataset"], c["name"], v)
        for d in MANIFEST["datasets"]
        for c in d["cases"]
        for v in c["volumes"]
        if v["kind"] == kind
    ]


def _files_of(dataset: str, case: str, volume: dict) -> list[tuple[str, bytes]]:
    """The volume's members read with the standard library, independent of our zip layer."""
    with zipfile.ZipFile(SHARED / dataset) as zf:
        if volume["kind"] == "nifti":
            return [(volume["name"], zf.read(f"{case}/{volume['name']}"))]
        prefix = f"{case}/{volume['name']}/"
        return [
            (n[len(case) + 1 :], zf.read(n))
            for n in zf.namelist()
            if n.startswith(prefix) and "/" not in n[len(prefix) :] and not n.endswith("/")
        ]


def _owned_bytes(array: np.ndarray) -> int:
    """Bytes of the buffer that keeps `array` alive (what it really costs in memory)."""
    base = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    if isinstance(base, np.ndarray):
        return int(base.nbytes)
    return len(memoryview(base).cast("B"))


class ReaderContract:
    """What every registered reader must do; subclasses name the kind."""

    kind = ""

    @pytest.fixture
    def reader(self):
        return reader_for_kind(self.kind)

    def test_has_manifest_volumes(self) -> None:
        assert _volumes_of_kind(self.kind), f"no manifest volume exercises the {self.kind} reader"

    def test_registered_once_and_documented(self, reader) -> None:
        assert [r.kind for r in READERS].count(self.kind) == 1
        assert reader.formats
        docs = (ROOT / "docs" / "datasets.md").read_text()
        assert f"`{self.kind}`" in docs, f"reader {self.kind} is not described in docs/datasets.md"

    def test_reads_every_manifest_volume_from_bytes(self, reader) -> None:
        for dataset, case, want in _volumes_of_kind(self.kind):
            where = f"{dataset}:{case}/{want['name']}"
            volume = reader.read(_files_of(dataset, case, want), name=want["name"])
            array = volume.array
            assert volume.name == want["name"], where
            assert volume.kind == self.kind, where
            assert list(volume.shape) == want["shape"], where
            assert volume.stored_dtype == want["dtype"], where
            assert array.flags.c_contiguous, where
            assert array.dtype.isnative, where
            raw = math.prod(want["shape"]) * np.dtype(want["dtype"]).itemsize
            assert _owned_bytes(array) <= 1.1 * raw + 1024, f"{where}: more than 1.1x raw memory"
            assert volume.sha256() == want["sha256"], where
            assert volume.value_range() == (want["min"], want["max"]), where


class TestNiftiReader(ReaderContract):
    kind = "nifti"


class TestDicomReader(ReaderContract):
    kind = "dicom"


class TestPngReader(ReaderContract):
    kind = "png"


class TestJpegReader(ReaderContract):
    kind = "jpeg"


def test_every_registered_reader_runs_the_contract() -> None:
    tested = {cls.kind for cls in ReaderContract.__subclasses__()}
    assert {r.kind for r in READERS} == tested
