"""The project configuration: what a reviewer sees and answers for every case.

An owner edits a `ProjectConfig` in the app; the sync API stores every edit as a new immutable
*version*, and each review names the version it answered. `config_problems` lists what is wrong
with a config as one-line messages (empty list: valid); `check_config` raises on the first.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

from naesview_wire.base import Name, WireStruct

CONFIG_FORMAT = "naesview-project/1"

VolumeName = Annotated[str, msgspec.Meta(min_length=1, max_length=500)]
"""A volume name inside a case, as the data contract defines it (`image.nii.gz`, `series/T1`)."""

Colour = Annotated[str, msgspec.Meta(pattern=r"^#[0-9a-fA-F]{6}$")]
"""An sRGB colour as `#rrggbb`."""

AnswerValue = Annotated[
    str, msgspec.Meta(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.-]+$")
]
"""The stored value of an answer option (stable across config versions; letters, digits, `_.-`)."""

Orientation = Literal["axial", "sagittal", "coronal"]


class Layer(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One volume drawn in a viewport; layers are drawn in list order (first at the bottom)."""

    volume: VolumeName
    """Name of the volume in each case (e.g. `image.nii.gz`, `T1`); must exist in every case."""
    is_mask: bool = False
    """True for a label mask: drawn as a colour overlay, resampled nearest-neighbour."""
    colour: Colour = "#ff0000"
    """Overlay colour of a mask (ignored for images, which are grey with window/level)."""
    opacity: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)] = 1.0
    """Opacity from 0 (invisible) to 1 (opaque)."""
    outline: bool = False
    """Draw a mask as its outline only instead of filled."""


class Viewport(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One cell of the viewport grid: an orientation and the layers shown in it."""

    orientation: Orientation = "axial"
    """Slice plane shown: axial (x, y), coronal (x, z) or sagittal (y, z), radiological display."""
    layers: Annotated[tuple[Layer, ...], msgspec.Meta(min_length=1, max_length=8)]
    """Layers bottom to top; the first layer's grid is the one the others are resampled onto."""


class ViewportGrid(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """The viewports, laid out row by row in a `rows` × `columns` grid."""

    rows: Annotated[int, msgspec.Meta(ge=1, le=4)] = 1
    """Number of grid rows."""
    columns: Annotated[int, msgspec.Meta(ge=1, le=4)] = 1
    """Number of grid columns."""
    viewports: Annotated[tuple[Viewport, ...], msgspec.Meta(min_length=1, max_length=16)]
    """The cells, row-major; at most rows × columns of them."""


class AnswerOption(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One answer a reviewer can give; pressing `key` on the keyboard picks it."""

    value: AnswerValue
    """Stored value (what a review's `answer` holds and what exports show)."""
    label: Name
    """Text on the answer button."""
    key: Annotated[int, msgspec.Meta(ge=1, le=9)]
    """Keyboard shortcut 1–9; unique within the config."""


class CaseLabel(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How the app shows a case's name to the reviewer (never sent to the server)."""

    delimiter: Annotated[str, msgspec.Meta(min_length=1, max_length=4)] | None = None
    """Split the case folder name at this string; None shows the whole name."""
    parts: (
        Annotated[tuple[Annotated[int, msgspec.Meta(ge=0, le=31)], ...], msgspec.Meta(max_length=8)]
        | None
    ) = None
    """0-based indices of the split parts to show, in order; None shows all parts."""


class BrushConfig(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Brush editing of one mask layer; edited masks travel with the review as `EditedMask`."""

    volume: VolumeName
    """The mask volume the reviewer may edit; it must be a mask layer of some viewport."""
    radius_mm: Annotated[float, msgspec.Meta(gt=0.0, le=100.0)] = 3.0
    """Default brush radius in millimetres."""


class ProjectConfig(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Everything the review screen needs, as one immutable version (JSON: `format` first)."""

    format: Literal["naesview-project/1"] = "naesview-project/1"
    """Schema version of this document; readers refuse formats they do not know."""
    question: Annotated[str, msgspec.Meta(max_length=500)] = ""
    """The question shown above the answer buttons (may be empty)."""
    viewports: ViewportGrid
    """The viewport grid and its layers."""
    answers: Annotated[tuple[AnswerOption, ...], msgspec.Meta(min_length=1, max_length=9)]
    """The answer options, in button order; at least one."""
    label: CaseLabel = CaseLabel()
    """How case names are shown to the reviewer."""
    comment: Literal["off", "optional", "required"] = "optional"
    """Whether a free-text comment box is shown, and whether it must be filled."""
    timing: bool = True
    """Record the time spent on each case (`Review.elapsed_ms`)."""
    brush: BrushConfig | None = None
    """Brush editing of one mask, or None for no editing."""
    order: Literal["dataset", "shuffle"] = "dataset"
    """Case order: dataset order (natural sort of folder names) or shuffled per reviewer."""


def config_volumes(config: ProjectConfig) -> list[str]:
    """Every volume the config's layers name, in first-use order (what each case must contain)."""
    seen: dict[str, None] = {}
    for viewport in config.viewports.viewports:
        for layer in viewport.layers:
            seen.setdefault(layer.volume, None)
    return list(seen)


def config_problems(config: ProjectConfig) -> list[str]:
    """What is wrong with `config` beyond its field types, one line each; [] when valid."""
    problems: list[str] = []
    grid = config.viewports
    if len(grid.viewports) > grid.rows * grid.columns:
        problems.append(
            f"{len(grid.viewports)} viewports do not fit a {grid.rows}×{grid.columns} grid; "
            "add rows or columns, or remove viewports"
        )
    keys = [a.key for a in config.answers]
    for key in sorted({k for k in keys if keys.count(k) > 1}):
        problems.append(f"answer key {key} is used more than once; give each answer its own key")
    values = [a.value for a in config.answers]
    for value in sorted({v for v in values if values.count(v) > 1}):
        problems.append(f"answer value `{value}` is used more than once; values must be unique")
    for index, viewport in enumerate(grid.viewports, start=1):
        for layer in viewport.layers:
            if not layer.volume.strip():
                problems.append(f"viewport {index}: a layer has an empty volume name")
        if viewport.layers[0].is_mask:
            problems.append(
                f"viewport {index}: the bottom layer `{viewport.layers[0].volume}` is a mask; "
                "put an image layer first"
            )
    if config.brush is not None:
        masks = {layer.volume for vp in grid.viewports for layer in vp.layers if layer.is_mask}
        if config.brush.volume not in masks:
            problems.append(
                f"brush edits `{config.brush.volume}`, which is not a mask layer of any viewport; "
                "add it as a mask layer or pick another volume"
            )
    return problems


def check_config(config: ProjectConfig) -> ProjectConfig:
    """Return `config` when valid; raise `ValueError` with every problem otherwise."""
    problems = config_problems(config)
    if problems:
        raise ValueError("; ".join(problems))
    return config


def answer_values(config: ProjectConfig) -> set[str]:
    """The answer values a review of this config may hold."""
    return {a.value for a in config.answers}
