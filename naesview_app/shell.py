"""The app's shell: a pywebview window (or a browser tab) on the UI served by the loopback server.

Nothing else lives here: the window, the file dialog, the process lifetime. The GUI backend is
the system webview on every platform (docs/decisions/0004-webview-backend.md): WebKitGTK on
Linux (`gui="gtk"`), Edge WebView2 on Windows, WKWebView on macOS.
"""

from __future__ import annotations

import logging
import os
import signal
import sys
import threading
import webbrowser
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from naesview_app.config import AppPaths
from naesview_app.local_server import LocalServer, VoxelStore
from naesview_app.review.messages import StartHint

log = logging.getLogger(__name__)

WINDOW_SIZE = (1280, 800)
BACKGROUND = "#1e1f22"  # the UI's background: no white flash while the page loads


def ui_dir() -> Path:
    """The `ui/` folder: beside the package in a checkout, inside the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "ui"
    return Path(__file__).resolve().parent.parent / "ui"


def gui_backend() -> str | None:
    """pywebview's GUI for this platform: GTK (system WebKitGTK) on Linux, the default elsewhere."""
    return "gtk" if sys.platform.startswith("linux") else None


@dataclass
class Running:
    """A started app: its loopback server and services, for the window or the browser."""

    server: LocalServer
    app: Any  # ReviewApp
    bridge: Any  # Bridge

    @property
    def browser_url(self) -> str:
        return f"{self.server.base_url}/?token={self.server.token}"

    def close(self) -> None:
        self.server.stop()
        self.app.close()


def start_services(
    paths: AppPaths,
    *,
    mode: str,
    port: int = 0,
    start: StartHint | None = None,
    choose_file: Callable[[], str | None] | None = None,
) -> Running:
    from naesview_app.bridge import Bridge
    from naesview_app.review.services import ReviewApp

    _log_to_file(paths)
    voxels = VoxelStore()
    app = ReviewApp(paths=paths, voxels=voxels, mode=mode, start=start, choose_file=choose_file)
    bridge = Bridge(app)
    try:
        server = LocalServer(
            ui_dir=ui_dir(),
            voxels=voxels,
            bridge_call=bridge._call,
            port=port,
        ).start()
    except OSError as exc:
        app.close()
        raise SystemExit(
            f"naesview: cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
            "choose another --port or 0 for a free one"
        ) from None
    app.voxel_base, app.token = server.base_url, server.token
    return Running(server, app, bridge)


def app_command(
    browser: bool,
    port: int,
    open_browser: bool,
    *,
    start: StartHint | None = None,
    environ: Mapping[str, str] | None = None,
) -> int:
    paths = AppPaths.from_environ(os.environ if environ is None else environ)
    if browser:
        return run_browser(paths, port=port, open_browser=open_browser, start=start)
    return run_window(paths, start=start)


def run_browser(
    paths: AppPaths, *, port: int, open_browser: bool, start: StartHint | None = None
) -> int:
    """Serve the UI for a browser until SIGINT/SIGTERM; prints the URL (with its token)."""
    running = start_services(paths, mode="browser", port=port, start=start)
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    print(f"naesView is serving {running.browser_url}", flush=True)
    print("Open that address in a browser on this machine; Ctrl+C stops.", flush=True)
    if open_browser:
        webbrowser.open(running.browser_url)
    try:
        stop.wait()
    finally:
        running.close()
    return 0


def run_window(
    paths: AppPaths,
    *,
    start: StartHint | None = None,
    on_started: Callable[[Any], None] | None = None,
) -> int:
    """Open the window and block until it is closed. `on_started(window)` runs on its own thread
    once the GUI loop runs (the window smoke test drives the window from there)."""
    try:
        import webview
    except ImportError as exc:  # pragma: no cover - pywebview is in the app extra
        print(f"naesview: pywebview is missing ({exc}); install naesview[app]", file=sys.stderr)
        return 1
    gui = gui_backend()
    if gui == "gtk" and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        print(
            "naesview: no display to open a window on (DISPLAY is not set); "
            "run `naesview app --browser` and open the printed address in a browser",
            file=sys.stderr,
        )
        return 1
    if gui == "gtk" and not _gtk_available():
        print(
            "naesview: the system webview (WebKitGTK) is not available to this Python; install "
            "gir1.2-webkit2-4.1 and PyGObject, or run `naesview app --browser`",
            file=sys.stderr,
        )
        return 1
    window_ref: list[Any] = []

    def choose_file() -> str | None:
        chosen = window_ref[0].create_file_dialog(
            webview.FileDialog.OPEN, file_types=("Dataset zip (*.zip)", "All files (*.*)")
        )
        return str(chosen[0]) if chosen else None

    running = start_services(paths, mode="window", start=start, choose_file=choose_file)
    try:
        window = webview.create_window(
            "naesView",
            # The page calls the bridge over loopback HTTP, as in a browser: pywebview's js_api
            # answers through eval(), which the UI's CSP (script-src 'self') rightly forbids.
            url=running.browser_url,
            width=WINDOW_SIZE[0],
            height=WINDOW_SIZE[1],
            x=0,
            y=0,
            min_size=(960, 640),
            background_color=BACKGROUND,
        )
        window_ref.append(window)
        backend: Any = gui  # pywebview types `gui` as a Literal of its backend names
        if on_started is not None:
            webview.start(on_started, (window,), gui=backend)
        else:
            webview.start(gui=backend)
    finally:
        running.close()
    return 0


def _gtk_available() -> bool:
    try:
        import gi

        gi.require_version("Gtk", "3.0")
        try:
            gi.require_version("WebKit2", "4.1")
        except ValueError:
            gi.require_version("WebKit2", "4.0")
    except (ImportError, ValueError):
        return False
    return True


def _log_to_file(paths: AppPaths) -> None:
    """Tracebacks go to `naesview.log` in the data folder, never to the UI."""
    root = logging.getLogger("naesview_app")
    if root.handlers:
        return
    paths.data_dir.mkdir(parents=True, exist_ok=True)
    handler = logging.FileHandler(paths.data_dir / "naesview.log", encoding="utf-8")
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)
