"""Large volumes decoded slice by slice while they are served: bit-identical to the reader,
damaged streams reported, each slice sent only once it exists, and the session using it."""

from __future__ import annotations

import threading
import time
import zipfile
from pathlib import Path

import httpx
import numpy as np
import pytest

import naesview_app.review.progressive as progressive
from naesview_app.datasets import open_dataset
from naesview_app.errors import ReaderError
from naesview_app.local_server import LocalServer, VoxelStore
from naesview_app.review.outbox import Account, Outbox
from naesview_app.review.progressive import GrowingVolume, start_progressive_nifti
from naesview_app.review.session import ProjectRef, ReviewSession
from tests.sync_server import sample_config

TOKEN = "X-Naesview-Token"


def member(zip_path: Path, name: str) -> bytes:
    with zipfile.ZipFile(zip_path) as zf:
        return zf.read(name)


@pytest.mark.parametrize(("dataset", "limit"), [("mini.zip", None), ("tiny_ct_many.zip", 24)])
def test_progressive_decoding_is_bit_identical_to_the_reader(
    shared_data: Path, dataset: str, limit: int | None
) -> None:
    path = shared_data / dataset
    checked = fallbacks = 0
    with open_dataset(path) as ds:
        for case in ds.cases[:limit]:
            for ref in case.volumes:
                if ref.kind != "nifti":
                    continue
                data = member(path, ref.members[0].name)
                started = start_progressive_nifti(data, name=ref.name)
                expected = ds.read_volume(case.id, ref.name)
                if started is None:  # not gzip, or slices not along the file's slice axis
                    fallbacks += 1
                    assert not ref.name.endswith(".gz") or expected.reorientation.axes[0] != 0
                    continue
                volume, growing = started
                growing.wait_all(60)
                assert growing.done
                assert volume.array.dtype == expected.array.dtype
                np.testing.assert_array_equal(volume.array, expected.array)
                assert (volume.spacing, volume.origin, volume.direction) == (
                    expected.spacing,
                    expected.origin,
                    expected.direction,
                )
                assert (volume.slope, volume.intercept, volume.reorientation) == (
                    expected.slope,
                    expected.intercept,
                    expected.reorientation,
                )
                checked += 1
    assert checked >= 6
    if dataset == "tiny_ct_many.zip":
        assert fallbacks > 0  # the sagittal (PIR) layouts go through the reader


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("case2/image.nii.gz", "damaged gzip stream"),  # overwritten mid-way
        ("case4/image.nii.gz", "truncated"),  # cut short
    ],
)
def test_damaged_streams_fail_the_volume_not_the_app(
    shared_data: Path, name: str, why: str
) -> None:
    data = member(shared_data / "bad" / "corrupt_members.zip", name)
    failures: list[str] = []
    finished = threading.Event()
    started = start_progressive_nifti(
        data, name="image.nii.gz", on_failure=failures.append, on_finished=finished.set
    )
    assert started is not None
    _, growing = started
    with pytest.raises(ReaderError, match=why):
        growing.wait_all(60)
    assert finished.wait(10)
    assert failures
    assert why in failures[0]


def test_impossible_headers_are_refused_before_allocating(shared_data: Path) -> None:
    data = member(shared_data / "bad" / "bad_nifti_headers.zip", "case2_broken/huge_dims.nii.gz")
    with pytest.raises(ReaderError, match="limit"):
        start_progressive_nifti(data, name="huge_dims.nii.gz")


@pytest.fixture
def server(tmp_path: Path):
    local = LocalServer(ui_dir=tmp_path, voxels=VoxelStore()).start()
    try:
        yield local
    finally:
        local.stop()


def test_each_slice_is_sent_once_it_exists(server: LocalServer) -> None:
    expected = np.arange(6 * 4 * 5, dtype=np.int16).reshape(6, 4, 5)
    array = np.zeros_like(expected)
    growing = GrowingVolume(array)
    handle = server.voxels.register("g", array, growing=growing)
    url = f"{server.base_url}/voxels/{handle}"
    auth = {TOKEN: server.token}

    def fill(z: int) -> None:
        array[z] = expected[z]
        growing.mark_ready(z)

    fill(0)
    first = httpx.get(f"{url}?z0=0&z1=1", headers=auth, timeout=10)
    assert first.content == expected[0].tobytes()  # served while 5 slices do not exist yet

    results: dict[str, bytes] = {}
    whole = threading.Thread(
        target=lambda: results.update(whole=httpx.get(url, headers=auth, timeout=30).content)
    )
    whole.start()
    for z in (1, 2, 3, 4):
        fill(z)
    whole.join(0.5)
    assert whole.is_alive()  # the last slice does not exist: the body is not complete
    fill(5)
    whole.join(10)
    assert results["whole"] == expected.tobytes()


def test_a_failed_decode_answers_502_or_a_short_body(server: LocalServer) -> None:
    array = np.zeros((4, 2, 2), dtype=np.uint8)
    growing = GrowingVolume(array)
    handle = server.voxels.register("g", array, growing=growing)
    url = f"{server.base_url}/voxels/{handle}"
    auth = {TOKEN: server.token}
    growing.mark_ready(0)
    box: dict[str, object] = {}

    def fetch() -> None:
        try:
            box["response"] = httpx.get(url, headers=auth, timeout=30)
        except httpx.HTTPError as exc:  # the connection closes before Content-Length is met
            box["error"] = exc

    reader = threading.Thread(target=fetch)
    reader.start()
    growing.fail("damaged gzip stream (invalid distance)")
    reader.join(10)
    if "response" in box:  # failed before the status line (502) or during the body (short)
        response = box["response"]
        assert isinstance(response, httpx.Response)
        assert response.status_code == 502 or len(response.content) < array.nbytes
    late = httpx.get(f"{url}?z0=2&z1=3", headers=auth, timeout=10)
    assert late.status_code == 502
    assert "damaged gzip stream" in late.text


def test_session_decodes_the_shown_case_progressively(
    shared_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(progressive, "PROGRESSIVE_MIN_BYTES", 0)  # mini's volumes are small
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    with open_dataset(shared_data / "mini.zip") as ds:
        ref = ProjectRef(
            project_id=1,
            config_version=1,
            config=sample_config(),
            fingerprint=ds.fingerprint,
            case_count=4,
        )
        session = ReviewSession(project=ref, dataset=ds, account=Account("s", 1), outbox=outbox)
        case = session.load(0)
        for name in ("image.nii.gz", "mask.nii.gz"):
            layer = case.volumes.layers[name]
            assert layer.growing is not None  # shown case: decoded progressively
            np.testing.assert_array_equal(layer.complete().array, ds.read_volume(0, name).array)
        # The next cases are prefetched once the shown case is complete, with the full reader.
        deadline = time.monotonic() + 30
        while not session._cache.cached(1) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert session._cache.cached(1)
        prefetched = session.load(1, show=False)
        assert all(layer.growing is None for layer in prefetched.volumes.layers.values())
        session.close()
    outbox.close()
