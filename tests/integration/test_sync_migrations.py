"""Alembic migrations on SQLite and PostgreSQL: from empty, down and up again, as the models say."""

from __future__ import annotations

import asyncio

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from sync_api.db import migrate
from sync_api.db.engine import make_engine
from sync_api.db.models import Base
from tests.sync_server import naesview_sync

TABLES = {"users", "tokens", "projects", "config_versions", "memberships", "invitations", "reviews"}


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


def test_upgrade_from_empty_downgrade_and_upgrade_again(fresh_database_url: str):
    assert migrate.current_revision(fresh_database_url) is None
    output = naesview_sync(fresh_database_url, "migrate")  # the command admins run
    assert "database is at revision 0001" in output
    tables, differences = tables_and_model_differences(fresh_database_url)
    assert tables == TABLES
    assert differences == []  # the migrations build exactly the tables the models describe

    migrate.downgrade(fresh_database_url, "base")
    assert migrate.current_revision(fresh_database_url) is None
    assert tables_and_model_differences(fresh_database_url)[0] == set()

    migrate.upgrade(fresh_database_url)
    assert migrate.current_revision(fresh_database_url) == "0001"
    assert tables_and_model_differences(fresh_database_url)[0] == TABLES


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
