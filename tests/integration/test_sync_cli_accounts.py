"""`naesview-sync list-users | disable | enable | set-password`: the installed entry point run in
a subprocess against a real SQLite file or PostgreSQL database while a server uses it, as an admin
does when no admin can sign in any more."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time
from pathlib import Path

import pytest

from naesview_app.sync import Forbidden, SignedOut
from sync_api.cli import build_parser
from tests.sync_server import (
    ADMIN_PASSWORD,
    ROOT,
    SyncServer,
    project_with_reviewer,
    query_sql,
    sample_review,
    start_sync_server,
)

GUIDE = ROOT / "docs" / "admin.md"
# The console script `pip install 'naesview[server]'` creates, not `python -m`.
CONSOLE_SCRIPT = Path(sys.executable).parent / "naesview-sync"


def sync_cli(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(CONSOLE_SCRIPT), *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NAESVIEW_DATABASE_URL": database_url},
        cwd=ROOT,
    )


def at_a_terminal(database_url: str, *args: str, typed: list[str]) -> tuple[int, str]:
    """Run the command with a pseudo-terminal as its controlling terminal (getpass reads
    /dev/tty); answer each `password: ` / `again: ` prompt with the next of `typed`."""
    assert CONSOLE_SCRIPT.is_file(), "the naesview-sync console script is not installed"
    env = {**os.environ, "NAESVIEW_DATABASE_URL": database_url}
    pid, terminal = pty.fork()
    if pid == 0:  # the child: become the command at once
        os.chdir(ROOT)
        os.execve(str(CONSOLE_SCRIPT), [str(CONSOLE_SCRIPT), *args], env)
    output, answered = b"", 0
    deadline = time.monotonic() + 60
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([terminal], [], [], deadline - time.monotonic())
            if not ready:
                break
            try:
                chunk = os.read(terminal, 4096)
            except OSError:  # EIO: the command exited and closed the terminal
                break
            if not chunk:
                break
            output += chunk
            prompts = output.count(b"password: ") + output.count(b"again: ")
            while answered < min(prompts, len(typed)):
                os.write(terminal, typed[answered].encode() + b"\n")
                answered += 1
    finally:
        os.close(terminal)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status), output.decode(errors="replace")


def status_of(database_url: str, username: str) -> str:
    listing = sync_cli(database_url, "list-users")
    assert listing.returncode == 0, listing.stderr
    header, *rows = listing.stdout.splitlines()
    assert header.split() == ["ID", "USERNAME", "ROLE", "STATUS", "DISPLAY", "NAME"]
    (row,) = [r for r in rows if r.split()[1] == username]
    return row.split()[3]


def reviews_as_stored(server: SyncServer) -> list[tuple]:
    return query_sql(
        server.database_url,
        "SELECT uuid, reviewer_id, case_id, answer, comment, body_sha256, received "
        "FROM reviews ORDER BY uuid",
    )


def test_disable_enable_and_set_password_from_the_command_line(fresh_database_url: str):
    with start_sync_server(fresh_database_url) as server:
        owner, reviewer, project = project_with_reviewer(server, case_count=4)
        for case_id in range(3):
            reviewer.client.submit_review(sample_review(project.id, case_id, comment="fine"))
        stored = reviews_as_stored(server)
        name = reviewer.user.username
        assert status_of(fresh_database_url, name) == "active"

        done = sync_cli(fresh_database_url, "disable", name)
        assert (done.returncode, done.stdout) == (0, f"account `{name}` disabled\n")
        assert status_of(fresh_database_url, name) == "disabled"
        with pytest.raises(SignedOut, match=f"account `{name}` is disabled"):
            reviewer.client.me()  # the running server sees it at once
        with pytest.raises(Forbidden, match="is disabled"):
            server.client().sign_in(name, reviewer.password)
        again = sync_cli(fresh_database_url, "disable", name)
        assert again.stdout == f"account `{name}` was already disabled\n"
        assert len(owner.client.export_json(project.id).reviews) == 3

        done = sync_cli(fresh_database_url, "enable", name)
        assert (done.returncode, done.stdout) == (0, f"account `{name}` enabled\n")
        assert status_of(fresh_database_url, name) == "active"
        reviewer.client.sign_in(name, reviewer.password)
        second = server.client()
        second.sign_in(name, reviewer.password)

        done = sync_cli(
            fresh_database_url, "set-password", name, "--password-stdin", stdin="piped-new-pw\n"
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout == f"password of `{name}` set; it is signed out everywhere\n"
        for client in (reviewer.client, second):
            with pytest.raises(SignedOut, match="revoked"):
                client.me()
        with pytest.raises(SignedOut, match="wrong username or password"):
            server.client().sign_in(name, reviewer.password)
        server.client().sign_in(name, "piped-new-pw")

        # Typed at a prompt, twice, without echo.
        code, output = at_a_terminal(
            fresh_database_url, "set-password", name, typed=["typed-new-pw", "typed-new-pw"]
        )
        assert code == 0, output
        assert "typed-new-pw" not in output
        assert f"password of `{name}` set" in output
        server.client().sign_in(name, "typed-new-pw")
        code, output = at_a_terminal(
            fresh_database_url, "set-password", name, typed=["typed-other-1", "typed-other-2"]
        )
        assert code == 1
        assert "naesview-sync: the passwords differ; try again" in output
        server.client().sign_in(name, "typed-new-pw")  # unchanged

        assert reviews_as_stored(server) == stored  # nothing of it touched a review


def test_the_only_admin_is_rescued_from_the_command_line(fresh_database_url: str):
    with start_sync_server(fresh_database_url) as server:
        admin = server.admin.me()
        assert sync_cli(fresh_database_url, "disable", admin.username).returncode == 0
        with pytest.raises(SignedOut, match="is disabled"):
            server.admin.list_users()  # no admin can sign in now
        with pytest.raises(Forbidden, match="is disabled"):
            server.client().sign_in(admin.username, ADMIN_PASSWORD)
        assert sync_cli(fresh_database_url, "enable", admin.username).returncode == 0
        done = sync_cli(
            fresh_database_url,
            "set-password",
            admin.username,
            "--password-stdin",
            stdin="rescued-admin-pw\n",
        )
        assert done.returncode == 0, done.stderr
        with pytest.raises(SignedOut):
            server.client().sign_in(admin.username, ADMIN_PASSWORD)
        rescued = server.client()
        rescued.sign_in(admin.username, "rescued-admin-pw")
        assert admin.username in {a.username for a in rescued.list_users()}


def test_passwords_never_on_the_command_line_and_errors_are_one_line(fresh_database_url: str):
    with start_sync_server(fresh_database_url, admin=True) as server:
        user = server.new_user("reviewer")
        name = user.user.username
        on_argv = sync_cli(fresh_database_url, "set-password", name, "secret-on-argv")
        assert on_argv.returncode == 2
        assert "unrecognized arguments" in on_argv.stderr
        short = sync_cli(fresh_database_url, "set-password", name, "--password-stdin", stdin="x\n")
        assert short.returncode == 1
        assert short.stderr == (
            "naesview-sync: invalid password: Expected `str` of length >= 8 - at `$.password`\n"
        )
        for command in ("disable", "enable", "set-password"):
            done = sync_cli(fresh_database_url, command, "nobody-here", stdin="long-enough-pw\n")
            assert done.returncode == 1, command
            assert done.stderr == (
                "naesview-sync: no account `nobody-here`; `naesview-sync list-users` lists them\n"
            )
        assert user.client.me().id == user.user.id  # none of the failures touched the account
        server.client().sign_in(name, user.password)


def test_every_command_is_in_the_admin_guide():
    """The guide's ```sh lines are parsed by test_admin_guide.py; here: none is missing."""
    subcommands = next(
        action for action in build_parser()._actions if action.dest == "command"
    ).choices
    assert subcommands is not None
    guide = GUIDE.read_text()
    missing = [name for name in subcommands if f"naesview-sync {name}" not in guide]
    assert not missing, f"document these in docs/admin.md: {missing}"
    assert "set-password bob --password-stdin" in guide


def test_owners_and_reviewers_are_created_from_the_command_line(fresh_database_url: str):
    """`create-user`: an admin sets up accounts without HTTP requests by hand; the running
    server signs them in with their role at once; a taken name or a short password is one line."""
    with start_sync_server(fresh_database_url) as server:
        done = sync_cli(
            fresh_database_url,
            "create-user",
            "--username",
            "rita",
            "--role",
            "owner",
            "--display-name",
            "Dr Rita",
            "--password-stdin",
            stdin="rita-pass-1\n",
        )
        assert (done.returncode, done.stdout) == (0, "owner `rita` created\n"), done.stderr
        code, output = at_a_terminal(
            fresh_database_url,
            "create-user",
            "--username",
            "bob",
            typed=["bob-pass-12", "bob-pass-12"],
        )
        assert code == 0, output
        assert "bob-pass-12" not in output
        assert "reviewer `bob` created" in output
        rita = server.client()
        assert rita.sign_in("rita", "rita-pass-1").user.role == "owner"
        assert rita.me().display_name == "Dr Rita"
        assert server.client().sign_in("bob", "bob-pass-12").user.role == "reviewer"
        taken = sync_cli(
            fresh_database_url,
            "create-user",
            "--username",
            "bob",
            "--password-stdin",
            stdin="another-pass\n",
        )
        assert taken.returncode != 0
        assert len(taken.stderr.strip().splitlines()) == 1
        short = sync_cli(
            fresh_database_url,
            "create-user",
            "--username",
            "carl",
            "--password-stdin",
            stdin="short\n",
        )
        assert short.returncode != 0
        assert "Traceback" not in short.stderr
        assert status_of(fresh_database_url, "bob") == "active"
