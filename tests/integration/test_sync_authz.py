"""Authorization matrix: every route × anonymous / other reviewer / reviewer / owner / admin.

"other" is a reviewer who is not a member of the project; "reviewer" joined it by invitation.
The test fails when a route exists that the matrix does not list.
"""

from __future__ import annotations

import secrets
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import msgspec
import pytest

from tests.sync_server import (
    ADMIN_PASSWORD,
    SignedInUser,
    SyncServer,
    project_with_reviewer,
    sample_config,
    sample_project,
    sample_review,
)

ROLES = ("anonymous", "other", "reviewer", "owner", "admin")


@dataclass
class World:
    server: SyncServer
    users: dict[str, SignedInUser | None]
    project_id: int

    def token(self, role: str) -> str | None:
        user = self.users[role]
        return None if user is None else user.client.token

    def new_member(self) -> int:
        """The user id of a fresh reviewer who just joined the shared project."""
        owner = self.users["owner"]
        assert owner is not None
        member = self.server.new_user("reviewer")
        member.client.accept_invitation(owner.client.create_invitation(self.project_id).code)
        return member.user.id

    def project_code(self) -> str:
        """A fresh, unused invitation to the shared project."""
        owner = self.users["owner"]
        assert owner is not None
        return owner.client.create_invitation(self.project_id).code

    def code(self) -> str:
        """A fresh invitation to a throwaway project (joining it changes nothing else)."""
        owner = self.users["owner"]
        assert owner is not None
        project = owner.client.create_project(sample_project())
        return owner.client.create_invitation(project.id).code


@dataclass
class Route:
    method: str
    path: str  # as in the OpenAPI document
    expected: dict[str, int]
    request: Callable[[World, str], tuple[str, Any, str | None]]
    """(url path, JSON body or None, token override or None: use the role's token)."""


def same(status: int) -> dict[str, int]:
    return dict.fromkeys(ROLES, status)


def signed_in(status: int, **overrides: int) -> dict[str, int]:
    return {"anonymous": 401, **dict.fromkeys(ROLES[1:], status), **overrides}


def project_route(owner: int, reviewer: int) -> dict[str, int]:
    """Outsiders get 404 (no leak of what exists), members `reviewer`, the owner `owner`."""
    return {"anonymous": 401, "other": 404, "reviewer": reviewer, "owner": owner, "admin": 404}


def plain(path: str) -> Callable[[World, str], tuple[str, Any, str | None]]:
    return lambda w, role: (path.format(p=w.project_id), None, None)


def with_body(path: str, body: Callable[[World], Any]):
    return lambda w, role: (path.format(p=w.project_id), body(w), None)


def second_session(w: World, role: str) -> tuple[str, Any, str | None]:
    user = w.users[role]
    if user is None:
        return "/auth/sign-out", None, None
    password = ADMIN_PASSWORD if role == "admin" else user.password
    client = w.server.client()
    client.sign_in(user.user.username, password)
    return "/auth/sign-out", None, client.token


def sign_in_body(w: World, role: str) -> tuple[str, Any, str | None]:
    user = w.users[role] or w.users["reviewer"]
    assert user is not None
    password = ADMIN_PASSWORD if role == "admin" else user.password
    return "/auth/sign-in", {"username": user.user.username, "password": password}, None


def throwaway_user(w: World, role: str) -> tuple[str, Any, str | None]:
    return f"/users/{w.server.new_user('reviewer').user.id}/revoke-tokens", None, None


def throwaway_action(action: str) -> Callable[[World, str], tuple[str, Any, str | None]]:
    """`/users/{fresh reviewer}/{action}`: each role acts on an account of its own."""
    return lambda w, role: (f"/users/{w.server.new_user('reviewer').user.id}/{action}", None, None)


def throwaway_password(w: World, role: str) -> tuple[str, Any, str | None]:
    return (
        f"/users/{w.server.new_user('reviewer').user.id}/password",
        {"password": "new-pw-123"},
        None,
    )


SAME_ROLE = {"other": "reviewer", "reviewer": "reviewer", "owner": "owner", "admin": "admin"}


def own_password_change(w: World, role: str) -> tuple[str, Any, str | None]:
    """A fresh account of the role's kind changes its own password (the shared users keep
    theirs: changing it would sign their other sessions out)."""
    if w.users[role] is None:
        return "/auth/password", {"old_password": "whatever-1", "new_password": "whatever-2"}, None
    fresh = w.server.new_user(SAME_ROLE[role])
    body = {"old_password": fresh.password, "new_password": f"{fresh.password}-new"}
    return "/auth/password", body, fresh.client.token


def new_user_body(w: World) -> dict:
    name = f"made-{secrets.token_hex(4)}"
    return {"username": name, "password": "password-123", "display_name": name}


def fresh_review(w: World, role: str) -> tuple[str, Any, str | None]:
    review = sample_review(w.project_id, 0)
    return f"/reviews/{review.uuid}", msgspec.to_builtins(review), None


def register_body(w: World) -> dict:
    return {**new_user_body(w), "code": w.code()}


ROUTES = [
    Route("GET", "/healthz", same(200), plain("/healthz")),
    Route("GET", "/schema/openapi.json", same(200), plain("/schema/openapi.json")),
    Route("POST", "/auth/sign-in", same(200), sign_in_body),
    Route("POST", "/auth/sign-out", signed_in(204), second_session),
    Route("GET", "/auth/me", signed_in(200), plain("/auth/me")),
    Route("GET", "/users", signed_in(403, admin=200), plain("/users")),
    Route("POST", "/users", signed_in(403, admin=201), with_body("/users", new_user_body)),
    Route("POST", "/users/{user_id}/revoke-tokens", signed_in(403, admin=204), throwaway_user),
    Route(
        "POST", "/users/{user_id}/disable", signed_in(403, admin=200), throwaway_action("disable")
    ),
    Route("POST", "/users/{user_id}/enable", signed_in(403, admin=200), throwaway_action("enable")),
    Route("PUT", "/users/{user_id}/password", signed_in(403, admin=204), throwaway_password),
    Route("POST", "/auth/password", signed_in(204), own_password_change),
    Route("GET", "/projects", signed_in(200), plain("/projects")),
    Route(
        "POST",
        "/projects",
        signed_in(403, owner=201),
        with_body("/projects", lambda w: msgspec.to_builtins(sample_project())),
    ),
    Route("GET", "/projects/{project_id}", project_route(200, 200), plain("/projects/{p}")),
    Route(
        "PATCH",
        "/projects/{project_id}",
        project_route(200, 403),
        with_body("/projects/{p}", lambda w: {"status": "open"}),
    ),
    Route(
        "POST",
        "/projects/{project_id}/configs",
        project_route(201, 403),
        with_body("/projects/{p}/configs", lambda w: msgspec.to_builtins(sample_config())),
    ),
    Route(
        "GET",
        "/projects/{project_id}/configs",
        project_route(200, 200),
        plain("/projects/{p}/configs"),
    ),
    Route(
        "GET",
        "/projects/{project_id}/configs/{version}",
        project_route(200, 200),
        plain("/projects/{p}/configs/1"),
    ),
    Route(
        "GET",
        "/projects/{project_id}/members",
        project_route(200, 403),
        plain("/projects/{p}/members"),
    ),
    Route(
        "DELETE",
        "/projects/{project_id}/members/{user_id}",
        project_route(204, 403),
        lambda w, role: (f"/projects/{w.project_id}/members/{w.new_member()}", None, None),
    ),
    Route(
        "POST",
        "/projects/{project_id}/invitations",
        project_route(201, 403),
        with_body("/projects/{p}/invitations", lambda w: {}),
    ),
    Route(
        "DELETE",
        "/projects/{project_id}/invitations/{code}",
        project_route(204, 403),
        lambda w, role: (f"/projects/{w.project_id}/invitations/{w.project_code()}", None, None),
    ),
    Route(
        "GET",
        "/invitations/{code}",
        same(200),
        lambda w, role: (f"/invitations/{w.code()}", None, None),
    ),
    Route(
        "POST",
        "/invitations/accept",
        signed_in(200),
        with_body("/invitations/accept", lambda w: {"code": w.code()}),
    ),
    Route(
        "POST",
        "/invitations/register",
        same(201),
        with_body("/invitations/register", register_body),
    ),
    Route("PUT", "/reviews/{review_uuid}", project_route(201, 201), fresh_review),
    Route(
        "GET",
        "/projects/{project_id}/reviews",
        project_route(200, 200),
        plain("/projects/{p}/reviews"),
    ),
    Route(
        "GET",
        "/projects/{project_id}/progress",
        project_route(200, 200),
        plain("/projects/{p}/progress"),
    ),
    Route(
        "GET",
        "/projects/{project_id}/export.csv",
        project_route(200, 403),
        plain("/projects/{p}/export.csv"),
    ),
    Route(
        "GET",
        "/projects/{project_id}/export.json",
        project_route(200, 403),
        plain("/projects/{p}/export.json"),
    ),
]


@pytest.fixture(scope="module")
def world(sync_server: SyncServer) -> World:
    owner, reviewer, project = project_with_reviewer(sync_server)
    admin = SignedInUser(sync_server.admin, sync_server.admin.me(), ADMIN_PASSWORD)
    users = {
        "anonymous": None,
        "other": sync_server.new_user("reviewer"),
        "reviewer": reviewer,
        "owner": owner,
        "admin": admin,
    }
    return World(sync_server, users, project.id)


def test_the_matrix_lists_every_route(sync_server: SyncServer):
    schema = httpx.get(f"{sync_server.base_url}/schema/openapi.json").json()
    documented = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    listed = {(r.method, r.path) for r in ROUTES} - {("GET", "/schema/openapi.json")}
    assert documented == listed


@pytest.mark.parametrize("route", ROUTES, ids=lambda r: f"{r.method} {r.path}")
def test_route_statuses_by_role(world: World, route: Route):
    seen = {}
    for role in ROLES:
        path, body, token = route.request(world, role)
        token = token or world.token(role)
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        response = httpx.request(
            route.method, world.server.base_url + path, json=body, headers=headers, timeout=30
        )
        seen[role] = response.status_code
    assert seen == route.expected
    # The shared users are still signed in after every route (sign-out only ended a second session).
    for role in ROLES[1:]:
        token = world.token(role)
        me = httpx.get(
            f"{world.server.base_url}/auth/me", headers={"Authorization": f"Bearer {token}"}
        )
        assert me.status_code == 200, role


def test_an_unknown_review_uuid_in_the_url_must_match_the_body(world: World):
    review = msgspec.to_builtins(sample_review(world.project_id, 0))
    response = httpx.put(
        f"{world.server.base_url}/reviews/{uuid.uuid4()}",
        json=review,
        headers={"Authorization": f"Bearer {world.token('reviewer')}"},
    )
    assert response.status_code == 400
    assert "differs from the URL" in response.json()["detail"]


def test_a_disabled_account_is_refused_on_every_signed_in_route(world: World):
    """A member who is disabled gets 401 saying so on every route that needs a token, with the
    token issued before."""
    owner = world.users["owner"]
    assert owner is not None
    member = world.server.new_user("reviewer")
    member.client.accept_invitation(owner.client.create_invitation(world.project_id).code)
    world.server.admin.disable_user(member.user.id)
    signed_in_routes = [r for r in ROUTES if r.expected["anonymous"] == 401]
    assert len(signed_in_routes) > 20
    for route in signed_in_routes:
        path, body, _ = route.request(world, "reviewer")
        response = httpx.request(
            route.method,
            world.server.base_url + path,
            json=body,
            headers={"Authorization": f"Bearer {member.client.token}"},
            timeout=30,
        )
        assert response.status_code == 401, (route.method, route.path, response.text)
        assert response.json()["detail"] == (
            f"account `{member.user.username}` is disabled; ask an admin of this server to "
            "enable it"
        )
