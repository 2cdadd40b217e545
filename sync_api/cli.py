"""`naesview-sync`: serve, migrate, create-admin and account management (list-users, disable,
enable, set-password) for when no admin can sign in. The environment is read here and only here.

Environment:
  NAESVIEW_DATABASE_URL      sqlite:///path or postgresql://user@host/db
                             (default: a SQLite file in the user's data folder)
  NAESVIEW_TOKEN_TTL_HOURS   sign-in token lifetime in hours (default 720, 30 days)
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import logging
import os
import sys
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING, TypeVar

from litestar import Litestar
from sqlalchemy.exc import DBAPIError

from naesview_wire import __version__
from sync_api.settings import Settings, default_database_url

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

T = TypeVar("T")


def settings_from_env() -> Settings:
    url = os.environ.get("NAESVIEW_DATABASE_URL") or default_database_url()
    ttl = os.environ.get("NAESVIEW_TOKEN_TTL_HOURS")
    if ttl is not None and not ttl.isdigit():
        raise SystemExit(f"NAESVIEW_TOKEN_TTL_HOURS must be a whole number of hours, not `{ttl}`")
    return Settings(database_url=url, token_ttl_hours=int(ttl) if ttl else 24 * 30)


def app_from_env() -> Litestar:
    """The ASGI app for uvicorn's workers (each worker process builds its own)."""
    from sync_api.app import create_app

    requests = logging.getLogger("sync_api")
    if not requests.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(message)s"))
        requests.addHandler(handler)
        requests.setLevel(logging.INFO)
        requests.propagate = False
    return create_app(settings_from_env())


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"`{text}` is not a whole number of at least 1")
    return int(text)


def _port(text: str) -> int:
    if not text.isdigit() or not 1 <= int(text) <= 65535:
        raise argparse.ArgumentTypeError(f"`{text}` is not a port number (1–65535)")
    return int(text)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="naesview-sync",
        description="The naesView sync API: projects, reviewers and reviews (never images).",
        epilog="The database comes from NAESVIEW_DATABASE_URL "
        "(default: a SQLite file in your data folder).",
    )
    parser.add_argument("--version", action="version", version=f"naesview-sync {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    serve = commands.add_parser("serve", help="run the HTTP API (run `migrate` first)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_port, default=8750, help="port (default 8750)")
    serve.add_argument(
        "--workers",
        type=_positive,
        default=1,
        help="worker processes (default 1; try one per core)",
    )
    commands.add_parser("migrate", help="create or upgrade the database tables to this version")
    admin = commands.add_parser("create-admin", help="create an admin account")
    admin.add_argument("--username", required=True)
    admin.add_argument("--display-name", help="name shown to others (default: the username)")
    admin.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user = commands.add_parser(
        "create-user", help="create an owner's or a reviewer's account (password asked twice)"
    )
    user.add_argument("--username", required=True)
    user.add_argument(
        "--role", choices=("reviewer", "owner"), default="reviewer", help="default: reviewer"
    )
    user.add_argument("--display-name", help="name shown to others (default: the username)")
    user.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    commands.add_parser(
        "list-users", help="list every account: id, username, role, active or disabled"
    )
    for name, what in (
        ("disable", "disable an account: no sign-in, its tokens stop working; reviews are kept"),
        ("enable", "enable a disabled account again (its user signs in again)"),
    ):
        command = commands.add_parser(name, help=what)
        command.add_argument("username", metavar="USER", help="the account's username")
    password = commands.add_parser(
        "set-password",
        help="set an account's password (asked twice, never on the command line) "
        "and sign it out everywhere",
    )
    password.add_argument("username", metavar="USER", help="the account's username")
    password.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    return parser


def _fail(message: str) -> int:
    print(f"naesview-sync: {message}", file=sys.stderr)
    return 1


def migrate_command(settings: Settings) -> int:
    from sync_api.db import migrate

    migrate.upgrade(settings.database_url)
    print(f"database is at revision {migrate.current_revision(settings.database_url)}")
    return 0


def serve_command(settings: Settings, host: str, port: int, workers: int) -> int:
    import uvicorn
    from alembic.script import ScriptDirectory

    from sync_api.db import migrate

    head = ScriptDirectory.from_config(
        migrate.alembic_config(settings.database_url)
    ).get_current_head()
    current = migrate.current_revision(settings.database_url)
    if current != head:
        return _fail(
            f"the database is at revision {current or '(empty)'}, this version needs {head}; "
            "run `naesview-sync migrate` first"
        )
    print(f"naesview-sync {__version__} serving on http://{host}:{port}", flush=True)
    uvicorn.run(
        "sync_api.cli:app_from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        access_log=False,  # the app writes its own one-line JSON request log
        log_level="warning",
        http="httptools",
        loop="uvloop",
    )
    return 0


def _with_database(settings: Settings, work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work(session)` on the database once; the engine is disposed after."""
    from sync_api.db.engine import make_engine, make_sessionmaker

    async def run() -> T:
        engine = make_engine(settings.database_url)
        try:
            async with make_sessionmaker(engine)() as db:
                return await work(db)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _read_password(stdin: bool) -> str | None:
    """The new password from one line of standard input, or typed twice at a prompt (None when
    the two differ). Never from the command line, where `ps` and shell history would show it."""
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    password = getpass.getpass("password: ")
    return password if getpass.getpass("again: ") == password else None


def create_admin_command(
    settings: Settings, username: str, display_name: str | None, stdin: bool
) -> int:
    return create_user_command(settings, username, display_name, stdin, role="admin")


def create_user_command(
    settings: Settings, username: str, display_name: str | None, stdin: bool, *, role: str
) -> int:
    import msgspec

    from naesview_wire import UserCreate
    from sync_api.accounts.services import create_user
    from sync_api.errors import DomainError

    password = _read_password(stdin)
    if password is None:
        return _fail("the passwords differ; try again")
    try:
        body = msgspec.convert(
            {
                "username": username,
                "password": password,
                "display_name": display_name or username,
                "role": role,
            },
            UserCreate,
        )
    except msgspec.ValidationError as exc:
        return _fail(f"invalid account: {exc}")

    try:
        _with_database(settings, lambda db: create_user(db, body))
    except DomainError as exc:
        return _fail(exc.message)
    print(f"{role} `{username}` created")
    return 0


def list_users_command(settings: Settings) -> int:
    from sync_api.accounts.services import list_users

    accounts = _with_database(settings, list_users)
    rows = [("ID", "USERNAME", "ROLE", "STATUS", "DISPLAY NAME")]
    for account in accounts:
        status = "active"
        if account.disabled_at is not None:
            status = f"disabled {account.disabled_at:%Y-%m-%d %H:%M} UTC"
        rows.append((str(account.id), account.username, account.role, status, account.display_name))
    # Pad every column but the last (display names may hold spaces and run long).
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]) - 1)]
    for *padded, last in rows:
        print("  ".join([*(cell.ljust(w) for cell, w in zip(padded, widths, strict=True)), last]))
    return 0


def set_disabled_command(settings: Settings, username: str, disabled: bool) -> int:
    from sync_api.accounts.services import set_disabled, user_by_username
    from sync_api.errors import DomainError

    async def change(db: AsyncSession) -> bool:
        user = await user_by_username(db, username)
        changed = (user.disabled_at is None) == disabled
        await set_disabled(db, user, disabled)
        return changed

    try:
        changed = _with_database(settings, change)
    except DomainError as exc:
        return _fail(exc.message)
    state = "disabled" if disabled else "enabled"
    print(
        f"account `{username}` {state}" if changed else f"account `{username}` was already {state}"
    )
    return 0


def set_password_command(settings: Settings, username: str, stdin: bool) -> int:
    import msgspec

    from naesview_wire import PasswordReset
    from sync_api.accounts.services import set_password, user_by_username
    from sync_api.errors import DomainError

    async def change(db: AsyncSession, password: str | None) -> None:
        user = await user_by_username(db, username)
        if password is not None:
            await set_password(db, user, password)

    try:
        _with_database(settings, lambda db: change(db, None))  # a typo fails before the prompt
        password = _read_password(stdin)
        if password is None:
            return _fail("the passwords differ; try again")
        try:
            body = msgspec.convert({"password": password}, PasswordReset)
        except msgspec.ValidationError as exc:
            return _fail(f"invalid password: {exc}")
        _with_database(settings, lambda db: change(db, body.password))
    except DomainError as exc:
        return _fail(exc.message)
    print(f"password of `{username}` set; it is signed out everywhere")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = settings_from_env()
    try:
        if args.command == "migrate":
            return migrate_command(settings)
        if args.command == "serve":
            return serve_command(settings, args.host, args.port, args.workers)
        if args.command == "create-admin":
            return create_admin_command(
                settings, args.username, args.display_name, args.password_stdin
            )
        if args.command == "create-user":
            return create_user_command(
                settings, args.username, args.display_name, args.password_stdin, role=args.role
            )
        if args.command == "list-users":
            return list_users_command(settings)
        if args.command in ("disable", "enable"):
            return set_disabled_command(settings, args.username, args.command == "disable")
        return set_password_command(settings, args.username, args.password_stdin)
    except ValueError as exc:  # a database URL of an unsupported kind
        return _fail(str(exc))
    except OSError as exc:
        return _fail(f"cannot reach the database ({exc}); check NAESVIEW_DATABASE_URL")
    except DBAPIError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
        return _fail(f"database error: {reason}; check NAESVIEW_DATABASE_URL and the server")


if __name__ == "__main__":
    sys.exit(main())
