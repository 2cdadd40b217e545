"""A real sync server for tests: `naesview-sync serve` as a subprocess on a free loopback port.

Reusable by any test tier (integration, e2e, benchmarks):

    with postgres_database() as url:             # or sqlite_url(tmp_path)
        with start_sync_server(url) as server:    # migrates, serves, waits for /healthz
            owner = server.new_user("owner")      # SignedInUser(client, user, password)
            owner.client.create_project(...)

`server.base_url` is what the desktop app signs in to; `server.admin` is a signed-in admin client.
The fixtures in `tests/integration/conftest.py` wrap these for pytest.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import httpx

from naesview_app.sync import SyncClient
from naesview_wire import (
    AnswerOption,
    BrushConfig,
    Layer,
    ProjectConfig,
    ProjectCreate,
    ProjectDetail,
    ProjectPrivate,
    ProjectPublic,
    Review,
    User,
    UserCreate,
    Viewport,
    ViewportGrid,
)

ROOT = Path(__file__).resolve().parent.parent
# The PostgreSQL on these machines (trust auth); override with NAESVIEW_TEST_POSTGRES_URL.
POSTGRES_URL = os.environ.get(
    "NAESVIEW_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
ADMIN_PASSWORD = "admin-password-for-tests"  # a throwaway test database


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'sync.sqlite3'}"


def _with_database(url: str, database: str) -> str:
    base, _, _ = url.rpartition("/")
    return f"{base}/{database}"


async def _postgres(url: str, *statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://"))
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


@contextmanager
def postgres_database(admin_url: str = POSTGRES_URL) -> Iterator[str]:
    """A fresh PostgreSQL database `naesview_test_<random>` for the block; dropped after."""
    name = f"naesview_test_{secrets.token_hex(6)}"
    asyncio.run(_postgres(admin_url, f'CREATE DATABASE "{name}"'))
    try:
        yield _with_database(admin_url, name)
    finally:
        asyncio.run(_postgres(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def run_sql(database_url: str, *statements: str) -> None:
    """Run SQL directly on the server's database (to age tokens or invitations in tests)."""
    from sqlalchemy import text

    from sync_api.db.engine import make_engine

    async def run() -> None:
        engine = make_engine(database_url, for_migrations=True)
        try:
            async with engine.begin() as connection:
                for statement in statements:
                    await connection.execute(text(statement))
        finally:
            await engine.dispose()

    asyncio.run(run())


def query_sql(database_url: str, statement: str) -> list[tuple]:
    """Rows of a SQL query run directly on the server's database."""
    from sqlalchemy import text

    from sync_api.db.engine import make_engine

    async def run() -> list[tuple]:
        engine = make_engine(database_url, for_migrations=True)
        try:
            async with engine.connect() as connection:
                return [tuple(row) for row in await connection.execute(text(statement))]
        finally:
            await engine.dispose()

    return asyncio.run(run())


def naesview_sync(database_url: str, *args: str, stdin: str = "", timeout: float = 60) -> str:
    """Run `naesview-sync ARGS` against `database_url`; returns stdout, raises on failure."""
    done = subprocess.run(
        [sys.executable, "-m", "sync_api.cli", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, "NAESVIEW_DATABASE_URL": database_url},
        cwd=ROOT,
    )
    if done.returncode != 0:
        raise RuntimeError(f"naesview-sync {' '.join(args)} failed: {done.stderr.strip()}")
    return done.stdout


@dataclass
class SignedInUser:
    client: SyncClient
    user: User
    password: str


@dataclass
class SyncServer:
    base_url: str
    database_url: str
    process: subprocess.Popen
    log_path: Path
    admin: SyncClient = field(init=False)
    _clients: list[SyncClient] = field(default_factory=list)

    def client(self, token: str | None = None, **options: object) -> SyncClient:
        """A client of this server (closed when the server stops)."""
        client = SyncClient(self.base_url, token=token, **options)  # type: ignore[arg-type]
        self._clients.append(client)
        return client

    def new_user(self, role: str = "reviewer", name: str | None = None) -> SignedInUser:
        """A fresh account with `role`, created by the admin and signed in."""
        username = name or f"{role}-{secrets.token_hex(4)}"
        password = f"pw-{secrets.token_hex(8)}"
        user = self.admin.create_user(
            UserCreate(
                username=username,
                password=password,
                display_name=username.title(),
                role=role,  # type: ignore[arg-type]
            )
        )
        client = self.client()
        client.sign_in(username, password)
        return SignedInUser(client, user, password)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        if self.process.poll() is None:
            # The server runs in its own process group: stop uvicorn and its workers together.
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)


def _wait_healthy(base_url: str, process: subprocess.Popen, log_path: Path, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"naesview-sync serve exited early:\n{log_path.read_text()}")
        try:
            if httpx.get(f"{base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(
        f"naesview-sync serve not healthy after {timeout} s:\n{log_path.read_text()}"
    )


@contextmanager
def start_sync_server(
    database_url: str,
    *,
    workers: int = 1,
    migrate: bool = True,
    admin: bool = True,
    timeout: float = 30,
    log_dir: Path | None = None,
) -> Iterator[SyncServer]:
    """Migrate `database_url`, serve it on a free port, create and sign in an admin."""
    if migrate:
        naesview_sync(database_url, "migrate")
    admin_name = f"admin-{secrets.token_hex(4)}"
    if admin:
        naesview_sync(
            database_url,
            "create-admin",
            "--username",
            admin_name,
            "--password-stdin",
            stdin=ADMIN_PASSWORD + "\n",
        )
    port = free_port()
    log_path = Path(log_dir or tempfile.mkdtemp(prefix="naesview-sync-")) / f"serve-{port}.log"
    command = [sys.executable, "-m", "sync_api.cli", "serve", "--port", str(port)]
    command += ["--workers", str(workers)]
    with log_path.open("w") as log:
        process = subprocess.Popen(
            command,
            stdout=log,
            stderr=subprocess.STDOUT,
            env={**os.environ, "NAESVIEW_DATABASE_URL": database_url},
            cwd=ROOT,
            start_new_session=True,
        )
    base_url = f"http://127.0.0.1:{port}"
    server = SyncServer(base_url, database_url, process, log_path)
    try:
        _wait_healthy(base_url, process, log_path, timeout)
        if admin:
            server.admin = server.client()
            server.admin.sign_in(admin_name, ADMIN_PASSWORD)
        yield server
    finally:
        server.stop()


# -- sample content ---------------------------------------------------------------------------

FINGERPRINT = "ab" * 32


def sample_config(*, comment: str = "optional", brush: bool = False) -> ProjectConfig:
    """A two-answer config with an image and a mask layer."""
    return ProjectConfig(
        question="Is the segmentation acceptable?",
        viewports=ViewportGrid(
            viewports=(
                Viewport(
                    layers=(
                        Layer(volume="image.nii.gz"),
                        Layer(volume="mask.nii.gz", is_mask=True, opacity=0.5),
                    )
                ),
            )
        ),
        answers=(
            AnswerOption(value="accept", label="Accept", key=1),
            AnswerOption(value="reject", label="Reject", key=2),
        ),
        comment=comment,  # type: ignore[arg-type]
        brush=BrushConfig(volume="mask.nii.gz") if brush else None,
    )


def sample_project(
    *, title: str | None = None, case_count: int = 20, status: str = "open", **config: object
) -> ProjectCreate:
    return ProjectCreate(
        public=ProjectPublic(
            title=title or f"Project {secrets.token_hex(3)}", short_description="Liver masks"
        ),
        private=ProjectPrivate(instructions_md="# Check the liver mask\nReject leaks."),
        config=sample_config(**config),  # type: ignore[arg-type]
        fingerprint=FINGERPRINT,
        case_count=case_count,
        status=status,  # type: ignore[arg-type]
    )


def sample_review(
    project_id: int, case_id: int, answer: str = "accept", *, config_version: int = 1, **more
) -> Review:
    return Review(
        uuid=uuid.uuid4(),
        project_id=project_id,
        config_version=config_version,
        case_id=case_id,
        answer=answer,
        elapsed_ms=1200,
        created=datetime.now(UTC),
        **more,
    )


def project_with_reviewer(
    server: SyncServer, **project: object
) -> tuple[SignedInUser, SignedInUser, ProjectDetail]:
    """A fresh owner, a project of theirs and a fresh reviewer who joined it by invitation."""
    owner = server.new_user("owner")
    detail = owner.client.create_project(sample_project(**project))  # type: ignore[arg-type]
    reviewer = server.new_user("reviewer")
    code = owner.client.create_invitation(detail.id).code
    reviewer.client.accept_invitation(code)
    return owner, reviewer, detail
