"""Fixtures for end-to-end tests: the real `naesview app --browser` as a subprocess.

    def test_something(browser_app):            # a fresh app with its own config/data folders
        page.goto(browser_app.url)               # http://127.0.0.1:<port>/?token=<token>
        browser_app.call("sync_status")          # the bridge over HTTP, as the page calls it
        browser_app.kill()                       # SIGKILL; browser_app.restart() starts it again
                                                 # on the same folders (a new port and token)

`start_browser_app(home)` is the same as a context manager, for tests that need several apps or
their own folders. Processes are stopped after the test whatever happens.

Also here: `browser` (a real Chromium, one per test module), `server` (a sync server on SQLite,
one per test module) and `xvfb` (a private X server; yields its DISPLAY). Plain helpers (pages,
sign-in, waits, expected pixels) are in `helpers.py`.
"""

from __future__ import annotations

import os
import queue
import re
import shutil
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
import pytest

if TYPE_CHECKING:  # imported where used: the window smoke test's driver imports this module
    from tests.sync_server import SyncServer

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
SCREEN = (1280, 800)  # the Xvfb screen
URL_PATTERN = re.compile(r"http://127\.0\.0\.1:(\d+)/\?token=(\S+)")


@dataclass
class BrowserApp:
    """A running `naesview app --browser --no-open --port 0` with isolated config/data folders."""

    home: Path
    startup_timeout: float = 30.0
    extra_env: dict[str, str] = field(default_factory=dict)
    process: subprocess.Popen | None = None
    url: str = ""
    base_url: str = ""
    token: str = ""
    output: list[str] = field(default_factory=list)

    @property
    def config_dir(self) -> Path:
        return self.home / "config"

    @property
    def data_dir(self) -> Path:
        return self.home / "data"

    def start(self) -> BrowserApp:
        env = {
            **os.environ,
            "NAESVIEW_CONFIG_DIR": str(self.config_dir),
            "NAESVIEW_DATA_DIR": str(self.data_dir),
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        command = [sys.executable, "-m", "naesview_app", "app", "--browser", "--no-open"]
        self.process = subprocess.Popen(
            [*command, "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env=env,
            cwd=ROOT,
        )
        lines: queue.Queue[str] = queue.Queue()
        process = self.process

        def pump() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                self.output.append(line)
                lines.put(line)

        threading.Thread(target=pump, daemon=True).start()
        while True:
            try:
                line = lines.get(timeout=self.startup_timeout)
            except queue.Empty:
                self.stop()
                printed = "".join(self.output)
                raise RuntimeError(f"naesview app printed no URL:\n{printed}") from None
            match = URL_PATTERN.search(line)
            if match:
                self.url = match.group(0)
                self.base_url = f"http://127.0.0.1:{match.group(1)}"
                self.token = match.group(2)
                return self

    def call(self, method: str, args: dict[str, Any] | None = None, timeout: float = 60) -> Any:
        """Call a bridge method as the page does; returns the JSON result (errors included)."""
        response = httpx.post(
            f"{self.base_url}/bridge/{method}",
            json=args or {},
            headers={"X-Naesview-Token": self.token},
            timeout=timeout,
        )
        response.raise_for_status()
        return response.json()

    def kill(self) -> None:
        """SIGKILL: no cleanup at all, as when the machine loses power or the app is killed."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def restart(self) -> BrowserApp:
        self.stop()
        self.output.clear()
        return self.start()


@contextmanager
def start_browser_app(home: Path, **options: Any) -> Iterator[BrowserApp]:
    app = BrowserApp(home, **options)
    try:
        yield app.start()
    finally:
        app.stop()


@pytest.fixture
def browser_app(tmp_path: Path) -> Iterator[BrowserApp]:
    """A fresh `naesview app --browser` (own config/data folders under tmp_path); yields it."""
    with start_browser_app(tmp_path / "home") as app:
        yield app


@pytest.fixture(scope="module")
def browser():
    """A real Chromium (Playwright), shared by the tests of a module; pages come from
    `helpers.new_page`."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            yield launched
        finally:
            launched.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SyncServer]:
    """A real sync server on SQLite, shared by the tests of a module."""
    from tests.sync_server import sqlite_url, start_sync_server

    with start_sync_server(sqlite_url(tmp_path_factory.mktemp("sync"))) as running:
        yield running


@pytest.fixture
def xvfb() -> Iterator[str]:
    """A private X server on a free display (Xvfb picks it: -displayfd); yields the DISPLAY."""
    if shutil.which("Xvfb") is None:
        pytest.fail("Xvfb is not installed; run `make system-deps` (Debian package xvfb)")
    read_fd, write_fd = os.pipe()
    screen = f"{SCREEN[0]}x{SCREEN[1]}x24"
    process = subprocess.Popen(
        ["Xvfb", "-displayfd", str(write_fd), "-screen", "0", screen, "-nolisten", "tcp"],
        pass_fds=(write_fd,),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    os.close(write_fd)
    try:
        box: list[str] = []
        with os.fdopen(read_fd) as pipe:
            reader = threading.Thread(target=lambda: box.append(pipe.readline()), daemon=True)
            reader.start()
            reader.join(15)
        if not box or not box[0].strip().isdigit():
            pytest.fail(f"Xvfb did not start (said {box!r})")
        yield f":{box[0].strip()}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)
