"""Runtime hook: give child processes the system's library path back.

The PyInstaller bootloader puts the bundle's folder first on LD_LIBRARY_PATH so that the bundled
libraries load. The dynamic loader of this process has already read it, so restoring the original
value here only affects children: WebKitGTK's web and network processes are system programs and
must load the system's libraries, not ours (a bundled libz or libsqlite3 of another build would
shadow theirs).
"""

import os


def _restore_library_path() -> None:
    original = os.environ.pop("LD_LIBRARY_PATH_ORIG", None)
    if original is None:
        os.environ.pop("LD_LIBRARY_PATH", None)
    else:
        os.environ["LD_LIBRARY_PATH"] = original


_restore_library_path()
