"""The review UI on DICOM series (`../shared/data/dicom_multiseq.zip`): a sagittal acquisition
(uint16, 4.8 mm between slices) seen axially and sagittally, a Philips EPI whose RescaleSlope
1.29035… is applied in the lookup table, and a feet-first CT with RescaleIntercept −1024; every
view compared pixel by pixel with the windowed canonical array computed here with SimpleITK."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import numpy as np
import pytest

from naesview_wire import (
    AnswerOption,
    Layer,
    ProjectConfig,
    ProjectCreate,
    ProjectPrivate,
    ProjectPublic,
    Viewport,
    ViewportGrid,
)
from tests.e2e.conftest import start_browser_app
from tests.e2e.test_review_ui import (  # noqa: F401
    SHARED,
    assert_shows,
    browser,
    expected_view,
    new_page,
    read_viewport,
    sign_in,
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
    manifest = json.loads((SHARED / "manifest.json").read_text())
    dataset = next(d for d in manifest["datasets"] if d["dataset"] == "dicom_multiseq.zip")
    expected = next(
        v
        for c in dataset["cases"]
        if c["name"] == case
        for v in c["volumes"]
        if v["name"] == volume
    )
    checked = np.ascontiguousarray(array, "<f4")
    assert hashlib.sha256(checked.tobytes()).hexdigest() == expected["sha256"], volume
    return array


@pytest.fixture(scope="module")
def dicom_project(tmp_path_factory):
    from naesview_app.datasets.dataset import open_dataset

    dataset = open_dataset(DICOM)
    try:
        fingerprint = dataset.fingerprint
    finally:
        dataset.close()
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
        owner = server.new_user("owner")
        detail = owner.client.create_project(
            ProjectCreate(
                public=ProjectPublic(title="DICOM series"),
                private=ProjectPrivate(),
                config=config,
                fingerprint=fingerprint,
                case_count=2,
                status="open",
            )
        )
        reviewer = server.new_user("reviewer")
        reviewer.client.accept_invitation(owner.client.create_invitation(detail.id).code)
        yield server, reviewer


def test_dicom_series_display_exactly(dicom_project, browser, tmp_path: Path) -> None:  # noqa: F811
    server, reviewer = dicom_project

    class Who:
        pass

    who = Who()
    who.server, who.reviewer = server, reviewer
    arrays = {v: canonical_dicom("patient10", v, tmp_path / "dicom") for v, _ in VIEWS}
    errors: list[str] = []
    with start_browser_app(tmp_path / "home") as app, new_page(browser, errors) as page:
        page.goto(app.url)
        sign_in(page, who)
        page.wait_for_selector("[data-testid=project-card]", timeout=15000).click()
        page.fill("#dataset-path", str(DICOM))
        page.click(".path-form button[type=submit]")
        page.wait_for_selector("[data-testid=fingerprint-ok]", timeout=30000)
        # patient2 has none of these series: listed, and its views say so.
        assert "patient2" in page.inner_text("[data-testid=missing-volumes]")
        page.click("[data-testid=start-review]")
        page.wait_for_function("() => window.naesview.review?.index === 0", timeout=20000)
        page.wait_for_selector(".viewport >> nth=0 >> .vp-status:not([hidden])", timeout=15000)
        assert "T1_sag is not in this case" in page.inner_text(".viewport >> nth=0 >> .vp-status")
        page.keyboard.press("ArrowRight")
        page.wait_for_function(
            """() => { const r = window.naesview.review; if (r.index !== 1) return false;
               r.viewer.renderNow();
               return [0, 1, 2, 3].every((k) => r.viewer.viewportInfo(k)?.status === "ok"); }""",
            timeout=30000,
        )
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
