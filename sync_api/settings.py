"""Settings of the sync API: one frozen Struct, built once at the entry point (`sync_api.cli`)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import platformdirs


class Settings(msgspec.Struct, frozen=True, kw_only=True):
    """Everything `create_app` needs; nothing here is read from the environment."""

    database_url: str
    """SQLAlchemy URL; `sqlite:///…` and `postgresql://…` get their async drivers added."""
    token_ttl_hours: int = 24 * 30
    """How long a sign-in token lasts."""
    max_body_bytes: int = 16 * 1024 * 1024
    """Largest request body accepted (reviews with edited masks are the big ones)."""
    request_log: bool = True
    """Write one JSON line per request to stderr."""


def default_database_url() -> str:
    """A SQLite file in the user's data folder (created when missing)."""
    folder = Path(platformdirs.user_data_dir("naesview-sync", appauthor=False))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'sync.sqlite3'}"
