"""The local outbox: every answer is committed to SQLite before the view moves on, then synced.

One file in the user's data folder, WAL mode, `synchronous=FULL`: once `add` returns, the review
survives the app being killed or the machine losing power. A background `OutboxSyncer` sends
pending reviews with `SyncClient.submit_review` (PUT by client uuid, so a replay after a crash
between "sent" and "marked synced" changes nothing on the server), retrying with backoff.
Rows are per server and user: signing in as someone else never sends another person's answers.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import msgspec

from naesview_wire import Review

log = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS reviews (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    uuid       TEXT NOT NULL UNIQUE,
    server     TEXT NOT NULL,
    user_id    INTEGER NOT NULL,
    project_id INTEGER NOT NULL,
    case_id    INTEGER NOT NULL,
    body       BLOB NOT NULL,
    saved_at   TEXT NOT NULL,
    synced_at  TEXT,
    attempts   INTEGER NOT NULL DEFAULT 0,
    rejected   TEXT,
    last_error TEXT
);
CREATE INDEX IF NOT EXISTS reviews_pending ON reviews (server, user_id, synced_at, rejected);
CREATE INDEX IF NOT EXISTS reviews_case ON reviews (server, user_id, project_id, case_id);
"""


@dataclass(frozen=True, slots=True)
class Account:
    """Whose reviews: one user on one sync server."""

    server: str
    user_id: int


@dataclass(frozen=True, slots=True)
class OutboxCounts:
    pending: int
    synced: int
    rejected: int


@dataclass(frozen=True, slots=True)
class Answer:
    """The latest answer of a case as the outbox knows it."""

    answer: str
    comment: str | None
    synced: bool


class Outbox:
    """Thread-safe SQLite store of submitted reviews."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self.path = path
        self._lock = threading.Lock()
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=10)
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.execute("PRAGMA synchronous=FULL")
        self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def add(self, account: Account, review: Review) -> None:
        """Store `review`; it is on disk (committed) when this returns."""
        body = msgspec.json.encode(review)
        with self._lock:
            self._db.execute(
                "INSERT OR IGNORE INTO reviews (uuid, server, user_id, project_id, case_id, body,"
                " saved_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    str(review.uuid),
                    account.server,
                    account.user_id,
                    review.project_id,
                    review.case_id,
                    body,
                    _now(),
                ),
            )

    def pending(self, account: Account, limit: int = 100) -> list[Review]:
        with self._lock:
            rows = self._db.execute(
                "SELECT body FROM reviews WHERE server = ? AND user_id = ? AND synced_at IS NULL"
                " AND rejected IS NULL ORDER BY seq LIMIT ?",
                (account.server, account.user_id, limit),
            ).fetchall()
        return [msgspec.json.decode(body, type=Review) for (body,) in rows]

    def mark_synced(self, review: Review) -> None:
        with self._lock:
            self._db.execute(
                "UPDATE reviews SET synced_at = ?, last_error = NULL, attempts = attempts + 1"
                " WHERE uuid = ?",
                (_now(), str(review.uuid)),
            )

    def mark_failed(self, review: Review, error: str, *, rejected: bool) -> None:
        """Record a failed send; a rejected review (the server refused it) is not retried."""
        with self._lock:
            self._db.execute(
                "UPDATE reviews SET attempts = attempts + 1, last_error = ?, rejected = ?"
                " WHERE uuid = ?",
                (error, error if rejected else None, str(review.uuid)),
            )

    def counts(self, account: Account) -> OutboxCounts:
        with self._lock:
            pending, synced, rejected = self._db.execute(
                "SELECT COALESCE(SUM(synced_at IS NULL AND rejected IS NULL), 0),"
                " COALESCE(SUM(synced_at IS NOT NULL), 0), COALESCE(SUM(rejected IS NOT NULL), 0)"
                " FROM reviews WHERE server = ? AND user_id = ?",
                (account.server, account.user_id),
            ).fetchone()
        return OutboxCounts(int(pending), int(synced), int(rejected))

    def latest_answers(self, account: Account, project_id: int) -> dict[int, Answer]:
        """The last answer saved for each case of a project (later saves win)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT case_id, body, synced_at FROM reviews WHERE server = ? AND user_id = ?"
                " AND project_id = ? ORDER BY seq",
                (account.server, account.user_id, project_id),
            ).fetchall()
        answers: dict[int, Answer] = {}
        for case_id, body, synced_at in rows:
            review = msgspec.json.decode(body, type=Review)
            answers[int(case_id)] = Answer(review.answer, review.comment, synced_at is not None)
        return answers

    def latest_review(self, account: Account, project_id: int, case_id: int) -> Review | None:
        """The last review saved for one case, with its edited masks (kept after it is synced:
        the outbox is the reviewer's local record, nothing is ever deleted from it)."""
        with self._lock:
            row = self._db.execute(
                "SELECT body FROM reviews WHERE server = ? AND user_id = ? AND project_id = ?"
                " AND case_id = ? ORDER BY seq DESC LIMIT 1",
                (account.server, account.user_id, project_id, case_id),
            ).fetchone()
        return None if row is None else msgspec.json.decode(row[0], type=Review)


class ReviewSender(Protocol):
    def submit_review(self, review: Review) -> object: ...


@dataclass(frozen=True, slots=True)
class SyncState:
    pending: int
    synced: int
    rejected: int
    last_error: str | None
    online: bool | None
    """True after a successful send, False after a failed one, None before any attempt."""


IsRejection = Callable[[BaseException], bool]


class OutboxSyncer:
    """Background thread sending an account's pending reviews, with retries and backoff.

    `is_rejection(exc)` tells a refusal by the server (kept, not retried, shown to the user)
    from a transient failure (network, server down: retried after 0.5 s, 1 s, 2 s … up to
    `max_delay`). `notify` wakes it right away (after each submit and on sign-in).
    """

    def __init__(
        self,
        outbox: Outbox,
        is_rejection: IsRejection,
        *,
        min_delay: float = 0.5,
        max_delay: float = 30.0,
    ) -> None:
        self._outbox = outbox
        self._is_rejection = is_rejection
        self._min_delay = min_delay
        self._max_delay = max_delay
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._idle = threading.Event()
        self._lock = threading.Lock()
        self._account: Account | None = None
        self._sender: ReviewSender | None = None
        self._last_error: str | None = None
        self._online: bool | None = None
        self._thread = threading.Thread(target=self._loop, name="naesview-sync", daemon=True)
        self._thread.start()

    def use(self, account: Account | None, sender: ReviewSender | None) -> None:
        """Send for this account through this client from now on (None: signed out, hold)."""
        with self._lock:
            self._account, self._sender = account, sender
            self._last_error, self._online = None, None
        self.notify()

    def notify(self) -> None:
        self._idle.clear()
        self._wake.set()

    def state(self) -> SyncState:
        with self._lock:
            account, last_error, online = self._account, self._last_error, self._online
        counts = self._outbox.counts(account) if account else OutboxCounts(0, 0, 0)
        return SyncState(counts.pending, counts.synced, counts.rejected, last_error, online)

    def wait_idle(self, timeout: float) -> bool:
        """Wait until a pass found nothing left to send (for tests and a clean exit)."""
        return self._idle.wait(timeout)

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout)

    def _loop(self) -> None:
        delay = self._min_delay
        while not self._stop.is_set():
            self._wake.clear()  # before the pass: a submit during it triggers another pass
            try:
                done = self._send_pending()
            except Exception as exc:  # e.g. the outbox closed under a slow send at exit
                if self._stop.is_set():
                    return
                log.exception("outbox sync pass failed")
                self._set(f"local outbox: {exc}", online=False)
                done = False
            if done:
                delay = self._min_delay
                if not self._wake.is_set():
                    self._idle.set()
                self._wake.wait()  # nothing to do until someone submits or signs in
            else:
                self._wake.wait(delay)
                delay = min(delay * 2, self._max_delay)

    def _send_pending(self) -> bool:
        """One pass; True when nothing is left to send (or nobody to send as)."""
        with self._lock:
            account, sender = self._account, self._sender
        if account is None or sender is None:
            return True
        while not self._stop.is_set():
            batch = self._outbox.pending(account, limit=50)
            if not batch:
                return True
            for review in batch:
                try:
                    sender.submit_review(review)
                except Exception as exc:
                    message = str(exc) or type(exc).__name__
                    if self._is_rejection(exc):
                        self._outbox.mark_failed(review, message, rejected=True)
                        continue
                    self._outbox.mark_failed(review, message, rejected=False)
                    self._set(message, online=False)
                    return False
                self._outbox.mark_synced(review)
                self._set(None, online=True)
        return False

    def _set(self, last_error: str | None, *, online: bool) -> None:
        with self._lock:
            self._last_error, self._online = last_error, online


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds")
