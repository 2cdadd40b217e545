"""Write the bundle's third-party list (`third_party.json`, read by the About box and `--version`)
and `THIRD_PARTY_LICENSES.txt` (every licence text) from the metadata of what was bundled."""

from __future__ import annotations

import platform
import re
import sys
import sysconfig
from collections.abc import Iterable
from pathlib import Path

import msgspec

from naesview_app.about import (
    THIRD_PARTY_JSON,
    THIRD_PARTY_TEXT,
    ThirdParty,
    describe,
    distributions_of_modules,
    licence_texts,
)

# Debian/Ubuntu keep the full texts of common licences here; used when a package names its
# licence but ships no text (PyGObject and pycairo say LGPL and ship none).
COMMON_LICENCES = Path("/usr/share/common-licenses")
_COMMON = {"LGPL-2.1": "LGPL-2.1", "LGPLv2": "LGPL-2.1", "Apache": "Apache-2.0", "GPL V3": "GPL-3"}

# Code that a distribution embeds without shipping its notice: the notice travels from here.
# pyjpegls (MIT) compiles CharLS (BSD-3-Clause) into its extension and ships no licence file.
NOTICES = Path(__file__).with_name("notices")
EMBEDDED_NOTICES = {"pyjpegls": [("CharLS, compiled into pyjpegls", "charls-LICENSE.md")]}

# Licences that would make the distributed bundle a GPL work: `write_third_party` refuses them,
# so the build fails. The LGPL (PyGObject, pycairo: separate, replaceable files) is fine.
COPYLEFT_LICENCES = re.compile(r"\bA?GPL|GNU (Affero )?General Public", re.IGNORECASE)


def top_level_modules(toc: Iterable[tuple]) -> set[str]:
    """Top-level module names of PyInstaller TOC entries (`numpy.linalg`, `_openjpeg….so`)."""
    names = set()
    for entry in toc:
        name = str(entry[0]).replace("\\", "/")
        first = name.split("/", 1)[0].split(".", 1)[0]
        names.add(first)
    return names


class CopyleftError(Exception):
    """A bundled distribution's licence would make the whole bundle GPL (decision 0008)."""


def is_copyleft(licence: str) -> bool:
    """GPL/AGPL (not LGPL) with no permissive alternative (`MIT OR GPL-2.0` is fine)."""
    alternatives = re.split(r"\s+OR\s+|\s+/\s+", licence, flags=re.IGNORECASE)
    return all(COPYLEFT_LICENCES.search(alternative) for alternative in alternatives)


def write_third_party(modules: set[str], folder: Path) -> list[ThirdParty]:
    folder.mkdir(parents=True, exist_ok=True)
    distributions = distributions_of_modules(modules)
    listed = [_python_runtime(), *(describe(d) for d in distributions)]
    copyleft = [entry for entry in listed if is_copyleft(entry.licence)]
    if copyleft:
        names = ", ".join(f"{e.name} {e.version} ({e.licence})" for e in copyleft)
        raise CopyleftError(
            f"the bundle would contain GPL code: {names}; that makes the distributed app GPL. "
            "Keep it out (EXCLUDED_MODULES in build/bundle_policy.py) and decode without it, "
            "see docs/decisions/0008"
        )
    sections = [_python_section()]
    for distribution, entry in zip(distributions, listed[1:], strict=True):
        texts = licence_texts(distribution) or _common_text(entry.licence)
        if not texts:
            texts = [("note", f"No licence file ships with {entry.name}; see {entry.homepage}.")]
        texts += [
            (title, (NOTICES / file).read_text(encoding="utf-8"))
            for title, file in EMBEDDED_NOTICES.get(entry.name.lower(), [])
        ]
        body = "\n\n".join(f"--- {name} ---\n{text.strip()}" for name, text in texts)
        sections.append(_heading(entry) + body)
    (folder / THIRD_PARTY_JSON).write_bytes(msgspec.json.encode(listed))
    header = (
        "naesView bundles the following third-party software. Each is listed with its version, "
        "licence and the licence texts its distribution ships.\n\n"
    )
    (folder / THIRD_PARTY_TEXT).write_text(header + "\n\n".join(sections) + "\n", encoding="utf-8")
    return listed


def _heading(entry: ThirdParty) -> str:
    line = f"{entry.name} {entry.version} — {entry.licence}"
    home = f"\n{entry.homepage}" if entry.homepage else ""
    return f"{'=' * 78}\n{line}{home}\n{'=' * 78}\n"


def _python_runtime() -> ThirdParty:
    return ThirdParty(
        name="Python",
        version=platform.python_version(),
        licence="PSF-2.0",
        homepage="https://www.python.org/",
    )


def _python_section() -> str:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    candidates = [stdlib / "LICENSE.txt", Path(sys.base_prefix) / "LICENSE.txt"]
    text = next((p.read_text(errors="replace") for p in candidates if p.is_file()), "PSF-2.0")
    return _heading(_python_runtime()) + text.strip()


def _common_text(licence: str) -> list[tuple[str, str]]:
    for marker, name in _COMMON.items():
        path = COMMON_LICENCES / name
        if marker in licence and path.is_file():
            return [(f"{name} (full text, from {COMMON_LICENCES})", path.read_text())]
    return []
