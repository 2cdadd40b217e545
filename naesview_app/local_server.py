"""The loopback HTTP server: static UI, raw voxels, edited masks, the bridge in browser mode.

- Binds 127.0.0.1 only. Every request must carry `Host: 127.0.0.1:<port>` or `localhost:<port>`
  (a page on another site that rebinds its DNS name to 127.0.0.1 still sends its own Host).
- `/voxels`, `/masks` and `/bridge` need the per-launch random token in `X-Naesview-Token`,
  compared in constant time. No CORS headers are ever sent, and the custom header forces a
  preflight that is refused, so other origins can neither read nor write.
- `GET /voxels/<handle>` answers the raw little-endian bytes of a registered array, streamed in
  chunks; `?z0=&z1=` (a slab of whole slices) and `Range: bytes=a-b` let the UI draw its first
  slice before the whole volume has arrived.
- `PUT /masks/<handle>` takes an edited mask as raw uint8 bytes of exactly the registered shape.

stdlib `ThreadingHTTPServer` is enough here: one client (the UI) and a few concurrent requests;
it streams 157 MB at loopback speed (measured in docs/decisions/0004-webview-backend.md).
"""

from __future__ import annotations

import http.server
import json
import mimetypes
import secrets
import socket
import threading
import urllib.parse
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from naesview_app.errors import NaesviewError

TOKEN_HEADER = "X-Naesview-Token"  # noqa: S105 (a header name, not a secret)
CHUNK_BYTES = 1 << 20
MAX_WRITE_BYTES = 32 << 20  # a volume still decoding: at most this much decoded data per write
MAX_BRIDGE_BODY = 64 << 20  # a bridge call is small; this only bounds a hostile sender
DECODE_WAIT = 300.0  # seconds a request waits for a slice still being decoded

BridgeCall = Callable[[str, object], object]
"""(method, args decoded from JSON) -> a JSON-able result (errors are results too)."""

_TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".mjs": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".json": "application/json",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".woff2": "font/woff2",
}


class Growing(Protocol):
    """An array still being filled slice by slice (`review.progressive.GrowingVolume`)."""

    def wait_slices(self, z0: int, z1: int, timeout: float | None = None) -> None: ...

    def ready_prefix(self) -> int:
        """How many slices from z = 0 on exist without a gap."""
        ...


@dataclass(frozen=True, slots=True)
class _Entry:
    array: np.ndarray
    """C-contiguous, little-endian: its buffer is exactly the bytes sent."""
    editable: bool
    growing: Growing | None = None
    """Set while slices are still being decoded: each is sent once it exists."""


class VoxelStore:
    """Arrays the UI may fetch, by unguessable handle.

    Least recently registered entries are dropped beyond `max_items` or `max_bytes` (the
    newest is always kept), so the store never holds more than a few cases' voxels alive.
    Registering the same `key` again returns the same handle, so a case the UI already fetched
    is not fetched again under a new name.
    """

    def __init__(self, max_items: int = 64, max_bytes: int = 1 << 30) -> None:
        self._lock = threading.Lock()
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._handles: dict[Hashable, str] = {}
        self._edits: dict[str, np.ndarray] = {}
        self._max_items = max_items
        self._max_bytes = max_bytes

    def register(
        self,
        key: Hashable,
        array: np.ndarray,
        *,
        editable: bool = False,
        growing: Growing | None = None,
    ) -> str:
        data = wire_array(array)
        if growing is not None and data.ctypes.data != array.ctypes.data:
            raise ValueError("a growing array must already be in its wire layout (no copy)")
        entry = _Entry(data, editable, growing)
        with self._lock:
            handle = self._handles.get(key)
            if handle is None or handle not in self._entries:
                handle = secrets.token_urlsafe(12)
                self._handles[key] = handle
            self._entries[handle] = entry
            self._entries.move_to_end(handle)
            self._evict()
            return handle

    def _evict(self) -> None:
        total = sum(e.array.nbytes for e in self._entries.values())
        while len(self._entries) > 1 and (
            len(self._entries) > self._max_items or total > self._max_bytes
        ):
            old, dropped = self._entries.popitem(last=False)
            total -= dropped.array.nbytes
            self._edits.pop(old, None)
            self._handles = {k: h for k, h in self._handles.items() if h != old}

    def get(self, handle: str) -> np.ndarray | None:
        entry = self.entry(handle)
        return entry.array if entry else None

    def entry(self, handle: str) -> _Entry | None:
        with self._lock:
            return self._entries.get(handle)

    def put_edit(self, handle: str, data: bytes) -> str | None:
        """Store an edited mask; returns why it was refused, or None."""
        with self._lock:
            entry = self._entries.get(handle)
            if entry is None or not entry.editable:
                return "no editable mask with this handle; load the case again"
            if len(data) != entry.array.size:
                return f"expected {entry.array.size} bytes (shape {list(entry.array.shape)})"
            self._edits[handle] = np.frombuffer(data, dtype=np.uint8).reshape(entry.array.shape)
            return None

    def take_edit(self, handle: str) -> np.ndarray | None:
        with self._lock:
            return self._edits.pop(handle, None)


def wire_dtype(dtype: np.dtype) -> np.dtype:
    """The little-endian type the UI reads these samples as (a type JS has a typed array for)."""
    if dtype == np.bool_:
        return np.dtype(np.uint8)
    if (dtype.kind in "iu" and dtype.itemsize == 8) or (dtype.kind == "f" and dtype.itemsize != 4):
        return np.dtype("<f4")  # no int64 typed arrays worth using; float64 doubles the bytes
    return dtype.newbyteorder("<")


def wire_array(array: np.ndarray) -> np.ndarray:
    """The array as the UI reads it: C order, `wire_dtype`. No copy when it already is."""
    return np.ascontiguousarray(array, dtype=wire_dtype(array.dtype))


class LocalServer:
    """The loopback server; `start()` runs it on a daemon thread, `stop()` ends it."""

    def __init__(
        self,
        *,
        ui_dir: Path,
        voxels: VoxelStore,
        bridge_call: BridgeCall | None = None,
        port: int = 0,
        token: str | None = None,
    ) -> None:
        self.ui_dir = ui_dir.resolve()
        self.voxels = voxels
        self.bridge_call = bridge_call
        self.token = token or secrets.token_urlsafe(32)
        self._httpd = _Server(("127.0.0.1", port), _Handler)
        self._httpd.app = self
        self.port = int(self._httpd.server_address[1])
        self._thread: threading.Thread | None = None

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def allowed_hosts(self) -> frozenset[str]:
        return frozenset({f"127.0.0.1:{self.port}", f"localhost:{self.port}"})

    def start(self) -> LocalServer:
        self._thread = threading.Thread(
            target=self._httpd.serve_forever,
            kwargs={"poll_interval": 0.05},  # how long `stop` waits for the loop
            name="naesview-local-server",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        if self._thread is not None:
            self._thread.join(5)

    def token_ok(self, presented: str | None) -> bool:
        return presented is not None and secrets.compare_digest(
            presented.encode(), self.token.encode()
        )


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    app: LocalServer


class _Handler(http.server.BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"  # keep-alive: the UI makes many small requests
    server_version = "naesview"
    sys_version = ""

    def setup(self) -> None:
        super().setup()
        # Headers and body leave in separate writes; with Nagle's algorithm and the client's
        # delayed ACK each small answer would wait ~40 ms (measured: load_case 45 ms -> 2 ms).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def log_message(self, format: str, *args: object) -> None:
        pass  # no access log: URLs carry handles, and the terminal is the user's

    # -- dispatch ------------------------------------------------------------------------

    def do_GET(self) -> None:
        if not self._host_ok():
            return
        path, query = self._split()
        if path.startswith("/voxels/"):
            if self._token_ok():
                self._voxels(path.removeprefix("/voxels/"), query)
            return
        self._static(path)

    def do_HEAD(self) -> None:
        self._fail(405, "method not allowed")

    def do_PUT(self) -> None:
        if not (self._host_ok() and self._token_ok()):
            return
        path, _ = self._split()
        if not path.startswith("/masks/"):
            self._fail(404, "not found")
            return
        handle = path.removeprefix("/masks/")
        entry = self.server.app.voxels.entry(handle)
        if entry is None or not entry.editable:
            self._fail(404, "no editable mask with this handle; load the case again")
            return
        # The size is known from the handle: refuse a wrong length before reading anything.
        body = self._body(limit=entry.array.size)
        if body is None:
            return
        problem = self.server.app.voxels.put_edit(handle, body)
        if problem:
            self._fail(409 if problem.startswith("expected") else 404, problem)
        else:
            self._send(204, b"")

    def do_POST(self) -> None:
        if not (self._host_ok() and self._token_ok()):
            return
        path, _ = self._split()
        app = self.server.app
        if not path.startswith("/bridge/") or app.bridge_call is None:
            self._fail(404, "not found")
            return
        body = self._body(limit=MAX_BRIDGE_BODY)
        if body is None:
            return
        try:
            args = json.loads(body) if body else {}
        except ValueError:
            self._fail(400, "the bridge takes a JSON object")
            return
        result = app.bridge_call(path.removeprefix("/bridge/"), args)
        self._send(200, json.dumps(result).encode(), "application/json")

    def do_OPTIONS(self) -> None:
        self._fail(405, "cross-origin requests are not allowed")

    # -- checks --------------------------------------------------------------------------

    def _host_ok(self) -> bool:
        if self.headers.get("Host", "") in self.server.app.allowed_hosts:
            return True
        self._fail(421, "wrong Host header; open the address the app printed")
        return False

    def _token_ok(self) -> bool:
        if self.server.app.token_ok(self.headers.get(TOKEN_HEADER)):
            return True
        self._fail(403, "missing or wrong token")
        return False

    # -- routes --------------------------------------------------------------------------

    def _voxels(self, handle: str, query: dict[str, list[str]]) -> None:
        entry = self.server.app.voxels.entry(handle)
        if entry is None:
            self._fail(404, "unknown voxel handle; load the case again")
            return
        array = entry.array
        data = memoryview(array.reshape(-1).view(np.uint8))  # type: ignore[arg-type]
        start, end = 0, len(data)
        slice_bytes = array[0].nbytes if array.ndim == 3 and array.shape[0] else len(data)
        if "z0" in query or "z1" in query:
            try:
                z0 = int(query.get("z0", ["0"])[0])
                z1 = int(query.get("z1", [str(array.shape[0])])[0])
            except ValueError:
                self._fail(400, "z0 and z1 are slice numbers")
                return
            if not 0 <= z0 < z1 <= array.shape[0]:
                self._fail(416, f"slices {z0}..{z1} outside 0..{array.shape[0]}")
                return
            start, end = z0 * slice_bytes, z1 * slice_bytes
        status = 200
        headers = {
            "X-Naesview-Shape": ",".join(str(n) for n in array.shape),
            "X-Naesview-Dtype": array.dtype.name,
            "Accept-Ranges": "bytes",
        }
        byte_range = self.headers.get("Range")
        if byte_range:
            parsed = _parse_range(byte_range, end - start)
            if parsed is None:
                self._fail(416, "unsatisfiable Range")
                return
            first, last = parsed
            headers["Content-Range"] = f"bytes {first}-{last}/{end - start}"
            start, end = start + first, start + last + 1
            status = 206
        growing = entry.growing
        if growing is not None and start < end:
            try:  # the first slice asked for must exist before the status line goes out
                first_z = start // slice_bytes
                growing.wait_slices(first_z, first_z + 1, DECODE_WAIT)
            except NaesviewError as exc:
                self._fail(502, f"volume could not be decoded: {exc}")
                return
        self.send_response(status)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(end - start))
        self.send_header("Cache-Control", "no-store")
        for name, value in headers.items():
            self.send_header(name, value)
        self.end_headers()
        try:
            offset = start
            while offset < end:
                stop = min(offset + CHUNK_BYTES, end)
                if growing is not None:
                    # Send only what is decoded: wait for every slice this chunk touches, then
                    # send all that is decoded from here on in one write (fewer wake-ups).
                    growing.wait_slices(
                        offset // slice_bytes, (stop - 1) // slice_bytes + 1, DECODE_WAIT
                    )
                    ready = growing.ready_prefix() * slice_bytes
                    stop = max(stop, min(ready, end, offset + MAX_WRITE_BYTES))
                self.wfile.write(data[offset:stop])
                offset = stop
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True  # the UI moved on to another case: fine
        except NaesviewError:
            self.close_connection = True  # decoding failed midway: a short body tells the UI

    def _static(self, path: str) -> None:
        root = self.server.app.ui_dir
        relative = "index.html" if path in ("", "/") else urllib.parse.unquote(path).lstrip("/")
        target = (root / relative).resolve()
        if not target.is_relative_to(root) or not target.is_file():
            self._fail(404, "not found")
            return
        kind = _TYPES.get(target.suffix) or mimetypes.guess_type(target.name)[0]
        self._send(
            200,
            target.read_bytes(),
            kind or "application/octet-stream",
            # The first URL carries the token: never pass it on in a Referer, never be framed.
            extra={"Referrer-Policy": "no-referrer", "X-Frame-Options": "DENY"},
        )

    # -- plumbing ------------------------------------------------------------------------

    def _split(self) -> tuple[str, dict[str, list[str]]]:
        parts = urllib.parse.urlsplit(self.path)
        return parts.path, urllib.parse.parse_qs(parts.query)

    def _body(self, *, limit: int) -> bytes | None:
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit():
            self._fail(411, "Content-Length required")
            return None
        if int(length) > limit:
            self._fail(413, "request body too large")
            return None
        return self.rfile.read(int(length))

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str = "text/plain",
        extra: dict[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        if body or status != 204:
            self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.end_headers()
        if body:
            self.wfile.write(body)

    def _fail(self, status: int, message: str) -> None:
        self.close_connection = True  # an unread request body must not be taken for a request
        self._send(status, (message + "\n").encode(), "text/plain; charset=utf-8")


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """One `bytes=a-b`, `bytes=a-` or `bytes=-n` range within `size`; None when unsatisfiable."""
    unit, _, spec = header.partition("=")
    if unit.strip() != "bytes" or "," in spec:
        return None
    first_s, _, last_s = spec.strip().partition("-")
    try:
        if first_s == "":
            n = int(last_s)
            first, last = max(size - n, 0), size - 1
        else:
            first = int(first_s)
            last = min(int(last_s), size - 1) if last_s else size - 1
    except ValueError:
        return None
    if first < 0 or first > last or first >= size:
        return None
    return first, last
