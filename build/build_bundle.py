"""Build the bundled desktop app: `python build/build_bundle.py [--if-stale]` (`make bundle`).

Produces `build/dist/naesview/` (one folder, executable `naesview`), its archive
`build/dist/naesview-linux-x86_64.tar.gz`, and `build/dist/bundle-report.json` (sizes, the
biggest packages, and the hash of the sources it was built from). `--if-stale` skips the build
when the report's source hash matches the current sources (the e2e test uses it).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import time
from pathlib import Path

BUILD = Path(__file__).resolve().parent
ROOT = BUILD.parent
DIST = BUILD / "dist"
WORK = BUILD / "work"
APP = DIST / "naesview"
REPORT = DIST / "bundle-report.json"
# Everything the bundle is made of, besides the installed packages (their versions are hashed).
# Only the build's own files in build/: setuptools may leave a build/lib/ copy of the packages.
SOURCES = ("naesview_app/**/*", "naesview_wire/**/*", "ui/**/*", "build/*.py", "build/*.spec")
SOURCE_FILES = ("pyproject.toml",)
SKIPPED_PARTS = {"__pycache__", "tests", "node_modules"}


def archive_name() -> str:
    system = {"linux": "linux", "darwin": "macos", "win32": "windows"}.get(
        sys.platform, sys.platform
    )
    return f"naesview-{system}-{platform.machine().lower()}.tar.gz"


def source_hash() -> str:
    """sha256 over the bundled sources and the installed distributions' names and versions."""
    digest = hashlib.sha256()
    files = {ROOT / name for name in SOURCE_FILES}
    files.update(path for pattern in SOURCES for path in ROOT.glob(pattern) if path.is_file())
    for file in sorted(files):
        relative = file.relative_to(ROOT)
        if SKIPPED_PARTS & set(relative.parts) or file.suffix == ".pyc":
            continue
        digest.update(str(relative).encode() + b"\0" + file.read_bytes() + b"\0")
    from importlib import metadata

    installed = sorted(f"{d.metadata['Name']}=={d.version}" for d in metadata.distributions())
    digest.update("\n".join(installed).encode())
    return digest.hexdigest()


def is_fresh(expected_hash: str) -> bool:
    if not (REPORT.is_file() and (APP / "naesview").is_file()):
        return False
    report = json.loads(REPORT.read_text())
    return report.get("source_hash") == expected_hash and (DIST / report["archive"]).is_file()


def run_pyinstaller() -> float:
    started = time.monotonic()
    subprocess.run(
        [
            sys.executable,
            "-m",
            "PyInstaller",
            "--noconfirm",
            "--log-level=WARN",
            f"--distpath={DIST}",
            f"--workpath={WORK}",
            str(BUILD / "naesview.spec"),
        ],
        check=True,
        cwd=ROOT,
        timeout=1800,
    )
    return time.monotonic() - started


def strip_binaries(folder: Path) -> int:
    """`strip --strip-unneeded` the ELF files that carry symbols (libpython, the stdlib's and the
    decoders' extension modules: 30 MiB less). Not PyInstaller's `strip=True`: it also strips the
    libraries auditwheel patched into manylinux wheels (`numpy.libs/`, `pillow.libs/`), which then
    fail to load ("ELF load command address/offset not page-aligned"). Returns bytes saved."""
    strip = shutil.which("strip")
    if strip is None or not sys.platform.startswith("linux"):
        return 0
    saved = 0
    for path in sorted((folder / "_internal").rglob("*")):  # not the executable: its archive
        if path.is_symlink() or not path.is_file():
            continue
        if any(part.endswith(".libs") for part in path.parts):
            continue
        with path.open("rb") as file:
            if file.read(4) != b"\x7fELF":
                continue
        before = path.stat().st_size
        subprocess.run([strip, "--strip-unneeded", str(path)], check=True, timeout=300)
        saved += before - path.stat().st_size
    return saved


def write_archive() -> Path:
    """tar.gz of the folder; symbolic links stay links (PyInstaller 6 uses them on Linux)."""
    target = DIST / archive_name()
    partial = target.with_suffix(".partial")
    with tarfile.open(partial, "w:gz", compresslevel=6) as archive:
        archive.add(APP, arcname="naesview")
    partial.replace(target)
    return target


def folder_bytes(folder: Path) -> int:
    return sum(p.lstat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def biggest_parts(folder: Path, count: int = 15) -> list[tuple[str, int]]:
    """Sizes of the bundle's top-level entries inside `_internal/` (packages and libraries)."""
    inner = folder / "_internal"
    sizes = []
    for entry in inner.iterdir():
        size = folder_bytes(entry) if entry.is_dir() else entry.lstat().st_size
        sizes.append((entry.name, size))
    return sorted(sizes, key=lambda item: -item[1])[:count]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--if-stale", action="store_true", help="build only when the sources changed"
    )
    args = parser.parse_args(argv)
    WORK.mkdir(parents=True, exist_ok=True)
    # One build at a time in a checkout (two test runs at once would write the same folder);
    # the second then finds the first one's bundle fresh.
    with (WORK / "build.lock").open("w") as lock:
        if sys.platform != "win32":  # (Windows builds are not run concurrently)
            import fcntl

            fcntl.flock(lock, fcntl.LOCK_EX)
        return build(if_stale=args.if_stale)


def build(*, if_stale: bool) -> int:
    expected = source_hash()
    if if_stale and is_fresh(expected):
        print(f"bundle is up to date: {APP}")
        return 0
    seconds = run_pyinstaller()
    stripped = strip_binaries(APP)
    archive = write_archive()
    report = {
        "source_hash": expected,
        "archive": archive.name,
        "build_seconds": round(seconds, 1),
        "stripped_bytes": stripped,
        "unpacked_bytes": folder_bytes(APP),
        "archive_bytes": archive.stat().st_size,
        "biggest": biggest_parts(APP),
    }
    REPORT.write_text(json.dumps(report, indent=2) + "\n")
    mib = 1 << 20
    print(
        f"built {APP} in {seconds:.0f} s: {report['unpacked_bytes'] / mib:.0f} MiB unpacked, "
        f"{archive} {report['archive_bytes'] / mib:.0f} MiB"
    )
    for name, size in report["biggest"]:
        print(f"  {size / mib:8.1f} MiB  {name}")
    return 0


if __name__ == "__main__":
    os.chdir(ROOT)
    sys.exit(main())
