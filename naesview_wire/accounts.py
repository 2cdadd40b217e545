"""Users, sign-in tokens and invitation codes as they travel between app and sync API."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from naesview_wire.base import Id, Name, Password, Username, WireStruct

Role = Literal["admin", "owner", "reviewer"]
"""admin: manages users. owner: creates and manages own projects (and may review them).
reviewer: reviews the projects they joined."""

InvitationCode = Annotated[
    str, msgspec.Meta(min_length=8, max_length=64, pattern=r"^[A-Za-z0-9_-]+$")
]
"""A single-use invitation code as shown to the owner (URL-safe characters)."""


class SignIn(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /auth/sign-in`."""

    username: Username
    """The account's sign-in name."""
    password: Password
    """The password as typed."""


class User(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An account as the API shows it (never with a password or hash)."""

    id: Id
    """Server-assigned user id."""
    username: Username
    """Sign-in name (unique)."""
    display_name: Name
    """Name shown to owners in progress and exports."""
    role: Role
    """Account role."""
    created: datetime
    """When the account was created (UTC)."""


class Session(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Answer of a successful sign-in: the bearer token and who it belongs to."""

    token: str
    """Bearer token for `Authorization: Bearer …`; shown once, stored only hashed on the server."""
    expires: datetime
    """When the token stops working (UTC); sign in again after that."""
    user: User
    """The signed-in user."""


class UserCreate(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /users` (admins only)."""

    username: Username
    """Sign-in name; must not be taken."""
    password: Password
    """Initial password."""
    display_name: Name
    """Name shown to owners."""
    role: Role = "reviewer"
    """Account role."""


class InvitationCreate(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /projects/{id}/invitations` (the project's owner only)."""

    expires_in_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 90)] = 24 * 7
    """How long the code can be used (1 hour to 90 days)."""


class Invitation(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A single-use code that lets one reviewer join one project."""

    code: InvitationCode
    """The code to give the reviewer (shown to the owner once)."""
    project_id: Id
    """The project it joins."""
    expires: datetime
    """Last moment it can be used (UTC)."""


class AcceptInvitation(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /invitations/accept`: a signed-in user joins the code's project."""

    code: InvitationCode
    """The invitation code."""


class RegisterWithInvitation(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /invitations/register`: create a reviewer account and join in one step."""

    code: InvitationCode
    """The invitation code (used up by this call)."""
    username: Username
    """Sign-in name for the new account; must not be taken."""
    password: Password
    """Password for the new account."""
    display_name: Name
    """Name shown to the owner."""


class Member(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A member of a project, as its owner sees it."""

    user_id: Id
    """The member's user id."""
    username: Username
    """The member's sign-in name."""
    display_name: Name
    """The member's display name."""
    joined: datetime
    """When they joined (UTC)."""


class Account(User, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """An account as admins see it (`GET /users`): a `User` plus whether it is disabled."""

    disabled_at: datetime | None = None
    """When an admin disabled the account (UTC); None while it can sign in."""


class PasswordReset(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `PUT /users/{id}/password` (admins only): the user's new password."""

    password: Password
    """The new password (same rules as for a new account); every token of the user is revoked."""


class PasswordChange(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /auth/password`: the signed-in user changes their own password."""

    old_password: Password
    """The current password, as typed."""
    new_password: Password
    """The new password (same rules as for a new account); the user's other tokens are revoked."""
