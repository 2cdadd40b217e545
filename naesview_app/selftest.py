"""`naesview app --self-test [SCRIPT.json]`: open the real window, prove it works, close, exit 0/1.

For the bundled app (the e2e test runs it under Xvfb) and for anyone checking an install: the
window opens on the UI; from inside the page, as the UI does, a bridge call (`app_info`) goes
over the loopback server and answers; then the bridge calls of SCRIPT.json run in order, and the
voxels of every `load_case` are fetched and hashed in the page; then the modules the app loads
only on demand (pixel decoders, the resampler) are loaded. One line is printed:

    SELF-TEST {"ok": true, "window_loaded_s": 1.2, "app_info": {..}, "steps": [..], "modules": {..}}

SCRIPT.json is `{"calls": [{"method": "sign_in", "args": {...}}, ...]}`; the run stops at the
first call that answers an error. Exit 0 when every call answered without an error.
"""

from __future__ import annotations

import importlib
import json
import os
import sys
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

import msgspec

from naesview_app.about import about_info

# Loaded lazily by the app (a decoder for one transfer syntax, the resampler for one kind of layer):
# a bundle missing one would only fail on that dataset, so the self-test loads each.
LAZY_MODULES = (
    "SimpleITK",
    "pydicom.pixels.decoders.pylibjpeg",
    "openjpeg",
    "jpeg_ls",
    "naesview_app.datasets.readers.dicom_gdcm",
    "PIL.Image",
    "deflate",
    "isal.isal_zlib",
    "nibabel",
    "ssl",
    "sqlite3",
)
PAGE_TIMEOUT_S = 60.0
RUN_TIMEOUT_S = 180.0
RESULT_VARIABLE = "window.__naesviewSelfTest"

# Runs in the page. Calls the bridge exactly as ui/src/bridge.js does (POST /bridge/<method>
# with the token header) and fetches voxels as the viewer does; the result lands in a global
# that the Python side polls (pywebview's evaluate_js wraps code in eval(), which the UI's CSP
# forbids, so only run_js of plain expressions is used).
_RUN_JS = """
(async () => {
  const token = %(token)s, steps = %(steps)s, out = [];
  const hex = (buffer) => Array.from(new Uint8Array(buffer),
      (b) => b.toString(16).padStart(2, '0')).join('');
  const call = async (method, args) => {
    const response = await fetch('/bridge/' + method, {method: 'POST',
        body: JSON.stringify(args || {}), headers: {'X-Naesview-Token': token}});
    return response.json();
  };
  try {
    for (const step of steps) {
      const result = await call(step.method, step.args);
      const entry = {method: step.method, result};
      if (step.method === 'load_case' && result && Array.isArray(result.volumes)) {
        entry.voxels = [];
        for (const volume of result.volumes) {
          const response = await fetch(volume.url, {headers: {'X-Naesview-Token': token}});
          const buffer = await response.arrayBuffer();
          const digest = crypto.subtle ? hex(await crypto.subtle.digest('SHA-256', buffer)) : null;
          entry.voxels.push({name: volume.name, status: response.status,
                             bytes: buffer.byteLength, sha256: digest});
        }
      }
      out.push(entry);
      if (result && result.error) break;
    }
    %(result)s = JSON.stringify({steps: out});
  } catch (error) {
    %(result)s = JSON.stringify({steps: out, error: String(error)});
  }
})();
'started';
"""


def self_test_command(script_path: str | None) -> int:
    from naesview_app.config import AppPaths
    from naesview_app.shell import run_window

    steps: list[dict[str, Any]] = []
    if script_path:
        try:
            steps = list(json.loads(Path(script_path).read_text(encoding="utf-8"))["calls"])
        except (OSError, ValueError, KeyError, TypeError) as exc:
            print(
                f"naesview: self-test script {script_path} is unreadable ({exc}); "
                'it must be JSON like {"calls": [{"method": "app_info", "args": {}}]}',
                file=sys.stderr,
            )
            return 2
    report: dict[str, Any] = {"ok": False}
    done = threading.Event()

    def drive(window: Any) -> None:
        try:
            report.update(_drive(window, steps))
        except Exception as exc:  # the window must close whatever happened
            report["error"] = f"{type(exc).__name__}: {exc}"
        finally:
            done.set()
            window.destroy()

    code = run_window(AppPaths.from_environ(os.environ), on_started=drive)
    if not done.is_set():
        report.setdefault("error", f"the window closed before the self-test ran (exit {code})")
    report["about"] = msgspec.to_builtins(about_info())
    report["modules"] = load_lazy_modules()
    loaded = all(outcome == "ok" for outcome in report["modules"].values())
    print("SELF-TEST " + json.dumps(report), flush=True)
    return 0 if report["ok"] and loaded and code == 0 else 1


def load_lazy_modules() -> dict[str, str]:
    """`ok`, or why the module does not load, for each of LAZY_MODULES."""
    outcome = {}
    for name in LAZY_MODULES:
        try:
            importlib.import_module(name)
            outcome[name] = "ok"
        except Exception as exc:
            outcome[name] = f"{type(exc).__name__}: {exc}"
    return outcome


def _drive(window: Any, steps: list[dict[str, Any]]) -> dict[str, Any]:
    if not window.events.loaded.wait(PAGE_TIMEOUT_S):
        return {"error": f"the page did not load in {PAGE_TIMEOUT_S:.0f} s"}
    loaded = process_age_s()
    token = urllib.parse.parse_qs(urllib.parse.urlsplit(window.real_url or window.url).query)
    values = token.get("token") or [""]
    calls = [{"method": "app_info", "args": {}}, *steps]
    window.run_js(
        _RUN_JS
        % {
            "token": json.dumps(values[0]),
            "steps": json.dumps(calls),
            "result": RESULT_VARIABLE,
        }
    )
    answer = _poll(window, f"{RESULT_VARIABLE} || ''", RUN_TIMEOUT_S)
    if answer is None:
        return {"window_loaded_s": loaded, "error": f"no answer in {RUN_TIMEOUT_S:.0f} s"}
    ran = json.loads(answer)
    results = ran.get("steps", [])
    failed = [s for s in results if isinstance(s["result"], dict) and "error" in s["result"]]
    voxels_bad = [
        v for s in results for v in s.get("voxels", []) if v["status"] != 200 or not v["bytes"]
    ]
    ok = not ran.get("error") and not failed and not voxels_bad and len(results) == len(calls)
    return {
        "ok": ok,
        "window_loaded_s": loaded,
        "app_info": results[0]["result"] if results else None,
        "steps": results[1:],
        **({"error": ran["error"]} if ran.get("error") else {}),
    }


def _poll(window: Any, expression: str, timeout: float) -> str | None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = window.run_js(expression)
        if value not in (None, "", "null"):
            return str(value)
        time.sleep(0.05)
    return None


def process_age_s() -> float | None:
    """Seconds since this process started (Linux /proc), for "time to first window"."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        uptime = float(Path("/proc/uptime").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return round(uptime - ticks / os.sysconf("SC_CLK_TCK"), 3)
