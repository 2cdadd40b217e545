"""Reviews on the wire: what a reviewer submits, what the server keeps, what owners export.

A review carries a case *id* (0-based index in natural-sort order), never a case name, file name,
path or pixel: there is no field for them, and unknown fields are refused.

Edited masks travel bit-packed and compressed (`EditedMask.packed`):
``zlib.compress(numpy.packbits(mask.astype(bool).ravel(order="C"), bitorder="big"), 6)`` for a
mask of `shape` `[z, y, x]` in canonical LPS order; the unpacked length is `packed_length(shape)`
bytes. `mask_problem` checks that without numpy, so the server can verify what it stores.
"""

from __future__ import annotations

import math
import uuid
import zlib
from datetime import datetime
from typing import Annotated

import msgspec

from naesview_wire.base import Count, Id, Version, WireStruct
from naesview_wire.config import AnswerValue, VolumeName
from naesview_wire.project import Progress

MASK_MAX_PACKED_BYTES = 2 * 1024 * 1024
"""Largest compressed mask accepted (2 MiB)."""
MASK_MAX_VOXELS = 2**28
"""Largest mask accepted, in voxels (e.g. 512 × 512 × 1024)."""
MAX_MASKS_PER_REVIEW = 4
COMMENT_MAX_CHARS = 10_000
ELAPSED_MAX_MS = 7 * 24 * 3600 * 1000

Dimension = Annotated[int, msgspec.Meta(ge=1, le=4096)]


class EditedMask(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A mask the reviewer edited with the brush, with summary figures of the edit."""

    volume: VolumeName
    """Name of the mask volume that was edited (the config's `brush.volume`)."""
    shape: tuple[Dimension, Dimension, Dimension]
    """Shape `[z, y, x]` of the mask in canonical LPS order."""
    packed: Annotated[bytes, msgspec.Meta(min_length=1, max_length=MASK_MAX_PACKED_BYTES)]
    """The mask: numpy `packbits` (C order, bitorder "big"), then zlib; base64 in JSON."""
    added: Count
    """Voxels switched on by the edit."""
    removed: Count
    """Voxels switched off by the edit."""
    dice: Annotated[float, msgspec.Meta(ge=0.0, le=1.0)]
    """Dice overlap between the original and the edited mask (1.0: unchanged)."""


class Review(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `PUT /reviews/{uuid}`: one answer of one reviewer for one case.

    Submitting the same body again changes nothing (the uuid identifies it). Changing an earlier
    answer means submitting a new review (new uuid) for the same case: the earlier one is kept as
    a previous revision.
    """

    uuid: uuid.UUID
    """Client-generated id (uuid4) of this submission; must equal the uuid in the URL."""
    project_id: Id
    """The project reviewed."""
    config_version: Version
    """The config version the reviewer answered (its answer options are the ones checked)."""
    case_id: Count
    """0-based case index in the dataset's natural-sort order; below the project's case count."""
    answer: AnswerValue
    """One of the config version's answer values."""
    comment: Annotated[str, msgspec.Meta(max_length=COMMENT_MAX_CHARS)] | None = None
    """Free-text comment, or None when the config has comments off or it was left empty."""
    elapsed_ms: Annotated[int, msgspec.Meta(ge=0, le=ELAPSED_MAX_MS)] | None = None
    """Time spent on the case in milliseconds, or None when the config has timing off."""
    created: Annotated[datetime, msgspec.Meta(tz=True)]
    """When the reviewer submitted it, on their clock, with a time zone."""
    masks: Annotated[tuple[EditedMask, ...], msgspec.Meta(max_length=MAX_MASKS_PER_REVIEW)] = ()
    """Masks edited with the brush for this case (empty when none)."""


class ReviewRecord(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A stored review as the API returns it: the submitted body plus what the server knows."""

    review: Review
    """Exactly what was submitted."""
    reviewer_id: Id
    """Who submitted it."""
    reviewer: str
    """Their display name."""
    received: datetime
    """When the server first stored it (UTC)."""
    revision: Version
    """1 for the reviewer's first answer to this case, 2 for the first change, …"""
    current: bool
    """True for the reviewer's latest answer to this case (by `created`, then arrival)."""


class ExportRow(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One review in an owner's export (CSV columns in this order; masks only in JSON)."""

    uuid: uuid.UUID
    """Review uuid."""
    case_id: Count
    """Case index."""
    reviewer_id: Id
    """Reviewer's user id."""
    reviewer_username: str
    """Reviewer's sign-in name."""
    reviewer_name: str
    """Reviewer's display name."""
    config_version: int
    """Config version answered."""
    answer: str
    """Answer value."""
    comment: str | None
    """Comment."""
    elapsed_ms: int | None
    """Time spent in milliseconds."""
    created: datetime
    """Reviewer's submit time."""
    received: datetime
    """Server's receive time."""
    revision: int
    """Revision number for this reviewer and case."""
    current: bool
    """Whether this is the reviewer's latest answer for the case."""
    masks: tuple[EditedMask, ...] = ()
    """Edited masks (JSON export only; CSV has a `mask_edits` summary column instead)."""


class Export(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """`GET /projects/{id}/export.json`: every review of a project, for its owner."""

    project_id: Id
    """Project id."""
    title: str
    """Project title."""
    exported: datetime
    """When the export was made (UTC)."""
    progress: tuple[Progress, ...]
    """Per-reviewer progress."""
    reviews: tuple[ExportRow, ...]
    """All reviews, every revision, ordered by case, reviewer and revision."""


def packed_length(shape: tuple[int, int, int]) -> int:
    """Bytes of a bit-packed mask of `shape` before compression."""
    return (math.prod(shape) + 7) // 8


def mask_problem(mask: EditedMask) -> str | None:
    """Why `mask` cannot be stored (one line), or None when it unpacks to its shape."""
    voxels = math.prod(mask.shape)
    if voxels > MASK_MAX_VOXELS:
        return f"mask `{mask.volume}` has {voxels} voxels, more than the limit of {MASK_MAX_VOXELS}"
    expected = packed_length(mask.shape)
    inflater = zlib.decompressobj()
    try:
        # max_length bounds memory however the data was crafted (no zip bombs).
        unpacked = inflater.decompress(mask.packed, expected + 1)
    except zlib.error:
        return f"mask `{mask.volume}` is not zlib data; pack with numpy.packbits then zlib.compress"
    if len(unpacked) != expected or not inflater.eof or inflater.unconsumed_tail:
        return (
            f"mask `{mask.volume}` unpacks to {len(unpacked)} bytes, "
            f"but shape {list(mask.shape)} needs {expected}"
        )
    return None
