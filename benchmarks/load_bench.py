"""T3: open a large case → its voxels in the page (real Chromium), against floors of the same run.

The case is a synthetic 300×512×512 int16 CT (`.nii.gz`, 157 MB raw). The path is the app's own
on both sides: `ReviewSession.load` (progressive decoding) and `volume_infos` (the `load_case`
answer) in Python, `LocalServer` serving the voxels, and in the page the UI's own modules:
`firstSlices` (`ui/src/case-cache.js`) and `fetchVolume` (`ui/src/volumes.js`), called as the
review screen calls them. The page checks a sample of the voxels against the decoded array.

- T3 (all voxels): bound 1.2 × the larger floor of the same run: decompressing the member with
  libdeflate in one call, and Chromium fetching the same number of bytes from a minimal
  raw-socket HTTP server (the fastest of three plain ways to read a response: `arrayBuffer()`,
  a stream reader copying into one buffer, a BYOB reader). Decoding and sending overlap, so
  the sum of both is not needed.
- T3-both (information): the same value against both floors run at the same time (inflate in
  another process while the page fetches from the raw server): what a perfect overlap of
  decoding and sending can reach on this machine. On 2 vCPUs that is 1.3–1.4 × the larger floor
  (the transfer itself keeps ~1.3 cores busy), so T3's 1.2 is out of reach here whatever the app
  does; `docs/decisions/0009-t3-on-two-cores.md` has the measurements.
- T3-first (first slice in the page): the issue's absolute target, 100 ms, is the floor; bound 1.

Medians of 9 runs, the floors interleaved with the runs. The machine is shared: compare ratios,
not milliseconds, across runs.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.connection
import socket
import statistics
import tempfile
import threading
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import deflate
import msgspec
import numpy as np

from benchmarks.common import DATA, Figure, figure
from naesview_app.datasets import open_dataset
from naesview_app.datasets.synthetic import write_ct_dataset
from naesview_app.local_server import LocalServer, VoxelStore
from naesview_app.review.outbox import Account, Outbox
from naesview_app.review.services import volume_infos
from naesview_app.review.session import ProjectRef, ReviewSession
from naesview_wire import AnswerOption, Layer, ProjectConfig, Viewport, ViewportGrid

SHAPE = (300, 512, 512)
RUNS = 9
SAMPLE_STEP = 4099
CHROMIUM = "/usr/bin/chromium"
UI = Path(__file__).resolve().parent.parent / "ui"

PAGE_JS = """async ([token, step]) => {
  const { fetchVolume } = await import('/src/volumes.js');
  const { firstSlices } = await import('/src/case-cache.js');
  const headers = {'X-Naesview-Token': token};
  const t0 = performance.now();
  const info = await (await fetch('/bridge/load_case', {method: 'POST', headers, body: '{}'}))
    .json();
  const v = info.volumes[0];
  const first = firstSlices(v);
  let tFirst = null;
  const handle = fetchVolume(v, {
    headers, firstZ: first, slabs: Boolean(v.streaming),
    onProgress: (h) => {
      if (tFirst === null && first.some((z) => h.readyZ[z])) tFirst = performance.now();
    },
  });
  await handle.done;
  const t2 = performance.now();
  let sample = 0;
  for (let i = 0; i < handle.data.length; i += step) sample += handle.data[i];
  return {first: (tFirst - t0) / 1000, all: (t2 - t0) / 1000, n: handle.data.length,
          sample, streaming: v.streaming};
}"""

FLOOR_JS = {
    "arrayBuffer": """async ([url, total]) => {
  const t0 = performance.now();
  const a = new Uint8Array(await (await fetch(url)).arrayBuffer());
  if (a.length !== total) throw new Error('short');
  return (performance.now() - t0) / 1000;
}""",
    "stream": """async ([url, total]) => {
  const t0 = performance.now();
  const buf = new Uint8Array(total);
  const reader = (await fetch(url)).body.getReader();
  let pos = 0;
  for (;;) {
    const {done, value} = await reader.read();
    if (done) break;
    buf.set(value, pos);
    pos += value.length;
  }
  if (pos !== total) throw new Error('short');
  return (performance.now() - t0) / 1000;
}""",
    "byob": """async ([url, total]) => {
  const t0 = performance.now();
  let buf = new ArrayBuffer(total);
  const reader = (await fetch(url)).body.getReader({mode: 'byob'});
  let pos = 0;
  while (pos < total) {
    const view = new Uint8Array(buf, pos, Math.min(total - pos, 1 << 22));
    const {done, value} = await reader.read(view);
    if (done) break;
    buf = value.buffer; pos += value.byteLength;
  }
  if (pos !== total) throw new Error('short');
  return (performance.now() - t0) / 1000;
}""",
}

CONFIG = ProjectConfig(
    viewports=ViewportGrid(viewports=(Viewport(layers=(Layer(volume="image.nii.gz"),)),)),
    answers=(AnswerOption(value="ok", label="OK", key=1),),
)


def _inflate_worker(path: str, member: str, conn: multiprocessing.connection.Connection) -> None:
    """In its own process: on each message, inflate the member once and answer the seconds."""
    data = zipfile.ZipFile(path).read(member)
    while conn.recv():
        t0 = time.perf_counter()
        deflate.gzip_decompress(data)
        conn.send(time.perf_counter() - t0)


def run() -> list[Figure]:
    from playwright.sync_api import sync_playwright

    dataset_path = DATA / "t3_ct_300x512x512.zip"
    if not dataset_path.is_file():
        write_ct_dataset(dataset_path, cases=1, shape=SHAPE)
    member = zipfile.ZipFile(dataset_path).read("case1/image.nii.gz")
    total = int(np.prod(SHAPE)) * 2
    work = Path(tempfile.mkdtemp(prefix="naesview-bench-"))
    with open_dataset(dataset_path) as dataset:
        sessions: list[ReviewSession] = []
        arrays: list[np.ndarray] = []

        def new_session() -> ReviewSession:
            # A new session per run, made before the clock starts (in the app the session
            # exists when the reviewer opens a case): nothing cached, the case is opened cold.
            session = ReviewSession(
                project=ProjectRef(
                    project_id=1,
                    config_version=1,
                    config=CONFIG,
                    fingerprint=dataset.fingerprint,
                    case_count=1,
                ),
                dataset=dataset,
                account=Account("bench", 1),
                outbox=Outbox(work / f"outbox-{time.monotonic_ns()}.sqlite3"),
            )
            sessions.append(session)
            return session

        def load_case(method: str, args: object) -> object:
            session = sessions[-1]
            case = session.load(0)
            arrays.append(case.volumes.layers["image.nii.gz"].volume.array)
            infos = volume_infos(session, case, voxels, "")
            return msgspec.to_builtins({"volumes": infos})

        voxels = VoxelStore(max_items=2)
        server = LocalServer(ui_dir=UI, voxels=voxels, bridge_call=load_case).start()
        floor_port, stop_floor = _raw_socket_server(total)
        floor_url = f"http://127.0.0.1:{floor_port}/"
        values: dict[str, list[float]] = {"first": [], "all": [], "inflate": [], "both": []}
        values.update({name: [] for name in FLOOR_JS})
        streamed = 0
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        inflater = context.Process(
            target=_inflate_worker, args=(str(dataset_path), "case1/image.nii.gz", theirs)
        )
        inflater.start()
        try:
            with sync_playwright() as p:
                browser = p.chromium.launch(
                    executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"]
                )
                # The app's CSP allows no other origin; the floor server is one (CSP costs nothing).
                page = browser.new_context(bypass_csp=True).new_page()
                page.goto(f"{server.base_url}/")
                for _ in range(RUNS):
                    t0 = time.perf_counter()
                    deflate.gzip_decompress(member)
                    values["inflate"].append(time.perf_counter() - t0)
                    for name, js in FLOOR_JS.items():
                        values[name].append(page.evaluate(js, [floor_url, total]))
                    t0 = time.perf_counter()  # both floors at once: inflate ∥ transfer
                    ours.send(True)
                    page.evaluate(FLOOR_JS["byob"], [floor_url, total])
                    ours.recv()
                    values["both"].append(time.perf_counter() - t0)
                    new_session()
                    result = page.evaluate(PAGE_JS, [server.token, SAMPLE_STEP])
                    expected = arrays[-1].reshape(-1)[::SAMPLE_STEP].sum(dtype=np.int64)
                    if result["n"] != int(np.prod(SHAPE)) or result["sample"] != expected:
                        raise AssertionError(f"the page got other voxels: {result}")
                    streamed += bool(result["streaming"])
                    values["first"].append(result["first"])
                    values["all"].append(result["all"])
                    # Let go of this run's case, as the app does when the reviewer moves on:
                    # the machine's memory stays that of one open case.
                    sessions.pop().close()
                    arrays.clear()
                browser.close()
        finally:
            ours.send(False)
            inflater.join(30)
            server.stop()
            stop_floor()
    if not streamed:
        raise AssertionError("the case was never decoded progressively: not the path measured")
    median = {k: statistics.median(v) for k, v in values.items()}
    way = min(FLOOR_JS, key=lambda name: median[name])
    floor = max(median["inflate"], median[way])
    plain = ", ".join(f"{name} {median[name]:.3f}" for name in FLOOR_JS)
    return [
        figure(
            "T3",
            f"large case: load_case to all voxels in the page via the UI's fetchVolume (floor: "
            f"max of inflate {median['inflate']:.3f} s, raw transfer {median[way]:.3f} s; "
            f"transfers: {plain}; {streamed}/{RUNS} runs progressive)",
            median["all"],
            floor,
            1.2,
            "s",
        ),
        figure(
            "T3-both",
            f"the same, against inflate and byob transfer run at the same time "
            f"({median['both']:.3f} s; {median['both'] / floor:.2f} x the larger floor): "
            f"information, what full overlap reaches here",
            median["all"],
            median["both"],
            1.2,
            "s",
        ),
        figure(
            "T3-first",
            "large case: load_case to its first slice in the page (floor: the 100 ms target)",
            median["first"],
            0.1,
            1.0,
            "s",
        ),
    ]


def _raw_socket_server(size: int) -> tuple[int, Callable[[], None]]:
    """A minimal HTTP server sending `size` bytes with one sendall: the transfer floor."""
    payload = memoryview(bytearray(size))
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stopped = threading.Event()

    def serve(conn: socket.socket) -> None:
        with conn:
            while not stopped.is_set():
                request = b""
                while b"\r\n\r\n" not in request:
                    chunk = conn.recv(65536)
                    if not chunk:
                        return
                    request += chunk
                conn.sendall(
                    b"HTTP/1.1 200 OK\r\nAccess-Control-Allow-Origin: *\r\n"
                    b"Content-Type: application/octet-stream\r\n"
                    b"Content-Length: %d\r\n\r\n" % size
                )
                conn.sendall(payload)

    def accept() -> None:
        while not stopped.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()

    def stop() -> None:
        stopped.set()
        listener.close()

    return int(listener.getsockname()[1]), stop
