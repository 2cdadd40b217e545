"""A reviewer's saved mask edit comes back: after a restart the editable mask layer shows the
edit stored in the outbox (synced or not), the project's mask stays the brush's original, and
answering again re-sends the edit. Real outbox files, mini.zip, a real sync server and the real
loopback voxel server."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import httpx
import msgspec
import numpy as np
import pytest

from naesview_app.config import AppPaths
from naesview_app.datasets import open_dataset
from naesview_app.imaging.brush import MaskMetrics, PackedMask, pack_mask, unpack_mask
from naesview_app.local_server import LocalServer, VoxelStore
from naesview_app.review.messages import MaskRef, VolumeInfo
from naesview_app.review.outbox import Account, Outbox
from naesview_app.review.services import ReviewApp
from naesview_app.review.session import ProjectRef, ReviewSession
from naesview_wire import Review
from tests.sync_server import SyncServer, sample_config, sample_project, sqlite_url
from tests.sync_server import start_sync_server as start

MASK = "mask.nii.gz"
ACCOUNT = Account("http://sync.test", 7)


def brush_project(dataset) -> ProjectRef:
    return ProjectRef(
        project_id=11,
        config_version=1,
        config=sample_config(brush=True),
        fingerprint=dataset.fingerprint,
        case_count=len(dataset.cases),
    )


def paint_corner(mask: np.ndarray) -> np.ndarray:
    edited = (mask != 0).astype(np.uint8)
    edited[0, :6, :6] = 1
    edited[edited.shape[0] // 2] = 0  # and erase a whole slice
    return edited


def test_the_session_shows_the_saved_edit_after_a_restart(shared_data: Path, tmp_path) -> None:
    path = tmp_path / "outbox.sqlite3"
    with open_dataset(shared_data / "mini.zip") as mini:
        ref = brush_project(mini)
        outbox = Outbox(path)
        session = ReviewSession(project=ref, dataset=mini, account=ACCOUNT, outbox=outbox)
        original = session.load(0).volumes.layers[MASK].complete().array.copy()
        edited = paint_corner(original)
        assert not np.array_equal(edited, original != 0)
        session.submit(0, "reject", None, {MASK: edited})
        session.submit(1, "accept", None)
        review = outbox.pending(ACCOUNT)[0]
        outbox.mark_synced(review)  # synced: the outbox keeps it all the same
        session.close()
        outbox.close()

        outbox = Outbox(path)  # the next launch
        session = ReviewSession(project=ref, dataset=mini, account=ACCOUNT, outbox=outbox)
        case = session.load(0)
        layer = case.volumes.layers[MASK]
        assert np.array_equal(layer.complete().array, original)  # the original stays the original
        shown = case.edits[MASK].shown
        assert shown.dtype == original.dtype
        assert np.array_equal(shown != 0, edited != 0)
        assert case.problems == []
        assert session.load(1).edits == {}  # answered with the project's mask
        assert session.load(2).edits == {}  # not answered

        # Re-answering with the shown mask (what the UI uploads untouched) keeps the edit.
        session.submit(0, "accept", "fine after all", {MASK: (shown != 0).astype(np.uint8)})
        latest = outbox.latest_review(ACCOUNT, ref.project_id, 0)
        assert latest is not None
        assert latest.answer == "accept"
        (saved,) = latest.masks
        assert np.array_equal(unpack_mask(PackedMask.from_wire(saved)), edited)
        assert (saved.added, saved.removed) == (
            int(np.count_nonzero((edited != 0) & (original == 0))),
            int(np.count_nonzero((edited == 0) & (original != 0))),
        )
        # Answering with the project's mask (Reset to original) shows the original from then on.
        session.submit(0, "accept", None)
        assert session.load(0).edits == {}
        session.close()
        outbox.close()


def test_a_saved_edit_that_does_not_fit_the_dataset_is_reported(
    shared_data: Path, tmp_path
) -> None:
    with open_dataset(shared_data / "mini.zip") as mini:
        ref = brush_project(mini)
        outbox = Outbox(tmp_path / "outbox.sqlite3")
        session = ReviewSession(project=ref, dataset=mini, account=ACCOUNT, outbox=outbox)
        z, y, x = session.load(0).volumes.layers[MASK].volume.shape
        # As if the dataset's mask had been replaced since: the saved edit has another shape.
        wrong = pack_mask(np.ones((z + 1, y, x), np.uint8)).to_wire(MASK, MaskMetrics(0, 0, 1.0))
        outbox.add(
            ACCOUNT,
            Review(
                uuid=uuid.uuid4(),
                project_id=ref.project_id,
                config_version=ref.config_version,
                case_id=0,
                answer="reject",
                created=datetime.now(UTC),
                masks=(wrong,),
            ),
        )
        session.close()
        session = ReviewSession(project=ref, dataset=mini, account=ACCOUNT, outbox=outbox)
        case = session.load(0)
        assert case.edits == {}
        (problem,) = case.problems
        assert f"your saved edit of `{MASK}` has shape" in problem
        assert "the project's mask is shown" in problem
        session.close()
        outbox.close()


OUTBOX_BEFORE = """
CREATE TABLE reviews (
    seq INTEGER PRIMARY KEY AUTOINCREMENT, uuid TEXT NOT NULL UNIQUE, server TEXT NOT NULL,
    user_id INTEGER NOT NULL, project_id INTEGER NOT NULL, case_id INTEGER NOT NULL,
    body BLOB NOT NULL, saved_at TEXT NOT NULL, synced_at TEXT,
    attempts INTEGER NOT NULL DEFAULT 0, rejected TEXT, last_error TEXT
);
"""


def test_an_outbox_file_from_the_previous_release_gives_its_edits_back(tmp_path) -> None:
    """No schema change was needed (the outbox never deletes a review, synced or not): a file
    written before this feature, synced rows included, opens as it is and its edits come back."""
    path = tmp_path / "outbox.sqlite3"
    edit = np.zeros((4, 5, 6), np.uint8)
    edit[1, 2:4, 1:5] = 1
    review = Review(
        uuid=uuid.uuid4(),
        project_id=11,
        config_version=1,
        case_id=2,
        answer="reject",
        created=datetime.now(UTC),
        masks=(pack_mask(edit).to_wire(MASK, MaskMetrics(8, 0, 0.0)),),
    )
    with sqlite3.connect(path) as db:
        db.executescript(OUTBOX_BEFORE)
        db.execute(
            "INSERT INTO reviews (uuid, server, user_id, project_id, case_id, body, saved_at,"
            " synced_at) VALUES (?, ?, ?, 11, 2, ?, '2026-01-01', '2026-01-01')",
            (str(review.uuid), ACCOUNT.server, ACCOUNT.user_id, msgspec.json.encode(review)),
        )
    db.close()
    outbox = Outbox(path)
    latest = outbox.latest_review(ACCOUNT, 11, 2)
    assert latest == review
    assert np.array_equal(unpack_mask(PackedMask.from_wire(latest.masks[0])), edit)
    assert outbox.latest_review(ACCOUNT, 11, 3) is None
    assert outbox.latest_review(Account(ACCOUNT.server, 8), 11, 2) is None  # someone else's
    outbox.close()


# -- through the app services, with a restart ----------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    folder = tmp_path_factory.mktemp("sync")
    with start(sqlite_url(folder), log_dir=folder) as running:
        yield running


class Launch:
    """One run of the app on the same folders: services, bridge-less, and the voxel server."""

    def __init__(self, tmp_path: Path) -> None:
        self.paths = AppPaths(tmp_path / "config", tmp_path / "data")
        self.voxels = VoxelStore()
        self.app = ReviewApp(
            paths=self.paths,
            voxels=self.voxels,
            mode="browser",
            sync_min_delay=0.05,
            sync_max_delay=0.2,
        )
        self.local = LocalServer(ui_dir=tmp_path, voxels=self.voxels, bridge_call=None).start()
        self.app.voxel_base, self.app.token = self.local.base_url, self.local.token
        self.headers = {"X-Naesview-Token": self.local.token}

    def fetch(self, url: str, info: VolumeInfo) -> np.ndarray:
        body = httpx.get(url, headers=self.headers).content
        return np.frombuffer(body, np.dtype(info.dtype).newbyteorder("<")).reshape(info.shape)

    def put_mask(self, info: VolumeInfo, mask: np.ndarray) -> None:
        put = httpx.put(
            f"{self.local.base_url}/masks/{info.handle}",
            content=(mask != 0).astype(np.uint8).tobytes(),
            headers=self.headers,
        )
        assert put.status_code == 204, put.text

    def close(self) -> None:
        self.local.stop()
        self.app.close()


def test_restart_shows_the_edit_and_a_changed_answer_still_carries_it(
    server: SyncServer, shared_data: Path, tmp_path: Path
) -> None:
    mini = shared_data / "mini.zip"
    owner = server.new_user("owner")
    reviewer = server.new_user("reviewer")
    with open_dataset(mini) as dataset:
        fingerprint = dataset.fingerprint
    project = owner.client.create_project(
        msgspec.structs.replace(sample_project(case_count=4, brush=True), fingerprint=fingerprint)
    )
    first = Launch(tmp_path)
    try:
        first.app.sign_in(server.base_url, reviewer.user.username, reviewer.password)
        first.app.join_project(owner.client.create_invitation(project.id).code)
        first.app.open_dataset(project.id, str(mini))
        case = first.app.load_case(0)
        info = next(v for v in case.volumes if v.name == MASK)
        assert info.original_url is None  # nothing saved yet: the project's mask
        original = first.fetch(info.url, info).copy()
        edited = paint_corner(original)
        first.put_mask(info, edited)
        first.app.submit_review(0, "reject", "leaks", [msg_ref(info)])
        assert first.app.wait_synced(20)
    finally:
        first.close()

    second = Launch(tmp_path)  # restart: nothing in memory, the outbox file remains
    try:
        second.app.open_dataset(project.id, str(mini))
        case = second.app.load_case(0)
        assert case.review is not None
        assert case.review.answer == "reject"
        info = next(v for v in case.volumes if v.name == MASK)
        shown = second.fetch(info.url, info)
        assert np.array_equal(shown != 0, edited != 0)  # the edit, not the project's mask
        assert info.original_url is not None
        assert np.array_equal(second.fetch(info.original_url, info), original)
        assert info.editable
        assert not info.streaming

        # Change the answer without touching the brush: the UI uploads what it shows.
        second.put_mask(info, shown)
        second.app.submit_review(0, "accept", "fine after all", [msg_ref(info)])
        assert second.app.wait_synced(20)
        current = [r for r in reviewer.client.list_reviews(project.id) if r.current]
        (record,) = current
        assert (record.review.answer, record.review.comment) == ("accept", "fine after all")
        (mask,) = record.review.masks
        assert np.array_equal(unpack_mask(PackedMask.from_wire(mask)), edited)
        assert mask.added == int(np.count_nonzero((edited != 0) & (original == 0)))
        assert mask.removed == int(np.count_nonzero((edited == 0) & (original != 0)))
    finally:
        second.close()


def msg_ref(info: VolumeInfo) -> MaskRef:
    return MaskRef(volume=info.name, handle=info.handle)
