"""The review UI on DICOM series (`../shared/data/dicom_multiseq.zip`): a sagittal acquisition
(uint16, 4.8 mm between slices) seen axially and sagittally, a Philips EPI whose RescaleSlope
1.29035… is applied in the lookup table, and a feet-first CT with RescaleIntercept −1024; every
view compared pixel by pixel with the windowed canonical array computed here with SimpleITK."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import numpy as np
import pytest

from naesview_wire import AnswerOption, Layer, ProjectConfig, ProjectPublic, Viewport, ViewportGrid
from tests.e2e.helpers import (
    SHARED,
    app_page,
    assert_shows,
    choose_dataset,
    expected_view,
    fingerprint_of,
    manifest_volume,
    publish,
    read_viewport,
    sign_in,
    wait_case,
)
from tests.sync_server import sqlite_url, start_sync_server

DICOM = SHARED / "dicom_multiseq.zip"
VIEWS = [("T1_sag", "axial"), ("T1_sag", "sagittal"), ("series/EPI", "axial"), ("CT", "coronal")]


def canonical_dicom(case: str, volume: str, folder: Path) -> np.ndarray:
    """SimpleITK's canonical LPS array of a DICOM series, checked against manifest.json."""
    import SimpleITK as sitk

    target = folder / case / volume
    with zipfile.ZipFile(DICOM) as archive:
        for member in archive.namelist():
            if member.startswith(f"{case}/{volume}/") and not member.endswith("/"):
                out = folder / member
                out.parent.mkdir(parents=True, exist_ok=True)
                out.write_bytes(archive.read(member))
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(reader.GetGDCMSeriesFileNames(str(target)))
    array = sitk.GetArrayFromImage(sitk.DICOMOrient(reader.Execute(), "LPS"))
    expected = manifest_volume("dicom_multiseq.zip", case, volume)
    checked = np.ascontiguousarray(array, "<f4")
    assert hashlib.sha256(checked.tobytes()).hexdigest() == expected["sha256"], volume
    return array


@pytest.fixture(scope="module")
def dicom_project(tmp_path_factory):
    config = ProjectConfig(
        viewports=ViewportGrid(
            rows=2,
            columns=2,
            viewports=tuple(
                Viewport(orientation=orientation, layers=(Layer(volume=volume),))  # type: ignore[arg-type]
                for volume, orientation in VIEWS
            ),
        ),
        answers=(AnswerOption(value="ok", label="OK", key=1),),
        comment="off",
    )
    with start_sync_server(sqlite_url(tmp_path_factory.mktemp("sync"))) as server:
        yield publish(
            server,
            config,
            fingerprint=fingerprint_of(DICOM),
            case_count=2,
            public=ProjectPublic(title="DICOM series"),
        )


def test_dicom_series_display_exactly(dicom_project, browser, tmp_path: Path) -> None:
    arrays = {v: canonical_dicom("patient10", v, tmp_path / "dicom") for v, _ in VIEWS}
    errors: list[str] = []
    with app_page(browser, tmp_path / "home", errors) as (_, page):
        sign_in(page, dicom_project.server, dicom_project.reviewer)
        choose_dataset(page, DICOM, until="[data-testid=fingerprint-ok]")
        # patient2 has none of these series: listed, and its views say so.
        assert "patient2" in page.inner_text("[data-testid=missing-volumes]")
        page.click("[data-testid=start-review]")
        page.wait_for_function("() => window.naesview.review?.index === 0", timeout=20000)
        page.wait_for_selector(".viewport >> nth=0 >> .vp-status:not([hidden])", timeout=15000)
        assert "T1_sag is not in this case" in page.inner_text(".viewport >> nth=0 >> .vp-status")
        page.keyboard.press("ArrowRight")
        wait_case(page, 1, viewports=(0, 1, 2, 3), timeout=30000)
        assert page.inner_text("[data-testid=case-label]").strip() == "patient10"
        state = page.evaluate(
            """() => Object.values(window.naesview.review.viewer.getState().volumes).map((v) =>
                 ({ name: v.name, dtype: v.dtype, slope: v.slope, intercept: v.intercept }))"""
        )
        meta = {v["name"]: v for v in state}
        assert meta["T1_sag"]["dtype"] == "uint16"
        assert abs(meta["series/EPI"]["slope"] - 1.29035) < 1e-4
        assert meta["CT"]["intercept"] == -1024
        for k, (volume, orientation) in enumerate(VIEWS):
            shown = read_viewport(page, k)
            assert shown["orientation"] == orientation
            assert_shows(shown, expected_view(arrays[volume], shown), f"{volume} {orientation}")
        # The sagittal series seen axially: x runs across 12 slices 4.8 mm apart.
        axial = read_viewport(page, 0)
        assert (axial["width"], axial["height"]) == (12, 256)
        assert abs(axial["pxW"] / axial["pxH"] - 4.8 / 1.015625) < 1e-6
    assert errors == []
