"""The signed-in reviewer's own account: changing the password, and why the server ended a session.

Bridge arguments and results here follow `messages` (same bases). The password rules are read from
`naesview_wire`'s `Password`, the type the sync server checks every new password against, so the
app and the server cannot disagree; `ui/src/account.js` states them for the reviewer (a unit test
keeps the two equal).
"""

from __future__ import annotations

import re
import typing
from typing import Annotated

import msgspec

from naesview_app.errors import NaesviewError
from naesview_app.review import messages as m
from naesview_wire.accounts import InvitationCode
from naesview_wire.base import Name, Password, Username

_RULE: msgspec.Meta = typing.get_args(Password)[1]
PASSWORD_MIN: int = _RULE.min_length or 0
PASSWORD_MAX: int = _RULE.max_length or 0
WRONG_CURRENT = "the current password is wrong; type it again"


class ChangePasswordArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # No minimum here: an empty or short password gets a message for the reviewer, not
    # `bad_arguments` (which means a bug in the UI).
    old_password: Annotated[str, msgspec.Meta(max_length=1000)]
    new_password: Annotated[str, msgspec.Meta(max_length=1000)]


class SignInNotice(m.Result, frozen=True, kw_only=True):
    """Why the server ended this launch's session (e.g. the account was disabled), for the
    sign-in form; null when it did not."""

    message: str | None


class WrongPassword(NaesviewError):
    """The current password typed to change it is not the account's."""

    code = "wrong_password"


class PasswordRules(NaesviewError):
    """A new password the server would refuse (too short or too long)."""

    code = "password_rules"


def password_problem(password: str, *, what: str = "new password") -> str | None:
    """What is wrong with a new password by the server's rules (for the reviewer), or None."""
    if len(password) < PASSWORD_MIN:
        return f"the {what} is too short ({len(password)} characters); use at least {PASSWORD_MIN}"
    if len(password) > PASSWORD_MAX:
        return f"the {what} is too long ({len(password)} characters); use at most {PASSWORD_MAX}"
    return None


def could_be_a_password(password: str) -> bool:
    """Whether the server could hold this as someone's password at all (it refuses the others
    with a 400 before checking): outside the rules it is simply wrong."""
    return PASSWORD_MIN <= len(password) <= PASSWORD_MAX


# -- creating an account with an invitation code ------------------------------------------------

_USERNAME_RULE: msgspec.Meta = typing.get_args(Username)[1]
_CODE_RULE: msgspec.Meta = typing.get_args(InvitationCode)[1]
_NAME_RULE: msgspec.Meta = typing.get_args(Name)[1]
USERNAME_RULES = (
    f"{_USERNAME_RULE.min_length} to {_USERNAME_RULE.max_length} letters, digits and _ . @ -, "
    "starting with a letter or digit"
)


class RegisterArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    # Loose limits: what breaks the server's rules gets a message for the reviewer (below), not
    # `bad_arguments` (which means a bug in the UI).
    server: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    code: Annotated[str, msgspec.Meta(max_length=1000)]
    username: Annotated[str, msgspec.Meta(max_length=1000)]
    password: Annotated[str, msgspec.Meta(max_length=1000)]
    display_name: Annotated[str, msgspec.Meta(max_length=1000)] = ""
    """Optional: the user name stands in for it."""


class InvitationCodeRules(NaesviewError):
    """A typed invitation code that cannot be one (the server would not even look it up)."""

    code = "invitation_code"


class UsernameRules(NaesviewError):
    """A user name (or display name) the server would refuse by its form."""

    code = "username_rules"


class UsernameTaken(NaesviewError):
    """Someone already has this user name on the server."""

    code = "username_taken"


class RegisteredNotSignedIn(NaesviewError):
    """The account was created, but signing in with it right after failed."""

    code = "registered"


def registration_problem(code: str, username: str, display_name: str, password: str) -> None:
    """Raise the first thing the server would refuse in a registration, said for the reviewer;
    the server checks the same wire types (`RegisterWithInvitation`)."""
    if not code:
        raise InvitationCodeRules("type the invitation code the project owner sent you")
    if not re.fullmatch(_CODE_RULE.pattern or "", code) or not (
        (_CODE_RULE.min_length or 0) <= len(code) <= (_CODE_RULE.max_length or 0)
    ):
        raise InvitationCodeRules(
            f"an invitation code is {_CODE_RULE.min_length} to {_CODE_RULE.max_length} letters, "
            "digits, - or _; check the code you were sent"
        )
    if not username:
        raise UsernameRules("choose a user name: " + USERNAME_RULES)
    if not re.fullmatch(_USERNAME_RULE.pattern or "", username) or not (
        (_USERNAME_RULE.min_length or 0) <= len(username) <= (_USERNAME_RULE.max_length or 0)
    ):
        raise UsernameRules(f"the user name `{username}` is not allowed; use {USERNAME_RULES}")
    if len(display_name) > (_NAME_RULE.max_length or 0):
        raise UsernameRules(
            f"the display name is too long ({len(display_name)} characters); "
            f"use at most {_NAME_RULE.max_length}"
        )
    problem = password_problem(password, what="password")
    if problem is not None:
        raise PasswordRules(problem)
