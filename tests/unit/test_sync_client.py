"""SyncClient offline, on httpx.MockTransport: errors, retries, tokens, decoding."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from datetime import UTC, datetime

import httpx
import msgspec
import pytest

from naesview_app.errors import SyncError
from naesview_app.sync import (
    BadRequest,
    BadResponse,
    Conflict,
    Forbidden,
    Gone,
    NotFound,
    ServerError,
    ServerUnreachable,
    SignedOut,
    SyncClient,
    TooManyAttempts,
)
from naesview_wire import Review

USER = {"id": 1, "username": "ann", "display_name": "Ann", "role": "reviewer",
        "created": "2026-01-01T00:00:00Z"}  # fmt: skip


def client_for(handler, **options) -> tuple[SyncClient, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def record(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return handler(request)

    options.setdefault("backoff", 0)
    client = SyncClient("http://sync.test/", transport=httpx.MockTransport(record), **options)
    return client, seen


def review() -> Review:
    return Review(
        uuid=uuid.uuid4(),
        project_id=1,
        config_version=1,
        case_id=0,
        answer="yes",
        created=datetime(2026, 1, 1, tzinfo=UTC),
    )


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, BadRequest),
        (401, SignedOut),
        (403, Forbidden),
        (404, NotFound),
        (409, Conflict),
        (410, Gone),
        (413, BadRequest),
        (500, ServerError),
    ],
)
def test_statuses_become_errors_with_the_servers_message(status, error):
    detail = f"project 3: something precise ({status})"
    client, _ = client_for(lambda r: httpx.Response(status, json={"detail": detail}))
    with pytest.raises(error) as caught:
        client.get_project(3)
    assert isinstance(caught.value, SyncError)
    assert detail in caught.value.message
    assert caught.value.status == status


def test_sign_in_keeps_the_token_and_sends_it_until_sign_out():
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/auth/sign-in":
            assert json.loads(request.content) == {"username": "ann", "password": "secret-pw"}
            body = {"token": "t0k", "expires": "2026-02-01T00:00:00Z", "user": USER}
            return httpx.Response(200, json=body)
        if request.url.path == "/auth/me":
            return httpx.Response(200, json=USER)
        return httpx.Response(204)

    client, seen = client_for(handler)
    assert client.sign_in("ann", "secret-pw").user.username == "ann"
    assert client.me().display_name == "Ann"
    assert seen[1].headers["Authorization"] == "Bearer t0k"
    client.sign_out()
    assert seen[2].url.path == "/auth/sign-out"
    assert seen[2].headers["Authorization"] == "Bearer t0k"
    assert client.token is None


def test_idempotent_calls_are_retried_and_posts_are_not():
    failures = {"count": 0}

    def flaky(request: httpx.Request) -> httpx.Response:
        failures["count"] += 1
        if failures["count"] <= 2:
            raise httpx.ConnectError("connection refused", request=request)
        return (
            httpx.Response(503, json={"detail": "restarting"})
            if failures["count"] == 3
            else (httpx.Response(200, json=[]))
        )

    client, seen = client_for(flaky, retries=3)
    assert client.list_projects() == []
    assert len(seen) == 4

    client, seen = client_for(lambda r: (_ for _ in ()).throw(httpx.ConnectError("no", request=r)))
    with pytest.raises(ServerUnreachable, match=r"sync server http://sync\.test unreachable"):
        client.create_invitation(5)
    assert len(seen) == 1  # a POST is never repeated: it could create two invitations

    client, seen = client_for(lambda r: httpx.Response(503), retries=2)
    with pytest.raises(ServerError):
        client.submit_review(review())
    assert len(seen) == 3
    assert all(r.method == "PUT" for r in seen)


def test_timeouts_say_the_server_is_unreachable():
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client, seen = client_for(slow, retries=1)
    with pytest.raises(ServerUnreachable, match="ReadTimeout"):
        client.healthz()
    assert len(seen) == 2


def test_review_is_put_under_its_uuid_and_unknown_answers_are_bad_responses():
    r = review()

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "PUT"
        assert request.url.path == f"/reviews/{r.uuid}"
        assert msgspec.json.decode(request.content, type=Review) == r
        return httpx.Response(201, text="<html>a proxy error page</html>")

    client, _ = client_for(handler)
    with pytest.raises(BadResponse, match=r"unexpected answer from http://sync\.test/reviews/"):
        client.submit_review(r)


def test_too_many_attempts_carries_retry_after():
    client, _ = client_for(
        lambda r: httpx.Response(429, json={"detail": "wait 4 s"}, headers={"Retry-After": "4"})
    )
    with pytest.raises(TooManyAttempts) as caught:
        client.sign_in("ann", "wrong-password")
    assert caught.value.retry_after == 4
    assert client.token is None


def test_the_client_does_not_import_the_server_stack_and_the_server_not_the_app_stack():
    code = (
        "import sys, naesview_app.sync;"
        "server = {'litestar', 'sqlalchemy', 'sync_api'};"
        "bad = [m for m in sys.modules if m.split('.')[0] in server];"
        "assert not bad, bad;"
        "import sync_api.app, sync_api.cli;"
        "bad = [m for m in sys.modules if m.split('.')[0] in {'numpy', 'webview', 'SimpleITK'}];"
        "assert not bad, bad"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr


def test_sign_out_forgets_the_token_even_when_the_server_is_gone():
    client, _ = client_for(lambda r: httpx.Response(401, json={"detail": "revoked"}), token="t")
    client.sign_out()  # already signed out on the server: fine
    assert client.token is None

    def down(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    client, _ = client_for(down, token="t")
    with pytest.raises(ServerUnreachable):
        client.sign_out()
    assert client.token is None
