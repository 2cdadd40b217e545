"""`naesview inspect DATASET.zip [--json]`: every case and volume of a dataset, or why not.

The JSON form is the data contract of DESIGN.md (also how tests and outside checks verify the
readers). Exit status: 0 when every volume was read, 1 when anything failed at dataset, case or
volume level. The report is built as msgspec Structs, then printed as JSON or as a table.
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TextIO

import msgspec

from naesview_app.datasets.dataset import Dataset, open_dataset
from naesview_app.errors import NaesviewError
from naesview_app.imaging.volume import Volume

PROGRESS_MIN_VOLUMES = 20
"""Below this many volumes the work is too quick for a progress bar."""


class VolumeReport(msgspec.Struct):
    name: str
    kind: str
    shape: list[int]
    spacing: list[float]
    origin: list[float]
    direction: list[list[float]]
    dtype: str
    min: float
    max: float
    sha256: str


class VolumeFailure(msgspec.Struct):
    volume: str
    error: str


class CaseReport(msgspec.Struct):
    id: int
    name: str
    volumes: list[VolumeReport]
    errors: list[VolumeFailure]


class IgnoredReport(msgspec.Struct):
    member: str
    reason: str


class DatasetFailure(msgspec.Struct, omit_defaults=True, kw_only=True):
    member: str | None = None
    error: str


class DatasetReport(msgspec.Struct):
    dataset: str
    fingerprint: str | None
    ignored: list[IgnoredReport]
    errors: list[DatasetFailure]
    cases: list[CaseReport]

    @property
    def ok(self) -> bool:
        return not self.errors and not any(case.errors for case in self.cases)


Progress = Callable[[int, int], None]


def inspect_dataset(path: str | Path, *, progress: Progress | None = None) -> DatasetReport:
    """Read every volume of a dataset; failures become report entries, never exceptions."""
    label = Path(path).name
    try:
        dataset = open_dataset(path)
    except NaesviewError as exc:
        return DatasetReport(label, None, [], [DatasetFailure(error=exc.message)], [])
    with dataset:
        return _report(dataset, label, progress)


def _report(dataset: Dataset, label: str, progress: Progress | None) -> DatasetReport:
    total = sum(len(case.volumes) for case in dataset.cases)
    done = 0
    cases = []
    for case in dataset.cases:
        volumes: list[VolumeReport] = []
        errors = [VolumeFailure(issue.volume, issue.error) for issue in case.errors]
        for ref in case.volumes:
            try:
                volumes.append(describe_volume(dataset.read_volume(case.id, ref.name)))
            except NaesviewError as exc:
                errors.append(VolumeFailure(ref.name, exc.message))
            done += 1
            if progress is not None:
                progress(done, total)
        cases.append(CaseReport(case.id, case.name, volumes, errors))
    return DatasetReport(
        dataset=label,
        fingerprint=dataset.fingerprint,
        ignored=[IgnoredReport(i.member, i.reason) for i in dataset.ignored],
        errors=[DatasetFailure(member=e.member, error=e.error) for e in dataset.errors],
        cases=cases,
    )


def describe_volume(volume: Volume) -> VolumeReport:
    lo, hi = volume.value_range()
    d = volume.direction
    return VolumeReport(
        name=volume.name,
        kind=volume.kind,
        shape=list(volume.shape),
        spacing=[round(s, 6) for s in volume.spacing],
        origin=[round(o, 4) for o in volume.origin],
        direction=[[round(v, 6) for v in d[r * 3 : r * 3 + 3]] for r in range(3)],
        dtype=volume.stored_dtype,
        min=lo,
        max=hi,
        sha256=volume.sha256(),
    )


def inspect_command(path: str, *, as_json: bool, progress: bool) -> int:
    """Entry point of `naesview inspect`; prints the report and returns the exit status."""
    bar = _ProgressBar(sys.stderr) if progress and sys.stderr.isatty() else None
    try:
        report = inspect_dataset(path, progress=bar)
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    finally:
        if bar is not None:
            bar.clear()
    if as_json:
        sys.stdout.write(msgspec.json.encode(report).decode() + "\n")
    else:
        sys.stdout.write(format_table(report))
    return 0 if report.ok else 1


class _ProgressBar:
    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        if total < PROGRESS_MIN_VOLUMES:
            return
        width = 30
        filled = width * done // total
        self.stream.write(f"\r[{'#' * filled}{' ' * (width - filled)}] {done}/{total} volumes")
        self.stream.flush()
        self.shown = True

    def clear(self) -> None:
        if self.shown:
            self.stream.write("\r" + " " * 60 + "\r")
            self.stream.flush()


def format_table(report: DatasetReport) -> str:
    """The human form: one line per volume, failures marked with `!`, then what was ignored."""
    volumes = sum(len(c.volumes) for c in report.cases)
    failures = len(report.errors) + sum(len(c.errors) for c in report.cases)
    lines = [f"dataset {report.dataset}"]
    if report.fingerprint:
        lines.append(f"fingerprint {report.fingerprint}")
    lines.append(
        f"{_count(len(report.cases), 'case')}, {_count(volumes, 'volume')} read, "
        f"{_count(failures, 'error')}"
    )
    rows = [("id", "case", "volume", "kind", "shape z×y×x", "spacing mm", "dtype", "range")]
    notes: dict[int, list[str]] = {}
    for case in report.cases:
        for v in case.volumes:
            rows.append(
                (
                    str(case.id),
                    case.name,
                    v.name,
                    v.kind,
                    "×".join(map(str, v.shape)),
                    "×".join(_number(s) for s in v.spacing),
                    v.dtype,
                    f"{_number(v.min)} … {_number(v.max)}",
                )
            )
        for failure in case.errors:
            rows.append((str(case.id), case.name, failure.volume, "!", "", "", "", ""))
            notes.setdefault(len(rows) - 1, []).append(failure.error)
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines.append("")
    for index, row in enumerate(rows):
        lines.append("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)).rstrip())
        for note in notes.get(index, []):
            lines.append(f"    ! {note}")
    for error in report.errors:
        where = f"{error.member}: " if error.member else ""
        lines.append(f"! {where}{error.error}")
    if report.ignored:
        lines.append("")
        lines.append(f"ignored ({len(report.ignored)}):")
        lines.extend(f"  {i.member}  ({i.reason})" for i in report.ignored)
    return "\n".join(lines) + "\n"


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


def _number(value: float) -> str:
    if not math.isfinite(value):
        return str(value)
    return f"{value:.6g}"
