"""`naesview demo`: everything needed to try naesView on one machine, in one command.

1. Generates the demo datasets (`demo_data`; kept between runs).
2. Starts a local sync API (`naesview-sync serve`) on a fresh SQLite file on a free port.
3. Creates an admin, a demo owner and a demo reviewer (random passwords, printed), the owner's
   projects, and lets the reviewer join them with an invitation code.
4. Opens the app signed in as the reviewer, with the dataset chosen, straight into the review
   view of the lesion project (`app_info().start`). The app's config and data folders are the
   demo folder's own, so the demo never touches a real sign-in or outbox.

The sync server is stopped when the app exits (or, on Linux, when this process dies).
"""

from __future__ import annotations

import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import platformdirs

from naesview_app.config import AppPaths, StoredSession, remember_dataset, save_session
from naesview_app.review.messages import StartHint

SERVER_START_TIMEOUT = 60.0


def demo_command(browser: bool, port: int, open_browser: bool, data_dir: str | None) -> int:
    folder = Path(data_dir) if data_dir else Path(platformdirs.user_data_dir("naesview")) / "demo"
    folder = folder.expanduser().resolve()
    try:
        import sync_api  # noqa: F401  (the demo runs the sync server: naesview[server])
    except ImportError:
        print(
            "naesview demo: the sync server is not installed; pip install 'naesview[app,server]'",
            file=sys.stderr,
        )
        return 1
    print(f"naesview demo: preparing demo data in {folder}", flush=True)
    from naesview_app.demo_data import write_demo_datasets

    ct_zip, mr_zip = write_demo_datasets(folder / "datasets")
    with DemoServer(folder / "server") as server:
        reviewer, project_ids = _populate(server.base_url, server.admin_password, ct_zip, mr_zip)
        project_id = project_ids[0]
        paths = AppPaths(config_dir=folder / "app-config", data_dir=folder / "app-data")
        for old in (paths.config_dir, paths.data_dir):
            shutil.rmtree(old, ignore_errors=True)  # the server is new: so is the app's state
        save_session(paths, reviewer)
        for pid, zip_path in zip(project_ids, (ct_zip, mr_zip), strict=True):
            remember_dataset(paths, server.base_url, pid, str(zip_path))
        print(
            f"naesview demo: sync server {server.base_url} (signed in as {reviewer.username})",
            flush=True,
        )
        from naesview_app import shell

        start = StartHint(project_id=project_id, dataset_path=str(ct_zip))
        if not browser and _no_display():
            print(
                "naesview demo: no display for a window (DISPLAY is not set); serving the app "
                "for a browser on this machine instead",
                flush=True,
            )
            browser, open_browser = True, False
        if browser:
            return shell.run_browser(paths, port=port, open_browser=open_browser, start=start)
        return shell.run_window(paths, start=start)


class DemoServer:
    """`naesview-sync serve` on a fresh SQLite database in `folder`, on a free loopback port."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.admin_password = secrets.token_urlsafe(16)
        self.process: subprocess.Popen | None = None
        self.base_url = ""

    def __enter__(self) -> DemoServer:
        shutil.rmtree(self.folder, ignore_errors=True)
        self.folder.mkdir(parents=True)
        env = {**os.environ, "NAESVIEW_DATABASE_URL": f"sqlite:///{self.folder / 'sync.sqlite3'}"}
        command = [sys.executable, "-m", "sync_api.cli"]
        for args, stdin in (
            (["migrate"], ""),
            (
                ["create-admin", "--username", "demo-admin", "--password-stdin"],
                self.admin_password + "\n",
            ),
        ):
            done = subprocess.run(
                [*command, *args],
                input=stdin,
                capture_output=True,
                text=True,
                env=env,
                timeout=120,
            )
            if done.returncode != 0:
                raise SystemExit(
                    f"naesview demo: naesview-sync {args[0]} failed: "
                    f"{done.stderr.strip().splitlines()[-1:]}"
                )
        port = _free_port()
        log = (self.folder / "serve.log").open("w")
        self.process = subprocess.Popen(
            [*command, "serve", "--port", str(port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )
        self.base_url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + SERVER_START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"naesview demo: the sync server stopped; see {log.name}")
            try:
                if httpx.get(f"{self.base_url}/healthz", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.__exit__()
        raise SystemExit(f"naesview demo: the sync server did not start; see {log.name}")

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def _populate(
    base_url: str, admin_password: str, ct_zip: Path, mr_zip: Path
) -> tuple[StoredSession, list[int]]:
    """Owner, reviewer, both projects, invitations; returns the reviewer's session and the
    projects' ids (lesion, MR)."""
    from naesview_app.datasets import open_dataset
    from naesview_app.demo_data import lesion_project, mr_project
    from naesview_app.sync import SyncClient
    from naesview_wire import UserCreate

    passwords = {name: secrets.token_urlsafe(9) for name in ("demo-owner", "demo-reviewer")}
    with SyncClient(base_url) as admin:
        admin.sign_in("demo-admin", admin_password)
        admin.create_user(
            UserCreate(
                username="demo-owner",
                password=passwords["demo-owner"],
                display_name="Demo Owner",
                role="owner",
            )
        )
        admin.create_user(
            UserCreate(
                username="demo-reviewer",
                password=passwords["demo-reviewer"],
                display_name="Demo Reviewer",
                role="reviewer",
            )
        )
    with SyncClient(base_url) as owner, SyncClient(base_url) as reviewer:
        owner.sign_in("demo-owner", passwords["demo-owner"])
        session = reviewer.sign_in("demo-reviewer", passwords["demo-reviewer"])
        project_ids = []
        for make, path in ((lesion_project, ct_zip), (mr_project, mr_zip)):
            with open_dataset(path) as dataset:
                fingerprint, count = dataset.fingerprint, len(dataset.cases)
            project = owner.create_project(make(fingerprint, count))
            reviewer.accept_invitation(owner.create_invitation(project.id).code)
            project_ids.append(project.id)
    for name, password in passwords.items():
        print(f"naesview demo: account {name} / {password}", flush=True)
    stored = StoredSession.of(base_url, session)
    return stored, project_ids


def _no_display() -> bool:
    """Linux without X11 or Wayland (an SSH session, a server): no window can open."""
    return sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _die_with_parent() -> None:
    """Linux: the sync server gets SIGTERM when the demo process dies, even by SIGKILL."""
    import ctypes

    pr_set_pdeathsig = 1
    ctypes.CDLL("libc.so.6", use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)
