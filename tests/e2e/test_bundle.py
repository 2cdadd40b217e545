"""The bundled app (`make bundle`): its archive unpacks elsewhere and runs on its own.

- `naesview --version` answers with the version and the licences of the bundled code;
- the bundled readers and pixel decoders give exactly the manifest's voxels (`naesview inspect`);
- under a private Xvfb the window opens on the UI, the page reaches the bridge, a reviewer signs
  in to a real sync server, opens `mini.zip` and the voxels of a case reach the page byte for
  byte (`naesview app --self-test`), and nothing is loaded from the build's Python.

The bundle is built once per source state: `build/build_bundle.py --if-stale` reuses
`build/dist` when the hash of the sources and installed packages matches (a fresh build takes
1.5-3.5 min on 2 shared cores).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import tarfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from naesview_app.datasets.dataset import open_dataset
from naesview_app.local_server import wire_array
from naesview_wire import __version__
from tests.e2e.helpers import review_stack

ROOT = Path(__file__).resolve().parents[2]
BUILD_SCRIPT = ROOT / "build" / "build_bundle.py"
DIST = ROOT / "build" / "dist"
BUILD_TIMEOUT_S = 1500
pytestmark = pytest.mark.timeout(BUILD_TIMEOUT_S + 300)


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The bundle's executable, unpacked from the archive into a folder of its own (removed
    afterwards: it is 350 MB)."""
    subprocess.run(
        [sys.executable, str(BUILD_SCRIPT), "--if-stale"],
        check=True,
        cwd=ROOT,
        timeout=BUILD_TIMEOUT_S,
    )
    report = json.loads((DIST / "bundle-report.json").read_text())
    target = tmp_path_factory.mktemp("unpacked")
    with tarfile.open(DIST / report["archive"]) as archive:
        archive.extractall(target, filter="tar")
    executable = target / "naesview" / "naesview"
    assert os.access(executable, os.X_OK)
    yield executable
    shutil.rmtree(target, ignore_errors=True)


def bare_env(home: Path, **more: str) -> dict[str, str]:
    """No trace of the build's Python: no venv on PATH, no PYTHON* variables."""
    keep = {"DISPLAY", "LANG", "LC_ALL", "TMPDIR", "XAUTHORITY"}
    env = {key: value for key, value in os.environ.items() if key in keep}
    env.update(
        PATH="/usr/bin:/bin",
        HOME=str(home),
        NAESVIEW_CONFIG_DIR=str(home / "config"),
        NAESVIEW_DATA_DIR=str(home / "data"),
        **more,
    )
    return env


def test_version_names_the_bundled_licences(bundle: Path, tmp_path: Path) -> None:
    started = time.monotonic()
    done = subprocess.run(
        [str(bundle), "--version"],
        capture_output=True,
        text=True,
        timeout=60,
        env=bare_env(tmp_path),
        cwd=tmp_path,
    )
    seconds = time.monotonic() - started
    assert done.returncode == 0, done.stderr
    first, *rest = done.stdout.splitlines()
    assert first == f"naesview {__version__}"
    listed = "\n".join(rest)
    for bundled in ("numpy", "pydicom", "pywebview", "PyGObject", "simpleitk", "Python"):
        assert f"{bundled} " in listed, f"{bundled} missing from --version"
    for left_out in ("litestar", "sqlalchemy", "uvicorn", "alembic", "PyQt6", "pytest"):
        assert f"{left_out} " not in listed, f"{left_out} is bundled but the app does not use it"
    texts = Path(listed.rsplit("Licence texts: ", 1)[1].strip())
    assert texts.parent == bundle.parent / "_internal"
    content = texts.read_text()
    assert "Copyright (c) 2005-2025, NumPy Developers" in content or "NumPy Developers" in content
    assert "GNU LESSER GENERAL PUBLIC LICENSE" in content  # PyGObject's LGPL, full text
    print(f"bundle: --version answered in {seconds:.2f} s")


@pytest.mark.parametrize("dataset", ["mini.zip", "dicom_multiseq.zip", "png_jpeg.zip"])
def test_bundled_readers_give_the_manifest_voxels(
    bundle: Path, shared_data: Path, manifest: dict, dataset: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [str(bundle), "inspect", str(shared_data / dataset), "--json", "--no-progress"],
        capture_output=True,
        text=True,
        timeout=180,
        env=bare_env(tmp_path),
        cwd=tmp_path,
    )
    expected = next(d for d in manifest["datasets"] if d["dataset"] == dataset)
    assert done.returncode == (0 if not _has_errors(expected) else 1), done.stderr
    got = json.loads(done.stdout)
    assert [c["name"] for c in got["cases"]] == [c["name"] for c in expected["cases"]]
    compared = 0
    for case, want in zip(got["cases"], expected["cases"], strict=True):
        by_name = {v["name"]: v for v in case["volumes"]}
        for volume in want["volumes"]:
            assert by_name[volume["name"]]["shape"] == volume["shape"], (case["name"], volume)
            assert by_name[volume["name"]]["sha256"] == volume["sha256"], (case["name"], volume)
            compared += 1
    assert compared >= 4


def _has_errors(expected: dict) -> bool:
    return bool(expected.get("errors")) or any(c.get("errors") for c in expected["cases"])


def test_window_opens_reaches_bridge_and_reviews_a_case(
    bundle: Path, xvfb: str, shared_data: Path, tmp_path: Path
) -> None:
    mini = shared_data / "mini.zip"
    (tmp_path / "server").mkdir()
    with review_stack(tmp_path / "server") as stack:
        script = tmp_path / "script.json"
        calls = [
            {
                "method": "sign_in",
                "args": {
                    "server": stack.server.base_url,
                    "username": stack.reviewer.user.username,
                    "password": stack.reviewer.password,
                },
            },
            {"method": "open_project", "args": {"project_id": stack.project_id}},
            {"method": "open_dataset", "args": {"project_id": stack.project_id, "path": str(mini)}},
            {"method": "load_case", "args": {"index": 0}},
            {"method": "about", "args": {}},
        ]
        script.write_text(json.dumps({"calls": calls}))
        started = time.monotonic()
        process = subprocess.Popen(
            [str(bundle), "app", "--self-test", str(script)],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=bare_env(tmp_path / "home", DISPLAY=xvfb),
            cwd=tmp_path,
        )
        mapped, helpers = _watch_while_running(process, tmp_path / "home" / "config")
        try:
            out, err = process.communicate(timeout=240)
        finally:
            if process.poll() is None:
                process.kill()
                process.wait(timeout=10)
        seconds = time.monotonic() - started

    line = next((x for x in out.splitlines() if x.startswith("SELF-TEST ")), None)
    assert line is not None, f"no SELF-TEST line; stdout:\n{out}\nstderr:\n{err}"
    report = json.loads(line.removeprefix("SELF-TEST "))
    assert report["ok"], json.dumps(report, indent=1)[:4000] + err
    failed = {name: why for name, why in report["modules"].items() if why != "ok"}
    assert not failed, f"modules the app loads on demand do not load in the bundle: {failed}"
    assert process.returncode == 0, err
    assert "Traceback" not in err, err

    info = report["app_info"]
    assert info["mode"] == "window"
    assert info["version"] == __version__
    results = {step["method"]: step for step in report["steps"]}
    assert results["sign_in"]["result"]["username"] == stack.reviewer.user.username
    opened = results["open_dataset"]["result"]
    assert opened["case_count"] == 4
    assert opened["fingerprint_matches"] is True
    case = results["load_case"]
    voxels = {v["name"]: v for v in case["voxels"]}
    assert set(voxels) == {"image.nii.gz", "mask.nii.gz"}
    with open_dataset(mini) as dataset:
        for name, fetched in voxels.items():
            expected = wire_array(dataset.read_volume(case["result"]["case_id"], name).array)
            assert fetched["bytes"] == expected.nbytes, name
            # hashed in the page (WebCrypto: http://127.0.0.1 is a secure context in WebKit)
            assert fetched["sha256"] == hashlib.sha256(expected.tobytes()).hexdigest(), name

    about = results["about"]["result"]  # the About box's data, asked from the page
    assert about["bundled"] is True
    assert {"numpy", "pywebview", "PyGObject"} <= {p["name"] for p in about["third_party"]}
    assert about["licence_texts"].endswith("_internal/THIRD_PARTY_LICENSES.txt")

    # Started without the build's Python: nothing mapped from the venv or its interpreter.
    foreign = [
        path
        for path in mapped
        if path.startswith((str(ROOT / ".venv"), sys.base_prefix, sys.prefix))
    ]
    assert not foreign, foreign[:10]
    assert any(path.startswith(str(bundle.parent)) for path in mapped)
    # WebKit's helper processes are system programs: the bundle's libraries must not reach them.
    assert helpers, "no WebKit helper process was seen"
    leaked = {name: path for name, path in helpers.items() if str(bundle.parent) in path}
    assert not leaked, leaked
    print(
        f"bundle: window loaded {report['window_loaded_s']} s after the process started; "
        f"self-test (sign in, open mini.zip, load a case, fetch its voxels) {seconds:.1f} s"
    )


def _watch_while_running(
    process: subprocess.Popen, config_dir: Path
) -> tuple[set[str], dict[str, str]]:
    """Sampled in the background while the app runs: the files mapped into its memory, and the
    LD_LIBRARY_PATH of each WebKit helper process it started (found by the app's config dir in
    their environment, which they inherit)."""
    mapped: set[str] = set()
    helpers: dict[str, str] = {}
    marker = f"NAESVIEW_CONFIG_DIR={config_dir}".encode()

    def sample() -> None:
        maps = Path(f"/proc/{process.pid}/maps")
        while process.poll() is None:
            try:
                lines = maps.read_text().splitlines()
            except OSError:
                return
            mapped.update(line.split(None, 5)[5] for line in lines if len(line.split(None, 5)) == 6)
            for entry in Path("/proc").iterdir():
                try:
                    if not entry.name.isdigit() or not entry.joinpath(
                        "comm"
                    ).read_text().startswith("WebKit"):
                        continue
                    environ = entry.joinpath("environ").read_bytes().split(b"\0")
                except OSError:
                    continue
                if marker in environ:
                    paths = [v for v in environ if v.startswith(b"LD_LIBRARY_PATH=")]
                    name = entry.joinpath("comm").read_text().strip() + "/" + entry.name
                    helpers[name] = paths[0].decode(errors="replace") if paths else ""
            time.sleep(0.2)

    thread = threading.Thread(target=sample, daemon=True)
    thread.start()
    return mapped, helpers
