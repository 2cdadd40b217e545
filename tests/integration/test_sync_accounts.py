"""Account management through the real server, on SQLite and PostgreSQL: admins disable, enable
and reset accounts, users change their own password. None of it loses or changes a review: the
stored rows and the owner's export are the same before and after."""

from __future__ import annotations

import time
from pathlib import Path

import httpx
import pytest

from naesview_app.review.outbox import Account as OutboxAccount
from naesview_app.review.outbox import Outbox, OutboxSyncer
from naesview_app.review.services import is_rejection
from naesview_app.sync import (
    BadRequest,
    Conflict,
    Forbidden,
    NotFound,
    SignedOut,
    SyncClient,
    TooManyAttempts,
)
from naesview_wire import Account
from tests.sync_server import (
    SignedInUser,
    SyncServer,
    project_with_reviewer,
    query_sql,
    sample_review,
)


def disabled(username: str) -> str:
    return f"account `{username}` is disabled; ask an admin of this server to enable it"


def stored_reviews(server: SyncServer, reviewer_id: int) -> list[tuple]:
    """The reviewer's review rows exactly as stored (content hash and server time included)."""
    return query_sql(
        server.database_url,
        "SELECT uuid, project_id, case_id, answer, comment, elapsed_ms, body_sha256, received "
        f"FROM reviews WHERE reviewer_id = {reviewer_id} ORDER BY uuid",
    )


def reviewed_project(server: SyncServer) -> tuple[SignedInUser, SignedInUser, int]:
    """An owner, a reviewer who answered three cases (one of them twice), and the project id."""
    owner, reviewer, project = project_with_reviewer(server, case_count=5)
    for case_id, answer in ((0, "accept"), (1, "reject"), (0, "reject"), (2, "accept")):
        reviewer.client.submit_review(sample_review(project.id, case_id, answer, comment="ok"))
    return owner, reviewer, project.id


def account(server: SyncServer, user_id: int) -> Account:
    return next(a for a in server.admin.list_users() if a.id == user_id)


def test_disabled_account_cannot_sign_in_nor_use_its_tokens_and_keeps_its_reviews(
    sync_server: SyncServer,
):
    owner, reviewer, project_id = reviewed_project(sync_server)
    before_rows = stored_reviews(sync_server, reviewer.user.id)
    assert len(before_rows) == 4
    before_export = owner.client.export_json(project_id)
    second = sync_server.client()
    second.sign_in(reviewer.user.username, reviewer.password)
    assert account(sync_server, reviewer.user.id).disabled_at is None

    shown = sync_server.admin.disable_user(reviewer.user.id)
    assert shown.id == reviewer.user.id
    assert shown.disabled_at is not None
    assert account(sync_server, reviewer.user.id) == shown
    # Every token issued before stops at once (401: the app keeps unsent reviews waiting for a
    # sign-in instead of dropping them as refused), with a message that says why.
    for client in (reviewer.client, second):
        with pytest.raises(SignedOut) as signed_out:
            client.me()
        assert str(signed_out.value) == disabled(reviewer.user.username)
        assert signed_out.value.status == 401
    with pytest.raises(SignedOut, match="is disabled"):
        reviewer.client.submit_review(sample_review(project_id, 3))
    # Signing in: the right password learns that the account is disabled, a wrong one nothing.
    with pytest.raises(Forbidden) as forbidden:
        sync_server.client().sign_in(reviewer.user.username, reviewer.password)
    assert str(forbidden.value) == disabled(reviewer.user.username)
    assert forbidden.value.status == 403
    with pytest.raises(SignedOut, match="wrong username or password"):
        sync_server.client().sign_in(reviewer.user.username, "not-the-password")
    # The app can still sign the dead session out (the client forgets the token).
    second.sign_out()
    assert second.token is None
    # Disabling twice changes nothing (the first time stays the time shown).
    assert sync_server.admin.disable_user(reviewer.user.id).disabled_at == shown.disabled_at

    # The reviews are untouched and still exported, by the owner who is not disabled.
    assert stored_reviews(sync_server, reviewer.user.id) == before_rows
    after_export = owner.client.export_json(project_id)
    assert after_export.reviews == before_export.reviews
    assert after_export.progress == before_export.progress
    assert {r.reviewer_username for r in after_export.reviews} == {reviewer.user.username}
    assert reviewer.user.username in owner.client.export_csv(project_id)
    assert [m.user_id for m in owner.client.list_members(project_id)] == [reviewer.user.id]

    enabled = sync_server.admin.enable_user(reviewer.user.id)
    assert enabled.disabled_at is None
    # Tokens revoked by disabling stay revoked: enabling means signing in again.
    with pytest.raises(SignedOut, match="revoked"):
        reviewer.client.me()
    reviewer.client.sign_in(reviewer.user.username, reviewer.password)
    assert reviewer.client.me().id == reviewer.user.id
    assert len(reviewer.client.list_reviews(project_id, all_revisions=True)) == 4
    reviewer.client.submit_review(sample_review(project_id, 3))
    assert set(before_rows) < set(stored_reviews(sync_server, reviewer.user.id))
    assert sync_server.admin.enable_user(reviewer.user.id).disabled_at is None  # again: no-op


def test_reviews_waiting_in_the_apps_outbox_go_out_once_the_account_is_enabled(
    tmp_path: Path, sync_server: SyncServer
):
    """The app's outbox holds a disabled reviewer's unsent answers as pending (not refused), and
    sends them after an admin enables the account and the reviewer signs in again."""
    _, reviewer, project = project_with_reviewer(sync_server, case_count=5)
    account = OutboxAccount(sync_server.base_url, reviewer.user.id)
    outbox = Outbox(tmp_path / "outbox.sqlite3")
    client = SyncClient(sync_server.base_url, token=reviewer.client.token, retries=0)
    syncer = OutboxSyncer(outbox, is_rejection, min_delay=0.05, max_delay=0.2)
    made = [sample_review(project.id, case_id) for case_id in range(3)]
    sync_server.admin.disable_user(reviewer.user.id)
    try:
        syncer.use(account, client)
        for review in made:
            outbox.add(account, review)
            syncer.notify()
        deadline = time.monotonic() + 30
        while syncer.state().online is not False and time.monotonic() < deadline:
            time.sleep(0.05)
        state = syncer.state()
        assert (state.pending, state.rejected, state.synced) == (3, 0, 0)
        assert state.last_error == disabled(reviewer.user.username)

        sync_server.admin.enable_user(reviewer.user.id)
        client.sign_in(reviewer.user.username, reviewer.password)
        syncer.use(account, client)  # what the app does after a sign-in
        deadline = time.monotonic() + 30
        while outbox.counts(account).pending and time.monotonic() < deadline:
            time.sleep(0.05)
        counts = outbox.counts(account)
        assert (counts.pending, counts.rejected, counts.synced) == (0, 0, 3)
        on_server = client.list_reviews(project.id)
        assert sorted(str(r.review.uuid) for r in on_server) == sorted(str(r.uuid) for r in made)
    finally:
        syncer.stop()
        client.close()
        outbox.close()


def test_a_disabled_owner_keeps_the_project_open_to_its_reviewers(sync_server: SyncServer):
    owner, reviewer, project_id = reviewed_project(sync_server)
    sync_server.admin.disable_user(owner.user.id)
    with pytest.raises(SignedOut, match="is disabled"):
        owner.client.export_json(project_id)
    reviewer.client.submit_review(sample_review(project_id, 4))
    assert len(reviewer.client.list_reviews(project_id)) == 4
    sync_server.admin.enable_user(owner.user.id)
    owner.client.sign_in(owner.user.username, owner.password)
    assert len(owner.client.export_json(project_id).reviews) == 5


def test_admins_cannot_disable_themselves_and_unknown_users_are_404(sync_server: SyncServer):
    me = sync_server.admin.me()
    with pytest.raises(Conflict, match="cannot disable your own account"):
        sync_server.admin.disable_user(me.id)
    assert sync_server.admin.me().id == me.id
    assert account(sync_server, me.id).disabled_at is None
    unknown = 2**31 - 1
    for call in (
        lambda: sync_server.admin.disable_user(unknown),
        lambda: sync_server.admin.enable_user(unknown),
        lambda: sync_server.admin.set_password(unknown, "long-enough-1"),
    ):
        with pytest.raises(NotFound, match=f"user {unknown} not found"):
            call()


def test_admin_resets_a_password_revoking_every_token_and_the_lock(sync_server: SyncServer):
    owner, reviewer, project_id = reviewed_project(sync_server)
    before_rows = stored_reviews(sync_server, reviewer.user.id)
    second = sync_server.client()
    second.sign_in(reviewer.user.username, reviewer.password)
    # The user forgot the password: three wrong tries lock the account.
    for _ in range(3):
        with pytest.raises(SignedOut):
            sync_server.client().sign_in(reviewer.user.username, "forgotten-password")
    with pytest.raises(TooManyAttempts):
        sync_server.client().sign_in(reviewer.user.username, reviewer.password)

    with pytest.raises(BadRequest, match="length >= 8"):
        sync_server.admin.set_password(reviewer.user.id, "short")
    sync_server.admin.set_password(reviewer.user.id, "brand-new-password")
    for client in (reviewer.client, second):
        with pytest.raises(SignedOut, match="revoked"):
            client.me()
    with pytest.raises(SignedOut, match="wrong username or password"):
        sync_server.client().sign_in(reviewer.user.username, reviewer.password)
    fresh = sync_server.client()
    fresh.sign_in(reviewer.user.username, "brand-new-password")  # not locked any more
    assert fresh.me().id == reviewer.user.id
    assert stored_reviews(sync_server, reviewer.user.id) == before_rows
    assert len(owner.client.export_json(project_id).reviews) == 4


def test_users_change_their_own_password(sync_server: SyncServer):
    owner, reviewer, project_id = reviewed_project(sync_server)
    before_rows = stored_reviews(sync_server, reviewer.user.id)
    other_session = sync_server.client()
    other_session.sign_in(reviewer.user.username, reviewer.password)

    with pytest.raises(Forbidden, match="current password is wrong"):
        reviewer.client.change_password("not-the-password", "brand-new-password")
    with pytest.raises(BadRequest, match="length >= 8"):
        reviewer.client.change_password(reviewer.password, "short")
    assert other_session.me().id == reviewer.user.id  # failed attempts sign nobody out

    reviewer.client.change_password(reviewer.password, "brand-new-password")
    assert reviewer.client.me().id == reviewer.user.id  # this session keeps working
    with pytest.raises(SignedOut, match="revoked"):
        other_session.me()
    with pytest.raises(SignedOut, match="wrong username or password"):
        sync_server.client().sign_in(reviewer.user.username, reviewer.password)
    sync_server.client().sign_in(reviewer.user.username, "brand-new-password")
    assert stored_reviews(sync_server, reviewer.user.id) == before_rows
    assert len(owner.client.export_json(project_id).reviews) == 4


def test_guessing_the_current_password_is_slowed_down_like_sign_in(sync_server: SyncServer):
    """A stolen token must not be a way to try passwords at full speed."""
    victim = sync_server.new_user("reviewer")
    for _ in range(3):
        with pytest.raises(Forbidden, match="current password is wrong"):
            victim.client.change_password("guess-number-x", "taken-over-pw")
    with pytest.raises(TooManyAttempts) as caught:
        victim.client.change_password(victim.password, "taken-over-pw")
    assert caught.value.retry_after >= 1
    with pytest.raises(TooManyAttempts):
        sync_server.client().sign_in(victim.user.username, victim.password)


def test_only_admins_manage_accounts_and_the_list_shows_who_is_disabled(sync_server: SyncServer):
    owner = sync_server.new_user("owner")
    target = sync_server.new_user("reviewer")
    for call in (
        lambda: owner.client.disable_user(target.user.id),
        lambda: owner.client.enable_user(target.user.id),
        lambda: owner.client.set_password(target.user.id, "long-enough-2"),
        lambda: owner.client.list_users(),
    ):
        with pytest.raises(Forbidden, match="only admins can"):
            call()
    assert target.client.me().id == target.user.id
    sync_server.admin.disable_user(target.user.id)
    accounts = {a.username: a for a in sync_server.admin.list_users()}
    assert accounts[target.user.username].disabled_at is not None
    assert accounts[owner.user.username].disabled_at is None
    # The raw answer carries the field (clients decode it as `Account`).
    raw = httpx.get(
        f"{sync_server.base_url}/users",
        headers={"Authorization": f"Bearer {sync_server.admin.token}"},
    ).json()
    assert {"disabled_at"} <= set(raw[0])
    assert sync_server.admin.me().role == "admin"
