"""Where the desktop app keeps its files, and the sign-in token file.

Paths come from platformdirs (the user's config and data folders) unless the entry point passes
others: `AppPaths.from_environ` reads `NAESVIEW_CONFIG_DIR` / `NAESVIEW_DATA_DIR` once, so tests and
the demo can isolate themselves. Nothing here reads the environment at import.

What lives where:
- config dir: `session.json` (server URL, user, bearer token; owner-only 0600), `local.json`
  (which dataset zip the reviewer chose per project: a local path, never sent anywhere).
- data dir: `outbox.sqlite3` (every answer, written before the view moves on).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import msgspec
import platformdirs

from naesview_wire import Session

APP_NAME = "naesview"
CONFIG_DIR_ENV = "NAESVIEW_CONFIG_DIR"
DATA_DIR_ENV = "NAESVIEW_DATA_DIR"


class StoredSession(msgspec.Struct, frozen=True, kw_only=True):
    """The signed-in account as kept on disk between launches."""

    server: str
    token: str
    username: str
    user_id: int
    role: str
    display_name: str = ""
    expires: str = ""

    @classmethod
    def of(cls, server: str, session: Session) -> StoredSession:
        """What to keep of a sign-in answer from `server`."""
        return cls(
            server=server,
            token=session.token,
            username=session.user.username,
            user_id=session.user.id,
            role=session.user.role,
            display_name=session.user.display_name,
            expires=session.expires.isoformat(),
        )


@dataclass(frozen=True, slots=True)
class AppPaths:
    config_dir: Path
    data_dir: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> AppPaths:
        config = environ.get(CONFIG_DIR_ENV) or platformdirs.user_config_dir(APP_NAME)
        data = environ.get(DATA_DIR_ENV) or platformdirs.user_data_dir(APP_NAME)
        return cls(config_dir=Path(config), data_dir=Path(data))

    @property
    def session_file(self) -> Path:
        return self.config_dir / "session.json"

    @property
    def local_file(self) -> Path:
        return self.config_dir / "local.json"

    @property
    def outbox_file(self) -> Path:
        return self.data_dir / "outbox.sqlite3"


def write_private(path: Path, data: bytes) -> None:
    """Write `data` so that only the owner can read it (0600), atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    # O_CREAT with mode 0600 so the token is never readable by others, not even for a moment.
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        if hasattr(os, "fchmod"):  # an older file keeps its mode through O_TRUNC
            os.fchmod(fd, 0o600)
        os.write(fd, data)
        os.fsync(fd)
    finally:
        os.close(fd)
    os.replace(tmp, path)


def save_session(paths: AppPaths, session: StoredSession) -> None:
    write_private(paths.session_file, msgspec.json.encode(session))


def load_session(paths: AppPaths) -> StoredSession | None:
    """The stored session, or None when signed out (or the file is unreadable)."""
    try:
        return msgspec.json.decode(paths.session_file.read_bytes(), type=StoredSession)
    except (FileNotFoundError, msgspec.DecodeError, msgspec.ValidationError):
        return None


def delete_session(paths: AppPaths) -> None:
    paths.session_file.unlink(missing_ok=True)


def remembered_dataset(paths: AppPaths, server: str, project_id: int) -> str | None:
    """The dataset zip the reviewer last chose for this project on this machine."""
    return _read_local(paths).get(f"{server}#{project_id}")


def remember_dataset(paths: AppPaths, server: str, project_id: int, path: str) -> None:
    local = _read_local(paths)
    local[f"{server}#{project_id}"] = path
    write_private(paths.local_file, json.dumps(local, indent=1).encode())


def _read_local(paths: AppPaths) -> dict[str, str]:
    try:
        data = json.loads(paths.local_file.read_text())
    except (FileNotFoundError, ValueError):
        return {}
    return {str(k): str(v) for k, v in data.items()} if isinstance(data, dict) else {}
