"""Alembic migrations on SQLite and PostgreSQL: from empty, down and up again, as the models say."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from sync_api.db import migrate
from sync_api.db.engine import make_engine
from sync_api.db.models import Base
from tests.sync_server import naesview_sync, query_sql, run_sql

TABLES = {"users", "tokens", "projects", "config_versions", "memberships", "invitations", "reviews"}
HEAD = "0002"


def tables_and_model_differences(url: str) -> tuple[set[str], list]:
    async def read():
        engine = make_engine(url, for_migrations=True)
        try:
            async with engine.connect() as connection:

                def inspect_sync(sync):
                    names = set(inspect(sync).get_table_names()) - {"alembic_version"}
                    diffs = compare_metadata(MigrationContext.configure(sync), Base.metadata)
                    return names, diffs

                return await connection.run_sync(inspect_sync)
        finally:
            await engine.dispose()

    return asyncio.run(read())


def user_columns(url: str) -> set[str]:
    async def read() -> set[str]:
        engine = make_engine(url, for_migrations=True)
        try:
            async with engine.connect() as connection:
                return await connection.run_sync(
                    lambda sync: {c["name"] for c in inspect(sync).get_columns("users")}
                )
        finally:
            await engine.dispose()

    return asyncio.run(read())


def test_upgrade_from_empty_downgrade_and_upgrade_again(fresh_database_url: str):
    assert migrate.current_revision(fresh_database_url) is None
    output = naesview_sync(fresh_database_url, "migrate")  # the command admins run
    assert f"database is at revision {HEAD}" in output
    tables, differences = tables_and_model_differences(fresh_database_url)
    assert tables == TABLES
    assert differences == []  # the migrations build exactly the tables the models describe

    migrate.downgrade(fresh_database_url, "base")
    assert migrate.current_revision(fresh_database_url) is None
    assert tables_and_model_differences(fresh_database_url)[0] == set()

    migrate.upgrade(fresh_database_url)
    assert migrate.current_revision(fresh_database_url) == HEAD
    assert tables_and_model_differences(fresh_database_url) == (TABLES, [])


def test_each_revision_keeps_the_rows_down_and_up(fresh_database_url: str):
    """0002 adds users.disabled_at: rows written at 0001 survive the upgrade, and rows written
    at 0002 survive the downgrade, tokens and memberships included (a table copy on SQLite
    would cascade their deletion)."""
    migrate.upgrade(fresh_database_url, "0001")
    run_sql(
        fresh_database_url,
        "INSERT INTO users (id, username, display_name, role, password_hash, created, "
        "failed_signins) VALUES (1, 'ann', 'Ann', 'owner', 'hash', '2026-01-01 00:00:00', 0)",
        "INSERT INTO tokens (user_id, token_hash, created, expires, revoked) "
        "VALUES (1, 'ab', '2026-01-01 00:00:00', '2027-01-01 00:00:00', false)",
        "INSERT INTO projects (id, owner_id, title, short_description, instructions_md, status, "
        "fingerprint, case_count, created) "
        "VALUES (1, 1, 'P', 'd', '', 'open', 'f', 3, '2026-01-01 00:00:00')",
        "INSERT INTO memberships (project_id, user_id, joined) VALUES (1, 1, '2026-01-01')",
    )
    migrate.upgrade(fresh_database_url, "0002")
    assert query_sql(fresh_database_url, "SELECT username, disabled_at FROM users") == [
        ("ann", None)
    ]
    run_sql(fresh_database_url, "UPDATE users SET disabled_at = '2026-02-01 00:00:00'")

    migrate.downgrade(fresh_database_url, "0001")
    assert migrate.current_revision(fresh_database_url) == "0001"
    columns = user_columns(fresh_database_url)
    assert "disabled_at" not in columns
    assert "username" in columns
    assert query_sql(fresh_database_url, "SELECT username FROM users") == [("ann",)]
    assert query_sql(fresh_database_url, "SELECT count(*) FROM tokens") == [(1,)]
    assert query_sql(fresh_database_url, "SELECT count(*) FROM memberships") == [(1,)]

    migrate.upgrade(fresh_database_url)
    assert query_sql(fresh_database_url, "SELECT username, disabled_at FROM users") == [
        ("ann", None)
    ]
    assert tables_and_model_differences(fresh_database_url) == (TABLES, [])


def test_serve_refuses_an_unmigrated_database(fresh_database_url: str):
    import subprocess
    import sys

    done = subprocess.run(
        [sys.executable, "-m", "sync_api.cli", "serve", "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"NAESVIEW_DATABASE_URL": fresh_database_url, "PATH": ""},
    )
    assert done.returncode == 1
    assert "run `naesview-sync migrate` first" in done.stderr
