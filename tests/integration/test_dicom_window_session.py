"""A DICOM image layer opens in the reviewer's session with the file's own window (and a
MONOCHROME1 radiograph with dense parts bright), as the UI receives it from `load_case`."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from naesview_app.datasets import open_dataset
from naesview_app.datasets.synthetic import write_zip
from naesview_app.local_server import VoxelStore
from naesview_app.review.outbox import Account, Outbox
from naesview_app.review.services import volume_infos
from naesview_app.review.session import ProjectRef, ReviewSession
from naesview_app.review.windowing import auto_window
from naesview_wire import AnswerOption, Layer, ProjectConfig, Viewport, ViewportGrid
from tests.unit.test_dicom_series import slice_dataset, to_bytes

ACCOUNT = Account("http://sync.test", 5)


def _ct(case: str, window: tuple[str, str] | None) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(3)
    files = []
    for k in range(4):
        plane = rng.integers(0, 2000, size=(16, 16)).astype(np.int16)
        ds = slice_dataset(plane, (0.0, 0.0, 2.0 * k), slope="1", intercept="-1024")
        if window is not None:
            ds.WindowCenter, ds.WindowWidth = window
        files.append((f"{case}/CT/{k:03d}.dcm", to_bytes(ds)))
    return files


def _radiograph(case: str) -> list[tuple[str, bytes]]:
    plane = np.repeat(np.array([4000, 2000, 100], np.uint16), 4)[:, None] * np.ones((1, 12))
    ds = slice_dataset(plane.astype(np.uint16), (0.0, 0.0, 0.0))
    ds.PhotometricInterpretation = "MONOCHROME1"
    ds.BitsStored, ds.HighBit = 12, 11
    ds.WindowCenter, ds.WindowWidth = "2000", "4000"
    return [(f"{case}/CT/cr.dcm", to_bytes(ds))]


@pytest.fixture
def session(tmp_path: Path):
    members = [*_ct("case1", ("40", "400")), *_ct("case2", None), *_radiograph("case3")]
    dataset = open_dataset(write_zip(tmp_path / "dicom.zip", members))
    config = ProjectConfig(
        viewports=ViewportGrid(viewports=(Viewport(layers=(Layer(volume="CT"),)),)),
        answers=(AnswerOption(value="ok", label="OK", key=1),),
    )
    project = ProjectRef(
        project_id=1,
        config_version=1,
        config=config,
        fingerprint=dataset.fingerprint,
        case_count=len(dataset.cases),
    )
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    review = ReviewSession(project=project, dataset=dataset, account=ACCOUNT, outbox=outbox)
    yield review
    review.close()
    outbox.close()
    dataset.close()


def test_the_files_window_is_the_layers_default(session) -> None:
    voxels = VoxelStore()
    case = session.load(0, show=False)
    layer = case.volumes.layers["CT"]
    assert layer.window == (40.0, 400.0)
    auto = auto_window(layer.volume)
    assert abs(auto[0] - 40.0) > 50  # the percentile window would differ clearly
    (info,) = volume_infos(session, case, voxels, "http://127.0.0.1:9")
    assert (info.window.center, info.window.width) == (40.0, 400.0)  # what the UI starts with


def test_without_a_window_in_the_file_the_percentiles_decide(session) -> None:
    case = session.load(1, show=False)
    layer = case.volumes.layers["CT"]
    assert layer.volume.window is None
    assert layer.window == auto_window(layer.volume)


def test_a_monochrome1_radiograph_opens_with_dense_bright(session) -> None:
    case = session.load(2, show=False)
    layer = case.volumes.layers["CT"]
    center, width = layer.window
    assert (center, width) == (4095 - 2000.0, 4000.0)
    values = layer.volume.as_float32()[0]
    grey = np.clip(np.floor((values - (center - width / 2)) * 255 / width + 0.5), 0, 255)
    air, tissue, bone = grey[0:4].mean(), grey[4:8].mean(), grey[8:12].mean()
    assert bone > tissue > air  # stored 100 (dense) is bright, 4000 (air) is dark


def test_the_owners_preview_opens_with_the_reviewers_window(session) -> None:
    """`initial_window` is the one rule for both screens (owner preview and review)."""
    from naesview_app.review.windowing import initial_window

    for case_id in range(3):
        layer = session.load(case_id, show=False).volumes.layers["CT"]
        assert initial_window(layer.volume, is_mask=False) == layer.window
        assert initial_window(layer.volume, is_mask=True) == (0.5, 1.0)
