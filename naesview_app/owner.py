"""The owner's bridge methods: author, check, preview, publish, invite, follow and export projects.

`OwnerApp` does the work, next to the reviewer's `ReviewApp` (whose signed-in client, voxel
store and file dialog it shares). `install(Bridge)` adds its methods to the Bridge as `owner_*`,
with the Bridge's own error handling, so `bridge.py` needs only that one call. The owner's
dataset is opened here, separately from a review session, and never leaves this machine: only
its fingerprint and case count go to the server.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

import msgspec

from naesview_app.config import write_private
from naesview_app.datasets import Dataset, open_dataset
from naesview_app.errors import ConfigError, DatasetError, NaesviewError
from naesview_app.project.config_io import (
    ProjectFile,
    decode_project_file,
    read_project_file,
    write_project_file,
)
from naesview_app.project.thumbnail import data_url, thumbnail_from_data_url
from naesview_app.review import messages as m
from naesview_wire import (
    ProjectConfig,
    ProjectCreate,
    ProjectPrivate,
    ProjectPublic,
    ProjectStatus,
    ProjectUpdate,
    config_problems,
)

if TYPE_CHECKING:
    from naesview_app.review.services import ReviewApp
    from naesview_app.sync.client import SyncClient

Path_ = Annotated[str, msgspec.Meta(min_length=1, max_length=4096)]
MAX_CASES_LISTED = 2000
INVITATIONS_FILE = "invitations.json"
"""The invitation codes an owner made here: the sync API shows a code only when it is made."""
MAX_INVITATIONS_KEPT = 200


# ---- arguments -------------------------------------------------------------------------------


class PathArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    path: Path_


class ImportArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """A project file by path, or its text (a file picked in the page)."""

    path: Path_ | None = None
    text: Annotated[str, msgspec.Meta(max_length=4 * 1024 * 1024)] | None = None
    name: str = "project file"


class Draft(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """What the owner form holds (a `ProjectFile` without its format, plus the thumbnail)."""

    title: str
    short_description: str = ""
    instructions_md: str = ""
    config: Any
    thumbnail: str | None = None
    """`data:image/png;base64,…` or JPEG, or None."""


class ExportConfigArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    path: Path_
    project: Draft


class ConfigArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    config: Any


class PreviewArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    config: Any
    case_id: Annotated[int, msgspec.Meta(ge=0)] = 0


class ThumbnailArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    data_url: Annotated[str, msgspec.Meta(max_length=48 * 1024 * 1024)]


class PublishArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    project: Draft
    status: Literal["draft", "open"] = "draft"


class UpdateArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    project_id: int
    project: Draft


class StatusArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    project_id: int
    status: Literal["draft", "open", "closed"]


class InviteArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    project_id: int
    expires_in_hours: Annotated[int, msgspec.Meta(ge=1, le=24 * 90)] = 24 * 7


class RevokeArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    project_id: int
    code: Annotated[str, msgspec.Meta(min_length=8, max_length=64)]


class MemberArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    project_id: int
    user_id: int


class ExportReviewsArgs(m.Args, frozen=True, kw_only=True, forbid_unknown_fields=True):
    project_id: int
    folder: Path_
    map_names: bool = False
    masks: bool = True


# ---- the work --------------------------------------------------------------------------------


class OwnerApp:
    def __init__(self, app: ReviewApp) -> None:
        self._app = app
        self._lock = threading.RLock()
        self._dataset: Dataset | None = None

    # -- dataset, check, preview --

    def open_dataset(self, path: str) -> dict[str, Any]:
        zip_path = Path(path).expanduser()
        if not zip_path.is_file():
            raise DatasetError(f"dataset {path}: no such file; choose your dataset .zip")
        dataset = open_dataset(zip_path)
        with self._lock:
            old, self._dataset = self._dataset, dataset
        if old is not None:
            old.close()
        counts: dict[str, int] = {}
        for case in dataset.cases:
            for ref in case.volumes:
                counts[ref.name] = counts.get(ref.name, 0) + 1
        return {
            "path": str(zip_path.resolve()),
            "name": zip_path.name,
            "fingerprint": dataset.fingerprint,
            "case_count": len(dataset.cases),
            "cases": [c.name for c in dataset.cases[:MAX_CASES_LISTED]],
            "volumes": [
                {"name": n, "cases": k}
                for n, k in sorted(counts.items(), key=lambda item: (-item[1], item[0]))
            ],
        }

    def check(self, config: Any) -> dict[str, Any]:
        from naesview_app.project.check import check_dataset, report_json

        report = check_dataset(_config(config), self._require_dataset())
        result: dict[str, Any] = msgspec.json.decode(report_json(report))
        return result

    def preview(self, config: Any, case_id: int) -> dict[str, Any]:
        from naesview_app.imaging.resample import resample_to
        from naesview_app.review.label import case_label_parts
        from naesview_app.review.services import describe_volume
        from naesview_app.review.windowing import initial_window

        project = _config(config)
        dataset = self._require_dataset()
        case = dataset.case(case_id)
        masks = {ly.volume for vp in project.viewports.viewports for ly in vp.layers if ly.is_mask}
        reference: dict[str, str] = {}
        for viewport in project.viewports.viewports:
            for layer in viewport.layers[1:]:
                reference.setdefault(layer.volume, viewport.layers[0].volume)
        raw = {}
        problems: list[str] = []
        for name in dict.fromkeys(
            ly.volume for vp in project.viewports.viewports for ly in vp.layers
        ):
            if case.volume(name) is None:
                # The preview names its case (1-based) above: "case 0 (case1)" beside it confused.
                problems.append(f"volume `{name}` is missing from this case")
                continue
            try:
                raw[name] = dataset.read_volume(case.id, name)
            except NaesviewError as exc:
                problems.append(str(exc))
        volumes = []
        for name, volume in raw.items():
            base = raw.get(reference.get(name, name))
            if base is not None and base is not volume:
                volume = resample_to(volume, base, is_mask=name in masks)
            window = initial_window(volume, is_mask=name in masks)
            key = ("owner-preview", dataset.fingerprint, case.id, name, volume.shape)
            handle = self._app.voxels.register(key, volume.array, editable=False)
            volumes.append(
                describe_volume(
                    self._app.voxels,
                    self._app.voxel_base,
                    handle,
                    volume,
                    name=name,
                    is_mask=name in masks,
                    editable=False,
                    window=window,
                )
            )
        return {
            "case_id": case.id,
            "case_name": case.name,
            "label_parts": case_label_parts(case.name, project.label),
            "volumes": msgspec.to_builtins(volumes),
            "problems": problems,
        }

    # -- project files and thumbnails --

    def import_config(self, args: ImportArgs) -> dict[str, Any]:
        if args.text is not None:
            project = decode_project_file(args.text.encode("utf-8"), source=args.name)
        elif args.path is not None:
            project = read_project_file(Path(args.path).expanduser())
        else:
            raise ConfigError("choose a project file to import")
        return _draft_dict(project)

    def export_config(self, path: str, draft: Draft) -> dict[str, Any]:
        target = Path(path).expanduser().absolute()  # a typed relative name: say where it went
        if target.suffix.lower() != ".json":
            target = target.with_name(target.name + ".json")
        written = write_project_file(target, _project_file(draft))
        return {"path": str(written)}

    def thumbnail(self, url: str) -> dict[str, Any]:
        return {"data_url": data_url(thumbnail_from_data_url(url))}

    # -- server: publish, edit, status, invitations, members, exports --

    def publish(self, draft: Draft, status: Literal["draft", "open"]) -> dict[str, Any]:
        dataset = self._require_dataset()
        project = _project_file(draft)
        detail = self._client().create_project(
            ProjectCreate(
                public=_public(draft),
                private=ProjectPrivate(instructions_md=project.instructions_md),
                config=project.config,
                fingerprint=dataset.fingerprint,
                case_count=len(dataset.cases),
                status=status,
            )
        )
        return _detail_dict(detail)

    def project(self, project_id: int) -> dict[str, Any]:
        return _detail_dict(self._client().get_project(project_id))

    def update(self, project_id: int, draft: Draft) -> dict[str, Any]:
        from naesview_app.project.diff import config_changes

        client = self._client()
        before = client.get_project(project_id)
        project = _project_file(draft)
        changes: list[str] = []
        public = _public(draft)
        if public.title != before.public.title:
            changes.append(f"title: “{before.public.title}” → “{public.title}”")
        if public.short_description != before.public.short_description:
            changes.append("short description changed")
        if public.thumbnail != before.public.thumbnail:
            changes.append("thumbnail changed")
        if project.instructions_md != before.private.instructions_md:
            changes.append("instructions changed")
        update = ProjectUpdate(
            public=public, private=ProjectPrivate(instructions_md=project.instructions_md)
        )
        config_lines = config_changes(before.config.config, project.config)
        # Texts first: if the new version fails, nothing about the config has changed.
        if changes:
            client.update_project(project_id, update)
        version = before.config.version
        if config_lines:
            version = client.add_config_version(project_id, project.config).version
            changes += [f"config version {before.config.version} → {version}:", *config_lines]
        detail = _detail_dict(client.get_project(project_id))
        detail["changes"] = changes or ["nothing changed"]
        return detail

    def set_status(self, project_id: int, status: ProjectStatus) -> dict[str, Any]:
        detail = self._client().update_project(project_id, ProjectUpdate(status=status))
        return _detail_dict(detail)

    def invite(self, project_id: int, hours: int) -> dict[str, Any]:
        invitation = self._client().create_invitation(project_id, expires_in_hours=hours)
        item = {
            "code": invitation.code,
            "expires": invitation.expires.isoformat(),
            "created": datetime.now(UTC).isoformat(),
        }
        with self._lock:
            stored = self._stored_invitations()
            key = self._invitation_key(project_id)
            stored[key] = [item, *stored.get(key, [])][:MAX_INVITATIONS_KEPT]
            write_private(self._invitations_file, msgspec.json.encode(stored))
        return {"invitation": item, "invitations": self._listed(project_id)}

    def invitations(self, project_id: int) -> dict[str, Any]:
        return {"invitations": self._listed(project_id)}

    def revoke(self, project_id: int, code: str) -> dict[str, Any]:
        """Revoke the code on the server, then forget it here (a used code stays listed)."""
        self._client().revoke_invitation(project_id, code)
        with self._lock:
            stored = self._stored_invitations()
            key = self._invitation_key(project_id)
            stored[key] = [i for i in stored.get(key, []) if i.get("code") != code]
            write_private(self._invitations_file, msgspec.json.encode(stored))
        return {"invitations": self._listed(project_id)}

    def members(self, project_id: int) -> dict[str, Any]:
        """Members with their progress, then those with reviews who are not members: the owner
        (`"you"`) and removed reviewers (`"removed"`: their reviews stay in the export)."""
        client = self._client()
        account = self._app.app_info().signed_in
        me = account.username if account else None
        members = client.list_members(project_id)
        progress = {p.user_id: p for p in client.progress(project_id)}
        rows = []
        for member in members:
            p = progress.get(member.user_id)
            rows.append(
                {
                    "user_id": member.user_id,
                    "username": member.username,
                    "display_name": member.display_name,
                    "joined": member.joined.isoformat(),
                    "done": p.done if p else 0,
                    "total": p.total if p else 0,
                    "status": "you" if member.username == me else "member",
                }
            )
        for user_id, p in progress.items():  # the owner, or a removed reviewer with reviews
            if user_id not in {r["user_id"] for r in rows}:
                rows.append(
                    {
                        "user_id": user_id,
                        "username": p.username,
                        "display_name": p.display_name,
                        "joined": None,
                        "done": p.done,
                        "total": p.total,
                        "status": "you" if p.username == me else "removed",
                    }
                )
        return {"members": rows}

    def remove_member(self, project_id: int, user_id: int) -> dict[str, Any]:
        """Take a reviewer out of the project (their reviews stay); the members as they are now."""
        self._client().remove_member(project_id, user_id)
        return self.members(project_id)

    def export_reviews(self, args: ExportReviewsArgs) -> dict[str, Any]:
        from naesview_app.project.export import write_edited_masks, write_review_exports

        client = self._client()
        detail = client.get_project(args.project_id)
        with self._lock:
            dataset = self._dataset
        if args.map_names and dataset is None:
            raise ConfigError("mapping case names needs your dataset; open it first")
        folder = Path(args.folder).expanduser().absolute()
        export = client.export_json(args.project_id)
        result = write_review_exports(
            export,
            folder,
            dataset=dataset,
            map_names=args.map_names,
            project_fingerprint=detail.fingerprint,
        )
        body: dict[str, Any] = msgspec.to_builtins(result)
        body["masks"] = None
        if args.masks and dataset is not None and any(r.masks for r in export.reviews):
            masks_dir = folder / f"masks-{args.project_id}{'-names' if args.map_names else ''}"
            masks_dir.mkdir(exist_ok=True)
            body["masks"] = msgspec.to_builtins(
                write_edited_masks(export, dataset, masks_dir, map_names=args.map_names)
            )
        return body

    def close(self) -> None:
        with self._lock:
            dataset, self._dataset = self._dataset, None
        if dataset is not None:
            dataset.close()

    # -- internals --

    def _listed(self, project_id: int) -> list[dict[str, Any]]:
        now = datetime.now(UTC)
        with self._lock:
            items = list(self._stored_invitations().get(self._invitation_key(project_id), []))
        return [{**i, "expired": datetime.fromisoformat(i["expires"]) < now} for i in items]

    @property
    def _invitations_file(self) -> Path:
        return self._app.paths.config_dir / INVITATIONS_FILE

    def _invitation_key(self, project_id: int) -> str:
        account = self._app.app_info().signed_in
        return f"{account.server if account else ''}|{project_id}"

    def _stored_invitations(self) -> dict[str, list[dict[str, Any]]]:
        """Codes this owner made on this computer, per server and project (owner-only file)."""
        try:
            data = msgspec.json.decode(self._invitations_file.read_bytes())
        except (OSError, msgspec.DecodeError):
            return {}
        return data if isinstance(data, dict) else {}

    def _client(self) -> SyncClient:
        return self._app._require_client()

    def _require_dataset(self) -> Dataset:
        with self._lock:
            if self._dataset is None:
                raise DatasetError("no dataset open; open your dataset .zip first")
            return self._dataset


def _config(raw: Any) -> ProjectConfig:
    try:
        config = msgspec.convert(raw, ProjectConfig)
    except msgspec.ValidationError as exc:
        raise ConfigError(f"config: {' '.join(str(exc).split())}; correct that field") from None
    problems = config_problems(config)
    if problems:
        raise ConfigError("config: " + "; ".join(problems))
    return config


def _project_file(draft: Draft) -> ProjectFile:
    try:
        return msgspec.convert(
            {
                "title": draft.title.strip(),
                "short_description": draft.short_description,
                "instructions_md": draft.instructions_md,
                "config": msgspec.to_builtins(_config(draft.config)),
            },
            ProjectFile,
        )
    except msgspec.ValidationError as exc:
        what = " ".join(str(exc).split())
        raise ConfigError(f"project: {what}; a title is needed (at most 200 characters)") from None


def _public(draft: Draft) -> ProjectPublic:
    thumbnail = thumbnail_from_data_url(draft.thumbnail) if draft.thumbnail else None
    return ProjectPublic(
        title=draft.title.strip(), short_description=draft.short_description, thumbnail=thumbnail
    )


def _draft_dict(project: ProjectFile) -> dict[str, Any]:
    return {
        "title": project.title,
        "short_description": project.short_description,
        "instructions_md": project.instructions_md,
        "config": msgspec.to_builtins(project.config),
        "thumbnail": None,
    }


def _detail_dict(detail: Any) -> dict[str, Any]:
    return {
        "id": detail.id,
        "title": detail.public.title,
        "short_description": detail.public.short_description,
        "thumbnail": data_url(detail.public.thumbnail),
        "instructions_md": detail.private.instructions_md,
        "status": detail.status,
        "config": msgspec.to_builtins(detail.config.config),
        "config_version": detail.config.version,
        "fingerprint": detail.fingerprint,
        "case_count": detail.case_count,
    }


# ---- the Bridge's side -----------------------------------------------------------------------


def install(bridge_class: type) -> None:
    """Add the `owner_*` methods to the Bridge class (call once, after it is defined)."""
    from naesview_app import bridge as b

    def owner(self: Any) -> OwnerApp:
        app = self.__dict__.get("_owner_app")
        if app is None:
            app = self.__dict__.setdefault("_owner_app", OwnerApp(self._app))
        return app

    methods: dict[str, tuple[type, Any]] = {
        "owner_open_dataset": (PathArgs, lambda s, a: owner(s).open_dataset(a.path)),
        "owner_check": (ConfigArgs, lambda s, a: owner(s).check(a.config)),
        "owner_preview": (PreviewArgs, lambda s, a: owner(s).preview(a.config, a.case_id)),
        "owner_import_config": (ImportArgs, lambda s, a: owner(s).import_config(a)),
        "owner_export_config": (
            ExportConfigArgs,
            lambda s, a: owner(s).export_config(a.path, a.project),
        ),
        "owner_thumbnail": (ThumbnailArgs, lambda s, a: owner(s).thumbnail(a.data_url)),
        "owner_publish": (PublishArgs, lambda s, a: owner(s).publish(a.project, a.status)),
        "owner_project": (m.ProjectArgs, lambda s, a: owner(s).project(a.project_id)),
        "owner_update": (UpdateArgs, lambda s, a: owner(s).update(a.project_id, a.project)),
        "owner_set_status": (StatusArgs, lambda s, a: owner(s).set_status(a.project_id, a.status)),
        "owner_invite": (
            InviteArgs,
            lambda s, a: owner(s).invite(a.project_id, a.expires_in_hours),
        ),
        "owner_invitations": (m.ProjectArgs, lambda s, a: owner(s).invitations(a.project_id)),
        "owner_revoke_invitation": (
            RevokeArgs,
            lambda s, a: owner(s).revoke(a.project_id, a.code),
        ),
        "owner_members": (m.ProjectArgs, lambda s, a: owner(s).members(a.project_id)),
        "owner_remove_member": (
            MemberArgs,
            lambda s, a: owner(s).remove_member(a.project_id, a.user_id),
        ),
        "owner_export_reviews": (ExportReviewsArgs, lambda s, a: owner(s).export_reviews(a)),
    }
    for name, (args_type, work) in methods.items():

        def method(self: Any, args: Any, _work: Any = work) -> Any:
            return _work(self, args)

        method.__name__ = method.__qualname__ = name
        setattr(bridge_class, name, b.exposed(args_type)(method))
