"""Fixtures for tests against a real sync server, on SQLite and on PostgreSQL.

- `database_url` (session, parametrised "sqlite" / "postgresql"): a migrated-ready empty database.
- `sync_server` (session): one `naesview-sync serve` per backend, shared by the tests that create
  their own users and projects (see `tests/sync_server.py` for `new_user` and friends).
- `fresh_database_url` (function): a new empty database per test, for tests that need one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.sync_server import SyncServer, postgres_database, sqlite_url, start_sync_server

BACKENDS = ["sqlite", "postgresql"]


def _database(backend: str, folder: Path) -> Iterator[str]:
    if backend == "sqlite":
        yield sqlite_url(folder)
    else:
        with postgres_database() as url:
            yield url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory):
    yield from _database(request.param, tmp_path_factory.mktemp(f"db-{request.param}"))


@pytest.fixture(params=BACKENDS)
def fresh_database_url(request: pytest.FixtureRequest, tmp_path: Path):
    yield from _database(request.param, tmp_path)


@pytest.fixture(scope="session")
def sync_server(
    database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SyncServer]:
    with start_sync_server(database_url, log_dir=tmp_path_factory.mktemp("sync-logs")) as server:
        yield server
