"""The outbox on a real SQLite file and a real sync server (SQLite and PostgreSQL):
durable before `add` returns (a child process is SIGKILLed mid-burst), synced in the background,
replays never duplicate, and pending reviews arrive once the server comes back."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import httpx

from naesview_app.review.outbox import Account, Outbox, OutboxSyncer
from naesview_app.review.services import is_rejection
from naesview_app.sync import SyncClient
from naesview_wire import Review
from tests.sync_server import (
    ROOT,
    SyncServer,
    project_with_reviewer,
    sample_review,
    start_sync_server,
)

ACCOUNT = Account("http://sync.test", 7)


def review(case_id: int, answer: str = "accept", project_id: int = 1) -> Review:
    return Review(
        uuid=uuid.uuid4(),
        project_id=project_id,
        config_version=1,
        case_id=case_id,
        answer=answer,
        created=datetime.now(UTC),
    )


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def test_outbox_keeps_reviews_per_account_and_latest_answer(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    first, second = review(3, "accept"), review(3, "reject")
    other = Account("http://sync.test", 8)
    outbox.add(ACCOUNT, first)
    outbox.add(ACCOUNT, second)
    outbox.add(ACCOUNT, first)  # the same uuid again: stored once
    outbox.add(other, review(3, "accept"))
    assert [r.uuid for r in outbox.pending(ACCOUNT)] == [first.uuid, second.uuid]
    assert outbox.latest_answers(ACCOUNT, 1)[3].answer == "reject"
    outbox.mark_synced(first)
    outbox.mark_failed(second, "answer not allowed", rejected=True)
    counts = outbox.counts(ACCOUNT)
    assert (counts.pending, counts.synced, counts.rejected) == (0, 1, 1)
    assert outbox.counts(other).pending == 1
    outbox.close()
    with sqlite3.connect(tmp_path / "outbox.sqlite3") as db:
        assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    reopened = Outbox(tmp_path / "outbox.sqlite3")
    assert reopened.counts(ACCOUNT).synced == 1
    reopened.close()


BURST = """
import sys, uuid
from datetime import UTC, datetime
from pathlib import Path
from naesview_app.review.outbox import Account, Outbox
from naesview_wire import Review

outbox = Outbox(Path(sys.argv[1]))
account = Account(sys.argv[2], int(sys.argv[3]))
for case_id in range(100):
    review = Review(uuid=uuid.uuid4(), project_id=int(sys.argv[4]), config_version=1,
                    case_id=case_id, answer="accept", created=datetime.now(UTC))
    outbox.add(account, review)
    print(review.uuid, flush=True)  # acknowledged: add() has returned
"""


def test_sigkill_mid_burst_loses_no_acknowledged_review_and_replays_once(
    tmp_path: Path, sync_server: SyncServer
) -> None:
    _, reviewer, project = project_with_reviewer(sync_server, case_count=100)
    path = tmp_path / "outbox.sqlite3"
    account = Account(sync_server.base_url, reviewer.user.id)
    child = subprocess.Popen(
        [
            sys.executable,
            "-c",
            BURST,
            str(path),
            account.server,
            str(account.user_id),
            str(project.id),
        ],
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    acknowledged: list[str] = []
    assert child.stdout is not None
    try:
        for line in child.stdout:
            acknowledged.append(line.strip())
            if len(acknowledged) == 37:
                child.send_signal(signal.SIGKILL)  # mid-burst, no chance to clean up
                break
    finally:
        child.kill()
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL

    outbox = Outbox(path)  # "restart": a new process opens the same file
    stored = {str(r.uuid) for r in outbox.pending(account, limit=1000)}
    assert set(acknowledged) <= stored
    assert len(stored) < 100  # it really was killed mid-burst

    client = SyncClient(sync_server.base_url, token=reviewer.client.token, retries=0)
    syncer = OutboxSyncer(outbox, is_rejection, min_delay=0.05, max_delay=0.2)
    try:
        syncer.use(account, client)
        wait_for(lambda: outbox.counts(account).pending == 0, 60, "the outbox to drain")
        on_server = reviewer.client.list_reviews(project.id, all_revisions=True)
        assert sorted(str(r.review.uuid) for r in on_server) == sorted(stored)

        # A crash between "sent" and "marked synced": everything goes again, nothing doubles.
        outbox._db.execute("UPDATE reviews SET synced_at = NULL")
        syncer.notify()
        wait_for(lambda: outbox.counts(account).pending == 0, 60, "the replay")
        replayed = reviewer.client.list_reviews(project.id, all_revisions=True)
        assert len(replayed) == len(stored)
        assert all(r.revision == 1 for r in replayed)
        state = syncer.state()
        assert (state.pending, state.synced, state.online) == (0, len(stored), True)
    finally:
        syncer.stop()
        client.close()
        outbox.close()


def test_refused_review_is_kept_and_not_retried(tmp_path: Path, sync_server: SyncServer) -> None:
    _, reviewer, project = project_with_reviewer(sync_server, case_count=5)
    account = Account(sync_server.base_url, reviewer.user.id)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    good = sample_review(project.id, 1)
    bad = sample_review(project.id, 2, answer="no-such-answer")
    outbox.add(account, bad)
    outbox.add(account, good)
    client = SyncClient(sync_server.base_url, token=reviewer.client.token, retries=0)
    syncer = OutboxSyncer(outbox, is_rejection, min_delay=0.05, max_delay=0.2)
    try:
        syncer.use(account, client)
        wait_for(lambda: outbox.counts(account).synced == 1, 30, "the good review")
        counts = outbox.counts(account)
        assert (counts.pending, counts.rejected) == (0, 1)
        assert [r.review.uuid for r in reviewer.client.list_reviews(project.id)] == [good.uuid]
    finally:
        syncer.stop()
        client.close()
        outbox.close()


def test_reviews_made_while_the_server_is_down_arrive_when_it_is_back(
    tmp_path: Path, fresh_database_url: str
) -> None:
    with start_sync_server(fresh_database_url, log_dir=tmp_path) as server:
        _, reviewer, project = project_with_reviewer(server, case_count=10)
        token = reviewer.client.token
        port = int(server.base_url.rsplit(":", 1)[1])
        account = Account(server.base_url, reviewer.user.id)
    # The server is stopped now.
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    client = SyncClient(account.server, token=token, retries=0, timeout=2)
    syncer = OutboxSyncer(outbox, is_rejection, min_delay=0.05, max_delay=0.3)
    revived: subprocess.Popen | None = None
    try:
        syncer.use(account, client)
        made = [sample_review(project.id, case_id) for case_id in range(3)]
        for r in made:
            outbox.add(account, r)
            syncer.notify()
        wait_for(lambda: syncer.state().online is False, 20, "a failed attempt")
        state = syncer.state()
        assert state.pending == 3
        assert state.last_error
        revived = subprocess.Popen(
            [sys.executable, "-m", "sync_api.cli", "serve", "--port", str(port)],
            env={**os.environ, "NAESVIEW_DATABASE_URL": fresh_database_url},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            cwd=ROOT,
            start_new_session=True,
        )
        wait_for(lambda: _healthy(account.server), 30, "the server to come back")
        wait_for(lambda: outbox.counts(account).pending == 0, 30, "the outbox to drain")
        with SyncClient(account.server, token=token) as check:
            on_server = check.list_reviews(project.id)
        assert sorted(str(r.review.uuid) for r in on_server) == sorted(str(r.uuid) for r in made)
        assert syncer.state().online is True
    finally:
        syncer.stop()
        client.close()
        outbox.close()
        if revived is not None:
            os.killpg(revived.pid, signal.SIGTERM)
            revived.wait(timeout=15)


def _healthy(base_url: str) -> bool:
    try:
        return httpx.get(f"{base_url}/healthz", timeout=1).status_code == 200
    except httpx.TransportError:
        return False


def test_closing_the_app_during_a_slow_send_leaves_no_thread_crash(tmp_path: Path) -> None:
    import threading

    outbox = Outbox(tmp_path / "outbox.sqlite3")
    outbox.add(ACCOUNT, review(1))
    entered, release = threading.Event(), threading.Event()

    class SlowServer:
        def submit_review(self, r: Review) -> None:
            entered.set()
            release.wait(10)

    crashes: list[BaseException] = []
    previous = threading.excepthook
    threading.excepthook = lambda args: crashes.append(args.exc_value)  # type: ignore[assignment]
    try:
        syncer = OutboxSyncer(outbox, lambda exc: False)
        syncer.use(ACCOUNT, SlowServer())
        assert entered.wait(10)
        syncer.stop(timeout=0.1)  # the send is still under way
        outbox.close()  # as ReviewApp.close does next
        release.set()
        syncer._thread.join(10)
        assert not syncer._thread.is_alive()
        assert crashes == []
    finally:
        threading.excepthook = previous
