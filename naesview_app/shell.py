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
import time
import webbrowser
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from naesview_app.config import AppPaths
from naesview_app.local_server import LocalServer, VoxelStore
from naesview_app.review.messages import StartHint

log = logging.getLogger(__name__)

WINDOW_SIZE = (1280, 800)
START_TIMEOUT = 120.0  # seconds a bridge call waits for the services to be built
BACKGROUND = "#1e1f22"  # the UI's background: no white flash while the page loads
CLOSE_ANSWER_TIMEOUT = 3.0  # seconds the page has to answer the close button; a hung page closes
CLOSE_POLL = 0.1  # seconds between looks at the reviewer's choice while the question is open


def ui_dir() -> Path:
    """The `ui/` folder: beside the package in a checkout, inside the bundle when frozen."""
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        return Path(bundle) / "ui"
    return Path(__file__).resolve().parent.parent / "ui"


def gui_backend() -> str | None:
    """pywebview's GUI for this platform: GTK (system WebKitGTK) on Linux, the default elsewhere."""
    return "gtk" if sys.platform.startswith("linux") else None


class Running:
    """A started app: the loopback server at once, the services as soon as they are built.

    Building the services imports the imaging stack (~1 s); it runs on a thread while the
    window opens and the page loads, and a bridge call that arrives earlier waits for it.
    """

    def __init__(self, server: LocalServer, build: Callable[[], Any]) -> None:
        self.server = server
        self._ready = threading.Event()
        self._bridge: Any = None
        self._app: Any = None
        self._error: str | None = None
        self._thread = threading.Thread(
            target=self._build, args=(build,), name="naesview-start", daemon=True
        )
        self._thread.start()

    @property
    def browser_url(self) -> str:
        return f"{self.server.base_url}/?token={self.server.token}"

    def wait_ready(self, timeout: float = START_TIMEOUT) -> bool:
        return self._ready.wait(timeout) and self._error is None

    def call(self, method: str, args: object) -> object:
        """The bridge entry for the loopback server; waits for the services to be built."""
        if not self._ready.wait(START_TIMEOUT):
            return _error("starting", "naesView is still starting; try again in a moment")
        if self._error is not None:
            return _error("internal", self._error)
        result: object = self._bridge._call(method, args)
        return result

    def close(self) -> None:
        self.server.stop()
        self._thread.join(START_TIMEOUT)
        if self._app is not None:
            self._app.close()

    def _build(self, build: Callable[[], Any]) -> None:
        from naesview_app.bridge import Bridge

        try:
            self._app = build()
            self._app.voxel_base, self._app.token = self.server.base_url, self.server.token
            self._bridge = Bridge(self._app)
        except Exception as exc:
            log.exception("naesView could not start")
            self._error = f"naesView could not start ({type(exc).__name__}: {exc}); see the log"
        finally:
            self._ready.set()


class CloseGuard:
    """The window's close button (window manager, Alt+F4) asks the page before the window goes.

    The page answers through `window.naesviewClose` (`ui/src/leave-confirm.js`): "close" when
    nothing would be lost, or "asking" while it shows the in-app question (Keep editing / Discard
    edits and close) about mask edits no answer carries; the reviewer's choice is then polled.
    pywebview runs `closing` handlers on the GUI thread, where the page cannot be asked (`run_js`
    waits for that very loop), so the first close is cancelled and a thread asks; if the page
    says close, the window is destroyed again and this time let through. A page that does not
    answer within `timeout` (hung, or gone) is closed anyway: the window can always be closed.
    """

    REQUEST = "(() => { const q = window.naesviewClose; return q ? q.request() : 'close'; })()"
    ANSWER = "(() => { const q = window.naesviewClose; return q ? q.answer() : 'gone'; })()"

    def __init__(self, window: Any, *, timeout: float = CLOSE_ANSWER_TIMEOUT) -> None:
        self._window = window
        self._timeout = timeout
        self._lock = threading.Lock()
        self._let_through = False
        self._asking = False

    def on_closing(self) -> bool:
        """pywebview's `closing` handler: False cancels this close."""
        with self._lock:
            if self._let_through:
                return True
            if not self._asking:
                self._asking = True
                threading.Thread(target=self._ask, name="naesview-close", daemon=True).start()
        return False

    def _ask(self) -> None:
        close = True
        try:
            answer = self._page(self.REQUEST)
            while answer == "asking":  # the question is on screen: wait for the reviewer
                time.sleep(CLOSE_POLL)
                choice = self._page(self.ANSWER)
                if choice is not None:
                    answer = choice
            close = answer not in ("keep", "stay")
            if answer is _NO_ANSWER:
                log.warning("the page did not answer the close button in %.0f s", self._timeout)
        finally:
            with self._lock:
                self._asking = False
                self._let_through = close
        if close:
            self._window.destroy()

    def _page(self, script: str) -> object:
        """What `script` evaluates to in the page, or `_NO_ANSWER` after `timeout` seconds."""
        box: list[object] = []
        done = threading.Event()

        def run() -> None:
            try:
                box.append(self._window.run_js(script))
            except Exception:  # e.g. the page is being replaced; the window may close
                log.warning("asking the page about closing failed", exc_info=True)
                box.append(_NO_ANSWER)
            finally:
                done.set()

        threading.Thread(target=run, name="naesview-close-js", daemon=True).start()
        return box[0] if done.wait(self._timeout) else _NO_ANSWER


_NO_ANSWER = object()


def start_services(
    paths: AppPaths,
    *,
    mode: str,
    port: int = 0,
    start: StartHint | None = None,
    choose_file: Callable[[], str | None] | None = None,
) -> Running:
    _log_to_file(paths)
    voxels = VoxelStore()
    holder: list[Running] = []
    try:
        server = LocalServer(
            ui_dir=ui_dir(),
            voxels=voxels,
            bridge_call=lambda method, args: holder[0].call(method, args),
            port=port,
        ).start()
    except OSError as exc:
        raise SystemExit(
            f"naesview: cannot listen on 127.0.0.1:{port} ({exc.strerror}); "
            "choose another --port or 0 for a free one"
        ) from None

    def build() -> Any:
        from naesview_app.review.services import ReviewApp

        return ReviewApp(
            paths=paths, voxels=voxels, mode=mode, start=start, choose_file=choose_file
        )

    holder.append(Running(server, build))
    return holder[0]


def _error(code: str, message: str) -> dict[str, dict[str, str]]:
    return {"error": {"code": code, "message": message}}


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
        if window is None:  # pywebview returns None only for a window made after start()
            raise RuntimeError("pywebview made no window")
        window_ref.append(window)
        # The close button asks the page first (unsaved mask edits): see CloseGuard.
        window.events.closing += CloseGuard(window).on_closing
        backend: Any = gui  # pywebview types `gui` as a Literal of its backend names
        # pywebview's default private mode turns localStorage off in WebKitGTK (it is null), and
        # the UI keeps the server address, user name and dataset paths there: a web storage of
        # our own, in the data folder, instead.
        storage: str | None = str(paths.data_dir / "webview")
        try:
            Path(str(storage)).mkdir(parents=True, exist_ok=True)
        except OSError as exc:  # the services report the data folder; WebKit's default store
            log.warning("no web storage in %s (%s); using WebKit's default", storage, exc)
            storage = None
        if on_started is not None:
            webview.start(
                on_started, (window,), gui=backend, private_mode=False, storage_path=storage
            )
        else:
            webview.start(gui=backend, private_mode=False, storage_path=storage)
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
    handler: logging.Handler
    try:
        paths.data_dir.mkdir(parents=True, exist_ok=True)
        handler = logging.FileHandler(paths.data_dir / "naesview.log", encoding="utf-8")
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    except OSError:  # the services will say what is wrong with the folder; the terminal gets
        handler = logging.StreamHandler(sys.stderr)  # one line per problem, no traceback
        handler.setFormatter(_OneLineFormatter("naesview: %(message)s"))
    root.addHandler(handler)
    root.setLevel(logging.INFO)


class _OneLineFormatter(logging.Formatter):
    def formatException(self, ei: Any) -> str:
        return ""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if record.exc_info and record.exc_info[1] is not None:
            text += f" ({type(record.exc_info[1]).__name__}: {record.exc_info[1]})"
        return text.splitlines()[0] if text else text
