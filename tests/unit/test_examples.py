"""The shipped example projects: valid, and `naesview project check` on the shared datasets."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from naesview_app.datasets.synthetic import write_mr_dataset
from naesview_app.project import read_project_file
from naesview_wire import config_problems, config_volumes

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"
NAMES = ("anatomy-classification.json", "prostate-review.json", "registration-review.json")


def _check(*args: str | Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "naesview_app", "project", "check", *map(str, args)],
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_the_three_examples_are_shipped_and_documented() -> None:
    assert sorted(p.name for p in EXAMPLES.glob("*.json")) == sorted(NAMES)
    readme = (EXAMPLES / "README.md").read_text()
    for name in NAMES:
        assert name in readme


@pytest.mark.parametrize("name", NAMES)
def test_example_loads_and_validates(name: str) -> None:
    project = read_project_file(EXAMPLES / name)
    assert config_problems(project.config) == []
    assert project.title
    assert project.instructions_md


def test_examples_describe_the_papers_use_cases() -> None:
    anatomy = read_project_file(EXAMPLES / "anatomy-classification.json").config
    assert [v.orientation for v in anatomy.viewports.viewports] == ["axial", "sagittal", "coronal"]
    assert config_volumes(anatomy) == ["ct.nii.gz"]
    assert [a.label for a in anatomy.answers] == [
        "Correct", "Head", "Head & Neck", "Thorax", "Abdomen", "Pelvis", "Legs", "Whole Body",
    ]  # fmt: skip
    assert [a.key for a in anatomy.answers] == list(range(1, 9))
    assert (anatomy.label.delimiter, anatomy.label.parts) == ("_", (1,))

    prostate = read_project_file(EXAMPLES / "prostate-review.json").config
    (viewport,) = prostate.viewports.viewports
    assert viewport.orientation == "axial"
    assert [(layer.volume, layer.is_mask) for layer in viewport.layers] == [
        ("image.nii.gz", False),
        ("mask.nii.gz", True),
    ]
    assert [a.value for a in prostate.answers] == ["acceptable", "needs-refinement"]

    registration = read_project_file(EXAMPLES / "registration-review.json").config
    grid = registration.viewports
    assert (grid.rows, grid.columns) == (2, 2)
    assert {v.orientation for v in grid.viewports} == {"sagittal"}
    assert config_volumes(registration) == ["T1.nii.gz", "T1GD.nii.gz", "T2.nii.gz", "FLAIR.nii.gz"]
    assert [a.value for a in registration.answers] == ["good-pre-op", "good-post-op", "poor"]


def test_prostate_checks_clean_on_mini(shared_data: Path) -> None:
    out = _check(EXAMPLES / "prostate-review.json", shared_data / "mini.zip")
    assert out.returncode == 0, out.stdout + out.stderr
    assert "4 of 4 cases complete" in out.stdout
    assert out.stdout.rstrip().endswith("OK: every case has every configured volume.")


def test_anatomy_checks_clean_on_tiny_ct_many(shared_data: Path) -> None:
    out = _check(
        EXAMPLES / "anatomy-classification.json", shared_data / "tiny_ct_many.zip", "--json"
    )
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert report["ok"] is True
    assert report["case_count"] == report["complete_count"] == 300
    assert report["cases"] == []


def test_registration_on_mini_lists_missing_volumes_per_case(shared_data: Path) -> None:
    out = _check(EXAMPLES / "registration-review.json", shared_data / "mini.zip")
    assert out.returncode == 1
    missing = "missing `T1.nii.gz`, `T1GD.nii.gz`, `T2.nii.gz`, `FLAIR.nii.gz`"
    for case_id, name in enumerate(["case1", "case2", "case3", "case10"]):
        assert f"case {case_id} ({name}): {missing}" in out.stdout
    assert "Not OK: 4 of 4 cases are incomplete" in out.stdout
    assert out.stderr == ""


def test_registration_checks_clean_on_a_four_sequence_dataset(tmp_path: Path) -> None:
    dataset = write_mr_dataset(tmp_path / "mr.zip", cases=2, shape=(8, 16, 16))
    out = _check(EXAMPLES / "registration-review.json", dataset)
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"format": "naesview-project-file/9", "title": "x"}', "update naesView"),
        ('{"format": "naesview-project-file/1", "title": ', "not valid JSON"),
        ('{"format": "naesview-project-file/1", "title": "x", "config": {}}', "config"),
    ],
)
def test_bad_config_files_give_one_clear_line(
    tmp_path: Path, shared_data: Path, content: str, expected: str
) -> None:
    config = tmp_path / "layout.json"
    config.write_text(content)
    out = _check(config, shared_data / "mini.zip")
    assert out.returncode == 1
    assert out.stdout == ""
    line = out.stderr.strip()
    assert "\n" not in line
    assert "Traceback" not in line
    assert line.startswith("naesview project check: layout.json")
    assert expected in line


def test_unreadable_dataset_gives_one_clear_line(tmp_path: Path) -> None:
    broken = tmp_path / "broken.zip"
    broken.write_bytes(b"PK not really")
    out = _check(EXAMPLES / "prostate-review.json", broken)
    assert out.returncode == 1
    assert "broken.zip" in out.stderr
    assert "Traceback" not in out.stderr
    assert len(out.stderr.strip().splitlines()) == 1
