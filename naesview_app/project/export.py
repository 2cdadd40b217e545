"""Owner exports on the owner's machine: reviews as CSV and JSON, edited masks as NIfTI.

The sync API knows cases only by id. By default the files say `case_id` too (de-identified).
With `map_names`, every case id is replaced by the case folder name from the owner's own dataset,
here, on this machine; names are never sent anywhere. When that dataset's fingerprint differs from
the project's, the export still runs and says so (a warning in the result), since ids then may
point at other cases.

    result = write_review_exports(export, out_dir, dataset=ds, map_names=True,
                                  project_fingerprint=detail.fingerprint)
    masks = write_edited_masks(export, ds, masks_dir, map_names=True)

Nothing is written half-way: names are mapped and checked before any file is opened, and every
file is written under a temporary name and renamed when complete.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path
from typing import Any

import msgspec

from naesview_app.datasets import Dataset
from naesview_app.errors import ConfigError, NaesviewError
from naesview_app.imaging.brush import MaskError, PackedMask, unpack_mask
from naesview_app.imaging.export import (
    edited_mask_image,
    export_file_name,
    nifti_from_bytes,
    write_nifti,
)
from naesview_wire import Export, ExportRow

REVIEW_COLUMNS = [f for f in ExportRow.__struct_fields__ if f != "masks"]
CSV_COLUMNS = [*REVIEW_COLUMNS, "mask_edits", "reviewer_done", "reviewer_total"]
"""The sync API's CSV columns (`case_id` becomes `case_name` when names are mapped)."""
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet runs a cell starting with these as a formula: in the free-text columns such
cells get a leading `'` (as the sync API's own CSV export does; answer values like `-1` stay
exact). JSON is always exact."""
FREE_TEXT = frozenset({"comment", "reviewer_name", "case_name"})
"""Typed by reviewers, or (case names) taken from the dataset's folder names."""


class ExportResult(msgspec.Struct, frozen=True, kw_only=True):
    """What an export wrote, for the owner UI."""

    csv_path: str
    json_path: str
    reviews: int
    mapped: bool
    """True when case ids were replaced by case folder names."""
    warnings: tuple[str, ...] = ()


class MaskExportResult(msgspec.Struct, frozen=True, kw_only=True):
    """Edited masks written (file names in the folder) and the ones that could not be."""

    folder: str
    written: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()


def fingerprint_warning(dataset: Dataset, project_fingerprint: str | None) -> str | None:
    """One line when `dataset` is not the dataset the project was made with, else None."""
    if project_fingerprint is None or dataset.fingerprint == project_fingerprint:
        return None
    return (
        f"dataset {dataset.path.name} is not the one this project was made with (fingerprint "
        f"{dataset.fingerprint[:12]}… instead of {project_fingerprint[:12]}…); case ids may "
        "point at other cases, so check the case names"
    )


def case_names(export: Export, dataset: Dataset) -> dict[int, str]:
    """Case id → case folder name for every case the export mentions (ConfigError when an id is
    not in the dataset: then it is not the project's dataset, and nothing is written)."""
    names: dict[int, str] = {}
    count = len(dataset.cases)
    for row in export.reviews:
        if row.case_id in names:
            continue
        if row.case_id >= count:
            raise ConfigError(
                f"review {row.uuid} is for case {row.case_id}, but dataset {dataset.path.name} "
                f"has only {count} cases (ids 0 to {count - 1}); open the project's dataset to "
                "map names, or export without names"
            )
        names[row.case_id] = dataset.cases[row.case_id].name
    return names


def reviews_csv(export: Export, names: dict[int, str] | None = None) -> str:
    """The CSV text: one row per review (every revision), columns `CSV_COLUMNS`."""
    done = {p.user_id: p.done for p in export.progress}
    total = {p.user_id: p.total for p in export.progress}
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    header = _columns(names is not None)
    writer.writerow(header)
    free = [column in FREE_TEXT for column in header]
    for row in export.reviews:
        cells: list[Any] = [msgspec.to_builtins(getattr(row, f)) for f in REVIEW_COLUMNS]
        if names is not None:
            cells[REVIEW_COLUMNS.index("case_id")] = names[row.case_id]
        edits = ";".join(f"{m.volume}:+{m.added}/-{m.removed}:dice={m.dice:.4f}" for m in row.masks)
        cells += [edits, done.get(row.reviewer_id, 0), total.get(row.reviewer_id, "")]
        writer.writerow([_cell(c) if f else c for c, f in zip(cells, free, strict=True)])
    return buffer.getvalue()


def reviews_json(export: Export, names: dict[int, str] | None = None) -> bytes:
    """The JSON document: the sync API's `Export`, with `case_name` for `case_id` when mapped."""
    if names is None:
        return msgspec.json.format(msgspec.json.encode(export), indent=2) + b"\n"
    body = msgspec.to_builtins(export)
    body["reviews"] = [_renamed(row, names) for row in body["reviews"]]
    return msgspec.json.format(msgspec.json.encode(body), indent=2) + b"\n"


def write_review_exports(
    export: Export,
    out_dir: str | os.PathLike[str],
    *,
    dataset: Dataset | None = None,
    map_names: bool = False,
    project_fingerprint: str | None = None,
    stem: str | None = None,
) -> ExportResult:
    """Write `<stem>.csv` and `<stem>.json` into `out_dir` (stem: `reviews-<project id>`, with
    `-names` when mapped). `map_names` needs the owner's `dataset`."""
    folder = Path(out_dir)
    warnings: list[str] = []
    names: dict[int, str] | None = None
    if map_names:
        if dataset is None:
            raise ConfigError("mapping case names needs your dataset; open it first")
        names = case_names(export, dataset)  # raises before anything is written
    if dataset is not None:
        warning = fingerprint_warning(dataset, project_fingerprint)
        if warning:
            warnings.append(warning)
    if not folder.is_dir():
        raise ConfigError(f"export folder {folder.name or folder} does not exist; choose a folder")
    base = stem or f"reviews-{export.project_id}{'-names' if map_names else ''}"
    csv_text = reviews_csv(export, names).encode("utf-8")
    json_bytes = reviews_json(export, names)
    csv_path = folder / f"{base}.csv"
    json_path = folder / f"{base}.json"
    _write_atomic(csv_path, lambda tmp: tmp.write_bytes(csv_text))
    _write_atomic(json_path, lambda tmp: tmp.write_bytes(json_bytes))
    return ExportResult(
        csv_path=str(csv_path),
        json_path=str(json_path),
        reviews=len(export.reviews),
        mapped=map_names,
        warnings=tuple(warnings),
    )


def mask_file_name(row: ExportRow, volume: str, case_name: str | None, *, several: bool) -> str:
    """`<case>_<reviewer>_r<revision>.nii.gz` (case id, or folder name when mapped), with the
    mask volume's name added when a review carries several masks."""
    parts = [export_file_name(row.case_id, case_name, suffix=""), row.reviewer_username]
    parts.append(f"r{row.revision}")
    if several:
        parts.append(volume.replace("/", "_").split(".")[0])
    return export_file_name(row.case_id, "_".join(parts))  # makes the whole name file-safe


def write_edited_masks(
    export: Export,
    dataset: Dataset,
    out_dir: str | os.PathLike[str],
    *,
    map_names: bool = False,
    current_only: bool = False,
) -> MaskExportResult:
    """One NIfTI file per edited mask of each review, on the source mask's own geometry and
    header, into `out_dir`. A mask that cannot be written is listed in `problems` (one line,
    naming case, reviewer and volume); the others are still written."""
    folder = Path(out_dir)
    if not folder.is_dir():
        raise ConfigError(f"mask folder {folder.name or folder} does not exist; choose a folder")
    names = case_names(export, dataset) if map_names else None
    sources: dict[tuple[int, str], Any] = {}
    written: list[str] = []
    problems: list[str] = []
    for row in _with_masks(export.reviews, current_only=current_only):
        case_name = names[row.case_id] if names is not None else None
        for mask in row.masks:
            where = (
                f"case {row.case_id}, reviewer {row.reviewer_username}, revision {row.revision}, "
                f"volume `{mask.volume}`"
            )
            try:
                edited = unpack_mask(PackedMask.from_wire(mask))
                source, reorientation = _source(dataset, sources, row.case_id, mask.volume)
                image = edited_mask_image(edited, source, reorientation)
                name = mask_file_name(row, mask.volume, case_name, several=len(row.masks) > 1)
                _write_atomic(folder / name, partial(write_nifti, image))
            except NaesviewError as exc:
                problems.append(f"{where}: {exc.message}")
                continue
            written.append(name)
    return MaskExportResult(folder=str(folder), written=tuple(written), problems=tuple(problems))


def _source(
    dataset: Dataset, cache: dict[tuple[int, str], Any], case_id: int, volume_name: str
) -> Any:
    key = (case_id, volume_name)
    if key not in cache:
        case = dataset.case(case_id)
        ref = case.volume(volume_name)
        volume = dataset.read_volume(case_id, volume_name)  # ReaderError explains a missing one
        if ref is None or volume.kind != "nifti" or len(ref.members) != 1:
            raise MaskError(f"only NIfTI masks can be exported, this is {volume.kind}")
        data = dataset.volume_bytes(case_id, volume_name)
        if len(cache) > 8:
            cache.clear()  # keep memory to a few source masks however long the export
        cache[key] = (nifti_from_bytes(data), volume.reorientation)
    return cache[key]


def _with_masks(rows: Iterable[ExportRow], *, current_only: bool) -> Iterable[ExportRow]:
    return (r for r in rows if r.masks and (r.current or not current_only))


def _columns(mapped: bool) -> list[str]:
    return [("case_name" if c == "case_id" and mapped else c) for c in CSV_COLUMNS]


def _renamed(row: dict[str, Any], names: dict[int, str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key == "case_id":
            out["case_name"] = names[value]
        else:
            out[key] = value
    return out


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _write_atomic(target: Path, write: Callable[[Path], object]) -> None:
    """Run `write` on a temporary path beside `target`, then rename it onto `target`."""
    suffix = ".nii.gz" if target.name.endswith(".nii.gz") else target.suffix
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=suffix, dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        write(tmp)
        os.replace(tmp, target)
    except OSError as exc:
        raise ConfigError(
            f"cannot write {target.name}: {exc.strerror or exc}; choose another folder"
        ) from None
    finally:
        tmp.unlink(missing_ok=True)
