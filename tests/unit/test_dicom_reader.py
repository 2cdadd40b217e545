"""The DICOM reader against ../shared/data/manifest.json (the reference definition).

The zips are opened here with `zipfile` and grouped by folder, so this test depends on nothing
but the reader itself.
"""

from __future__ import annotations

import mmap
import zipfile
from collections import defaultdict
from io import BytesIO
from pathlib import Path, PurePosixPath

import numpy as np
import pydicom
import pytest

from naesview_app.datasets.readers.dicom import is_dicom, read_dicom_series
from naesview_app.errors import ReaderError

DICOM_DATASETS = ("dicom_multiseq.zip", "bad/dicom_broken_series.zip")


def _folders(zip_path: Path) -> dict[tuple[str, str], list[tuple[str, bytes]]]:
    """(case, volume folder) -> [(member name, bytes)] for every DICOM file in the zip."""
    folders: dict[tuple[str, str], list[tuple[str, bytes]]] = defaultdict(list)
    with zipfile.ZipFile(zip_path) as zf:
        for info in zf.infolist():
            if info.is_dir():
                continue
            data = zf.read(info)
            if not is_dicom(data[:132]):
                continue
            case, rel = info.filename.split("/", 1)
            folders[(case, str(PurePosixPath(rel).parent))].append((info.filename, data))
    return folders


def _expected(manifest: dict, dataset: str) -> tuple[dict, set]:
    entry = next(d for d in manifest["datasets"] if d["dataset"] == dataset)
    volumes = {(c["name"], v["name"]): v for c in entry["cases"] for v in c["volumes"]}
    failing = {(c["name"], e["volume"]) for c in entry["cases"] for e in c["errors"]}
    return volumes, failing


def _cases() -> list[tuple[str, str, str]]:
    from tests.conftest import SHARED_DATA

    return [
        (dataset, case, volume)
        for dataset in DICOM_DATASETS
        for case, volume in sorted(_folders(SHARED_DATA / dataset))
    ]


@pytest.fixture(scope="module")
def folders(shared_data: Path) -> dict[str, dict]:
    return {dataset: _folders(shared_data / dataset) for dataset in DICOM_DATASETS}


def test_every_manifest_dicom_volume_is_covered(folders: dict, manifest: dict) -> None:
    for dataset in DICOM_DATASETS:
        volumes, failing = _expected(manifest, dataset)
        assert set(folders[dataset]) == set(volumes) | failing
        assert volumes, dataset
    assert len(_cases()) == 7 + 7


@pytest.mark.parametrize(("dataset", "case", "volume"), _cases())
def test_volume_matches_manifest(folders: dict, manifest: dict, dataset, case, volume) -> None:
    expected_volumes, failing = _expected(manifest, dataset)
    files = folders[dataset][(case, volume)]
    if (case, volume) in failing:
        with pytest.raises(ReaderError) as caught:
            read_dicom_series(files, name=volume)
        message = str(caught.value)
        assert f"`{volume}`" in message
        assert "\n" not in message
        return

    expected = expected_volumes[(case, volume)]
    vol = read_dicom_series(files, name=volume)
    assert vol.kind == "dicom"
    assert vol.name == volume
    assert list(vol.shape) == expected["shape"]
    assert vol.spacing == pytest.approx(expected["spacing"], rel=1e-4)
    assert vol.origin == pytest.approx(expected["origin"], abs=1e-3)
    assert np.asarray(vol.direction).reshape(3, 3) == pytest.approx(
        np.asarray(expected["direction"]), abs=1e-5
    )
    assert vol.stored_dtype == expected["dtype"]
    assert vol.array.dtype == np.dtype(expected["dtype"])  # stored type kept: no float copy
    canonical = vol.as_float32()
    assert float(canonical.min()) == expected["min"]
    assert float(canonical.max()) == expected["max"]
    assert vol.value_range() == (expected["min"], expected["max"])
    assert vol.sha256() == expected["sha256"]


def test_failing_volumes_say_why(folders: dict) -> None:
    broken = folders["bad/dicom_broken_series.zip"]
    reasons = {
        ("case1", "mixed"): "2 DICOM series",
        ("case1", "localizers"): "3 DICOM series",
        ("case1", "repeated_positions"): "repeat another slice's position",
        ("case1", "missing_slices"): "about 3 slices missing",
        ("case2", "CT_gaps"): r"202\.500 mm .* \(separate stacks in one folder\?",
    }
    for (case, volume), reason in reasons.items():
        with pytest.raises(ReaderError, match=reason):
            read_dicom_series(broken[(case, volume)], name=volume)


def test_missing_slices_names_where_the_gap_is(folders: dict) -> None:
    files = folders["bad/dicom_broken_series.zip"][("case1", "missing_slices")]
    with pytest.raises(ReaderError) as caught:
        read_dicom_series(files, name="missing_slices")
    assert "8.000 mm between slice 30 `0030.dcm` and slice 31 `0034.dcm` of 37" in str(caught.value)


def test_reorientation_maps_canonical_back_to_stored(folders: dict) -> None:
    """Sagittal T1: stored [slice, row, column] maps to canonical [z, y, x] by axes and flips."""
    files = folders["dicom_multiseq.zip"][("patient10", "T1_sag")]
    vol = read_dicom_series(files, name="T1_sag")
    r = vol.reorientation
    assert r.stored_shape == (12, 256, 256)
    assert vol.shape == (256, 256, 12)
    datasets = [pydicom.dcmread(BytesIO(data)) for _, data in files]
    iop = np.array(datasets[0].ImageOrientationPatient, dtype=float)
    normal = np.cross(iop[:3], iop[3:])
    datasets.sort(key=lambda ds: float(normal @ np.array(ds.ImagePositionPatient, dtype=float)))
    stored = np.stack([ds.pixel_array for ds in datasets])
    assert np.array_equal(np.flip(stored.transpose(r.axes), r.flips), vol.array)


def test_is_dicom_looks_at_byte_128() -> None:
    assert is_dicom(b"\0" * 128 + b"DICM" + b"\2\0")
    assert not is_dicom(b"DICM" + b"\0" * 200)
    assert not is_dicom(b"\0" * 128 + b"DIC")


@pytest.mark.parametrize("volume", ["T1", "BOLD", "CT", "T1_sag"])
def test_views_of_a_mapped_stored_zip_read_the_same_and_are_let_go(
    folders: dict, manifest: dict, volume: str, tmp_path: Path
) -> None:
    """Stored zip members arrive as memoryviews of an mmap: same voxels, and no view survives
    the read (else the map could not be closed)."""
    case = "patient10" if volume in ("CT", "T1_sag") else "patient2"
    files = folders["dicom_multiseq.zip"][(case, volume)]
    path = tmp_path / "stored.bin"
    path.write_bytes(b"".join(data for _, data in files))
    expected = _expected(manifest, "dicom_multiseq.zip")[0][(case, volume)]
    with path.open("rb") as fh:
        mapped = mmap.mmap(fh.fileno(), 0, access=mmap.ACCESS_READ)
        view = memoryview(mapped)
        offsets = np.cumsum([0] + [len(data) for _, data in files])
        views = [
            (member, view[start:end])
            for (member, _), start, end in zip(files, offsets[:-1], offsets[1:], strict=True)
        ]
        vol = read_dicom_series(views, name=volume)
        del views
        view.release()
        mapped.close()  # BufferError if the reader kept any view of the map
    assert vol.sha256() == expected["sha256"]
    assert list(vol.shape) == expected["shape"]
