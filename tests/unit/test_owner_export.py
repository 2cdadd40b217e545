"""Owner exports on the owner's machine: CSV/JSON with and without case names, edited masks."""

from __future__ import annotations

import csv
import gzip
import io
import json
import uuid
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
import nibabel as nib
import numpy as np
import pytest

from naesview_app.datasets import open_dataset
from naesview_app.errors import ConfigError
from naesview_app.imaging.brush import review_mask
from naesview_app.project.export import (
    CSV_COLUMNS,
    write_edited_masks,
    write_review_exports,
)
from naesview_wire import EditedMask, Export, ExportRow, Progress

T0 = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)


def _row(case_id: int, answer: str, **kw: object) -> ExportRow:
    base: dict[str, object] = {
        "uuid": uuid.uuid4(),
        "case_id": case_id,
        "reviewer_id": 2,
        "reviewer_username": "rita",
        "reviewer_name": "Rita R.",
        "config_version": 1,
        "answer": answer,
        "comment": None,
        "elapsed_ms": 1500 + case_id,
        "created": T0 + timedelta(minutes=case_id),
        "received": T0 + timedelta(minutes=case_id, seconds=1),
        "revision": 1,
        "current": True,
    }
    base.update(kw)
    return ExportRow(**base)  # type: ignore[arg-type]


def _export(rows: list[ExportRow]) -> Export:
    return Export(
        project_id=7,
        title="Prostate",
        exported=T0 + timedelta(hours=1),
        progress=(Progress(user_id=2, username="rita", display_name="Rita R.", done=3, total=4),),
        reviews=tuple(rows),
    )


@pytest.fixture(scope="module")
def edited(shared_data: Path) -> tuple[np.ndarray, EditedMask]:
    with open_dataset(shared_data / "mini.zip") as ds:
        original = ds.read_volume(0, "mask.nii.gz").array
    mask = original.copy()
    mask[:3, :5, :7] = 1  # paint a corner
    mask[original.shape[0] // 2] = 0  # erase a slice
    return mask, review_mask("mask.nii.gz", original, mask)


@pytest.fixture
def export(edited: tuple[np.ndarray, EditedMask]) -> Export:
    return _export(
        [
            _row(0, "needs-refinement", comment="=cmd|' /C calc'!A0", masks=(edited[1],)),
            _row(1, "acceptable", revision=1, current=False),
            _row(1, "needs-refinement", revision=2, comment="changed my mind"),
            _row(3, "acceptable", comment="fine, 'quoted', \"double\"\nsecond line"),
        ]
    )


def _read_csv(path: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(Path(path).read_text(encoding="utf-8"))))


def test_deidentified_export_has_ids_only(
    export: Export, tmp_path: Path, shared_data: Path
) -> None:
    result = write_review_exports(export, tmp_path)
    assert not result.mapped
    assert result.reviews == 4
    rows = _read_csv(result.csv_path)
    assert list(rows[0]) == CSV_COLUMNS
    assert [(r["case_id"], r["answer"], r["revision"], r["current"]) for r in rows] == [
        ("0", "needs-refinement", "1", "True"),
        ("1", "acceptable", "1", "False"),
        ("1", "needs-refinement", "2", "True"),
        ("3", "acceptable", "1", "True"),
    ]
    assert rows[0]["comment"] == "'=cmd|' /C calc'!A0"  # no formula for spreadsheets
    assert rows[3]["comment"] == "fine, 'quoted', \"double\"\nsecond line"
    assert rows[0]["mask_edits"].startswith("mask.nii.gz:+")
    assert (rows[0]["reviewer_done"], rows[0]["reviewer_total"]) == ("3", "4")
    # JSON is the sync API's Export document, exactly
    again = msgspec.json.decode(Path(result.json_path).read_bytes(), type=Export)
    assert again == export
    names = {"case1", "case2", "case3", "case10"}
    for path in (result.csv_path, result.json_path):
        text = Path(path).read_text()
        assert not any(name in text for name in names)


def test_mapped_export_names_cases_locally(
    export: Export, tmp_path: Path, shared_data: Path
) -> None:
    with open_dataset(shared_data / "mini.zip") as ds:
        result = write_review_exports(
            export, tmp_path, dataset=ds, map_names=True, project_fingerprint=ds.fingerprint
        )
    assert result.mapped
    assert result.warnings == ()
    assert Path(result.csv_path).name == "reviews-7-names.csv"
    rows = _read_csv(result.csv_path)
    assert "case_id" not in rows[0]
    assert [r["case_name"] for r in rows] == ["case1", "case2", "case2", "case10"]
    body = json.loads(Path(result.json_path).read_text())
    assert [r["case_name"] for r in body["reviews"]] == ["case1", "case2", "case2", "case10"]
    assert all("case_id" not in r for r in body["reviews"])
    assert [r["answer"] for r in body["reviews"]] == [r.answer for r in export.reviews]


def test_other_dataset_warns_but_exports(export: Export, tmp_path: Path, shared_data: Path) -> None:
    with open_dataset(shared_data / "mini.zip") as ds:
        result = write_review_exports(
            export, tmp_path, dataset=ds, map_names=True, project_fingerprint="0" * 64
        )
    (warning,) = result.warnings
    assert "mini.zip is not the one this project was made with" in warning
    assert Path(result.csv_path).is_file()


def test_case_outside_the_dataset_writes_nothing(tmp_path: Path, shared_data: Path) -> None:
    export = _export([_row(0, "a"), _row(12, "b")])
    with open_dataset(shared_data / "mini.zip") as ds, pytest.raises(ConfigError) as err:
        write_review_exports(export, tmp_path, dataset=ds, map_names=True)
    assert "case 12" in err.value.message
    assert "has only 4 cases" in err.value.message
    assert list(tmp_path.iterdir()) == []


def test_mapping_needs_a_dataset_and_a_folder(export: Export, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="needs your dataset"):
        write_review_exports(export, tmp_path, map_names=True)
    with pytest.raises(ConfigError, match="does not exist"):
        write_review_exports(export, tmp_path / "nope")


def test_edited_masks_on_the_source_geometry(
    export: Export, edited: tuple[np.ndarray, EditedMask], tmp_path: Path, shared_data: Path
) -> None:
    mask, wire = edited
    with open_dataset(shared_data / "mini.zip") as ds:
        by_id = write_edited_masks(export, ds, tmp_path / ".", map_names=False)
        (tmp_path / "named").mkdir()
        by_name = write_edited_masks(export, ds, tmp_path / "named", map_names=True)
    assert by_id.written == ("0_rita_r1.nii.gz",)
    assert by_name.written == ("case1_rita_r1.nii.gz",)
    assert by_id.problems == by_name.problems == ()

    with zipfile.ZipFile(shared_data / "mini.zip") as zf:
        source_bytes = zf.read("case1/mask.nii.gz")
    source = nib.Nifti1Image.from_bytes(gzip.decompress(source_bytes))
    for path in (tmp_path / "0_rita_r1.nii.gz", tmp_path / "named" / "case1_rita_r1.nii.gz"):
        out = nib.load(path)
        assert out.shape == source.shape
        assert np.allclose(out.affine, source.affine)
        changed = np.count_nonzero(np.asarray(out.dataobj) != np.asarray(source.dataobj))
        assert changed == wire.added + wire.removed > 0
        assert int(np.asarray(out.dataobj).sum()) == int(mask.sum())


def test_mask_problems_are_listed_and_others_written(
    edited: tuple[np.ndarray, EditedMask], tmp_path: Path, shared_data: Path
) -> None:
    wrong_case = _row(1, "x", masks=(edited[1],))  # case2's mask has another shape
    gone = _row(2, "x", masks=(msgspec.structs.replace(edited[1], volume="nope.nii.gz"),))
    good = _row(0, "x", reviewer_username="bob", revision=3, current=True, masks=(edited[1],))
    with open_dataset(shared_data / "mini.zip") as ds:
        result = write_edited_masks(_export([wrong_case, gone, good]), ds, tmp_path)
    assert result.written == ("0_bob_r3.nii.gz",)
    assert len(result.problems) == 2
    assert result.problems[0].startswith("case 1, reviewer rita, revision 1, volume `mask.nii.gz`")
    assert "nope.nii.gz" in result.problems[1]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["0_bob_r3.nii.gz"]


def test_only_free_text_is_guarded_against_formulas(tmp_path: Path) -> None:
    """Like the sync API's CSV: reviewer-typed text gets the apostrophe, answer values stay exact
    (an answer `-1` must read back as -1, not '-1)."""
    export = _export([_row(0, "-1", comment="+1 agree", reviewer_name="=Rita")])
    rows = _read_csv(write_review_exports(export, tmp_path).csv_path)
    assert rows[0]["answer"] == "-1"
    assert rows[0]["comment"] == "'+1 agree"
    assert rows[0]["reviewer_name"] == "'=Rita"
    assert rows[0]["case_id"] == "0"
