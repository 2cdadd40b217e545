"""The About data: version and third-party licences, from source and as the bundle writes them."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

from naesview_app import about
from naesview_app.bridge import EXPOSED, Bridge
from naesview_wire import __version__

ROOT = Path(__file__).resolve().parents[2]
SERVER_ONLY = {"litestar", "sqlalchemy", "uvicorn", "alembic", "asyncpg", "argon2-cffi"}


def load_build_module(name: str) -> ModuleType:
    """`build/` is not a package (it would shadow PyPI's `build`): load its modules by path."""
    spec = importlib.util.spec_from_file_location(
        f"naesview_build_{name}", ROOT / "build" / f"{name}.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_from_source_lists_the_app_closure_with_licences() -> None:
    info = about.about_info()
    assert info.version == __version__
    assert info.bundled is False
    assert info.licence_texts is None
    names = {p.name.lower(): p for p in info.third_party}
    assert {"numpy", "pydicom", "nibabel", "msgspec", "httpx", "pywebview"} <= set(names)
    assert not SERVER_ONLY & set(names), "the server stack is not part of the app"
    assert names["numpy"].licence.startswith("BSD-3-Clause")
    assert all(p.licence and p.version for p in info.third_party)


def test_version_text_starts_with_the_plain_version() -> None:
    text = about.version_text(
        about.AboutInfo(
            version="9.9.9",
            python="3.11.7",
            bundled=True,
            third_party=[about.ThirdParty(name="numpy", version="2.4.6", licence="BSD-3-Clause")],
            licence_texts="/opt/naesview/_internal/THIRD_PARTY_LICENSES.txt",
        )
    )
    lines = text.splitlines()
    assert lines[0] == "naesview 9.9.9"
    assert "numpy 2.4.6 (BSD-3-Clause)" in lines[2]
    assert "bundled (1)" in lines[2]
    assert lines[3] == "Licence texts: /opt/naesview/_internal/THIRD_PARTY_LICENSES.txt"


def test_bundle_files_are_what_the_frozen_app_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    licences = load_build_module("licences")
    listed = licences.write_third_party({"numpy", "gi", "cairo", "pydicom", "openjpeg"}, tmp_path)
    names = [p.name for p in listed]
    assert names[0] == "Python"
    assert {"numpy", "PyGObject", "pycairo", "pydicom", "pylibjpeg-openjpeg"} <= set(names)

    text = (tmp_path / about.THIRD_PARTY_TEXT).read_text()
    assert "NumPy Developers" in text  # numpy's own LICENSE.txt, not just its name
    assert "PYTHON SOFTWARE FOUNDATION LICENSE" in text
    parts = text.split("=" * 78 + "\n")  # heading, body, heading, body…
    pygobject = next(parts[i + 1] for i, p in enumerate(parts) if p.startswith("PyGObject "))
    if licences.COMMON_LICENCES.joinpath("LGPL-2.1").is_file():  # Debian: the full LGPL text
        assert "GNU LESSER GENERAL PUBLIC LICENSE" in pygobject
    else:
        assert "No licence file ships with PyGObject" in pygobject

    monkeypatch.setattr(sys, "_MEIPASS", str(tmp_path), raising=False)
    info = about.about_info()
    assert info.bundled is True
    assert [p.name for p in info.third_party] == names
    assert info.licence_texts == str(tmp_path / about.THIRD_PARTY_TEXT)
    assert json.loads((tmp_path / about.THIRD_PARTY_JSON).read_text())[1]["name"] == names[1]


def test_bridge_answers_about_without_a_session() -> None:
    assert "about" in EXPOSED
    result = Bridge(app=None)._call("about", {})  # type: ignore[arg-type]
    assert "error" not in result
    assert result["version"] == __version__
    assert any(p["name"] == "numpy" for p in result["third_party"])


def test_bundle_policy_keeps_system_gtk_out_and_wheel_libraries_in() -> None:
    policy = load_build_module("bundle_policy")
    assert not policy.keep_binary("libgtk-3.so.0", "/usr/lib/x86_64-linux-gnu/libgtk-3.so.0")
    assert not policy.keep_binary("libicudata.so.72", "/lib/x86_64-linux-gnu/libicudata.so.72")
    assert not policy.keep_binary("gi_typelibs/Gtk-3.0.typelib", "/usr/lib/girepository-1.0/x")
    assert policy.keep_binary("libssl.so.3", "/usr/lib/x86_64-linux-gnu/libssl.so.3")
    assert policy.keep_binary(
        "numpy.libs/libscipy_openblas64_.so",
        "/venv/site-packages/numpy.libs/libscipy_openblas64_.so",
    )
    assert not policy.keep_data("share/icons/Adwaita/index.theme")
    assert not policy.keep_data("nibabel/tests/data/example4d.nii.gz")
    assert policy.keep_data("webview/js/api.js")
    assert not policy.keep_runtime_hook("pyi_rth_gtk")
    assert "sync_api" in policy.EXCLUDED_MODULES
    assert "webview.platforms.qt" in policy.EXCLUDED_MODULES  # Qt brings its own Chromium
    assert "webview.platforms.gtk" not in policy.EXCLUDED_MODULES  # Linux: system WebKitGTK
    assert "webview.platforms.gtk" in policy.HIDDEN_IMPORTS


def test_embedded_code_without_a_shipped_notice_gets_ours(tmp_path: Path) -> None:
    """pyjpegls ships no licence file but compiles CharLS (BSD-3-Clause) in: its notice must
    travel with a binary redistribution, so the bundle's licence file carries it."""
    licences = load_build_module("licences")
    listed = licences.write_third_party({"jpeg_ls", "_CharLS"}, tmp_path)
    assert [p.name for p in listed] == ["Python", "pyjpegls"]
    text = (tmp_path / about.THIRD_PARTY_TEXT).read_text()
    section = text.split("pyjpegls ", 1)[1]
    assert "CharLS, compiled into pyjpegls" in section
    assert "Copyright (c) 2007, Jan de Vaan" in section
    assert "Redistributions in binary form must reproduce" in section
