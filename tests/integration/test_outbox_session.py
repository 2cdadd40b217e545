"""The review session and the app services on mini.zip, with the outbox on disk and, for the
account parts, a real sync server: loading, answers, timing, resume, missing volumes, brush
edits, the token file's permissions, sign-out, fingerprint warnings, errors as results."""

from __future__ import annotations

import dataclasses
import socket
import stat
import threading
from collections.abc import Iterator
from pathlib import Path

import httpx
import msgspec
import numpy as np
import pytest

from naesview_app.bridge import Bridge
from naesview_app.config import AppPaths
from naesview_app.datasets import open_dataset
from naesview_app.errors import ConfigError
from naesview_app.local_server import LocalServer, VoxelStore
from naesview_app.review.outbox import Account, Outbox
from naesview_app.review.services import ReviewApp
from naesview_app.review.session import ProjectRef, ReviewSession, check_dataset
from naesview_wire import CaseLabel, Layer
from tests.sync_server import SyncServer, sample_config, sample_project, sqlite_url
from tests.sync_server import start_sync_server as start

ACCOUNT = Account("http://sync.test", 5)


class Clock:
    now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def mini(shared_data: Path) -> Iterator:
    with open_dataset(shared_data / "mini.zip") as dataset:
        yield dataset


def project(dataset, **config) -> ProjectRef:
    return ProjectRef(
        project_id=3,
        config_version=2,
        config=sample_config(**config),
        fingerprint=dataset.fingerprint,
        case_count=len(dataset.cases),
    )


def test_session_loads_answers_times_and_resumes(mini, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    clock = Clock()
    saved: list[int] = []
    session = ReviewSession(
        project=project(mini),
        dataset=mini,
        account=ACCOUNT,
        outbox=outbox,
        clock=clock,
        on_saved=lambda: saved.append(1),
    )
    assert session.resume_position() == 0
    case = session.load(0)
    assert (case.case_id, case.case_name, case.total) == (0, "case1", 4)
    assert case.volumes.problems == []
    image = case.volumes.layers["image.nii.gz"]
    mask = case.volumes.layers["mask.nii.gz"]
    assert image.volume.shape == mask.volume.shape == (25, 41, 33)
    assert mask.is_mask
    assert not image.is_mask
    lo, hi = image.window[0] - image.window[1] / 2, image.window[0] + image.window[1] / 2
    assert image.volume.value_range()[0] <= lo < hi <= image.volume.value_range()[1]

    clock.now += 4.2
    with pytest.raises(ConfigError, match="not an answer of this project"):
        session.submit(0, "maybe", None)
    assert session.submit(0, "accept", "  looks fine ") == 1
    assert saved == [1]
    stored = outbox.pending(ACCOUNT)
    assert len(stored) == 1
    review = stored[0]
    assert (review.project_id, review.config_version, review.case_id) == (3, 2, 0)
    assert (review.answer, review.comment, review.elapsed_ms) == ("accept", "looks fine", 4200)
    assert session.progress().done == 1

    session.load(1)
    clock.now += 1.0
    session.set_visible(False)
    clock.now += 100.0  # hidden: does not count
    session.set_visible(True)
    clock.now += 1.0
    assert session.submit(1, "reject", "") is not None
    assert outbox.pending(ACCOUNT)[1].elapsed_ms == 2000
    assert outbox.pending(ACCOUNT)[1].comment is None
    assert session.submit(3, "reject", None) is None  # the last case: nothing next
    session.close()

    again = ReviewSession(project=project(mini), dataset=mini, account=ACCOUNT, outbox=outbox)
    assert again.resume_position() == 2  # first unanswered
    assert again.load(0, show=False).answer.answer == "accept"  # type: ignore[union-attr]
    again.close()
    outbox.close()


def test_required_comment_and_comments_off(mini, tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    required = ReviewSession(
        project=project(mini, comment="required"), dataset=mini, account=ACCOUNT, outbox=outbox
    )
    with pytest.raises(ConfigError, match="needs a comment"):
        required.submit(0, "accept", "   ")
    off = ReviewSession(
        project=project(mini, comment="off"), dataset=mini, account=ACCOUNT, outbox=outbox
    )
    off.submit(0, "accept", "ignored")
    assert outbox.pending(ACCOUNT)[0].comment is None
    required.close()
    off.close()
    outbox.close()


def test_missing_volumes_are_listed_and_do_not_block_the_case(mini, tmp_path: Path) -> None:
    ref = project(mini)
    config = msgspec.structs.replace(
        ref.config,
        viewports=msgspec.structs.replace(
            ref.config.viewports,
            viewports=(
                msgspec.structs.replace(
                    ref.config.viewports.viewports[0],
                    layers=(
                        Layer(volume="image.nii.gz"),
                        Layer(volume="sub/prediction.nii", is_mask=True),
                    ),
                ),
            ),
        ),
        label=CaseLabel(delimiter="e", parts=(1,)),
    )
    ref = dataclasses.replace(ref, config=config)
    check = check_dataset(mini, ref)
    assert check.fingerprint_matches
    assert [(m.case_id, m.case_name, m.volumes) for m in check.missing] == [
        (0, "case1", ["sub/prediction.nii"]),
        (1, "case2", ["sub/prediction.nii"]),
        (2, "case3", ["sub/prediction.nii"]),
    ]
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    session = ReviewSession(project=ref, dataset=mini, account=ACCOUNT, outbox=outbox)
    case = session.load(0)
    assert list(case.volumes.layers) == ["image.nii.gz"]
    assert case.volumes.problems == [
        "case 0 (case1): volume `sub/prediction.nii` is missing from the dataset"
    ]
    assert case.label_parts == ["1"]
    full = session.load(3)
    assert full.case_name == "case10"
    assert set(full.volumes.layers) == {"image.nii.gz", "sub/prediction.nii"}
    session.close()
    outbox.close()


def test_shuffled_order_is_per_reviewer(mini, tmp_path: Path) -> None:
    ref = project(mini)
    ref = dataclasses.replace(ref, config=msgspec.structs.replace(ref.config, order="shuffle"))
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    orders = set()
    for user_id in range(1, 9):
        s = ReviewSession(project=ref, dataset=mini, account=Account("s", user_id), outbox=outbox)
        assert sorted(s.order) == [0, 1, 2, 3]
        orders.add(tuple(s.order))
        s.close()
    assert len(orders) > 1
    outbox.close()


# -- the app services with a real sync server ------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    folder = tmp_path_factory.mktemp("sync")
    with start(sqlite_url(folder), log_dir=folder) as running:
        yield running


@pytest.fixture
def app(tmp_path: Path) -> Iterator[tuple[Bridge, ReviewApp, LocalServer, AppPaths]]:
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    voxels = VoxelStore()
    review_app = ReviewApp(
        paths=paths, voxels=voxels, mode="browser", sync_min_delay=0.05, sync_max_delay=0.2
    )
    bridge = Bridge(review_app)
    local = LocalServer(ui_dir=tmp_path, voxels=voxels, bridge_call=bridge._call).start()
    review_app.voxel_base, review_app.token = local.base_url, local.token
    try:
        yield bridge, review_app, local, paths
    finally:
        local.stop()
        review_app.close()


def test_sign_in_keeps_an_owner_only_token_and_sign_out_removes_it(
    app, server: SyncServer, shared_data: Path
) -> None:
    bridge, _, _, paths = app
    reviewer = server.new_user("reviewer")
    assert bridge.list_projects()["error"]["code"] == "signed_out"
    wrong = bridge.sign_in(
        {"server": server.base_url, "username": reviewer.user.username, "password": "wrong-pw"}
    )
    assert wrong["error"]["code"] == "signed_out"
    assert not paths.session_file.exists()
    signed = bridge.sign_in(
        {
            "server": server.base_url,
            "username": reviewer.user.username,
            "password": reviewer.password,
        }
    )
    assert signed["username"] == reviewer.user.username
    mode = stat.S_IMODE(paths.session_file.stat().st_mode)
    assert mode == 0o600
    assert reviewer.password not in paths.session_file.read_text()
    assert bridge.app_info()["signed_in"]["server"] == server.base_url

    # A new launch on the same folders is still signed in.
    relaunched = ReviewApp(paths=paths, voxels=VoxelStore(), mode="browser")
    assert relaunched.app_info().signed_in is not None
    relaunched.close()

    token = msgspec.json.decode(paths.session_file.read_bytes())["token"]
    assert bridge.sign_out() == {}
    assert not paths.session_file.exists()
    assert bridge.app_info()["signed_in"] is None
    assert bridge.list_projects()["error"]["code"] == "signed_out"
    revoked = httpx.get(f"{server.base_url}/auth/me", headers={"Authorization": f"Bearer {token}"})
    assert revoked.status_code == 401  # the token was revoked on the server too


def test_join_open_warn_on_fingerprint_and_review_with_an_edited_mask(
    app, server: SyncServer, shared_data: Path
) -> None:
    bridge, review_app, local, _ = app
    mini = shared_data / "mini.zip"
    owner = server.new_user("owner")
    reviewer = server.new_user("reviewer")
    with open_dataset(mini) as dataset:
        fingerprint = dataset.fingerprint
    good = owner.client.create_project(
        msgspec.structs.replace(sample_project(case_count=4, brush=True), fingerprint=fingerprint)
    )
    other = owner.client.create_project(sample_project(case_count=4))  # another fingerprint
    bridge.sign_in(
        {
            "server": server.base_url,
            "username": reviewer.user.username,
            "password": reviewer.password,
        }
    )
    for project in (good, other):
        joined = bridge.join_project({"code": owner.client.create_invitation(project.id).code})
        assert joined["project_id"] == project.id
    assert bridge.join_project({"code": "no-such-code-123"})["error"]["code"] == "not_found"
    listed = {p["id"]: p for p in bridge.list_projects()["projects"]}
    assert set(listed) == {good.id, other.id}

    mismatch = bridge.open_dataset({"project_id": other.id, "path": str(mini)})
    assert mismatch["fingerprint_matches"] is False
    missing_file = bridge.open_dataset({"project_id": good.id, "path": str(mini) + ".nope"})
    assert missing_file["error"]["code"] == "dataset"

    opened = bridge.open_project({"project_id": good.id})
    assert opened["config"]["brush"]["volume"] == "mask.nii.gz"
    assert opened["dataset_path"] is None
    ds = bridge.open_dataset({"project_id": good.id, "path": str(mini)})
    assert ds["fingerprint_matches"] is True
    assert bridge.open_project({"project_id": good.id})["dataset_path"] == str(mini.resolve())

    case = bridge.load_case({"index": ds["resume_index"]})
    mask_info = next(v for v in case["volumes"] if v["name"] == "mask.nii.gz")
    assert mask_info["editable"] is True
    headers = {"X-Naesview-Token": local.token}
    original = np.frombuffer(httpx.get(mask_info["url"], headers=headers).content, np.uint8)
    edited = original.reshape(mask_info["shape"]).copy()
    edited[0, :5, :5] = 1  # paint a corner
    added = int(np.count_nonzero(edited)) - int(np.count_nonzero(original))
    put = httpx.put(
        f"{local.base_url}/masks/{mask_info['handle']}", content=edited.tobytes(), headers=headers
    )
    assert put.status_code == 204
    submitted = bridge.submit_review(
        {
            "index": 0,
            "answer": "reject",
            "comment": "leaks",
            "masks": [{"volume": "mask.nii.gz", "handle": mask_info["handle"]}],
        }
    )
    assert submitted["saved"] is True
    assert submitted["next_index"] == 1
    assert review_app.wait_synced(20)
    records = reviewer.client.list_reviews(good.id)
    assert len(records) == 1
    sent = records[0].review
    assert (sent.case_id, sent.answer, sent.comment) == (0, "reject", "leaks")
    assert len(sent.masks) == 1
    assert sent.masks[0].added == added
    assert sent.masks[0].removed == 0
    assert bridge.sync_status()["label"] == "synced"
    # Re-sending the same handle fails clearly: the edit was taken with the first submit.
    again = bridge.submit_review(
        {
            "index": 0,
            "answer": "reject",
            "masks": [{"volume": "mask.nii.gz", "handle": mask_info["handle"]}],
        }
    )
    assert "edit it again" in again["error"]["message"]


class RecordingProxy:
    """A TCP relay between the app and the real sync server that keeps what the app sends."""

    def __init__(self, target_port: int) -> None:
        self.sent = bytearray()
        self._lock = threading.Lock()
        self._listener = socket.socket()
        self._listener.bind(("127.0.0.1", 0))
        self._listener.listen(16)
        self.port = self._listener.getsockname()[1]
        self._target = target_port
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except OSError:
                return
            upstream = socket.create_connection(("127.0.0.1", self._target))
            threading.Thread(target=self._pipe, args=(client, upstream, True), daemon=True).start()
            threading.Thread(target=self._pipe, args=(upstream, client, False), daemon=True).start()

    def _pipe(self, source: socket.socket, sink: socket.socket, record: bool) -> None:
        try:
            while chunk := source.recv(65536):
                if record:
                    with self._lock:
                        self.sent += chunk
                sink.sendall(chunk)
        except OSError:
            pass
        finally:
            source.close()
            sink.close()

    def close(self) -> None:
        self._listener.close()


def test_no_dataset_name_path_or_pixel_goes_to_the_server(
    server: SyncServer, shared_data: Path, tmp_path: Path
) -> None:
    mini = shared_data / "mini.zip"
    owner = server.new_user("owner")
    reviewer = server.new_user("reviewer")
    with open_dataset(mini) as dataset:
        fingerprint = dataset.fingerprint
        case_names = [case.name for case in dataset.cases]
    project = owner.client.create_project(
        msgspec.structs.replace(sample_project(case_count=4), fingerprint=fingerprint)
    )
    code = owner.client.create_invitation(project.id).code
    proxy = RecordingProxy(int(server.base_url.rsplit(":", 1)[1]))
    paths = AppPaths(tmp_path / "config", tmp_path / "data")
    review_app = ReviewApp(paths=paths, voxels=VoxelStore(), mode="browser", sync_min_delay=0.05)
    bridge = Bridge(review_app)
    try:
        via_proxy = f"http://127.0.0.1:{proxy.port}"
        assert "error" not in bridge.sign_in(
            {"server": via_proxy, "username": reviewer.user.username, "password": reviewer.password}
        )
        assert "error" not in bridge.join_project({"code": code})
        assert "error" not in bridge.list_projects()
        opened = bridge.open_dataset({"project_id": project.id, "path": str(mini)})
        assert opened["fingerprint_matches"] is True
        for index in range(4):
            assert bridge.load_case({"index": index})["case_name"] == case_names[index]
            assert bridge.submit_review({"index": index, "answer": "accept", "comment": "ok"})[
                "saved"
            ]
        assert review_app.wait_synced(30)
        assert len(reviewer.client.list_reviews(project.id)) == 4
    finally:
        review_app.close()
        proxy.close()
    sent = bytes(proxy.sent)
    assert b"PUT /reviews/" in sent  # the recording saw the reviews go out
    for secret in [*case_names, "mini.zip", str(mini), str(shared_data), "image.nii.gz"]:
        assert secret.encode() not in sent, f"{secret!r} was sent to the sync server"
    assert len(sent) < 40_000  # requests only: no voxel ever travels (one slice is 2.6 kB+)
