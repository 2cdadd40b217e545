"""The pre-flight check: does a project config fit a dataset, case by case?

For every case it lists the configured volumes that are missing or unreadable (every NIfTI
header is read for that), and for every viewport with several layers whether they share the
bottom layer's grid, will be resampled onto it (a note, not a problem) or do not overlap it at
all (a problem: nothing would show). NIfTI grids come from headers alone
(`geometry.read_grid`), so 15,000 cases take seconds; volumes in DICOM or PNG/JPEG folders are
decoded only to compare grids, for at most `max_full_reads` of them, and the report says how
many cases were compared. A case is *complete* when it has no missing or unreadable volume
and no problem. `check_command` is `naesview project check`.
"""

from __future__ import annotations

import os
import sys
from collections import Counter
from pathlib import Path

import msgspec

from naesview_app.datasets import Case, Dataset, open_dataset
from naesview_app.errors import NaesviewError
from naesview_app.imaging.resample import same_grid
from naesview_app.imaging.volume import Volume
from naesview_app.project.geometry import GridCache, overlap, read_grid
from naesview_wire import ProjectConfig, config_problems, config_volumes

MAX_FULL_READS = 40
"""Volumes decoded in full (non-NIfTI) for grid comparison before the rest are skipped."""
TEXT_CASE_LINES = 200
"""Cases listed by the text report; `--json` lists all."""


class VolumeProblem(msgspec.Struct, frozen=True, kw_only=True):
    """A configured volume that a case has but that cannot be read."""

    volume: str
    problem: str


class CaseCheck(msgspec.Struct, frozen=True, kw_only=True):
    """What the check found in one case (only cases with something to say are listed)."""

    id: int
    """Case id (0-based natural-order index)."""
    name: str
    """Case folder name (the report stays on the owner's machine)."""
    complete: bool
    """Every configured volume is there and readable, and every viewport's layers overlap."""
    missing: tuple[str, ...] = ()
    """Configured volumes the case does not have."""
    unreadable: tuple[VolumeProblem, ...] = ()
    """Configured volumes the case has but that cannot be read."""
    problems: tuple[str, ...] = ()
    """Other reasons the case cannot be reviewed as configured (layers that do not overlap)."""
    notes: tuple[str, ...] = ()
    """Things the owner should know that do not stop a review (layers resampled)."""


class CheckReport(msgspec.Struct, frozen=True, kw_only=True):
    """The whole check: counts, notes and the cases with something to say, in case order."""

    dataset: str
    """Dataset file name."""
    fingerprint: str
    """Dataset fingerprint (what a project created from this dataset records)."""
    volumes: tuple[str, ...]
    """The volumes the config's layers name (each case must have them)."""
    case_count: int
    complete_count: int
    resampled_count: int
    """Cases in which at least one layer is resampled onto its viewport's first layer."""
    grids_compared: int
    """Cases whose layer grids were compared (all, unless non-NIfTI reads hit the limit)."""
    config_problems: tuple[str, ...] = ()
    """What is wrong with the config itself (then no case is complete)."""
    notes: tuple[str, ...] = ()
    """Dataset-wide notes."""
    cases: tuple[CaseCheck, ...] = ()

    @property
    def ok(self) -> bool:
        return not self.config_problems and self.complete_count == self.case_count


def check_dataset(
    config: ProjectConfig, dataset: Dataset, *, max_full_reads: int = MAX_FULL_READS
) -> CheckReport:
    """Check `config` against every case of `dataset` (see the module docstring)."""
    wanted = config_volumes(config)
    budget = _ReadBudget(max_full_reads)
    checks: list[CaseCheck] = []
    complete = resampled = compared = 0
    for case in dataset.cases:
        check, was_compared = _check_case(config, wanted, dataset, case, budget)
        complete += check.complete
        resampled += any("resampled" in note for note in check.notes)
        compared += was_compared
        if not check.complete or check.notes:
            checks.append(check)
    problems = tuple(config_problems(config))
    notes = _dataset_notes(config, dataset, compared, budget)
    return CheckReport(
        dataset=dataset.path.name,
        fingerprint=dataset.fingerprint,
        volumes=tuple(wanted),
        case_count=len(dataset.cases),
        complete_count=0 if problems else complete,
        resampled_count=resampled,
        grids_compared=compared,
        config_problems=problems,
        notes=notes,
        cases=tuple(checks),
    )


class _ReadBudget:
    """Counts full volume reads so a DICOM-heavy dataset is checked on a sample only, and
    keeps the header grids seen so far."""

    def __init__(self, limit: int) -> None:
        self.left = limit
        self.skipped_cases = 0
        self.grids: GridCache = {}

    def allows(self, dataset: Dataset, case: Case, names: list[str]) -> bool:
        cost = sum(1 for n in names if (ref := case.volume(n)) is not None and ref.kind != "nifti")
        if cost > self.left:
            self.skipped_cases += 1
            return False
        self.left -= cost
        return True


def _check_case(
    config: ProjectConfig, wanted: list[str], dataset: Dataset, case: Case, budget: _ReadBudget
) -> tuple[CaseCheck, bool]:
    listed_errors = {issue.volume: issue.error for issue in case.errors}
    missing: list[str] = []
    unreadable: dict[str, str] = {}
    for name in wanted:
        if case.volume(name) is not None:
            continue
        if name in listed_errors:
            unreadable[name] = listed_errors[name]
        else:
            missing.append(name)

    problems: list[str] = []
    notes: list[str] = []
    layered = [
        (index, viewport)
        for index, viewport in enumerate(config.viewports.viewports, start=1)
        if len(viewport.layers) > 1
    ]
    present = [n for n in wanted if n not in missing and n not in unreadable]
    stacked = {layer.volume for _, vp in layered for layer in vp.layers}
    to_compare = sorted(stacked.intersection(present))
    compared = len(to_compare) > 1 and budget.allows(dataset, case, to_compare)
    # Every NIfTI header is read (cheap; finds damaged or encrypted files), other volumes only
    # when their grids are compared.
    probe = [
        n
        for n in present
        if (compared and n in stacked) or getattr(case.volume(n), "kind", "") == "nifti"
    ]
    grids: dict[str, Volume] = {}
    for name in probe:
        try:
            grids[name], _ = read_grid(dataset, case.id, name, cache=budget.grids)
        except NaesviewError as exc:
            unreadable[name] = exc.message
    if compared:
        for index, viewport in layered:
            base = viewport.layers[0]
            if base.volume not in grids:
                continue
            for layer in viewport.layers[1:]:
                grid = grids.get(layer.volume)
                if grid is None or layer.volume == base.volume:
                    continue
                bottom = grids[base.volume]
                if grid is bottom or same_grid(grid, bottom):
                    continue
                if not overlap(grid, bottom):
                    problems.append(
                        f"viewport {index}: `{layer.volume}` {_describe(grid)} does not overlap "
                        f"`{base.volume}` {_describe(bottom)} in space; nothing of it would show"
                    )
                    continue
                how = "nearest neighbour, a mask" if layer.is_mask else "linear"
                notes.append(
                    f"viewport {index}: `{layer.volume}` {_describe(grid)} is not on the grid of "
                    f"`{base.volume}` {_describe(bottom)}; it will be resampled onto it ({how})"
                )
    check = CaseCheck(
        id=case.id,
        name=case.name,
        complete=not (missing or unreadable or problems),
        missing=tuple(missing),
        unreadable=tuple(VolumeProblem(volume=n, problem=p) for n, p in sorted(unreadable.items())),
        problems=tuple(problems),
        notes=tuple(notes),
    )
    return check, compared


def _describe(grid: Volume) -> str:
    shape = "×".join(str(n) for n in grid.shape)
    spacing = "×".join(f"{s:g}" for s in grid.spacing)
    return f"({shape}, {spacing} mm)"


def _dataset_notes(
    config: ProjectConfig, dataset: Dataset, compared: int, budget: _ReadBudget
) -> tuple[str, ...]:
    notes: list[str] = []
    if budget.skipped_cases:
        notes.append(
            f"layer grids were compared in {compared} cases; {budget.skipped_cases} more cases "
            "hold DICOM or PNG/JPEG layers and were not decoded (their grids are checked when "
            "each case is opened)"
        )
    if config.brush is not None:
        kinds = Counter(
            ref.kind for case in dataset.cases if (ref := case.volume(config.brush.volume))
        )
        others = {k: n for k, n in kinds.items() if k != "nifti"}
        if others:
            listed = ", ".join(f"{n} cases {k}" for k, n in sorted(others.items()))
            notes.append(
                f"brush mask `{config.brush.volume}` is not a NIfTI file in {listed}; "
                "edited masks are exported as NIfTI only for NIfTI masks"
            )
    return tuple(notes)


def format_report(report: CheckReport, config_name: str) -> str:
    """The report as the readable listing `naesview project check` prints."""
    lines = [
        f"{config_name} on {report.dataset}: {report.complete_count} of {report.case_count} "
        f"cases complete (volumes: {', '.join(f'`{v}`' for v in report.volumes)})"
    ]
    lines += [f"config: {problem}" for problem in report.config_problems]
    listed = 0
    for check in report.cases:
        if check.complete and not check.notes:
            continue
        if listed == TEXT_CASE_LINES:
            rest = sum(1 for c in report.cases[report.cases.index(check) :] if not c.complete)
            lines.append(f"… and more cases ({rest} incomplete); use --json for the full list")
            break
        listed += 1
        where = f"case {check.id} ({check.name})"
        if check.missing:
            lines.append(f"{where}: missing {', '.join(f'`{v}`' for v in check.missing)}")
        for item in check.unreadable:
            lines.append(f"{where}: `{item.volume}` cannot be read: {item.problem}")
        lines += [f"{where}: {problem}" for problem in check.problems]
        lines += [f"{where}: note: {note}" for note in check.notes]
    lines += [f"note: {note}" for note in report.notes]
    if report.ok:
        lines.append("OK: every case has every configured volume.")
    elif report.config_problems:
        lines.append("Not OK: fix the config first.")
    else:
        incomplete = report.case_count - report.complete_count
        lines.append(
            f"Not OK: {incomplete} of {report.case_count} cases are incomplete; add the missing "
            "volumes to the dataset or change the layers' volume names."
        )
    return "\n".join(lines)


def report_json(report: CheckReport) -> bytes:
    """The report as JSON (with `ok`), for `--json` and the owner UI."""
    body = msgspec.to_builtins(report)
    body["ok"] = report.ok
    return msgspec.json.encode(body)


def check_command(
    config_path: str | os.PathLike[str], dataset_path: str | os.PathLike[str], *, as_json: bool
) -> int:
    """`naesview project check`: 0 when every case is complete, 1 otherwise (or on an error)."""
    from naesview_app.project.config_io import read_project_file

    try:
        project = read_project_file(config_path)
        with open_dataset(dataset_path) as dataset:
            report = check_dataset(project.config, dataset)
    except NaesviewError as exc:
        print(f"naesview project check: {exc}", file=sys.stderr)
        return 1
    if as_json:
        sys.stdout.write(report_json(report).decode() + "\n")
    else:
        print(format_report(report, Path(config_path).name))
    return 0 if report.ok else 1
