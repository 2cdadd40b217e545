"""What `naesview --version` and the About box show: the version and the third-party code inside.

In the bundled app the list was written at build time (`build/naesview.spec`) from the metadata of
the distributions actually bundled, next to `THIRD_PARTY_LICENSES.txt` with their licence texts.
Run from source, the same list is computed from the installed distributions the app extra needs.
Only stdlib and msgspec here: `--version` must stay fast.
"""

from __future__ import annotations

import argparse
import importlib.metadata as metadata
import platform
import re
import sys
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

import msgspec

from naesview_wire import __version__

THIRD_PARTY_JSON = "third_party.json"
THIRD_PARTY_TEXT = "THIRD_PARTY_LICENSES.txt"
APP_DISTRIBUTION = "naesview"
APP_EXTRA = "app"
_LICENCE_FILE = re.compile(r"(LICEN[CS]E|COPYING|NOTICE|AUTHORS)", re.IGNORECASE)
_CLASSIFIER = "License :: OSI Approved :: "


class ThirdParty(msgspec.Struct, frozen=True, kw_only=True):
    """One bundled distribution (a PyPI package, or the Python runtime itself)."""

    name: str
    version: str
    licence: str
    homepage: str | None = None


class AboutInfo(msgspec.Struct, frozen=True, kw_only=True):
    version: str
    python: str
    bundled: bool
    """True in the bundled app (PyInstaller), False when run from a Python environment."""
    third_party: list[ThirdParty]
    licence_texts: str | None
    """Path of THIRD_PARTY_LICENSES.txt when there is one (the bundled app)."""


def about_info() -> AboutInfo:
    bundle = bundle_dir()
    if bundle is not None and (bundle / THIRD_PARTY_JSON).is_file():
        listed = msgspec.json.decode(
            (bundle / THIRD_PARTY_JSON).read_bytes(), type=list[ThirdParty]
        )
        texts = bundle / THIRD_PARTY_TEXT
        return AboutInfo(
            version=__version__,
            python=platform.python_version(),
            bundled=True,
            third_party=listed,
            licence_texts=str(texts) if texts.is_file() else None,
        )
    return AboutInfo(
        version=__version__,
        python=platform.python_version(),
        bundled=False,
        third_party=[describe(d) for d in app_distributions()],
        licence_texts=None,
    )


def bundle_dir() -> Path | None:
    """The bundle's data folder when running frozen (PyInstaller sets `sys._MEIPASS`)."""
    folder = getattr(sys, "_MEIPASS", None)
    return Path(folder) if folder else None


def version_text(info: AboutInfo | None = None) -> str:
    info = info or about_info()
    names = ", ".join(f"{p.name} {p.version} ({p.licence})" for p in info.third_party)
    where = "bundled" if info.bundled else "used"
    lines = [
        f"naesview {info.version}",
        f"naesView is MIT-licensed; Python {info.python}.",
        f"Third-party code {where} ({len(info.third_party)}): {names}",
    ]
    if info.licence_texts:
        lines.append(f"Licence texts: {info.licence_texts}")
    return "\n".join(lines)


class VersionAction(argparse.Action):
    """`--version`: the version and the licences of the third-party code, then exit 0."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        kwargs.setdefault("help", "show the version and the third-party licences, then exit")
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *_: object) -> None:
        print(version_text())
        parser.exit(0)


# -- metadata of installed distributions (used at build time and when run from source) ----------


def app_distributions() -> list[metadata.Distribution]:
    """Every installed distribution the `naesview[app]` extra pulls in, transitively, by name."""
    from packaging.requirements import Requirement

    found: dict[str, metadata.Distribution] = {}
    todo = [(APP_DISTRIBUTION, APP_EXTRA)]
    while todo:
        name, extra = todo.pop()
        try:
            distribution = metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue  # an optional dependency for another platform
        key = _normalise(distribution.metadata["Name"])
        if key != APP_DISTRIBUTION:
            if key in found:
                continue
            found[key] = distribution
        for line in distribution.requires or []:
            requirement = Requirement(line)
            marker_env = {"extra": extra or ""}
            if requirement.marker is None or requirement.marker.evaluate(marker_env):
                todo.append((requirement.name, ""))
    return sorted(found.values(), key=lambda d: _normalise(d.metadata["Name"]))


def distributions_of_modules(top_level: Iterable[str]) -> list[metadata.Distribution]:
    """The distributions that installed these top-level modules (`numpy`, `_openjpeg`, `gi`…)."""
    owners = metadata.packages_distributions()
    names = {owner for module in top_level for owner in owners.get(module, [])}
    found = {}
    for name in names:
        distribution = metadata.distribution(name)
        found[_normalise(distribution.metadata["Name"])] = distribution
    found.pop(APP_DISTRIBUTION, None)
    return [found[key] for key in sorted(found)]


def describe(distribution: metadata.Distribution) -> ThirdParty:
    meta = distribution.metadata
    return ThirdParty(
        name=meta["Name"],
        version=distribution.version,
        licence=licence_name(distribution),
        homepage=_homepage(distribution),
    )


def licence_name(distribution: metadata.Distribution) -> str:
    """SPDX expression when declared, else a short `License:` field, else the classifiers."""
    meta = distribution.metadata
    expression = _field(meta, "License-Expression")
    if expression:
        return str(expression)
    declared = (_field(meta, "License") or "").strip()
    if declared and "\n" not in declared and len(declared) <= 80:
        return declared
    classifiers = [
        c[len(_CLASSIFIER) :] for c in meta.get_all("Classifier") or [] if c.startswith(_CLASSIFIER)
    ]
    if classifiers:
        return " / ".join(classifiers)
    if declared:
        return declared.splitlines()[0][:80]
    return "see the project's home page"


def licence_texts(distribution: metadata.Distribution) -> list[tuple[str, str]]:
    """(file name, text) of every licence, copying or notice file in the distribution's metadata."""
    texts = []
    for file in distribution.files or []:
        parts = Path(str(file)).parts
        if not parts or not parts[0].endswith(".dist-info"):
            continue
        if not _LICENCE_FILE.search(parts[-1]) and "licenses" not in parts:
            continue
        try:
            text = Path(str(file.locate())).read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
        texts.append(("/".join(parts[1:]), text))
    declared = (_field(distribution.metadata, "License") or "").strip()
    if not texts and "\n" in declared:
        texts.append(("License (from the package metadata)", declared))
    return texts


def _homepage(distribution: metadata.Distribution) -> str | None:
    meta = distribution.metadata
    if _field(meta, "Home-page"):
        return str(meta["Home-page"])
    for entry in meta.get_all("Project-URL") or []:
        label, _, url = entry.partition(",")
        if label.strip().lower() in {"homepage", "home", "source", "repository", "source code"}:
            return url.strip()
    return None


def _field(meta: Any, key: str) -> str | None:
    """One metadata field, None when absent (`PackageMetadata` has no typed `.get`)."""
    values = meta.get_all(key)
    return str(values[0]) if values else None


def _normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()
