"""Arguments and results of the Bridge methods (docs/dev/bridge.md is the same list, for the UI).

Arguments refuse unknown fields so a typo in the UI fails loudly; results are plain Structs that
`msgspec.to_builtins` turns into JSON-able dicts.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

import msgspec


class Args(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Base of bridge arguments."""


class NoArgs(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    pass


class SignInArgs(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    server: Annotated[str, msgspec.Meta(min_length=1, max_length=2000)]
    username: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]
    password: Annotated[str, msgspec.Meta(min_length=1, max_length=1000)]


class JoinArgs(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    code: Annotated[str, msgspec.Meta(min_length=1, max_length=200)]


class ProjectArgs(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    project_id: int


class OpenDatasetArgs(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    project_id: int
    path: Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]


class CaseArgs(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    index: Annotated[int, msgspec.Meta(ge=0)]
    show: bool = True
    """False: load (and register the voxels) without starting the case's on-screen time."""


class PrefetchArgs(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    indices: Annotated[list[Annotated[int, msgspec.Meta(ge=0)]], msgspec.Meta(max_length=32)]


class MaskRef(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    volume: str
    handle: str


class SubmitArgs(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    index: Annotated[int, msgspec.Meta(ge=0)]
    answer: str
    comment: str | None = None
    masks: list[MaskRef] = []


class VisibleArgs(Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    visible: bool


class Result(msgspec.Struct, frozen=True, kw_only=True):
    """Base of bridge results."""


class Empty(Result, frozen=True, kw_only=True):
    pass


class Account(Result, frozen=True, kw_only=True):
    server: str
    username: str
    display_name: str
    role: str


class StartHint(Result, frozen=True, kw_only=True):
    """Where the UI should go right away (the demo: straight into the review view)."""

    project_id: int
    dataset_path: str | None = None


class AppInfo(Result, frozen=True, kw_only=True):
    version: str
    mode: Literal["window", "browser"]
    voxel_base: str
    token: str
    signed_in: Account | None
    start: StartHint | None = None


class ProjectItem(Result, frozen=True, kw_only=True):
    id: int
    title: str
    short_description: str
    thumbnail: str | None
    """A `data:image/png;base64,…` (or jpeg) URL, or None."""
    status: str
    role: str
    done: int
    total: int


class ProjectList(Result, frozen=True, kw_only=True):
    projects: list[ProjectItem]


class Joined(Result, frozen=True, kw_only=True):
    project_id: int
    title: str


class ProjectOpened(Result, frozen=True, kw_only=True):
    id: int
    title: str
    instructions_md: str
    config: Any
    """The ProjectConfig as JSON (naesview_wire.ProjectConfig)."""
    config_version: int
    fingerprint: str
    case_count: int
    dataset_path: str | None
    """The zip chosen for this project last time on this machine (None: ask)."""


class Chosen(Result, frozen=True, kw_only=True):
    path: str | None
    browse: bool
    """False in browser mode: no native dialog, the UI shows a path field."""


class Missing(Result, frozen=True, kw_only=True):
    case_id: int
    case_name: str
    volumes: list[str]


class ProgressInfo(Result, frozen=True, kw_only=True):
    done: int
    total: int
    seconds_left: float | None


class DatasetOpened(Result, frozen=True, kw_only=True):
    case_count: int
    """Cases to review (the project's count, or fewer when the dataset has fewer)."""
    dataset_cases: int
    fingerprint_matches: bool
    missing: list[Missing]
    """Cases lacking a volume the project's layers need (at most 200 listed)."""
    missing_count: int
    resume_index: int
    """Position of the first case without an answer (the last case when all are answered)."""
    progress: ProgressInfo


class Window(Result, frozen=True, kw_only=True):
    center: float
    width: float


class VolumeInfo(Result, frozen=True, kw_only=True):
    name: str
    url: str
    """`<voxel_base>/voxels/<handle>`; GET with header X-Naesview-Token."""
    handle: str
    shape: list[int]
    """[z, y, x]."""
    spacing: list[float]
    """[z, y, x] in mm."""
    dtype: str
    """int8 uint8 int16 uint16 int32 uint32 float32: pick the typed array by this."""
    slope: float
    intercept: float
    """value = stored * slope + intercept (window values are in these scaled units)."""
    is_mask: bool
    editable: bool
    """True for the project's brush mask: PUT /masks/<handle> with the edited uint8 bytes."""
    window: Window
    streaming: bool = False
    """True while the volume is still being decoded: slices arrive one by one from `first_z`
    on; a request for a slice not decoded yet waits for it (the whole-volume GET streams)."""
    first_z: int = 0
    """The slice decoded first (0, or the last one for a file stored head to feet)."""
    original_url: str | None = None
    """Set when this (editable) mask is shown as the reviewer last saved it, with their edit:
    the project's own mask, same shape and dtype, which the brush's added/removed/Dice and
    "Reset to original" are relative to. None: the layer is the project's mask."""


class SavedAnswer(Result, frozen=True, kw_only=True):
    answer: str
    comment: str | None
    synced: bool


class Position(Result, frozen=True, kw_only=True):
    n: int
    total: int


class CaseLoaded(Result, frozen=True, kw_only=True):
    index: int
    case_id: int
    case_name: str
    label_parts: list[str]
    position: Position
    volumes: list[VolumeInfo]
    problems: list[str]
    """One line per configured volume that could not be read (the case can still be answered)."""
    review: SavedAnswer | None
    progress: ProgressInfo


class SyncStatus(Result, frozen=True, kw_only=True):
    pending: int
    synced: int
    rejected: int
    last_error: str | None
    online: bool | None
    label: str
    """What the status bar says: "synced", "saved locally · 3 waiting", …"""


class Submitted(Result, frozen=True, kw_only=True):
    saved: bool
    next_index: int | None
    progress: ProgressInfo
    sync: SyncStatus
