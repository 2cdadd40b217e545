"""`SyncClient`: every route of the sync API as a typed method (same Structs as the server).

Timeouts on every call; idempotent calls (GET, PUT) are retried on connection failures,
timeouts and 502/503/504 with a short exponential backoff; POST and PATCH never are, so
nothing is created twice. Reviews are PUT under their client uuid: retrying is safe.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any, TypeVar

import httpx
import msgspec

from naesview_app.sync.errors import (
    STATUS_ERRORS,
    BadRequest,
    BadResponse,
    ServerError,
    ServerUnreachable,
    SignedOut,
    TooManyAttempts,
)
from naesview_wire import (
    AcceptInvitation,
    Account,
    ConfigVersion,
    Export,
    Invitation,
    InvitationCreate,
    InvitationPreview,
    Member,
    PasswordChange,
    PasswordReset,
    Progress,
    ProjectConfig,
    ProjectCreate,
    ProjectDetail,
    ProjectSummary,
    ProjectUpdate,
    RegisterWithInvitation,
    Review,
    ReviewRecord,
    Session,
    SignIn,
    User,
    UserCreate,
)

T = TypeVar("T")

# Retried on connection failures: repeating them changes nothing. (DELETE is left out: a repeat
# after a lost answer would report 404 for what the first attempt removed.)
IDEMPOTENT = {"GET", "HEAD", "PUT", "OPTIONS"}
RETRY_STATUSES = {502, 503, 504}


class _Health(msgspec.Struct):
    status: str
    version: str


class SyncClient:
    """A client of one sync server. Use as a context manager, or call `close()`."""

    def __init__(
        self,
        base_url: str,
        *,
        token: str | None = None,
        timeout: float = 10.0,
        retries: int = 3,
        backoff: float = 0.25,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.token = token
        self.retries = retries
        self.backoff = backoff
        self._http = httpx.Client(
            base_url=self.base_url,
            timeout=httpx.Timeout(timeout, connect=min(timeout, 5.0)),
            transport=transport,
            headers={"User-Agent": "naesview-sync-client"},
        )

    def __enter__(self) -> SyncClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    # -- transport ------------------------------------------------------------------------

    def _send(
        self, method: str, path: str, *, body: Any = None, params: Any = None
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        content = None
        if body is not None:
            content = msgspec.json.encode(body)
            headers["Content-Type"] = "application/json"
        attempts = 1 + (self.retries if method in IDEMPOTENT else 0)
        for attempt in range(attempts):
            last = attempt == attempts - 1
            try:
                response = self._http.request(
                    method, path, content=content, params=params, headers=headers
                )
            except httpx.TransportError as exc:
                if last:
                    raise ServerUnreachable(
                        f"sync server {self.base_url} unreachable ({type(exc).__name__}); "
                        "check the address and your network, then try again"
                    ) from exc
            else:
                if response.status_code not in RETRY_STATUSES or last:
                    return self._checked(response)
            time.sleep(self.backoff * 2**attempt)
        raise AssertionError("unreachable")

    def _checked(self, response: httpx.Response) -> httpx.Response:
        status = response.status_code
        if status < 400:
            return response
        message = _detail(response) or f"the sync server answered {status}"
        if status == 429:
            retry_after = response.headers.get("Retry-After", "0")
            raise TooManyAttempts(
                message, status=status, retry_after=int(retry_after) if retry_after.isdigit() else 0
            )
        if status >= 500:
            raise ServerError(
                f"the sync server failed ({status}: {message}); try again later", status=status
            )
        raise STATUS_ERRORS.get(status, BadRequest)(message, status=status)

    def _call(
        self, method: str, path: str, into: type[T], *, body: Any = None, params: Any = None
    ) -> T:
        response = self._send(method, path, body=body, params=params)
        try:
            return msgspec.json.decode(response.content, type=into)
        except msgspec.DecodeError as exc:
            raise BadResponse(
                f"unexpected answer from {self.base_url}{path}: {exc}; "
                "is the server the same naesView version?",
                status=response.status_code,
            ) from exc

    # -- service --------------------------------------------------------------------------

    def healthz(self) -> str:
        """The server's version when it and its database are up."""
        return self._call("GET", "/healthz", _Health).version

    # -- accounts -------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> Session:
        """Sign in; the client keeps the token for later calls."""
        session = self._call(
            "POST", "/auth/sign-in", Session, body=SignIn(username=username, password=password)
        )
        self.token = session.token
        return session

    def sign_out(self) -> None:
        """Revoke this client's token on the server and forget it. The token is forgotten even
        when the server cannot be reached (the error is raised after); an already invalid token
        (also one of a disabled account) counts as signed out."""
        try:
            if self.token:
                self._send("POST", "/auth/sign-out")
        except SignedOut:
            pass
        finally:
            self.token = None

    def me(self) -> User:
        return self._call("GET", "/auth/me", User)

    def change_password(self, old_password: str, new_password: str) -> None:
        """Change your own password; your other sessions are signed out, this one stays."""
        body = PasswordChange(old_password=old_password, new_password=new_password)
        self._send("POST", "/auth/password", body=body)

    def list_users(self) -> list[Account]:
        """Every account, with whether it is disabled (admins only)."""
        return self._call("GET", "/users", list[Account])

    def create_user(self, user: UserCreate) -> User:
        return self._call("POST", "/users", User, body=user)

    def revoke_tokens(self, user_id: int) -> None:
        self._send("POST", f"/users/{user_id}/revoke-tokens")

    def disable_user(self, user_id: int) -> Account:
        """Disable an account (admins only, not your own): no sign-in, its tokens stop working;
        its reviews are kept."""
        return self._call("POST", f"/users/{user_id}/disable", Account)

    def enable_user(self, user_id: int) -> Account:
        """Enable a disabled account again (admins only)."""
        return self._call("POST", f"/users/{user_id}/enable", Account)

    def set_password(self, user_id: int, password: str) -> None:
        """Set a user's password (admins only); all the user's tokens are revoked."""
        self._send("PUT", f"/users/{user_id}/password", body=PasswordReset(password=password))

    # -- projects -------------------------------------------------------------------------

    def list_projects(self) -> list[ProjectSummary]:
        return self._call("GET", "/projects", list[ProjectSummary])

    def create_project(self, project: ProjectCreate) -> ProjectDetail:
        return self._call("POST", "/projects", ProjectDetail, body=project)

    def get_project(self, project_id: int) -> ProjectDetail:
        return self._call("GET", f"/projects/{project_id}", ProjectDetail)

    def update_project(self, project_id: int, update: ProjectUpdate) -> ProjectDetail:
        return self._call("PATCH", f"/projects/{project_id}", ProjectDetail, body=update)

    def add_config_version(self, project_id: int, config: ProjectConfig) -> ConfigVersion:
        return self._call("POST", f"/projects/{project_id}/configs", ConfigVersion, body=config)

    def list_config_versions(self, project_id: int) -> list[ConfigVersion]:
        return self._call("GET", f"/projects/{project_id}/configs", list[ConfigVersion])

    def get_config_version(self, project_id: int, version: int) -> ConfigVersion:
        return self._call("GET", f"/projects/{project_id}/configs/{version}", ConfigVersion)

    def list_members(self, project_id: int) -> list[Member]:
        return self._call("GET", f"/projects/{project_id}/members", list[Member])

    def remove_member(self, project_id: int, user_id: int) -> None:
        """Take a reviewer out of a project (owner only); their reviews are kept."""
        self._send("DELETE", f"/projects/{project_id}/members/{user_id}")

    def create_invitation(self, project_id: int, *, expires_in_hours: int = 168) -> Invitation:
        body = InvitationCreate(expires_in_hours=expires_in_hours)
        return self._call("POST", f"/projects/{project_id}/invitations", Invitation, body=body)

    def revoke_invitation(self, project_id: int, code: str) -> None:
        """Revoke an unused invitation code (owner only); joining with it then fails with 404."""
        self._send("DELETE", f"/projects/{project_id}/invitations/{code}")

    def preview_invitation(self, code: str) -> InvitationPreview:
        return self._call("GET", f"/invitations/{code}", InvitationPreview)

    def accept_invitation(self, code: str) -> ProjectSummary:
        body = AcceptInvitation(code=code)
        return self._call("POST", "/invitations/accept", ProjectSummary, body=body)

    def register_with_invitation(self, registration: RegisterWithInvitation) -> User:
        return self._call("POST", "/invitations/register", User, body=registration)

    # -- reviews --------------------------------------------------------------------------

    def submit_review(self, review: Review) -> ReviewRecord:
        """Store a review; safe to repeat (same uuid, same body: stored once)."""
        return self._call("PUT", f"/reviews/{review.uuid}", ReviewRecord, body=review)

    def list_reviews(
        self, project_id: int, *, reviewer_id: int | None = None, all_revisions: bool = False
    ) -> list[ReviewRecord]:
        params: dict[str, Any] = {"all_revisions": "true" if all_revisions else "false"}
        if reviewer_id is not None:
            params["reviewer_id"] = reviewer_id
        return self._call(
            "GET", f"/projects/{project_id}/reviews", list[ReviewRecord], params=params
        )

    def progress(self, project_id: int) -> list[Progress]:
        return self._call("GET", f"/projects/{project_id}/progress", list[Progress])

    def export_json(self, project_id: int) -> Export:
        return self._call("GET", f"/projects/{project_id}/export.json", Export)

    def export_csv(self, project_id: int) -> str:
        return self._send("GET", f"/projects/{project_id}/export.csv").text

    def iter_export_csv(self, project_id: int) -> Iterator[str]:
        """The CSV export line by line, without holding it all in memory."""
        headers = {"Authorization": f"Bearer {self.token}"} if self.token else {}
        try:
            with self._http.stream(
                "GET", f"/projects/{project_id}/export.csv", headers=headers
            ) as response:
                if response.status_code >= 400:
                    response.read()
                    self._checked(response)
                yield from response.iter_lines()
        except httpx.TransportError as exc:
            raise ServerUnreachable(
                f"sync server {self.base_url} unreachable during the export ({type(exc).__name__})"
            ) from exc


def new_review_uuid() -> uuid.UUID:
    """A fresh client-side review id (uuid4)."""
    return uuid.uuid4()


def _detail(response: httpx.Response) -> str | None:
    try:
        detail = msgspec.json.decode(response.content).get("detail")
    except (msgspec.DecodeError, AttributeError):
        return None
    return detail if isinstance(detail, str) else None
