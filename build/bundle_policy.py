"""What goes into the bundle and what stays out (used by `naesview.spec`; pure, no PyInstaller).

The app uses the operating system's webview: WebKitGTK on Linux through PyGObject. GTK, WebKit,
GLib and their typelibs and data (themes, icons, schemas) therefore come from the system, in the
versions that belong together; only PyGObject's Python side travels in the bundle.
"""

from __future__ import annotations

import fnmatch
import re
import sys

# Never imported by the desktop app: the sync server stack, test and dev tools, other GUI
# toolkits, pywebview's backends for other platforms, optional extras of the readers.
EXCLUDED_MODULES = [
    "sync_api",
    "tests",
    "litestar",
    "sqlalchemy",
    "alembic",
    "uvicorn",
    "uvloop",
    "asyncpg",
    "aiosqlite",
    "argon2",
    "schemathesis",
    "hypothesis",
    "pytest",
    "_pytest",
    "playwright",
    "mypy",
    "ruff",
    "IPython",
    "tkinter",
    "_tkinter",
    "PyQt5",
    "PyQt6",
    "PySide2",
    "PySide6",
    "qtpy",
    "matplotlib",
    "scipy",
    "pandas",
    "h5py",
    "gdcm",
    # pylibjpeg-libjpeg is GPL-3.0: never bundled, even from a venv that still has it (JPEG
    # Baseline/Extended/Lossless decode through Pillow and SimpleITK's GDCM: decision 0008)
    "libjpeg",
    "_libjpeg",
    "indexed_gzip",
    "nibabel.tests",
    "nibabel.testing",
    "nibabel.benchmarks",
    "nibabel.cmdline",
    "numpy.tests",
    "numpy.f2py",
    "numpy.testing._private.extbuild",
    "PIL.ImageQt",
    "PIL.ImageTk",
    # Pillow's AVIF, WebP and colour-management codecs (6 MB): the app reads PNG and JPEG only,
    # and Pillow's plugins treat a missing codec as "format not supported"
    "PIL._avif",
    "PIL._webp",
    "PIL._imagingcms",
    "PIL.ImageCms",
    "setuptools",
    "pip",
    "distutils",
    "lib2to3",
    "pydoc_data",
    "unittest",
    # optional imports of bottle (pywebview's file server, unused: the UI has its own), pydicom's
    # downloader and the REPL modules
    "jinja2",
    "mako",
    "markupsafe",
    "yaml",
    "click",
    "requests",
    "urllib3",
    "charset_normalizer",
    "readline",
    "pdb",
    # httpx's command line (httpx._main), not its client
    "rich",
    "pygments",
    "markdown_it",
    "mdurl",
]

# pywebview's backends: only this platform's system webview (decision 0004) is bundled.
WEBVIEW_BACKENDS = ["gtk", "qt", "cef", "cocoa", "winforms", "edgechromium", "mshtml", "win32"]
WEBVIEW_BACKENDS += ["android"]
USED_BACKENDS = {
    "linux": ["gtk"],
    "win32": ["winforms", "edgechromium", "mshtml", "win32"],
    "darwin": ["cocoa"],
}.get("linux" if sys.platform.startswith("linux") else sys.platform, [])
EXCLUDED_MODULES += [f"webview.platforms.{b}" for b in WEBVIEW_BACKENDS if b not in USED_BACKENDS]

# Modules the app imports by name at run time (plugins, lazy imports PyInstaller cannot see).
HIDDEN_IMPORTS = [
    *(f"webview.platforms.{backend}" for backend in USED_BACKENDS),
    "openjpeg",
    "jpeg_ls",
    "naesview_app.datasets.readers.dicom_gdcm",
    "pydicom.pixels.decoders.pylibjpeg",
    "pydicom.pixels.decoders.pyjpegls",
    "pydicom.pixels.decoders.pillow",
    "pydicom.pixels.decoders.rle",
    # isal_zlib's C code imports these itself (the multi-member gzip fallback)
    "isal.isal_zlib",
    "isal.igzip_lib",
    "isal._isal",
]

# Distributions whose metadata must travel: pylibjpeg finds its decoders through entry points.
METADATA_OF = ["pylibjpeg", "pylibjpeg-openjpeg", "pywebview"]

# Shared libraries from the build machine's system folders (GTK, WebKit, GLib, their codecs,
# ICU, the C++ runtime...) stay out: the target's WebKitGTK brings its own, in the versions that
# belong together, and one copy of each must be in memory. Kept: what Python's own modules need and
# a desktop may lack (TLS for https sync servers, SQLite for the local outbox).
SYSTEM_FOLDERS = ("/lib/", "/lib64/", "/usr/lib/", "/usr/lib64/")
KEPT_SYSTEM_LIBRARIES = re.compile(r"^lib(ssl|crypto|sqlite3|mpdec)\.so")

# Data the gi hooks collect for a bundled GTK: the system's GTK brings its own.
SYSTEM_DATA_PREFIXES = ("gi_typelibs/", "share/", "lib/gdk-pixbuf", "gio_modules/", "etc/")

# PyInstaller's runtime hooks that point GTK, GIO and GI at the bundle: dropped for the same reason.
SYSTEM_RUNTIME_HOOKS = {
    "pyi_rth_gi",
    "pyi_rth_gtk",
    "pyi_rth_gio",
    "pyi_rth_glib",
    "pyi_rth_gdkpixbuf",
}

# Files inside bundled packages that the app never reads.
UNUSED_FILES = [
    "*/tests/*",
    "*/testing/*",
    "*.pyi",
    "*/py.typed",
    "numpy/_core/include/*",
    "numpy/_pyinstaller/*",
    "nibabel/tests/*",
    "pydicom/data/test_files/*",
] + ([] if sys.platform == "win32" else ["webview/lib/*"])  # WebView2 and .NET glue: Windows only


def keep_binary(dest: str, source: str) -> bool:
    if dest.startswith(SYSTEM_DATA_PREFIXES):
        return False
    if not source.startswith(SYSTEM_FOLDERS):
        return True
    return bool(KEPT_SYSTEM_LIBRARIES.match(dest.rsplit("/", 1)[-1]))


def keep_data(dest: str) -> bool:
    if dest.startswith(SYSTEM_DATA_PREFIXES):
        return False
    return not any(fnmatch.fnmatch(dest, pattern) for pattern in UNUSED_FILES)


def keep_runtime_hook(name: str) -> bool:
    return name not in SYSTEM_RUNTIME_HOOKS
