"""The native file dialogs of the desktop window, driven for real: a pywebview window (WebKitGTK)
under Xvfb, the real GTK file chooser, keys and clicks sent with `xdotool`.

- Reviewer: "Choose dataset…" asks the bridge (`choose_dataset`), which opens pywebview's GTK
  "Open file" dialog; typing the path of `../shared/data/mini.zip` (ctrl+L, path, Return) opens the
  dataset (the page shows the fingerprint check); Escape closes the dialog and changes nothing.
- Owner: "Import project file…" and the thumbnail's "Pick an image…", `<input type=file>`s for
  which WebKitGTK opens its own GTK chooser (clicked with the mouse: a file input opens only on a
  user gesture), and the same "Choose dataset…" button on the project form (the case list fills
  in).

The window runs in its own subprocess (this file run as a script is the driver: a GUI loop starts
once per process, and a hung GUI must not hang the run). The test sends it JavaScript to run in
the page, one JSON line at a time, and drives the dialogs from outside with xdotool, as a user
would; every wait has a timeout (`xdotool search --sync` under `timeout`, polls with deadlines).
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
MINI = (ROOT.parent / "shared" / "data" / "mini.zip").resolve()
EXAMPLE = ROOT / "examples" / "prostate-review.json"


# -- Xvfb (the `xvfb` fixture of conftest.py) ---------------------------------------------------


@pytest.fixture
def xvfb(xvfb: str) -> str:
    """conftest.py's private X server, once xdotool (which drives the dialogs) is known to be
    installed."""
    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed; run `make system-deps` (Debian package xdotool)")
    return xvfb


# -- the window, driven from the test -----------------------------------------------------------


class Window:
    """The driver subprocess: `js(code)` runs JavaScript in the page and returns its value."""

    def __init__(self, display: str, home: Path) -> None:
        self.display = display
        self.home = home
        self.env = {
            **os.environ,
            "DISPLAY": display,
            "NAESVIEW_CONFIG_DIR": str(home / "config"),
            "NAESVIEW_DATA_DIR": str(home / "data"),
            "PYTHONUNBUFFERED": "1",
            "GSETTINGS_BACKEND": "memory",  # the file chooser saves its settings: not to dconf
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "tests.e2e.test_window_dialog"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=self.env,
            cwd=ROOT,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.errors: list[str] = []
        out, err = self.process.stdout, self.process.stderr
        assert out is not None
        assert err is not None
        threading.Thread(target=lambda: [self.lines.put(x) for x in out], daemon=True).start()
        threading.Thread(target=lambda: self.errors.extend(err), daemon=True).start()
        self.expect("LOADED", 60)

    def expect(self, tag: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while True:
            try:
                line = self.lines.get(timeout=max(0.1, deadline - time.monotonic()))
            except queue.Empty:
                pytest.fail(f"window driver did not say {tag} in {timeout} s:\n{self.stderr()}")
            if line.startswith(tag + " "):
                return line[len(tag) + 1 :].strip()
            if time.monotonic() > deadline:
                pytest.fail(f"window driver did not say {tag} in {timeout} s:\n{self.stderr()}")

    def stderr(self) -> str:
        return "".join(self.errors)

    def js(self, code: str) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"js": code}) + "\n")
        self.process.stdin.flush()
        return json.loads(self.expect("RESULT", 30))

    def wait_for(self, expression: str, timeout: float = 30, what: str = "") -> Any:
        """Poll `expression` in the page until it is truthy; returns its value."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.js(expression)
            if value:
                return value
            time.sleep(0.05)
        page_errors = self.js("JSON.stringify(window.__dialogTestErrors || [])")
        pytest.fail(f"page never showed {what or expression} in {timeout} s; errors: {page_errors}")

    def click(self, selector: str, timeout: float = 20) -> None:
        """A click through the DOM (enough for buttons whose handler calls the bridge), once an
        enabled element matches `selector`."""
        self.wait_for(
            f"(() => {{ const b = document.querySelector({json.dumps(selector)});"
            " if (!b || b.disabled) return false; b.click(); return true; })()",
            timeout,
            selector,
        )

    def mouse_click(self, selector: str) -> None:
        """A real pointer click (X events through xdotool) at the middle of the element."""
        box = self.js(
            f"JSON.stringify((() => {{ const e = document.querySelector({json.dumps(selector)});"
            " e.scrollIntoView({block: 'center'}); const r = e.getBoundingClientRect();"
            " return [r.left + r.width / 2, r.top + r.height / 2]; })())"
        )
        x, y = json.loads(box)
        main = self.xdotool("search", "--name", "^naesView$").split()[0]
        self.xdotool("mousemove", "--window", main, str(round(x)), str(round(y)), "click", "1")

    def xdotool(self, *args: str, timeout: float = 15, check: bool = True) -> str:
        try:
            done = subprocess.run(
                ["xdotool", *args],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
            )
        except subprocess.TimeoutExpired:
            pytest.fail(f"xdotool {' '.join(args)} gave no answer in {timeout} s")
        assert done.returncode == 0 or not check, f"xdotool {' '.join(args)}: {done.stderr}"
        return done.stdout

    def dialog(self, title: str, timeout: float = 20) -> str:
        """The id of the file chooser window titled `title`, once it is mapped and has focus."""
        try:
            found = subprocess.run(
                ["xdotool", "search", "--sync", "--onlyvisible", "--name", title],
                env=self.env,
                capture_output=True,
                text=True,
                timeout=timeout,
            ).stdout
        except subprocess.TimeoutExpired:
            found = ""
        if not found.split():
            ids = self.xdotool("search", "--onlyvisible", "--name", ".", check=False).split()
            names = [self.xdotool("getwindowname", i, check=False).strip() for i in ids]
            shot = self.screenshot("no-dialog.png")
            pytest.fail(f"no window titled {title} in {timeout} s (visible: {names}); {shot}")
        window = found.split()[0]
        # No window manager under Xvfb: give the dialog the keyboard focus ourselves.
        self.xdotool("windowfocus", "--sync", window)
        return window

    def choose_file(self, title: str, path: Path) -> None:
        window = self.dialog(title)
        self.xdotool("key", "--clearmodifiers", "ctrl+l")
        self.xdotool("type", "--delay", "5", str(path))
        # GTK's location entry reads the typed folder in the background, and a Return that comes
        # before it has (~0.5 s here) is ignored: press Return at the dialog until it goes (never
        # at another window: `--window` fails once the dialog is destroyed).
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            self.xdotool("key", "--window", window, "Return", check=False)
            if self.gone(window, 0.5):
                return
        self.wait_gone(window, 0)

    def cancel(self, title: str) -> None:
        window = self.dialog(title)
        self.xdotool("key", "Escape")
        self.wait_gone(window)

    def gone(self, window: str, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while True:
            visible = self.xdotool("search", "--onlyvisible", "--name", ".", check=False)
            if window not in visible.split():
                return True
            if time.monotonic() > deadline:
                return False
            time.sleep(0.05)

    def wait_gone(self, window: str, timeout: float = 15) -> None:
        if self.gone(window, timeout):
            return
        shot = self.screenshot("dialog-still-open.png")
        pytest.fail(f"the file dialog (window {window}) is still open after {timeout} s; {shot}")

    def screenshot(self, name: str) -> Path:
        """The whole virtual screen as a PNG beside the window's folders (for a look on failure)."""
        path = self.home / name
        subprocess.run(
            ["/usr/bin/import", "-display", self.display, "-window", "root", str(path)],
            capture_output=True,
            timeout=30,
            check=False,
        )
        return path

    def close(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            try:
                self.process.stdin.write("close\n")
                self.process.stdin.flush()
                self.process.wait(timeout=30)
            except (OSError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait(timeout=10)


@contextmanager
def open_window(display: str, home: Path) -> Iterator[Window]:
    window = Window(display, home)
    try:
        yield window
    finally:
        window.close()
    traceback = [line for line in window.errors if "Traceback" in line]
    assert not traceback, window.stderr()


def sign_in(window: Window, server_url: str, username: str, password: str) -> None:
    window.wait_for("!!document.querySelector('#server')", 20, "the sign-in form")
    fill = "".join(
        f"(e => {{ e.value = {json.dumps(value)};"
        " e.dispatchEvent(new Event('input', {bubbles: true})); })"
        f"(document.querySelector('#{field}'));"
        for field, value in (("server", server_url), ("username", username), ("password", password))
    )
    window.js(fill + " true")
    window.click("form.signin button[type=submit]")
    window.wait_for("!!document.querySelector('[data-testid=project-list]')", 20, "the projects")


def page_errors(window: Window) -> list[str]:
    return json.loads(window.js("JSON.stringify(window.__dialogTestErrors)"))


def visible_errors(window: Window) -> list[str]:
    """The text of every error line the page shows."""
    return json.loads(
        window.js(
            "JSON.stringify([...document.querySelectorAll('.error-line')]"
            ".filter((e) => !e.hidden).map((e) => e.textContent))"
        )
    )


OPEN_FILE = "^Open file$"  # pywebview's GTK dialog for create_file_dialog(OPEN)
FILE_INPUT = "^Select File$"  # WebKitGTK's chooser for an <input type=file>


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    from tests.e2e.helpers import review_stack

    with review_stack(tmp_path_factory.mktemp("sync")) as running:
        yield running


def test_reviewer_chooses_the_dataset_in_the_native_dialog(xvfb: str, stack, tmp_path: Path):
    with open_window(xvfb, tmp_path / "home") as window:
        sign_in(
            window,
            stack.server.base_url,
            stack.reviewer.user.username,
            stack.reviewer.password,
        )
        window.click(f"[data-testid=project-card][data-project-id='{stack.project_id}']")
        window.wait_for("!!document.querySelector('[data-testid=choose-dataset]')", 20)

        # Escape: the dialog closes, the bridge answers "nothing chosen", the page is as before.
        window.click("[data-testid=choose-dataset]")
        window.cancel(OPEN_FILE)
        window.wait_for(
            "!document.querySelector('[data-testid=choose-dataset]').disabled", 10, "the button"
        )
        assert window.js("document.querySelector('#dataset-path').value") == ""
        assert window.js("document.querySelector('.dataset-result').childElementCount") == 0
        assert visible_errors(window) == []

        # The path typed into the real GTK chooser reaches the app, which opens the dataset.
        window.click("[data-testid=choose-dataset]")
        window.choose_file(OPEN_FILE, MINI)
        text = window.wait_for(
            "document.querySelector('[data-testid=fingerprint-ok]')?.textContent || ''",
            30,
            "the fingerprint check",
        )
        assert "4 cases" in text
        assert window.js("document.querySelector('#dataset-path').value") == str(MINI)
        assert window.js("!!document.querySelector('[data-testid=start-review]')")
        assert visible_errors(window) == []
        assert page_errors(window) == []


def test_owner_imports_chooses_dataset_and_thumbnail_in_native_dialogs(
    xvfb: str, stack, tmp_path: Path
):
    from PIL import Image

    picture = tmp_path / "thumb.png"
    Image.new("RGB", (64, 48), (200, 40, 40)).save(picture)
    with open_window(xvfb, tmp_path / "home") as window:
        sign_in(window, stack.server.base_url, stack.owner.user.username, stack.owner.password)
        window.click("[data-testid=owner-entry]")
        window.wait_for("!!document.querySelector('[data-testid=owner-new]')", 20)

        # "Import project file…": an <input type=file> too; the example fills the form.
        window.mouse_click("label[for=owner-import]")
        window.choose_file(FILE_INPUT, EXAMPLE)
        title = window.wait_for(
            "document.querySelector('#owner-title')?.value || ''", 20, "the imported project"
        )
        assert title == json.loads(EXAMPLE.read_text())["title"]
        window.wait_for("!!document.querySelector('[data-testid=owner-choose-dataset]')", 20)

        window.click("[data-testid=owner-choose-dataset]")
        window.choose_file(OPEN_FILE, MINI)
        cases = window.wait_for(
            "document.querySelector('#owner-preview-case')?.options.length || 0",
            30,
            "the case list",
        )
        assert cases == 4
        assert window.js("document.querySelector('#owner-dataset').value") == str(MINI)

        # The thumbnail: an <input type=file>, whose chooser WebKitGTK opens on a real click.
        thumb = "document.querySelector('[data-testid=owner-thumbnail]')"
        assert window.js(f"{thumb}.hidden") is True
        window.mouse_click("label[for=owner-thumb-file]")
        window.cancel(FILE_INPUT)
        time.sleep(0.3)  # a change event, if one came, would be handled by now
        assert window.js(f"{thumb}.hidden") is True
        assert visible_errors(window) == []

        window.mouse_click("label[for=owner-thumb-file]")
        window.choose_file(FILE_INPUT, picture)
        src = window.wait_for(f"!{thumb}.hidden && {thumb}.src", 20, "the thumbnail")
        assert src.startswith("data:image/png;base64,")
        assert visible_errors(window) == []
        assert page_errors(window) == []


# -- the driver (runs in the subprocess) ----------------------------------------------------

_CATCH_ERRORS_JS = """
window.__dialogTestErrors = [];
window.addEventListener('error', (e) => window.__dialogTestErrors.push(String(e.message)));
window.addEventListener('unhandledrejection',
  (e) => window.__dialogTestErrors.push('unhandled: ' + String(e.reason)));
true;
"""


def _drive(window: Any) -> None:
    if not window.events.loaded.wait(45):
        print("FAILED page did not load", flush=True)
        window.destroy()
        return
    window.run_js(_CATCH_ERRORS_JS)
    print("LOADED yes", flush=True)
    for line in sys.stdin:
        if line.strip() == "close":
            break
        code = json.loads(line)["js"]
        try:
            value = window.run_js(code)
        except Exception as exc:  # an exception in the page: the test sees it as the value
            value = f"exception: {exc}"
        print(f"RESULT {json.dumps(value)}", flush=True)
    window.destroy()


def main() -> int:
    from naesview_app.config import AppPaths
    from naesview_app.shell import run_window

    code = run_window(AppPaths.from_environ(os.environ), on_started=_drive)
    print(f"EXIT {code}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())
