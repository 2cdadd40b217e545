"""The pre-flight check on datasets built here: missing, unreadable, resampled, disjoint."""

from __future__ import annotations

import gzip
from pathlib import Path

import numpy as np
import pytest

from naesview_app.datasets import open_dataset
from naesview_app.datasets.synthetic import nifti_bytes, write_zip
from naesview_app.imaging.resample import same_grid
from naesview_app.project.check import check_dataset, format_report, report_json
from naesview_app.project.geometry import overlap, read_grid
from naesview_wire import AnswerOption, BrushConfig, Layer, ProjectConfig, Viewport, ViewportGrid

IMAGE = np.arange(6 * 8 * 10, dtype=np.int16).reshape(6, 8, 10)
MASK = (IMAGE % 3 == 0).astype(np.uint8)


def _config(*layers: Layer, brush: str | None = None) -> ProjectConfig:
    return ProjectConfig(
        viewports=ViewportGrid(
            rows=1,
            columns=2,
            viewports=(
                Viewport(layers=layers),
                Viewport(orientation="sagittal", layers=(layers[0],)),
            ),
        ),
        answers=(AnswerOption(value="ok", label="OK", key=1),),
        brush=BrushConfig(volume=brush) if brush else None,
    )


PROSTATE_LIKE = _config(
    Layer(volume="image.nii.gz"), Layer(volume="mask.nii.gz", is_mask=True), brush="mask.nii.gz"
)


def _shifted_mask(shift_mm: float) -> bytes:
    """A mask on a grid moved by `shift_mm` along x (RAS file, so the origin moves)."""
    raw = gzip.decompress(nifti_bytes(MASK, (2.0, 1.0, 1.0), layout="RAS"))
    import nibabel as nib

    image = nib.Nifti1Image.from_bytes(raw)
    affine = image.affine.copy()
    affine[0, 3] += shift_mm
    image.set_sform(affine, code=1)
    image.set_qform(affine, code=1)
    return gzip.compress(image.to_bytes())


@pytest.fixture
def dataset_zip(tmp_path: Path) -> Path:
    image = nifti_bytes(IMAGE, (2.0, 1.0, 1.0), layout="RAS")
    return write_zip(
        tmp_path / "ds.zip",
        [
            ("c1/image.nii.gz", image),
            ("c1/mask.nii.gz", nifti_bytes(MASK, (2.0, 1.0, 1.0), layout="LPS")),  # same grid
            ("c2/image.nii.gz", image),  # no mask
            ("c10/image.nii.gz", image),
            ("c10/mask.nii.gz", _shifted_mask(3.5)),  # overlaps, other grid
            ("c11/image.nii.gz", image),
            ("c11/mask.nii.gz", _shifted_mask(500.0)),  # far away
            ("c12/image.nii.gz", image),
            ("c12/mask.nii.gz", b"\x1f\x8bnot really gzip"),  # unreadable header
            ("c13/image.nii.gz", image),
            ("c13/mask.nii.gz", nifti_bytes(MASK[:, :, :7], (2.0, 1.0, 1.0))),  # other shape
        ],
    )


def test_each_case_gets_what_it_deserves(dataset_zip: Path) -> None:
    with open_dataset(dataset_zip) as ds:
        report = check_dataset(PROSTATE_LIKE, ds)
    assert report.case_count == 6
    assert report.volumes == ("image.nii.gz", "mask.nii.gz")
    by_name = {c.name: c for c in report.cases}
    assert "c1" not in by_name  # complete, nothing to say
    assert by_name["c2"].missing == ("mask.nii.gz",)
    assert not by_name["c2"].complete
    assert by_name["c10"].complete
    assert "resampled" in by_name["c10"].notes[0]
    assert "nearest neighbour" in by_name["c10"].notes[0]
    assert not by_name["c11"].complete
    assert "does not overlap" in by_name["c11"].problems[0]
    assert not by_name["c12"].complete
    assert by_name["c12"].unreadable[0].volume == "mask.nii.gz"
    assert by_name["c13"].complete
    assert "(6×8×7, 2×1×1 mm)" in by_name["c13"].notes[0]
    assert report.complete_count == 3  # c1, c10, c13
    assert report.resampled_count == 2
    assert report.grids_compared == 5
    assert not report.ok


def test_text_and_json_reports(dataset_zip: Path) -> None:
    with open_dataset(dataset_zip) as ds:
        report = check_dataset(PROSTATE_LIKE, ds)
    text = format_report(report, "p.json")
    assert text.splitlines()[0].startswith("p.json on ds.zip: 3 of 6 cases complete")
    assert "case 1 (c2): missing `mask.nii.gz`" in text
    assert "case 4 (c12): `mask.nii.gz` cannot be read" in text
    assert text.splitlines()[-1].startswith("Not OK: 3 of 6 cases are incomplete")
    import json

    body = json.loads(report_json(report))
    assert body["ok"] is False
    assert body["complete_count"] == 3
    assert [c["name"] for c in body["cases"]] == ["c2", "c10", "c11", "c12", "c13"]


def test_header_grids_equal_decoded_grids(shared_data: Path) -> None:
    checked = 0
    for name in ("mini.zip", "tiny_ct_many.zip"):
        with open_dataset(shared_data / name) as ds:
            for case in ds.cases[:12]:
                for ref in case.volumes:
                    grid, from_header = read_grid(ds, case.id, ref.name)
                    volume = ds.read_volume(case.id, ref.name)
                    assert from_header
                    assert grid.shape == volume.shape
                    assert np.allclose(grid.spacing, volume.spacing)
                    assert np.allclose(grid.origin, volume.origin)
                    assert np.allclose(grid.direction, volume.direction)
                    assert same_grid(grid, volume)
                    assert overlap(grid, volume)
                    checked += 1
    assert checked == 9 + 12


def test_non_nifti_layers_are_decoded_up_to_a_limit(shared_data: Path) -> None:
    config = _config(Layer(volume="png"), Layer(volume="jpeg", is_mask=True))
    with open_dataset(shared_data / "png_jpeg.zip") as ds:
        report = check_dataset(config, ds)
        assert report.grids_compared == 1  # case01 has both, case02 has neither
        assert [c.missing for c in report.cases if c.name == "case02"] == [("png", "jpeg")]
        limited = check_dataset(config, ds, max_full_reads=1)
    assert limited.grids_compared == 0
    assert "not decoded" in limited.notes[0]


def test_config_problems_make_no_case_complete(dataset_zip: Path) -> None:
    bad = _config(Layer(volume="image.nii.gz"), brush="image.nii.gz")
    with open_dataset(dataset_zip) as ds:
        report = check_dataset(bad, ds)
    assert report.complete_count == 0
    assert not report.ok
    assert "not a mask layer" in report.config_problems[0]
    assert format_report(report, "x.json").endswith("Not OK: fix the config first.")


def test_brush_on_a_non_nifti_mask_is_noted(shared_data: Path) -> None:
    config = _config(Layer(volume="png"), Layer(volume="jpeg", is_mask=True), brush="jpeg")
    with open_dataset(shared_data / "png_jpeg.zip") as ds:
        report = check_dataset(config, ds)
    assert any("exported as NIfTI only" in note for note in report.notes)


def test_identical_headers_share_one_grid(dataset_zip: Path) -> None:
    cache: dict[bytes, object] = {}
    with open_dataset(dataset_zip) as ds:
        first, _ = read_grid(ds, 0, "image.nii.gz", cache=cache)  # type: ignore[arg-type]
        again, _ = read_grid(ds, 1, "image.nii.gz", cache=cache)  # type: ignore[arg-type]
        other, _ = read_grid(ds, 2, "mask.nii.gz", cache=cache)  # type: ignore[arg-type]
    assert again is first
    assert other is not first
    assert not same_grid(other, first)


def test_single_layer_volumes_have_their_headers_read(dataset_zip: Path) -> None:
    only_mask_file = _config(Layer(volume="mask.nii.gz"))
    with open_dataset(dataset_zip) as ds:
        report = check_dataset(only_mask_file, ds)
    by_name = {c.name: c for c in report.cases}
    assert by_name["c12"].unreadable[0].volume == "mask.nii.gz"
    assert by_name["c2"].missing == ("mask.nii.gz",)
    assert report.grids_compared == 0
    assert report.complete_count == 4
