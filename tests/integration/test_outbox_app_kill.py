"""The whole app, killed: `naesview app --browser` answers a burst of 100 cases through its HTTP
bridge, gets SIGKILLed mid-burst, restarts on the same folders, and every acknowledged answer
reaches the real sync server exactly once; the restarted app resumes at the next case."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from naesview_app.datasets import open_dataset
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
from tests.sync_server import SyncServer

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
