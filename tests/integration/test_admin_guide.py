"""docs/admin.md and deploy/: every shell command in the guide is run here or says why it can't be.

The backup and restore scripts make a real round trip on SQLite and PostgreSQL: data written
through a running server is served again by a server started on the restored database.
"""

from __future__ import annotations

import argparse
import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from naesview_wire import Review
from sync_api.cli import build_parser
from tests.sync_server import (
    ROOT,
    postgres_database,
    project_with_reviewer,
    sample_review,
    sqlite_url,
    start_sync_server,
)

GUIDE = ROOT / "docs" / "admin.md"
DEPLOY = ROOT / "deploy"
UNIT = DEPLOY / "naesview-sync.service"
INSTALLED_COMMAND = "/opt/naesview-sync/bin/naesview-sync"
# The venv's console script, the same one `pip install 'naesview[server]'` creates.
CONSOLE_SCRIPT = Path(sys.executable).parent / "naesview-sync"

# Lines of the guide that need root, systemd as PID 1, the network or a real host's files.
NOT_RUNNABLE = {
    "python3 -m venv /opt/naesview-sync": "writes to /opt (root)",
    "/opt/naesview-sync/bin/pip install 'naesview[server]'": "downloads from PyPI",
    "export PATH=/opt/naesview-sync/bin:$PATH": "only names the install folder",
    "sudo -u postgres createuser --pwprompt naesview": "needs sudo and a local postgres user",
    "sudo -u postgres createdb --owner naesview naesview": "needs sudo; postgres_database() "
    "creates test databases instead",
    "export NAESVIEW_DATABASE_URL='postgresql://naesview:PASSWORD@127.0.0.1:5432/naesview'": (
        "example credentials; the tests set the URL per database"
    ),
    "sudo useradd --system --home-dir /var/lib/naesview --shell /usr/sbin/nologin naesview": (
        "creates a system user (root)"
    ),
    "sudo install -m 600 deploy/naesview-sync.env.example /etc/naesview-sync.env": "root",
    "sudo cp deploy/naesview-sync.service /etc/systemd/system/": "root; the unit is checked by "
    "systemd-analyze verify below",
    "sudo systemctl daemon-reload": "systemd is not PID 1 here",
    "sudo systemctl enable --now naesview-sync": "systemd is not PID 1 here",
    "journalctl -u naesview-sync -f": "no journal here; the JSON lines are tested in "
    "test_sync_api.py (test_request_log_is_one_json_line_per_request_without_secrets)",
    "set -a; . /etc/naesview-sync.env; set +a": "reads the host's environment file",
    "sudo -u postgres createdb --owner naesview naesview_restored": "needs sudo; the round "
    "trip restores into a fresh postgres_database()",
    "sudo systemctl stop naesview-sync": "systemd is not PID 1 here",
    "sudo systemctl start naesview-sync": "systemd is not PID 1 here",
    "sudo systemctl restart naesview-sync": "systemd is not PID 1 here",
    "/opt/naesview-sync/bin/pip install --upgrade 'naesview[server]'": "downloads from PyPI",
    "curl -fsS http://10.0.0.11:8750/healthz": "an example replica address; /healthz is "
    "requested by every test server start",
}
SCRIPTS = ("deploy/backup.sh", "deploy/restore.sh")  # run by the round-trip test below


def shell_lines(markdown: str) -> list[str]:
    """Each command line of the guide's ```sh blocks, without trailing comments."""
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", markdown, flags=re.DOTALL):
        for line in block.splitlines():
            command = re.sub(r"\s+#\s.*$", "", line).strip()
            if command and not command.startswith("#"):
                lines.append(command)
    return lines


def sync_arguments(line: str) -> list[str] | None:
    """The arguments after `naesview-sync` when the line runs it, else None."""
    lexer = shlex.shlex(line, posix=True, punctuation_chars=True)
    lexer.whitespace_split = True
    tokens = list(lexer)
    for index, token in enumerate(tokens):
        # Only in command position: `systemctl restart naesview-sync` names the unit.
        before = tokens[index - 1] if index else ";"
        in_command_position = before in ("|", ";", "&&", "||") or "=" in before
        if token in ("naesview-sync", INSTALLED_COMMAND) and in_command_position:
            rest = tokens[index + 1 :]
            end = next((i for i, t in enumerate(rest) if t in ("|", ";", "&&", "||")), len(rest))
            return rest[:end]
    return None


def test_every_shell_line_of_the_guide_is_exercised_or_explained():
    lines = shell_lines(GUIDE.read_text())
    assert len(lines) > 15, "the guide's ```sh blocks were not found"
    unexplained = [
        line
        for line in lines
        if line not in NOT_RUNNABLE
        and sync_arguments(line) is None
        and not any(script in line for script in SCRIPTS)
    ]
    assert not unexplained, f"run these in a test or list them in NOT_RUNNABLE: {unexplained}"
    stale = set(NOT_RUNNABLE) - set(lines)
    assert not stale, f"NOT_RUNNABLE names lines the guide no longer has: {stale}"


def test_every_naesview_sync_line_parses():
    lines = [*shell_lines(GUIDE.read_text()), *unit_commands()]
    commands = [args for args in map(sync_arguments, lines) if args is not None]
    assert {args[0] for args in commands} >= {"serve", "migrate", "create-admin"}
    parser = build_parser()
    parser.exit_on_error = False
    for args in commands:
        try:
            parsed = parser.parse_args(args)
        except (argparse.ArgumentError, SystemExit) as error:
            pytest.fail(f"`naesview-sync {shlex.join(args)}` does not parse: {error}")
        assert parsed.command == args[0]


def unit_commands() -> list[str]:
    return [
        line.partition("=")[2]
        for line in UNIT.read_text().splitlines()
        if line.startswith(("ExecStart=", "ExecStartPre="))
    ]


def test_systemd_unit_verifies(tmp_path: Path):
    text = UNIT.read_text()
    for setting in (
        "User=naesview",
        "EnvironmentFile=/etc/naesview-sync.env",
        f"ExecStartPre={INSTALLED_COMMAND} migrate",
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "PrivateTmp=yes",
    ):
        assert setting in text.splitlines(), setting
    assert CONSOLE_SCRIPT.is_file(), "the naesview-sync console script is not installed"
    if shutil.which("systemd-analyze") is None:
        return  # the settings and command lines are still checked above and by the parse test
    # verify insists the command exists: point it at this venv's console script.
    local = tmp_path / UNIT.name
    local.write_text(text.replace(INSTALLED_COMMAND, str(CONSOLE_SCRIPT)))
    done = subprocess.run(
        ["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=30
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", done.stderr  # unknown keys are only warned about


def test_nginx_example_fronts_the_documented_port(tmp_path: Path):
    config = (DEPLOY / "nginx.conf").read_text()
    upstreams = re.findall(r"^\s*server (\S+):(\d+)", config, flags=re.MULTILINE)
    assert len(upstreams) == 2
    assert {port for _, port in upstreams} == {str(build_parser_default_port())}
    assert "listen 443 ssl;" in config
    assert "client_max_body_size 16m;" in config
    assert "proxy_pass http://naesview_sync;" in config
    if shutil.which("nginx"):
        wrapper = tmp_path / "nginx.conf"
        wrapper.write_text(f"events {{}}\nhttp {{\ninclude {DEPLOY / 'nginx.conf'};\n}}\n")
        done = subprocess.run(
            ["nginx", "-t", "-c", str(wrapper)], capture_output=True, text=True, timeout=30
        )
        # Certificates are examples: only a syntax error fails the test.
        assert "emerg] unknown directive" not in done.stderr, done.stderr


def build_parser_default_port() -> int:
    return build_parser().parse_args(["serve"]).port


def run_script(name: str, database_url: str, backup: Path) -> str:
    done = subprocess.run(
        ["sh", str(DEPLOY / name), str(backup)],
        capture_output=True,
        text=True,
        timeout=60,
        # restore.sh runs `naesview-sync migrate` from PATH, like on a host.
        env={
            **os.environ,
            "NAESVIEW_DATABASE_URL": database_url,
            "PATH": f"{CONSOLE_SCRIPT.parent}{os.pathsep}{os.environ['PATH']}",
        },
        cwd=ROOT,
    )
    assert done.returncode == 0, f"{name} failed: {done.stderr}"
    return done.stdout


def write_and_back_up(database_url: str, backup: Path) -> tuple[str, str, Review]:
    """A project and a review written through a real server; backed up while it runs."""
    with start_sync_server(database_url) as server:
        owner, reviewer, project = project_with_reviewer(server, title="Backed up project")
        review = sample_review(project.id, 3, "reject", comment="leaks into the kidney")
        reviewer.client.submit_review(review)
        assert "backed up to" in run_script("backup.sh", database_url, backup)
        return owner.user.username, owner.password, review


def assert_served_after_restore(restored_url: str, backup: Path, written) -> None:
    username, password, review = written
    assert "database is at revision" in run_script("restore.sh", restored_url, backup)
    with start_sync_server(restored_url, migrate=False, admin=False) as server:
        owner = server.client()
        owner.sign_in(username, password)
        (project,) = owner.list_projects()
        assert project.public.title == "Backed up project"
        (record,) = owner.list_reviews(project.id)
        assert record.review == review


def test_backup_and_restore_sqlite(tmp_path: Path):
    (tmp_path / "live").mkdir()
    backup = tmp_path / "sync-backup.sqlite3"
    written = write_and_back_up(sqlite_url(tmp_path / "live"), backup)
    assert_served_after_restore(sqlite_url(tmp_path / "restored"), backup, written)


def test_backup_and_restore_postgresql(tmp_path: Path):
    backup = tmp_path / "naesview.dump"
    with postgres_database() as live:
        written = write_and_back_up(live, backup)
    with postgres_database() as restored:
        assert_served_after_restore(restored, backup, written)


def test_scripts_refuse_unknown_databases_in_one_line(tmp_path: Path):
    for name in ("backup.sh", "restore.sh"):
        (tmp_path / "some.dump").write_text("")
        done = subprocess.run(
            ["sh", str(DEPLOY / name), str(tmp_path / "some.dump")],
            capture_output=True,
            text=True,
            timeout=30,
            env={**os.environ, "NAESVIEW_DATABASE_URL": "mysql://db/naesview"},
        )
        assert done.returncode == 1
        assert done.stderr.strip() == (
            f"{name}: NAESVIEW_DATABASE_URL must start with postgresql:// or sqlite:///"
        )


def test_the_database_password_never_reaches_a_command_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """backup.sh/restore.sh hand the password to pg_dump/pg_restore in PGPASSWORD (decoded), not
    in --dbname, where every local user could read it in `ps`. The real tools run (through a
    shim that records what they were given); this server trusts local connections, so the
    password is accepted whatever it is."""
    shims = tmp_path / "shims"
    shims.mkdir()
    log = tmp_path / "calls.log"
    for tool in ("pg_dump", "pg_restore"):
        real = shutil.which(tool)
        assert real is not None, f"{tool} missing (make system-deps installs postgresql-client)"
        shim = shims / tool
        shim.write_text(
            f'#!/bin/sh\nprintf "%s\\n" "{tool} $* PGPASSWORD=$PGPASSWORD" >> "{log}"\n'
            f'exec "{real}" "$@"\n'
        )
        shim.chmod(0o755)
    backup = tmp_path / "naesview.dump"
    secret = "s3cr@t:pw"

    def with_secret(url: str) -> str:
        return url.replace("://postgres@", "://postgres:s3cr%40t%3Apw@", 1)

    monkeypatch.setenv("PATH", f"{shims}{os.pathsep}{os.environ['PATH']}")
    with postgres_database() as live:
        assert "://postgres@" in live
        written = write_and_back_up(with_secret(live), backup)
    with postgres_database() as restored:
        assert_served_after_restore(with_secret(restored), backup, written)
    calls = log.read_text().splitlines()
    assert [c.split()[0] for c in calls] == ["pg_dump", "pg_restore"]
    for call in calls:
        arguments, password = call.rsplit(" PGPASSWORD=", 1)
        assert password == secret  # decoded from the URL
        assert "s3cr" not in arguments
        assert "postgres@" in arguments
