"""The Bridge's error contract and the pure parts of the loopback server."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from naesview_app.bridge import EXPOSED, Bridge
from naesview_app.errors import ReaderError
from naesview_app.local_server import _parse_range, wire_array
from naesview_app.review import messages as m
from naesview_app.review.services import is_rejection, normalise_server
from naesview_app.sync.errors import BadRequest, Conflict, ServerError, ServerUnreachable, SignedOut


class StubApp:
    """Stands in for ReviewApp to test only the Bridge's conversion and error handling."""

    def __init__(self, behaviour: Any) -> None:
        self.behaviour = behaviour
        self.calls: list[tuple] = []

    def sign_in(self, server: str, username: str, password: str) -> m.Account:
        self.calls.append((server, username, password))
        return self.behaviour()

    def load_case(self, index: int, *, show: bool) -> Any:
        self.calls.append((index, show))
        return self.behaviour()


def bridge(behaviour: Any) -> tuple[Bridge, StubApp]:
    app = StubApp(behaviour)
    return Bridge(app), app  # type: ignore[arg-type]


def test_result_is_plain_builtins() -> None:
    account = m.Account(server="http://s", username="ann", display_name="Ann", role="reviewer")
    b, app = bridge(lambda: account)
    result = b.sign_in({"server": "http://s", "username": "ann", "password": "pw"})
    assert result == {
        "server": "http://s",
        "username": "ann",
        "display_name": "Ann",
        "role": "reviewer",
    }
    assert app.calls == [("http://s", "ann", "pw")]


def test_app_error_becomes_code_and_one_line_message() -> None:
    def fail() -> None:
        raise ReaderError("gzip stream cut short", case="3 (case10)", volume="image.nii.gz")

    b, _ = bridge(fail)
    result = b.load_case({"index": 0})
    assert result == {
        "error": {
            "code": "reader",
            "message": "case 3 (case10), volume `image.nii.gz`: gzip stream cut short",
        }
    }


def test_unexpected_exception_never_sends_a_traceback() -> None:
    def crash() -> None:
        raise KeyError("T2\nTraceback (most recent call last):\n  File x")

    b, _ = bridge(crash)
    error = b.load_case({"index": 1})["error"]
    assert error["code"] == "internal"
    assert "\n" not in error["message"]
    assert "KeyError" in error["message"]
    assert "see the log file" in error["message"]


@pytest.mark.parametrize(
    "args",
    [{"index": -1}, {"index": "one"}, {"index": 0, "typo": True}, {}, [1, 2], "x"],
)
def test_bad_arguments_are_refused_before_the_app_is_called(args: object) -> None:
    b, app = bridge(lambda: None)
    result = b.load_case(args)
    assert result["error"]["code"] == "bad_arguments"
    assert app.calls == []


def test_missing_args_mean_empty_object_and_none_result_is_empty_object() -> None:
    class App:
        def sync_status(self) -> m.SyncStatus:
            return m.SyncStatus(
                pending=2, synced=5, rejected=0, last_error=None, online=None, label="x"
            )

        def set_visible(self, visible: bool) -> None:
            self.visible = visible

    app = App()
    b = Bridge(app)  # type: ignore[arg-type]
    assert b.sync_status()["pending"] == 2
    assert b.set_visible({"visible": False}) == {}
    assert app.visible is False


def test_browser_dispatch_only_reaches_exposed_methods() -> None:
    b, _ = bridge(lambda: None)
    assert b._call("_call", {})["error"]["code"] == "unknown_method"
    assert b._call("__init__", {})["error"]["code"] == "unknown_method"
    assert {"app_info", "sign_in", "load_case", "submit_review", "sync_status"} <= EXPOSED
    assert all(not name.startswith("_") for name in EXPOSED)


def test_every_exposed_method_is_in_the_contract_document() -> None:
    from pathlib import Path

    doc = (Path(__file__).resolve().parents[2] / "docs" / "dev" / "bridge.md").read_text()
    for name in EXPOSED:
        assert f"| `{name}` |" in doc, f"bridge method {name} is not documented in bridge.md"


def test_rejections_are_refusals_not_outages() -> None:
    assert is_rejection(BadRequest("answer not in config", status=422))
    assert is_rejection(Conflict("project closed", status=409))
    assert not is_rejection(SignedOut("token expired", status=401))
    assert not is_rejection(ServerError("boom", status=503))
    assert not is_rejection(ServerUnreachable("down"))
    assert not is_rejection(OSError("network"))


def test_server_address_is_normalised() -> None:
    assert normalise_server(" 127.0.0.1:8750/ ") == "http://127.0.0.1:8750"
    assert normalise_server("https://sync.example.org") == "https://sync.example.org"


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("bytes=0-9", (0, 9)),
        ("bytes=10-", (10, 99)),
        ("bytes=-10", (90, 99)),
        ("bytes=90-500", (90, 99)),
        ("bytes=100-", None),
        ("bytes=5-2", None),
        ("bytes=0-1,4-5", None),
        ("items=0-1", None),
        ("bytes=a-b", None),
    ],
)
def test_parse_range(header: str, expected: tuple[int, int] | None) -> None:
    assert _parse_range(header, 100) == expected


def test_wire_array_is_little_endian_c_order_with_js_types() -> None:
    big = np.arange(24, dtype=">i2").reshape(2, 3, 4)
    out = wire_array(big)
    assert out.dtype == np.dtype("<i2")
    assert out.tobytes() == np.arange(24, dtype="<i2").tobytes()
    native = np.arange(8, dtype=np.float32).reshape(2, 2, 2)
    assert wire_array(native) is native or np.shares_memory(wire_array(native), native)
    assert wire_array(np.zeros((1, 2, 2), bool)).dtype == np.uint8
    assert wire_array(np.zeros((1, 2, 2), np.float64)).dtype == np.dtype("<f4")
    assert wire_array(np.zeros((1, 2, 2), np.int64)).dtype == np.dtype("<f4")
    fortran = np.asfortranarray(np.arange(8, dtype=np.int16).reshape(2, 2, 2))
    assert wire_array(fortran).flags.c_contiguous
