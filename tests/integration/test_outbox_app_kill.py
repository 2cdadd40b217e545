"""The whole app, killed: `naesview app --browser` answers a burst of 100 cases through its HTTP
bridge, gets SIGKILLed mid-burst, restarts on the same folders, and every acknowledged answer
reaches the real sync server exactly once; the restarted app resumes at the next case."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import msgspec

from naesview_app.datasets import open_dataset
from naesview_app.sync import SyncClient
from naesview_wire import (
    AnswerOption,
    Layer,
    ProjectConfig,
    ProjectCreate,
    ProjectPublic,
    Viewport,
    ViewportGrid,
)
from tests.e2e.conftest import start_browser_app
from tests.sync_server import (
    ROOT,
    SyncServer,
    project_with_reviewer,
    sample_project,
    sqlite_url,
    start_sync_server,
)

BURST = 100


def test_sigkill_during_a_burst_of_100_answers_loses_none(
    tmp_path: Path, sync_server: SyncServer, shared_data: Path
) -> None:
    dataset = shared_data / "tiny_ct_many.zip"
    with open_dataset(dataset) as ds:
        fingerprint, cases = ds.fingerprint, len(ds.cases)
    owner = sync_server.new_user("owner")
    project = owner.client.create_project(
        ProjectCreate(
            public=ProjectPublic(title="Tiny CTs"),
            config=ProjectConfig(
                viewports=ViewportGrid(viewports=(Viewport(layers=(Layer(volume="ct.nii.gz"),)),)),
                answers=(
                    AnswerOption(value="ok", label="OK", key=1),
                    AnswerOption(value="bad", label="Bad", key=2),
                ),
            ),
            fingerprint=fingerprint,
            case_count=cases,
            status="open",
        )
    )
    reviewer = sync_server.new_user("reviewer")
    reviewer.client.accept_invitation(owner.client.create_invitation(project.id).code)

    with start_browser_app(tmp_path / "home") as app:
        signed = app.call(
            "sign_in",
            {
                "server": sync_server.base_url,
                "username": reviewer.user.username,
                "password": reviewer.password,
            },
        )
        assert signed["username"] == reviewer.user.username
        opened = app.call("open_dataset", {"project_id": project.id, "path": str(dataset)})
        assert opened["fingerprint_matches"] is True
        assert opened["resume_index"] == 0

        acknowledged: list[int] = []
        errors: list[BaseException] = []

        def burst() -> None:
            for index in range(BURST):
                try:
                    result = app.call("submit_review", {"index": index, "answer": "ok"})
                except BaseException as exc:  # the app was killed under this request
                    errors.append(exc)
                    return
                assert result["saved"] is True, result
                acknowledged.append(index)

        sender = threading.Thread(target=burst)
        sender.start()
        deadline = time.monotonic() + 60
        while len(acknowledged) < 40 and time.monotonic() < deadline and sender.is_alive():
            time.sleep(0.005)
        app.kill()
        sender.join(30)
        assert errors, "the app was killed after the burst had finished; kill earlier"
        assert 40 <= len(acknowledged) < BURST

        app.restart()  # same config and data folders: still signed in, same outbox
        deadline = time.monotonic() + 60
        while app.call("sync_status")["pending"] and time.monotonic() < deadline:
            time.sleep(0.1)
        status = app.call("sync_status")
        assert status["pending"] == 0
        assert status["label"] == "synced"

        on_server = reviewer.client.list_reviews(project.id, all_revisions=True)
        case_ids = [r.review.case_id for r in on_server]
        assert len(case_ids) == len(set(case_ids))  # nothing twice
        assert set(acknowledged) <= set(case_ids)  # nothing acknowledged is lost
        assert status["synced"] == len(case_ids)

        reopened = app.call("open_dataset", {"project_id": project.id, "path": str(dataset)})
        assert reopened["resume_index"] == len(case_ids)  # answered in order: next one
        assert reopened["progress"]["done"] == len(case_ids)


def test_answers_given_while_the_server_is_down_arrive_when_it_is_back(
    tmp_path: Path, shared_data: Path
) -> None:
    """The real app, the real server stopped and started again on the same address."""
    mini = shared_data / "mini.zip"
    with open_dataset(mini) as ds:
        fingerprint = ds.fingerprint
    database = sqlite_url(tmp_path)
    with start_sync_server(database, log_dir=tmp_path) as server:
        owner, reviewer, _ = project_with_reviewer(server)
        project = owner.client.create_project(
            msgspec.structs.replace(sample_project(case_count=4), fingerprint=fingerprint)
        )
        reviewer.client.accept_invitation(owner.client.create_invitation(project.id).code)
        base_url = server.base_url
        with start_browser_app(tmp_path / "home") as app:
            app.call(
                "sign_in",
                {
                    "server": base_url,
                    "username": reviewer.user.username,
                    "password": reviewer.password,
                },
            )
            assert app.call("open_dataset", {"project_id": project.id, "path": str(mini)})[
                "fingerprint_matches"
            ]
            server.stop()  # the network is gone
            app.call("load_case", {"index": 0})
            submitted = app.call("submit_review", {"index": 0, "answer": "reject"})
            assert submitted["saved"] is True  # saved locally all the same
            assert submitted["next_index"] == 1
            deadline = time.monotonic() + 30
            while app.call("sync_status")["online"] is not False and time.monotonic() < deadline:
                time.sleep(0.1)
            status = app.call("sync_status")
            assert status["pending"] == 1
            assert status["label"] == "saved locally · 1 waiting"
            assert status["last_error"]

            port = base_url.rsplit(":", 1)[1]
            revived = subprocess.Popen(
                [sys.executable, "-m", "sync_api.cli", "serve", "--port", port],
                env={**os.environ, "NAESVIEW_DATABASE_URL": database},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=ROOT,
                start_new_session=True,
            )
            try:
                deadline = time.monotonic() + 60  # the app retries with backoff (<= 30 s)
                while app.call("sync_status")["pending"] and time.monotonic() < deadline:
                    time.sleep(0.2)
                assert app.call("sync_status")["label"] == "synced"
                with httpx.Client() as check:
                    assert check.get(f"{base_url}/healthz").status_code == 200
                with SyncClient(base_url, token=reviewer.client.token) as client:
                    records = client.list_reviews(project.id)
                assert [(r.review.case_id, r.review.answer) for r in records] == [(0, "reject")]
            finally:
                os.killpg(revived.pid, signal.SIGTERM)
                revived.wait(timeout=15)
