"""Project files: a project's layout and texts as a versioned JSON file an owner can reuse.

A project file holds everything an owner authors except the dataset-bound parts (fingerprint,
case count, thumbnail), so a layout made for one dataset can start a project on another:

    {"format": "naesview-project-file/1", "title": "…", "short_description": "…",
     "instructions_md": "…", "config": {"format": "naesview-project/1", …}}

A bare `ProjectConfig` document (`"format": "naesview-project/1"`) is read too, titled after the
file. Reading refuses, with one line saying what to do, a file from a newer naesView, a file of
another kind, broken JSON, wrong fields and configs that `config_problems` rejects. Writing is
atomic: the target holds the old file or the whole new one, never half of it.
"""

from __future__ import annotations

import os
import re
import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

import msgspec

from naesview_app.errors import ConfigError
from naesview_wire import CONFIG_FORMAT, ProjectConfig, config_problems
from naesview_wire.base import Name, WireStruct

PROJECT_FILE_FORMAT = "naesview-project-file/1"
MAX_PROJECT_FILE_BYTES = 2 * 1024 * 1024
"""Largest project file read (instructions are at most 100,000 characters)."""

_FORMAT = re.compile(r"^(naesview-project-file|naesview-project)/(\d+)$")
_KNOWN_VERSION = {"naesview-project-file": 1, "naesview-project": 1}


class ProjectFile(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What a project file holds (JSON: `format` first)."""

    format: Literal["naesview-project-file/1"] = "naesview-project-file/1"
    """Schema version of the file; readers refuse versions they do not know."""
    title: Name
    """Public title of the project."""
    short_description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    """Public one- or two-sentence description."""
    instructions_md: Annotated[str, msgspec.Meta(max_length=100_000)] = ""
    """Private reviewer instructions in Markdown."""
    config: ProjectConfig
    """The layout, answers and review options."""


def encode_project_file(project: ProjectFile) -> bytes:
    """The file's bytes: indented JSON with every field written out, ending in a newline."""
    return msgspec.json.format(msgspec.json.encode(project), indent=2) + b"\n"


def decode_project_file(data: bytes, *, source: str = "project file") -> ProjectFile:
    """A validated `ProjectFile` from file bytes; `source` names the file in messages.

    Raises ConfigError (one line: what is wrong, what to do).
    """
    if len(data) > MAX_PROJECT_FILE_BYTES:
        raise ConfigError(
            f"{source}: {len(data):,} bytes is too large for a project file "
            f"(at most {MAX_PROJECT_FILE_BYTES:,}); is it the right file?"
        )
    try:
        raw = msgspec.json.decode(data)
    except msgspec.DecodeError as exc:
        raise ConfigError(
            f"{source}: not valid JSON ({exc}); export the project again from naesView"
        ) from None
    if not isinstance(raw, dict):
        raise ConfigError(f"{source}: not a naesView project file (expected a JSON object)")
    kind = _check_format(raw.get("format"), source=source)
    inner = raw.get("config")
    if kind != "naesview-project" and isinstance(inner, dict):
        _check_format(inner.get("format", CONFIG_FORMAT), source=source, where="config")
    try:
        if kind == "naesview-project":
            config = msgspec.convert(raw, ProjectConfig)
            project = ProjectFile(title=_title_from(source), config=config)
        else:
            project = msgspec.convert(raw, ProjectFile)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"{source}: {_one_line(exc)}; correct that field") from None
    problems = config_problems(project.config)
    if problems:
        raise ConfigError(f"{source}: {'; '.join(problems)}")
    return project


def read_project_file(path: str | os.PathLike[str]) -> ProjectFile:
    """Read and validate a project file (ConfigError when it cannot be used)."""
    target = Path(path)
    try:
        with target.open("rb") as fh:
            data = fh.read(MAX_PROJECT_FILE_BYTES + 1)  # decode refuses anything longer
    except FileNotFoundError:
        raise ConfigError(f"{target.name}: no such file; check the path") from None
    except IsADirectoryError:
        raise ConfigError(f"{target.name}: is a folder; pick the project's .json file") from None
    except OSError as exc:
        raise ConfigError(f"{target.name}: cannot read it ({exc.strerror or exc})") from None
    return decode_project_file(data, source=target.name)


def write_project_file(path: str | os.PathLike[str], project: ProjectFile) -> Path:
    """Write `project` to `path` atomically (ConfigError when the config is invalid or the
    folder cannot be written; nothing is left behind then)."""
    target = Path(path)
    problems = config_problems(project.config)
    if problems:
        raise ConfigError(f"{target.name}: not saved, {'; '.join(problems)}")
    data = encode_project_file(project)
    tmp_name = None
    try:
        fd, tmp_name = tempfile.mkstemp(
            prefix=f".{target.name}.", suffix=".tmp", dir=target.parent or Path(".")
        )
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp_name, target)
        tmp_name = None
    except OSError as exc:
        raise ConfigError(
            f"{target.name}: cannot save it ({exc.strerror or exc}); choose another folder"
        ) from None
    finally:
        if tmp_name is not None:
            Path(tmp_name).unlink(missing_ok=True)
    return target


def _check_format(value: Any, *, source: str, where: str = "") -> str:
    """The document kind of a `format` value; ConfigError for newer or unknown formats."""
    at = f" ({where})" if where else ""
    if not isinstance(value, str):
        raise ConfigError(
            f"{source}{at}: not a naesView project file (no `format` field); "
            "export the project from naesView to get one"
        )
    match = _FORMAT.match(value)
    if match is None:
        raise ConfigError(
            f"{source}{at}: unknown format `{value[:80]}`; "
            f"this naesView reads `{PROJECT_FILE_FORMAT}` and `{CONFIG_FORMAT}`"
        )
    kind, version = match.group(1), int(match.group(2))
    if version > _KNOWN_VERSION[kind]:
        raise ConfigError(
            f"{source}{at}: written by a newer naesView (format `{value}`, this version reads "
            f"`{kind}/{_KNOWN_VERSION[kind]}`); update naesView to open it"
        )
    if version < 1:
        raise ConfigError(f"{source}{at}: unknown format `{value}`")
    return kind


def _title_from(source: str) -> str:
    stem = source.rsplit("/", 1)[-1]
    for suffix in (".json", ".JSON"):
        stem = stem.removesuffix(suffix)
    return (stem.replace("_", " ").replace("-", " ").strip() or "Untitled project")[:200]


def _one_line(exc: Exception) -> str:
    return " ".join(str(exc).split())[:300]
