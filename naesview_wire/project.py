"""Projects on the wire: the public part anyone invited may see, the private part members see,
the immutable config versions, and the summaries the project list shows."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

import msgspec

from naesview_wire.base import Count, Id, Name, Version, WireStruct
from naesview_wire.config import ProjectConfig

ProjectStatus = Literal["draft", "open", "closed"]
"""draft: only the owner sees it. open: members review. closed: read-only, no new reviews."""

THUMBNAIL_MAX_BYTES = 256 * 1024
"""Largest thumbnail the server accepts (PNG or JPEG, at most 1024×1024 pixels)."""

Fingerprint = Annotated[str, msgspec.Meta(pattern=r"^[0-9a-f]{64}$")]
"""The dataset fingerprint (sha256 hex over the zip's central directory, see the data contract)."""


class ProjectPublic(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What an invited reviewer sees before joining: no instructions, no config."""

    title: Name
    """Project title."""
    short_description: Annotated[str, msgspec.Meta(max_length=500)] = ""
    """One or two sentences shown in the project list."""
    thumbnail: Annotated[bytes, msgspec.Meta(max_length=THUMBNAIL_MAX_BYTES)] | None = None
    """PNG or JPEG (base64 in JSON), at most 256 KiB and 1024×1024; checked by the server."""


class ProjectPrivate(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What only members (and the owner) see."""

    instructions_md: Annotated[str, msgspec.Meta(max_length=100_000)] = ""
    """Reviewer instructions in Markdown."""


class ProjectCreate(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `POST /projects` (owners only). The config becomes version 1."""

    public: ProjectPublic
    """Public part."""
    private: ProjectPrivate = ProjectPrivate()
    """Private part."""
    config: ProjectConfig
    """First config version."""
    fingerprint: Fingerprint
    """Fingerprint of the owner's dataset zip."""
    case_count: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)]
    """Number of cases in the dataset; review case ids are 0 … case_count-1."""
    status: ProjectStatus = "draft"
    """Initial status."""


class ProjectUpdate(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Body of `PATCH /projects/{id}`: only the fields given change. The config does not change
    here: `POST /projects/{id}/configs` adds a new version."""

    public: ProjectPublic | msgspec.UnsetType = msgspec.UNSET
    """New public part."""
    private: ProjectPrivate | msgspec.UnsetType = msgspec.UNSET
    """New private part."""
    status: ProjectStatus | msgspec.UnsetType = msgspec.UNSET
    """New status."""
    fingerprint: Fingerprint | msgspec.UnsetType = msgspec.UNSET
    """New dataset fingerprint (after the owner changed the dataset)."""
    case_count: Annotated[int, msgspec.Meta(ge=1, le=10_000_000)] | msgspec.UnsetType = (
        msgspec.UNSET
    )
    """New case count."""


class ConfigVersion(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One immutable version of a project's config."""

    version: Version
    """1, 2, … in the order they were created."""
    config: ProjectConfig
    """The configuration."""
    created: datetime
    """When this version was created (UTC)."""


class Progress(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """How far one reviewer is in one project (latest answers only, not revisions)."""

    user_id: Id
    """The reviewer's user id."""
    username: str
    """The reviewer's sign-in name."""
    display_name: str
    """The reviewer's display name."""
    done: Count
    """Cases with an answer."""
    total: Count
    """The project's case count."""


class ProjectSummary(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """One line of the project list (`GET /projects`)."""

    id: Id
    """Project id."""
    public: ProjectPublic
    """Public part (title, description, thumbnail)."""
    status: ProjectStatus
    """Status."""
    role: Literal["owner", "reviewer"]
    """The caller's role in this project (an owner may also review it)."""
    config_version: Version
    """Latest config version."""
    case_count: Count
    """Number of cases."""
    done: Count
    """Cases the caller has answered."""


class ProjectDetail(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A project as a member sees it (`GET /projects/{id}`)."""

    id: Id
    """Project id."""
    owner: str
    """Owner's display name."""
    public: ProjectPublic
    """Public part."""
    private: ProjectPrivate
    """Private part (members only)."""
    status: ProjectStatus
    """Status."""
    role: Literal["owner", "reviewer"]
    """The caller's role in this project."""
    config: ConfigVersion
    """The latest config version."""
    fingerprint: Fingerprint
    """Dataset fingerprint."""
    case_count: Count
    """Number of cases."""
    created: datetime
    """When the project was created (UTC)."""


class InvitationPreview(WireStruct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What `GET /invitations/{code}` shows before joining: the public part only."""

    project_id: Id
    """The project the code joins."""
    public: ProjectPublic
    """Its public part."""
    owner: str
    """Owner's display name."""
    expires: datetime
    """When the code expires (UTC)."""
