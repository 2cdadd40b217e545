"""The signed-in reviewer's own account: changing the password, and why the server ended a session.

Bridge arguments and results here follow `messages` (same bases). The password rules are read from
`naesview_wire`'s `Password`, the type the sync server checks every new password against, so the
app and the server cannot disagree; `ui/src/account.js` states them for the reviewer (a unit test
keeps the two equal).
"""

from __future__ import annotations

import typing
from typing import Annotated

import msgspec

from naesview_app.errors import NaesviewError
from naesview_app.review import messages as m
from naesview_wire.base import Password

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


def password_problem(password: str) -> str | None:
    """What is wrong with a new password by the server's rules (for the reviewer), or None."""
    if len(password) < PASSWORD_MIN:
        return (
            f"the new password is too short ({len(password)} characters); "
            f"use at least {PASSWORD_MIN}"
        )
    if len(password) > PASSWORD_MAX:
        return (
            f"the new password is too long ({len(password)} characters); use at most {PASSWORD_MAX}"
        )
    return None


def could_be_a_password(password: str) -> bool:
    """Whether the server could hold this as someone's password at all (it refuses the others
    with a 400 before checking): outside the rules it is simply wrong."""
    return PASSWORD_MIN <= len(password) <= PASSWORD_MAX
