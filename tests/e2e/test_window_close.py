"""Closing the desktop window never loses mask edits silently, driven for real: a pywebview window
(WebKitGTK) under Xvfb on a brush project of `../shared/data/mini.zip`, strokes painted with the
X pointer (`xdotool`), and the window closed the way a window manager closes it.

There is no window manager under Xvfb: `xdotool windowclose` destroys the X window (no question
can be asked), `xdotool key alt+F4` goes to the page (Alt+F4 is a window manager's key), and
`wmctrl -c` needs a window manager to pass the request on. What a window manager sends for its
close button or Alt+F4 is an ICCCM `WM_PROTOCOLS` client message carrying `WM_DELETE_WINDOW`;
`wm_close` sends exactly that to the naesView window with libX11 (ctypes), and GTK turns it into
the `delete-event` pywebview's `closing` handlers see.

- Edits no answer carries: the close asks in-app (Keep editing / Discard edits and close) and the
  window stays; Keep editing keeps the window and the edits; Discard closes it, exit status 0.
- Nothing unsaved: the window closes at once.
- A hung page (its close handler never returns): closed anyway after the shell's timeout.

The window runs in a driver subprocess (`tests/e2e/test_window_dialog.py` run as a script).
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import shutil
import time
from pathlib import Path

import pytest

from naesview_app.shell import CLOSE_ANSWER_TIMEOUT
from tests.e2e.helpers import MINI, review_stack
from tests.e2e.test_ui_brush import brush_config, folder
from tests.e2e.test_window_dialog import Window, open_window, page_errors, sign_in

CONFIRM = "[data-testid=leave-confirm]"
HISTORY_READY = "!!window.naesview?.brush?.debug().history"
UNSAVED = "window.naesview.brush.unsavedEdits()"


# -- what a window manager sends ----------------------------------------------------------------


class _ClientMessage(ctypes.Structure):
    _fields_ = [
        ("type", ctypes.c_int),
        ("serial", ctypes.c_ulong),
        ("send_event", ctypes.c_int),
        ("display", ctypes.c_void_p),
        ("window", ctypes.c_ulong),
        ("message_type", ctypes.c_ulong),
        ("format", ctypes.c_int),
        ("data", ctypes.c_long * 5),
    ]


class _XEvent(ctypes.Union):
    _fields_ = [("xclient", _ClientMessage), ("pad", ctypes.c_long * 24)]


CLIENT_MESSAGE = 33  # X.h
CURRENT_TIME = 0


def wm_close(display: str, window_id: int) -> None:
    """Ask `window_id` to close as a window manager does (close button, Alt+F4): a
    `WM_PROTOCOLS` client message with `WM_DELETE_WINDOW` (ICCCM 4.2.8.1)."""
    name = ctypes.util.find_library("X11")
    assert name, "libX11 is not installed"
    x11 = ctypes.CDLL(name)
    x11.XOpenDisplay.restype = ctypes.c_void_p
    x11.XOpenDisplay.argtypes = [ctypes.c_char_p]
    x11.XInternAtom.restype = ctypes.c_ulong
    x11.XInternAtom.argtypes = [ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int]
    x11.XSendEvent.argtypes = [
        ctypes.c_void_p,
        ctypes.c_ulong,
        ctypes.c_int,
        ctypes.c_long,
        ctypes.POINTER(_XEvent),
    ]
    x11.XFlush.argtypes = [ctypes.c_void_p]
    x11.XCloseDisplay.argtypes = [ctypes.c_void_p]
    dpy = x11.XOpenDisplay(display.encode())
    assert dpy, f"cannot open X display {display}"
    try:
        event = _XEvent()
        message = event.xclient
        message.type = CLIENT_MESSAGE
        message.send_event = 1
        message.display = dpy
        message.window = window_id
        message.message_type = x11.XInternAtom(dpy, b"WM_PROTOCOLS", 0)
        message.format = 32
        message.data[0] = x11.XInternAtom(dpy, b"WM_DELETE_WINDOW", 0)
        message.data[1] = CURRENT_TIME
        assert x11.XSendEvent(dpy, window_id, 0, 0, ctypes.byref(event)) != 0
        x11.XFlush(dpy)
    finally:
        x11.XCloseDisplay(dpy)


# -- the window ---------------------------------------------------------------------------------


@pytest.fixture
def display(xvfb: str) -> str:
    if shutil.which("xdotool") is None:
        pytest.fail("xdotool is not installed; run `make system-deps` (Debian package xdotool)")
    return xvfb


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    with review_stack(folder(tmp_path_factory.mktemp("sync")), config=brush_config()) as running:
        yield running


def main_window(window: Window) -> int:
    return int(window.xdotool("search", "--name", "^naesView$").split()[0])


def close_button(window: Window) -> float:
    """The window manager's close (see `wm_close`); returns when it was sent (monotonic)."""
    wm_close(window.display, main_window(window))
    return time.monotonic()


def exit_status(window: Window, timeout: float) -> int:
    """Wait for the window to close: `run_window` returned (the driver says EXIT), then the
    driver process ends; its exit status."""
    code = int(window.expect("EXIT", timeout))
    assert window.process.stdin is not None
    window.process.stdin.close()  # the driver's reader thread ends with its input
    window.process.wait(timeout=15)
    assert window.process.returncode == code
    return code


def still_open(window: Window, seconds: float) -> None:
    time.sleep(seconds)
    assert window.process.poll() is None, window.stderr()
    assert window.xdotool("search", "--onlyvisible", "--name", "^naesView$").split()


def open_review(window: Window, stack) -> None:
    # The first WebKit start on a cold machine was once measured above sign_in's 20 s.
    window.wait_for("!!document.querySelector('#server')", 60, "the sign-in form")
    sign_in(window, stack.server.base_url, stack.reviewer.user.username, stack.reviewer.password)
    window.click(f"[data-testid=project-card][data-project-id='{stack.project_id}']")
    window.wait_for("!!document.querySelector('#dataset-path')", 20, "the dataset form")
    window.js(
        f"(e => {{ e.value = {json.dumps(str(MINI))}; }})(document.querySelector('#dataset-path'));"
        " document.querySelector('.path-form button[type=submit]').click(); true"
    )
    window.click("[data-testid=start-review]", 30)
    window.wait_for(
        "(() => { const r = window.naesview.review; if (!r || r.index !== 0) return false;"
        " r.viewer.renderNow(); return r.viewer.viewportInfo(0)?.status === 'ok'; })()",
        30,
        "case 1 drawn",
    )
    window.wait_for(HISTORY_READY, 20, "the brush")


def paint(window: Window) -> None:
    """A stroke across the middle of the axial view with the X pointer (press, move, release)."""
    box = json.loads(
        window.js(
            "JSON.stringify((() => { const v = window.naesview.review.viewer; v.renderNow();"
            " const r = v.canvas(0).getBoundingClientRect(); const f = v.viewportInfo(0).fit;"
            " const d = window.devicePixelRatio || 1;"
            " return [r.left + f.left / d, r.top + f.top / d, f.drawW / d, f.drawH / d]; })())"
        )
    )
    left, top, width, height = box
    y = round(top + height / 2)
    xs = [round(left + width * k / 10) for k in range(2, 9)]
    main = str(main_window(window))
    window.xdotool("mousemove", "--window", main, str(xs[0]), str(y), "mousedown", "1")
    for x in xs[1:]:
        window.xdotool("mousemove", "--window", main, str(x), str(y))
        time.sleep(0.03)
    window.xdotool("mouseup", "1", "mousemove", "--window", main, "2", "2")


def test_closing_with_unsaved_edits_asks_and_discard_closes(
    display: str, stack, tmp_path: Path
) -> None:
    with open_window(display, tmp_path / "home") as window:
        open_review(window, stack)
        paint(window)
        assert window.wait_for(UNSAVED, 10, "an unsaved edit") is True
        assert page_errors(window) == []

        # The close button asks in-app; the window stays while the question is open.
        sent = close_button(window)
        text = window.wait_for(
            f"document.querySelector('{CONFIRM}')?.innerText || ''", 10, "the question"
        )
        asked_ms = (time.monotonic() - sent) * 1000
        assert "You edited the mask of this case but did not answer." in text
        assert "Discard edits and close" in text
        assert window.js("document.activeElement.dataset.testid") == "leave-keep"
        still_open(window, 1.0)

        # Keep editing: the question goes, the window and the edits stay.
        window.mouse_click("[data-testid=leave-keep]")
        window.wait_for(f"!document.querySelector('{CONFIRM}')", 10, "the question gone")
        still_open(window, 1.0)
        assert window.js(UNSAVED) is True
        assert window.js("window.naesview.review.index") == 0

        # A second close asks again; Discard edits and close: the window closes, exit 0.
        close_button(window)
        window.wait_for(f"!!document.querySelector('{CONFIRM}')", 10, "the question again")
        assert page_errors(window) == []
        window.mouse_click("[data-testid=leave-discard]")
        chosen = time.monotonic()
        assert exit_status(window, 15) == 0
        closed_ms = (time.monotonic() - chosen) * 1000
    print(
        f"question shown {asked_ms:.0f} ms after the close, closed {closed_ms:.0f} ms after Discard"
    )


def test_closing_without_unsaved_edits_is_immediate(display: str, stack, tmp_path: Path) -> None:
    with open_window(display, tmp_path / "home") as window:
        open_review(window, stack)
        assert window.js(UNSAVED) is False
        assert page_errors(window) == []
        sent = close_button(window)
        assert exit_status(window, 10) == 0
        closed_ms = (time.monotonic() - sent) * 1000
    print(f"closed {closed_ms:.0f} ms after the close button")
    assert closed_ms < 2000


def test_a_hung_page_cannot_keep_the_window_open(display: str, tmp_path: Path) -> None:
    with open_window(display, tmp_path / "home") as window:
        window.wait_for("!!document.querySelector('#server')", 20, "the sign-in form")
        # The page's close handler never returns (as a page stuck in a loop would not).
        window.js("window.naesviewClose = { request() { for (;;) {} } }; true")
        sent = close_button(window)
        assert exit_status(window, CLOSE_ANSWER_TIMEOUT + 15) == 0
        closed_s = time.monotonic() - sent
    print(f"hung page: closed {closed_s:.1f} s after the close button")
    assert closed_s >= CLOSE_ANSWER_TIMEOUT * 0.9
