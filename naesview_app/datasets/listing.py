"""Split the members of a dataset zip into cases and volumes (the data contract, DESIGN.md).

Pure: it sees member descriptions and, for a file name no reader claims, its first bytes through
a `sniff` callback. A case is a top-level folder holding at least one file; cases are in natural
order and a case id is the index in that order.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from naesview_app.datasets.archive import Member
from naesview_app.datasets.naming import natural_key, unsafe_member_reason
from naesview_app.datasets.readers import (
    HEAD_BYTES,
    file_reader_for,
    folder_kind_by_head,
    folder_kind_by_name,
)


@dataclass(slots=True)
class IgnoredMember:
    member: str
    reason: str


@dataclass(slots=True)
class DatasetIssue:
    """A problem that belongs to no case (unsafe member name, no cases, unreadable zip)."""

    error: str
    member: str | None = None


@dataclass(slots=True)
class VolumeIssue:
    volume: str
    error: str


@dataclass(slots=True)
class VolumeRef:
    """A volume of a case: its name (path inside the case) and the reader kind that reads it."""

    name: str
    kind: str
    members: tuple[Member, ...] = field(repr=False)


@dataclass(slots=True)
class Case:
    id: int
    name: str
    volumes: list[VolumeRef]
    errors: list[VolumeIssue]
    """Things in the case folder that are not a readable volume (found while listing)."""

    def volume(self, name: str) -> VolumeRef | None:
        for ref in self.volumes:
            if ref.name == name:
                return ref
        return None


@dataclass(slots=True)
class Listing:
    cases: list[Case]
    ignored: list[IgnoredMember]
    errors: list[DatasetIssue]
    """Dataset-level issues, listed members first (unsafe names)."""
    content_members: set[str]
    """File members that count for the fingerprint (packing artefacts left out)."""


Sniff = Callable[[Member, int], bytes]


def list_dataset(members: list[Member], sniff: Sniff) -> Listing:
    ignored: list[IgnoredMember] = []
    errors: list[DatasetIssue] = []
    content: set[str] = set()
    case_files: dict[str, list[tuple[str, Member]]] = {}
    case_dirs: set[str] = set()

    for member in members:
        name = member.name
        if _maybe_unsafe(name):
            reason = unsafe_member_reason(name)
            if reason:
                errors.append(DatasetIssue(f"unsafe member name skipped: {reason}", member=name))
                if not member.is_dir:
                    content.add(name)
                continue
        path = "/".join(p for p in name.split("/") if p) if "//" in name else name
        top, _, rest = path.partition("/")
        if not top:
            continue
        if top == "__MACOSX":
            ignored.append(IgnoredMember(name, "__MACOSX folder"))
            continue
        if path[:1] == "." or "/." in path:
            ignored.append(IgnoredMember(name, "dot-file or dot-folder"))
            continue
        if member.is_dir:
            case_dirs.add(top)
            continue
        content.add(name)
        if not rest:
            ignored.append(IgnoredMember(name, "file at the top level"))
            continue
        files = case_files.get(top)
        if files is None:
            case_files[top] = files = []
        files.append((rest, member))

    for empty in sorted(case_dirs - case_files.keys(), key=natural_key):
        ignored.append(IgnoredMember(empty + "/", "empty folder"))

    names = sorted(case_files, key=natural_key)
    file_kinds: dict[str, str | None] = {}  # per listing: the same names recur in every case
    cases = [_list_case(i, n, case_files[n], sniff, file_kinds) for i, n in enumerate(names)]
    return Listing(cases, ignored, errors, content)


def _list_case(
    case_id: int,
    case_name: str,
    files: list[tuple[str, Member]],
    sniff: Sniff,
    file_kinds: dict[str, str | None],
) -> Case:
    volumes: list[VolumeRef] = []
    issues: list[VolumeIssue] = []
    folders: dict[str, list[tuple[str, Member]]] = {}
    for rel, member in files:
        try:
            kind = file_kinds[rel]
        except KeyError:
            reader = file_reader_for(rel)
            kind = file_kinds[rel] = reader.kind if reader is not None else None
        if kind is not None:
            volumes.append(VolumeRef(rel, kind, (member,)))
            continue
        folder, _, _ = rel.rpartition("/")
        if not folder:
            issues.append(
                VolumeIssue(rel, "not a volume: only NIfTI files may lie directly in a case folder")
            )
            continue
        folders.setdefault(folder, []).append((rel, member))

    for folder, entries in folders.items():
        kind, problem = _folder_kind(entries, sniff)
        if problem:
            issues.append(VolumeIssue(folder, problem))
            continue
        ordered = sorted(entries, key=lambda e: natural_key(e[0].rpartition("/")[2]))
        volumes.append(VolumeRef(folder, kind, tuple(m for _, m in ordered)))

    if len(volumes) > 1:
        volumes.sort(key=lambda v: natural_key(v.name))
    if len(issues) > 1:
        issues.sort(key=lambda v: natural_key(v.volume))
    return Case(case_id, case_name, volumes, issues)


def _maybe_unsafe(name: str) -> bool:
    """Cheap pre-check so 15,000 ordinary names skip the full test."""
    return "\\" in name or ".." in name or "\x00" in name or name[:1] == "/" or name[1:2] == ":"


def _folder_kind(entries: list[tuple[str, Member]], sniff: Sniff) -> tuple[str, str | None]:
    """The one reader kind of a slice folder, or why it is not one image series.

    Only the first file whose name no reader claims is sniffed (listing 15,000 cases must stay
    fast); the folder reader checks every file when the volume is read.
    """
    kinds: Counter[str] = Counter()
    unnamed: list[Member] = []
    for rel, member in entries:
        kind = folder_kind_by_name(rel.rpartition("/")[2])
        if kind is None:
            unnamed.append(member)
        else:
            kinds[kind] += 1
    if unnamed:
        sniffed = folder_kind_by_head(sniff(unnamed[0], HEAD_BYTES)) or "unknown"
        kinds[sniffed] += len(unnamed)
    if len(kinds) == 1 and "unknown" not in kinds:
        return next(iter(kinds)), None
    summary = ", ".join(f"{k}: {n}" for k, n in sorted(kinds.items()))
    return "", f"folder is not one image series ({summary})"
