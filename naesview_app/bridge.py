"""The Bridge: the only functions the UI may call (docs/dev/bridge.md lists them for the UI).

Each method takes one JSON object and returns one: `msgspec.convert` the arguments into a Struct,
call `ReviewApp`, `msgspec.to_builtins` the result. `@exposed` turns every error into
`{"error": {"code", "message"}}` with a one-line message; tracebacks go to the log file only.
The page reaches it as `POST /bridge/<method>` on the loopback server, in the window and in a
browser alike (why not pywebview's js_api: docs/dev/bridge.md). Public attributes are exactly
the exposed methods; all state is private.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import msgspec

from naesview_app.about import AboutInfo, about_info
from naesview_app.errors import NaesviewError
from naesview_app.review import messages as m
from naesview_app.review.account import ChangePasswordArgs, RegisterArgs, SignInNotice
from naesview_app.review.services import ReviewApp
from naesview_app.sync.errors import SignedOut

log = logging.getLogger(__name__)

A = TypeVar("A", bound=m.Args)
Method = Callable[["Bridge", Any], Any]
EXPOSED: set[str] = set()


def exposed(args_type: type[A]) -> Callable[[Callable[[Bridge, A], Any]], Callable[..., dict]]:
    def wrap(method: Callable[[Bridge, A], Any]) -> Callable[..., dict]:
        name = method.__name__
        EXPOSED.add(name)

        @functools.wraps(method)
        def call(self: Bridge, args: object = None) -> dict:
            try:
                parsed = msgspec.convert(args if args is not None else {}, type=args_type)
                result = method(self, parsed)
                return msgspec.to_builtins(result if result is not None else m.Empty())
            except msgspec.ValidationError as exc:
                return _error("bad_arguments", f"{name}: {exc}; this is a bug in the UI")
            except SignedOut as exc:
                # The server refused the session's token: the sign-in form will say why (e.g.
                # the account was disabled). At sign-in it only means a wrong password.
                if name != "sign_in":
                    self._app.session_refused(_one_line(str(exc)))
                return _error(exc.code, _one_line(str(exc)))
            except NaesviewError as exc:
                return _error(exc.code, _one_line(str(exc)))
            except Exception as exc:
                log.exception("bridge method %s failed", name)
                return _error(
                    "internal",
                    f"{name} failed unexpectedly ({type(exc).__name__}: {_one_line(str(exc))}); "
                    "see the log file and report it",
                )

        return call

    return wrap


class Bridge:
    def __init__(self, app: ReviewApp) -> None:
        self._app = app

    def _call(self, method: str, args: object) -> dict:
        """Browser-mode entry (`POST /bridge/<method>`)."""
        if method not in EXPOSED:
            return _error("unknown_method", f"no bridge method `{method}`")
        result: dict = getattr(self, method)(args)
        return result

    @exposed(m.NoArgs)
    def app_info(self, _: m.NoArgs) -> m.AppInfo:
        return self._app.app_info()

    @exposed(m.NoArgs)
    def about(self, _: m.NoArgs) -> AboutInfo:
        """The About box: version and the bundled third-party code with its licences."""
        return about_info()

    @exposed(m.SignInArgs)
    def sign_in(self, a: m.SignInArgs) -> m.Account:
        return self._app.sign_in(a.server, a.username, a.password)

    @exposed(RegisterArgs)
    def register(self, a: RegisterArgs) -> m.Account:
        """A new reviewer account from an invitation code, then signed in (sign-in form)."""
        return self._app.register(a.server, a.code, a.username, a.display_name, a.password)

    @exposed(m.NoArgs)
    def sign_out(self, _: m.NoArgs) -> None:
        self._app.sign_out()

    @exposed(ChangePasswordArgs)
    def change_password(self, a: ChangePasswordArgs) -> None:
        self._app.change_password(a.old_password, a.new_password)

    @exposed(m.NoArgs)
    def sign_in_notice(self, _: m.NoArgs) -> SignInNotice:
        return self._app.sign_in_notice()

    @exposed(m.NoArgs)
    def list_projects(self, _: m.NoArgs) -> m.ProjectList:
        return self._app.list_projects()

    @exposed(m.JoinArgs)
    def join_project(self, a: m.JoinArgs) -> m.Joined:
        return self._app.join_project(a.code)

    @exposed(m.ProjectArgs)
    def open_project(self, a: m.ProjectArgs) -> m.ProjectOpened:
        return self._app.open_project(a.project_id)

    @exposed(m.NoArgs)
    def choose_dataset(self, _: m.NoArgs) -> m.Chosen:
        return self._app.choose_dataset()

    @exposed(m.OpenDatasetArgs)
    def open_dataset(self, a: m.OpenDatasetArgs) -> m.DatasetOpened:
        return self._app.open_dataset(a.project_id, a.path)

    @exposed(m.CaseArgs)
    def load_case(self, a: m.CaseArgs) -> m.CaseLoaded:
        return self._app.load_case(a.index, show=a.show)

    @exposed(m.PrefetchArgs)
    def prefetch(self, a: m.PrefetchArgs) -> None:
        self._app.prefetch(a.indices)

    @exposed(m.SubmitArgs)
    def submit_review(self, a: m.SubmitArgs) -> m.Submitted:
        return self._app.submit_review(a.index, a.answer, a.comment, a.masks)

    @exposed(m.NoArgs)
    def sync_status(self, _: m.NoArgs) -> m.SyncStatus:
        return self._app.sync_status()

    @exposed(m.VisibleArgs)
    def set_visible(self, a: m.VisibleArgs) -> None:
        self._app.set_visible(a.visible)


def _error(code: str, message: str) -> dict:
    return {"error": {"code": code, "message": message}}


def _one_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " ".join(lines)[:500] or "no details"


# The owner's methods (owner_*) live in their own module; they join the Bridge here.
from naesview_app.owner import install as _install_owner_methods  # noqa: E402

_install_owner_methods(Bridge)
