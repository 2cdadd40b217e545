"""`naesview demo --browser --no-open`: data, sync server and accounts are made, the served app
is signed in and points at the demo project and dataset, its voxels are a real image, and
stopping the demo stops its sync server."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[2]


def test_demo_serves_a_signed_in_app_on_its_own_sync_server(tmp_path: Path) -> None:
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

    def pump() -> None:
        assert demo.stdout is not None
        for line in demo.stdout:
            output.append(line)
            lines.put(line)

    threading.Thread(target=pump, daemon=True).start()
    try:
        url = sync_url = None
        while url is None:
            try:
                line = lines.get(timeout=180)
            except queue.Empty:
                raise AssertionError("demo printed no URL:\n" + "".join(output)) from None
            if found := re.search(r"sync server (http://127\.0\.0\.1:\d+)", line):
                sync_url = found.group(1)
            if found := re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line):
                url, base, token = found.group(0), found.group(1), found.group(2)
        assert sync_url is not None

        def call(method: str, args: dict | None = None) -> dict:
            response = httpx.post(
                f"{base}/bridge/{method}",
                json=args or {},
                headers={"X-Naesview-Token": token},
                timeout=60,
            )
            result = response.json()
            assert "error" not in result, result
            return result

        info = call("app_info")
        assert info["signed_in"]["username"] == "demo-reviewer"
        assert info["signed_in"]["server"] == sync_url
        start = info["start"]
        assert start["dataset_path"].endswith("naesview-demo-ct.zip")
        projects = {p["id"]: p for p in call("list_projects")["projects"]}
        assert len(projects) == 2
        lesion = projects[start["project_id"]]
        assert lesion["title"] == "Lesion masks (demo)"
        assert lesion["thumbnail"].startswith("data:image/png;base64,")
        (mr_id,) = set(projects) - {start["project_id"]}
        assert projects[mr_id]["thumbnail"].startswith("data:image/png;base64,")
        # The MR project's demo dataset is known too: nobody has to find its path.
        mr_opened = call("open_project", {"project_id": mr_id})
        assert mr_opened["dataset_path"].endswith("naesview-demo-mr.zip")
        mr_dataset = call("open_dataset", {"project_id": mr_id, "path": mr_opened["dataset_path"]})
        assert mr_dataset["fingerprint_matches"] is True
        assert mr_dataset["missing"] == []
        opened = call("open_project", {"project_id": start["project_id"]})
        assert opened["dataset_path"] == start["dataset_path"]
        dataset = call(
            "open_dataset", {"project_id": start["project_id"], "path": start["dataset_path"]}
        )
        assert dataset["fingerprint_matches"] is True
        assert dataset["missing"] == []
        assert dataset["case_count"] == 20
        case = call("load_case", {"index": dataset["resume_index"]})
        assert case["label_parts"] == ["P001", "siteB"]
        image = next(v for v in case["volumes"] if v["name"] == "image.nii.gz")
        raw = httpx.get(image["url"], headers={"X-Naesview-Token": token}, timeout=30).content
        voxels = np.frombuffer(raw, dtype=image["dtype"]).reshape(image["shape"])
        middle = voxels[voxels.shape[0] // 2]
        assert middle.min() <= -900  # air around the body
        assert middle.max() >= 400  # bone
        assert np.mean((middle > 20) & (middle < 80)) > 0.03  # soft tissue
        mask = next(v for v in case["volumes"] if v["name"] == "mask.nii.gz")
        raw = httpx.get(mask["url"], headers={"X-Naesview-Token": token}, timeout=30).content
        lesion = np.frombuffer(raw, dtype=mask["dtype"]).reshape(mask["shape"])
        assert lesion.shape == voxels.shape
        assert lesion[lesion.shape[0] // 2].any()  # the review opens on the lesion
        assert httpx.get(f"{sync_url}/healthz", timeout=5).status_code == 200
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
        try:
            httpx.get(f"{sync_url}/healthz", timeout=2)
            raise AssertionError("the demo's sync server still runs after the demo stopped")
        except httpx.TransportError:
            pass
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=10)


def test_demo_without_a_display_serves_the_app_for_a_browser(tmp_path: Path) -> None:
    """`make demo` over SSH or on a server: no window can open, so the demo says so and serves
    the app on loopback instead of stopping (it used to print an error and end)."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    demo = subprocess.Popen(
        [sys.executable, "-m", "naesview_app", "demo", "--data-dir", str(tmp_path / "demo")],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=ROOT,
        env={**env, "PYTHONUNBUFFERED": "1"},
    )
    output: list[str] = []
    try:
        assert demo.stdout is not None
        for line in demo.stdout:
            output.append(line)
            if found := re.search(r"(http://127\.0\.0\.1:\d+)/\?token=(\S+)", line):
                base, token = found.group(1), found.group(2)
                break
        else:
            raise AssertionError("demo printed no URL:\n" + "".join(output))
        assert any("no display for a window" in line for line in output), output
        info = httpx.post(
            f"{base}/bridge/app_info", json={}, headers={"X-Naesview-Token": token}, timeout=30
        ).json()
        assert info["signed_in"]["username"] == "demo-reviewer"
        demo.send_signal(signal.SIGTERM)
        assert demo.wait(timeout=30) == 0
    finally:
        if demo.poll() is None:
            demo.kill()
            demo.wait(timeout=10)
