"""`naesview-sync` as admins run it: help, create-admin, and one-line errors without tracebacks."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.sync_server import ROOT, naesview_sync, sqlite_url


def run(database_url: str, *args: str, stdin: str = "") -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "sync_api.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "NAESVIEW_DATABASE_URL": database_url},
        cwd=ROOT,
    )


def test_help_lists_the_commands(tmp_path: Path):
    done = run(sqlite_url(tmp_path), "--help")
    assert done.returncode == 0
    for command in ("serve", "migrate", "create-admin", "NAESVIEW_DATABASE_URL"):
        assert command in done.stdout


def test_create_admin_once_per_name_with_a_valid_password(fresh_database_url: str):
    naesview_sync(fresh_database_url, "migrate")
    first = run(fresh_database_url, "create-admin", "--username", "root", "--password-stdin",
                stdin="long-enough-password\n")  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "admin `root` created" in first.stdout
    again = run(fresh_database_url, "create-admin", "--username", "root", "--password-stdin",
                stdin="another-password\n")  # fmt: skip
    assert again.returncode == 1
    assert again.stderr.strip() == "naesview-sync: username `root` is taken; choose another"
    short = run(fresh_database_url, "create-admin", "--username", "kim", "--password-stdin",
                stdin="short\n")  # fmt: skip
    assert short.returncode == 1
    assert "invalid account: Expected `str` of length >= 8 - at `$.password`" in short.stderr


def test_database_problems_are_one_line(tmp_path: Path):
    cases = {
        "mysql://db/naesview": "database URL scheme `mysql` is not supported",
        f"sqlite:///{tmp_path}/missing/folder/db.sqlite3": "unable to open database file",
        "postgresql://postgres@127.0.0.1:1/none": "cannot reach the database",
    }
    for url, message in cases.items():
        done = run(url, "migrate")
        assert done.returncode == 1, url
        assert message in done.stderr
        assert len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_serve_options_are_checked(tmp_path: Path):
    for args, message in (
        (["--workers", "0"], "`0` is not a whole number of at least 1"),
        (["--port", "99999"], "`99999` is not a port number"),
    ):
        done = run(sqlite_url(tmp_path), "serve", *args)
        assert done.returncode == 2
        assert message in done.stderr
