"""A real pywebview window (WebKitGTK) under Xvfb: it opens on the UI, the page reaches the Bridge
and gets an answer, the screen shows more than a blank background, and the window closes cleanly.
And the demo's printed URL, loaded in Chromium with no click, shows an image in a viewport.

The window runs in its own subprocess (this file run as a script is the driver): a GUI loop can
start only once per process, and a hung GUI must not hang the test run (every wait has a timeout).
"""

from __future__ import annotations

import io
import json
import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from PIL import Image

from tests.e2e.conftest import SCREEN

ROOT = Path(__file__).resolve().parents[2]


def test_window_opens_reaches_bridge_draws_and_closes(xvfb: str, tmp_path: Path) -> None:
    env = {
        **os.environ,
        "DISPLAY": xvfb,
        "NAESVIEW_CONFIG_DIR": str(tmp_path / "config"),
        "NAESVIEW_DATA_DIR": str(tmp_path / "data"),
        "PYTHONUNBUFFERED": "1",
    }
    started = time.monotonic()
    driver = subprocess.Popen(
        [sys.executable, "-m", "tests.e2e.test_window_smoke"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    lines: queue.Queue[str] = queue.Queue()
    errors: list[str] = []
    assert driver.stdout is not None
    assert driver.stderr is not None
    threading.Thread(target=lambda: [lines.put(x) for x in driver.stdout], daemon=True).start()  # type: ignore[union-attr]
    threading.Thread(target=lambda: errors.extend(driver.stderr), daemon=True).start()  # type: ignore[arg-type]
    try:
        page_loaded = float(_expect(lines, "LOADED", 60, errors))
        said = _expect(lines, "ROUNDTRIP", 30, errors)
        info = json.loads(said)
        assert info["mode"] == "window"
        assert info["version"]
        assert info["voxel_base"].startswith("http://127.0.0.1:")
        assert "error" not in info
        _expect(lines, "DRAWN", 30, errors)
        loaded_after = time.monotonic() - started

        shot = _stable_screenshot(xvfb)
        colours = shot.getcolors(maxcolors=1 << 16)
        assert colours is None or len(colours) > 8, "the window shows a blank screen"
        # The UI's dark background, not a white or black screen.
        r, g, b = shot.getpixel((SCREEN[0] - 5, SCREEN[1] - 5))  # type: ignore[misc]
        assert max(r, g, b) < 96, (r, g, b)
        assert max(r, g, b) > 0
        shot.save(tmp_path / "window.png")  # kept by pytest's tmp_path for a look on failure
        rss = _tree_rss_mib(driver.pid)

        assert driver.stdin is not None
        driver.stdin.write("close\n")
        driver.stdin.flush()
        assert driver.wait(timeout=30) == 0, "".join(errors)
        assert _expect(lines, "EXIT", 5, errors) == "0"
        print(
            f"window: page loaded {page_loaded:.2f} s after the driver started; drawn and seen "
            f"{loaded_after:.2f} s after launch; {rss:.0f} MiB RSS (app + WebKit processes)"
        )
    finally:
        if driver.poll() is None:
            driver.kill()
            driver.wait(timeout=10)
    traceback = [line for line in errors if "Traceback" in line]
    assert not traceback, "".join(errors)


def _expect(lines: queue.Queue[str], tag: str, timeout: float, errors: list[str]) -> str:
    deadline = time.monotonic() + timeout
    while True:
        try:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
        except queue.Empty:
            pytest.fail(f"window driver did not say {tag} in {timeout} s:\n{''.join(errors)}")
        if line.startswith(tag + " "):
            return line[len(tag) + 1 :].strip()
        if time.monotonic() > deadline:
            pytest.fail(f"window driver did not say {tag} in {timeout} s:\n{''.join(errors)}")


def _stable_screenshot(display: str, attempts: int = 20) -> Image.Image:
    """Grab the root window until two grabs agree (an early grab shows only the background)."""
    previous = None
    for _ in range(attempts):
        png = subprocess.run(
            ["/usr/bin/import", "-display", display, "-window", "root", "png:-"],
            capture_output=True,
            timeout=30,
            check=True,
        ).stdout
        if png == previous:
            break
        previous = png
        time.sleep(0.2)
    assert previous is not None
    return Image.open(io.BytesIO(previous)).convert("RGB")


def _tree_rss_mib(pid: int) -> float:
    """Resident memory of a process and all its descendants (WebKit runs helper processes)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            status = (entry / "status").read_text()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(entry.name))
        kib = [line.split()[1] for line in status.splitlines() if line.startswith("VmRSS:")]
        rss[int(entry.name)] = int(kib[0]) if kib else 0
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        total += rss.get(current, 0)
        todo.extend(children.get(current, []))
    return total / 1024


# -- the driver (runs in the subprocess) ----------------------------------------------------

_ROUNDTRIP_JS = """
window.__naesviewSmoke = null;
fetch('/bridge/app_info', {method: 'POST', body: '{}', headers: {
    'X-Naesview-Token': new URL(location.href).searchParams.get('token')
        || sessionStorage.getItem('naesview.token')}})
  .then(r => r.json()).then(j => { window.__naesviewSmoke = JSON.stringify(j); });
'started';
"""
_DRAWN_JS = """
window.__naesviewDrawn = false;
requestAnimationFrame(() => requestAnimationFrame(() => { window.__naesviewDrawn = true; }));
'started';
"""


_DRIVER_STARTED = time.monotonic()


def _poll(window: object, expression: str, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = window.run_js(expression)  # type: ignore[attr-defined]
        if value not in (None, "", "null", False, "false"):
            return str(value)
        time.sleep(0.05)
    return None


def _drive(window: object) -> None:
    if not window.events.loaded.wait(45):  # type: ignore[attr-defined]
        print("FAILED page did not load", flush=True)
        window.destroy()  # type: ignore[attr-defined]
        return
    print(f"LOADED {time.monotonic() - _DRIVER_STARTED:.2f}", flush=True)
    window.run_js(_ROUNDTRIP_JS)  # type: ignore[attr-defined]
    answer = _poll(window, "window.__naesviewSmoke || ''", 20)
    print(f"ROUNDTRIP {answer}", flush=True)
    time.sleep(1.0)  # let the UI finish its own start-up calls and first layout
    window.run_js(_DRAWN_JS)  # type: ignore[attr-defined]
    drawn = _poll(window, "window.__naesviewDrawn ? 'yes' : ''", 10)
    print(f"DRAWN {drawn}", flush=True)
    sys.stdin.readline()  # the test takes its screenshot, then says "close"
    window.destroy()  # type: ignore[attr-defined]


def main() -> int:
    from naesview_app.config import AppPaths
    from naesview_app.shell import run_window

    code = run_window(AppPaths.from_environ(os.environ), on_started=_drive)
    print(f"EXIT {code}", flush=True)
    return code


if __name__ == "__main__":
    sys.exit(main())


# -- the demo in a browser, as the check outside the code base loads it --------------------

_CANVAS_STATS_JS = """() => Array.from(document.querySelectorAll('canvas')).map((c) => {
  if (!c.width || !c.height) return {w: 0, h: 0, distinct: 0};
  const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
  const seen = new Set();
  for (let i = 0; i < d.length && seen.size < 64; i += 4 * 97) {
    seen.add(d[i] * 65536 + d[i + 1] * 256 + d[i + 2]);
  }
  return {w: c.width, h: c.height, distinct: seen.size};
})"""


def test_demo_url_shows_non_blank_viewports_without_clicks(browser, tmp_path: Path) -> None:
    from tests.e2e.helpers import new_page  # not at the top: the window driver runs this file

    demo = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "naesview_app",
            "demo",
            "--browser",
            "--no-open",
            "--port",
            "0",
            "--data-dir",
            str(tmp_path / "demo"),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []
    assert demo.stdout is not None
    threading.Thread(
        target=lambda: [(output.append(x), lines.put(x)) for x in demo.stdout],  # type: ignore[union-attr]
        daemon=True,
    ).start()
    try:
        url = None
        while url is None:
            try:
                line = lines.get(timeout=180)
            except queue.Empty:
                pytest.fail("demo printed no URL:\n" + "".join(output))
            if "?token=" in line:
                url = line.split()[-1]
        errors: list[str] = []
        viewport = {"width": SCREEN[0], "height": SCREEN[1]}
        # As a user's browser loads it: the app's CSP in force, page errors recorded.
        with new_page(
            browser, errors, viewport=viewport, bypass_csp=False, console_errors=False
        ) as page:
            page.goto(url)
            deadline = time.monotonic() + 90
            stats: list[dict] = []
            while time.monotonic() < deadline:
                stats = page.evaluate(_CANVAS_STATS_JS)
                if any(s["distinct"] >= 8 for s in stats):
                    break
                page.wait_for_timeout(250)
            page.screenshot(path=str(tmp_path / "demo.png"))
        assert any(s["distinct"] >= 8 for s in stats), f"no viewport shows an image: {stats}"
        assert errors == []
    finally:
        demo.terminate()
        try:
            demo.wait(timeout=30)
        except subprocess.TimeoutExpired:
            demo.kill()
            demo.wait(timeout=10)
