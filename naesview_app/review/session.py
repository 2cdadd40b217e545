"""One open project on one local dataset: the reviewer's case order, loading, answers, progress.

The Bridge calls this; it knows nothing about windows or HTTP. Volumes are loaded case by case
through a `PrefetchCache` (the next cases load in the background while the reviewer looks at
this one). Every answer goes to the `Outbox` before `submit` returns.
"""

from __future__ import annotations

import contextlib
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

import numpy as np

from naesview_app.datasets import Dataset
from naesview_app.errors import ConfigError, NaesviewError
from naesview_app.imaging.brush import MaskError, PackedMask, mask_metrics, pack_mask, unpack_mask
from naesview_app.imaging.resample import resample_to, same_grid
from naesview_app.imaging.volume import Volume
from naesview_app.review.cache import PrefetchCache
from naesview_app.review.label import case_label_parts
from naesview_app.review.order import case_order, resume_position
from naesview_app.review.outbox import Account, Answer, Outbox
from naesview_app.review.progressive import GrowingVolume, start_progressive_volume
from naesview_app.review.timing import CaseTimer, Clock, ProgressEstimator, ProgressInfo
from naesview_app.review.windowing import initial_window
from naesview_wire import EditedMask, ProjectConfig, Review, config_volumes


@dataclass(frozen=True, slots=True)
class ProjectRef:
    """What the session needs to know about the project (from the sync API's ProjectDetail)."""

    project_id: int
    config_version: int
    config: ProjectConfig
    fingerprint: str
    case_count: int


DECODE_TIMEOUT = 300.0
SAVED_EDITS_KEPT = 4
WINDOW_SAMPLE_FRACTION = 0.02
"""A volume still decoding gets its automatic window from its first 2 % of slices (at least
one): enough for a first look without delaying it; the UI's own auto window can refine it."""


@dataclass(frozen=True, slots=True)
class LoadedLayer:
    name: str
    volume: Volume
    is_mask: bool
    window: tuple[float, float]
    """(center, width): the file's own (DICOM Window Center/Width) when it has one, else from
    percentiles; masks get (0.5, 1)."""
    growing: GrowingVolume | None = None
    """Set while a large volume is still being decoded slice by slice (`progressive`)."""

    def complete(self) -> Volume:
        """The volume once every slice exists (waits for the decoder; raises if it failed)."""
        if self.growing is not None:
            self.growing.wait_all(DECODE_TIMEOUT)
        return self.volume


@dataclass(frozen=True, slots=True)
class CaseVolumes:
    layers: dict[str, LoadedLayer]
    problems: list[str]
    """One line per volume that could not be read (the case can still be answered)."""

    @property
    def nbytes(self) -> int:
        return sum(layer.volume.nbytes for layer in self.layers.values())


@dataclass(frozen=True, slots=True)
class SavedEdit:
    """The reviewer's edit of a mask layer, from their last saved answer of the case."""

    shown: np.ndarray
    """The layer's voxels with the edit (the layer's dtype, `slope`/`intercept` as the layer):
    what the editable layer shows instead of the project's mask."""
    review: uuid.UUID
    """The review carrying it."""


@dataclass(frozen=True, slots=True)
class LoadedCase:
    position: int
    case_id: int
    case_name: str
    label_parts: list[str]
    total: int
    volumes: CaseVolumes
    answer: Answer | None
    edits: dict[str, SavedEdit] = field(default_factory=dict)
    """Mask layers shown with this reviewer's saved edit (by layer name); the layer itself in
    `volumes` stays the project's mask, the original the brush measures against."""
    edit_problems: list[str] = field(default_factory=list)

    @property
    def problems(self) -> list[str]:
        return [*self.volumes.problems, *self.edit_problems]


@dataclass(frozen=True, slots=True)
class MissingVolumes:
    case_id: int
    case_name: str
    volumes: list[str]


@dataclass(frozen=True, slots=True)
class DatasetCheck:
    fingerprint_matches: bool
    dataset_cases: int
    missing: list[MissingVolumes] = field(default_factory=list)


def check_dataset(dataset: Dataset, project: ProjectRef) -> DatasetCheck:
    """Compare a dataset with the project: same fingerprint? every configured volume present?

    Uses the zip listing only (nothing is decoded), so it is instant even for thousands of cases.
    """
    needed = config_volumes(project.config)
    missing: list[MissingVolumes] = []
    for case in dataset.cases[: project.case_count]:
        have = {ref.name for ref in case.volumes}
        lacking = [name for name in needed if name not in have]
        if lacking:
            missing.append(MissingVolumes(case.id, case.name, lacking))
    return DatasetCheck(
        fingerprint_matches=dataset.fingerprint == project.fingerprint,
        dataset_cases=len(dataset.cases),
        missing=missing,
    )


class ReviewSession:
    def __init__(
        self,
        *,
        project: ProjectRef,
        dataset: Dataset,
        account: Account,
        outbox: Outbox,
        known_answers: Mapping[int, Answer] | None = None,
        on_saved: Callable[[], None] = lambda: None,
        clock: Clock = time.monotonic,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
        prefetch_depth: int = 3,
        cache_bytes: int = 1 << 30,
    ) -> None:
        self.project = project
        self.dataset = dataset
        self._account = account
        self._outbox = outbox
        self._on_saved = on_saved
        self._now = now
        self._prefetch_depth = prefetch_depth
        config = project.config
        self._masks = {
            layer.volume
            for viewport in config.viewports.viewports
            for layer in viewport.layers
            if layer.is_mask
        }
        self._reference = _reference_volumes(config)
        self.order = case_order(
            min(project.case_count, len(dataset.cases)),
            config.order,
            project_id=project.project_id,
            user_id=account.user_id,
        )
        self.answers: dict[int, Answer] = dict(known_answers or {})
        self.answers.update(outbox.latest_answers(account, project.project_id))
        self._lock = threading.RLock()  # timer and answers; volume loads run outside it
        self._closed = False
        self.timer = CaseTimer(clock)
        self.estimator = ProgressEstimator()
        self._cache: PrefetchCache[int, CaseVolumes] = PrefetchCache(
            self._load_volumes, lambda c: c.nbytes, max_bytes=cache_bytes, prefetch_delay=0.03
        )
        # Saved edits unpacked lately, by case: loading a case again (prefetch, then show)
        # does not unpack the same review twice.
        self._saved_edits: OrderedDict[int, dict[str, SavedEdit]] = OrderedDict()

    @property
    def total(self) -> int:
        return len(self.order)

    def resume_position(self) -> int:
        return resume_position(self.order, self.answers.keys())

    def case_id_at(self, position: int) -> int:
        if not 0 <= position < len(self.order):
            raise NaesviewError(
                f"no case at position {position + 1}; this project has {len(self.order)} cases"
            )
        return self.order[position]

    def load(self, position: int, *, show: bool = True) -> LoadedCase:
        """The case at `position` in this reviewer's order, with its volumes loaded.

        `show=True` starts its on-screen time and prefetches the following cases.
        """
        case_id = self.case_id_at(position)
        case = self.dataset.case(case_id)
        volumes = self._cache.get(case_id)
        edits, edit_problems = self._shown_edits(case_id, case.name, volumes)
        with self._lock:
            if show:
                self.timer.show(case_id)
            answer = self.answers.get(case_id)
        if show:
            following = range(position + 1, position + 1 + self._prefetch_depth)
            decoding = [
                layer.growing
                for layer in volumes.layers.values()
                if layer.growing is not None and not layer.growing.done
            ]
            if decoding:  # the case on screen first: prefetch once its voxels are all in
                threading.Thread(
                    target=self._prefetch_after,
                    args=(decoding, following),
                    name="naesview-prefetch-later",
                    daemon=True,
                ).start()
            else:
                self.prefetch(following)
        return LoadedCase(
            position=position,
            case_id=case_id,
            case_name=case.name,
            label_parts=case_label_parts(case.name, self.project.config.label),
            total=self.total,
            volumes=volumes,
            answer=answer,
            edits=edits,
            edit_problems=edit_problems,
        )

    def set_visible(self, visible: bool) -> None:
        with self._lock:
            self.timer.set_visible(visible)

    def prefetch(self, positions: Sequence[int] | range) -> None:
        ids = [self.order[p] for p in positions if 0 <= p < len(self.order)]
        if not self._closed:
            self._cache.prefetch(ids)

    def _prefetch_after(self, decoding: list[GrowingVolume], positions: range) -> None:
        for growing in decoding:
            # A failed volume does not make the next cases less worth loading.
            with contextlib.suppress(NaesviewError):
                growing.wait_all(DECODE_TIMEOUT)
        # RuntimeError: the session closed meanwhile and its worker takes no more jobs.
        with contextlib.suppress(RuntimeError):
            self.prefetch(positions)

    def submit(
        self,
        position: int,
        answer: str,
        comment: str | None,
        edited_masks: Mapping[str, np.ndarray] | None = None,
    ) -> int | None:
        """Save the answer in the outbox (committed on return); the next position or None."""
        config = self.project.config
        case_id = self.case_id_at(position)
        values = [option.value for option in config.answers]
        if answer not in values:
            raise ConfigError(
                f"`{answer}` is not an answer of this project; choose one of {', '.join(values)}"
            )
        text = (comment or "").strip()
        if config.comment == "required" and not text:
            raise ConfigError(
                f"case {position + 1}: this project needs a comment with each answer; "
                "write one, then submit"
            )
        masks = self._edited(case_id, edited_masks or {})
        with self._lock:
            return self._save(position, case_id, answer, text, masks)

    def _save(
        self, position: int, case_id: int, answer: str, text: str, masks: tuple[EditedMask, ...]
    ) -> int | None:
        config = self.project.config
        elapsed = self.timer.take(case_id) if config.timing else None
        review = Review(
            uuid=uuid.uuid4(),
            project_id=self.project.project_id,
            config_version=self.project.config_version,
            case_id=case_id,
            answer=answer,
            comment=text if config.comment != "off" and text else None,
            elapsed_ms=elapsed,
            created=self._now(),
            masks=masks,
        )
        self._outbox.add(self._account, review)
        self.answers[case_id] = Answer(review.answer, review.comment, synced=False)
        if elapsed is not None:
            self.estimator.record(elapsed / 1000)
        self._on_saved()
        return position + 1 if position + 1 < self.total else None

    def progress(self) -> ProgressInfo:
        with self._lock:
            done = sum(1 for case_id in self.order if case_id in self.answers)
            return self.estimator.progress(done, self.total)

    def close(self) -> None:
        self._closed = True
        self._cache.close()

    def _edited(self, case_id: int, edited: Mapping[str, np.ndarray]) -> tuple[EditedMask, ...]:
        brush = self.project.config.brush
        out: list[EditedMask] = []
        for name, mask in edited.items():
            if brush is None or name != brush.volume:
                raise ConfigError(f"volume `{name}` may not be edited in this project")
            original = self._cache.get(case_id).layers.get(name)
            if original is None:
                raise ConfigError(f"case {case_id}: mask `{name}` was not loaded, cannot edit it")
            metrics = mask_metrics(original.complete().array, mask)
            out.append(pack_mask(mask).to_wire(name, metrics))
        return tuple(out)

    def _shown_edits(
        self, case_id: int, case_name: str, volumes: CaseVolumes
    ) -> tuple[dict[str, SavedEdit], list[str]]:
        """The brush mask as this reviewer last saved it for the case (from the outbox, synced
        or not), so going back to it, even after a restart, shows and re-sends their edit."""
        brush = self.project.config.brush
        layer = volumes.layers.get(brush.volume) if brush is not None else None
        if brush is None or layer is None:
            return {}, []
        review = self._outbox.latest_review(self._account, self.project.project_id, case_id)
        edited = (
            next((m for m in review.masks if m.volume == brush.volume), None) if review else None
        )
        if review is None or edited is None:
            return {}, []  # not answered, or answered with the project's mask
        with self._lock:
            known = self._saved_edits.get(case_id)
            if known is not None and all(e.review == review.uuid for e in known.values()):
                self._saved_edits.move_to_end(case_id)
                return known, []
        where = f"case {case_id} ({case_name})"
        try:
            mask = unpack_mask(PackedMask.from_wire(edited))
        except MaskError as exc:
            return {}, [
                f"{where}: your saved edit of `{brush.volume}` cannot be read ({exc}); "
                "the project's mask is shown, edit it again before you answer"
            ]
        if mask.shape != layer.volume.shape:
            return {}, [
                f"{where}: your saved edit of `{brush.volume}` has shape {list(mask.shape)}, this "
                f"dataset's mask {list(layer.volume.shape)}; the project's mask is shown"
            ]
        edits = {brush.volume: SavedEdit(shown_mask(mask, layer.volume), review.uuid)}
        with self._lock:
            self._saved_edits[case_id] = edits
            while len(self._saved_edits) > SAVED_EDITS_KEPT:
                self._saved_edits.popitem(last=False)
        return edits, []

    def _load_volumes(self, case_id: int, background: bool) -> CaseVolumes:
        """Read the case's configured volumes. For the case the reviewer waits for (not a
        prefetch), large .nii.gz volumes are decoded progressively and served as they grow."""
        case = self.dataset.case(case_id)
        where = f"case {case_id} ({case.name})"
        raw: dict[str, Volume] = {}
        growing: dict[str, GrowingVolume] = {}
        problems: list[str] = []
        for name in config_volumes(self.project.config):
            if case.volume(name) is None:
                problems.append(f"{where}: volume `{name}` is missing from the dataset")
                continue
            try:
                started = None
                if not background:
                    started = start_progressive_volume(
                        self.dataset, case_id, name, on_failure=lambda _: self._forget(case_id)
                    )
                if started is not None:
                    raw[name], growing[name] = started
                else:
                    raw[name] = self.dataset.read_volume(case_id, name)
            except NaesviewError as exc:
                problems.append(str(exc))
        layers: dict[str, LoadedLayer] = {}
        for name, volume in raw.items():
            is_mask = name in self._masks
            reference = raw.get(self._reference.get(name, name))
            grow = growing.get(name)
            if (
                reference is not None
                and reference is not volume
                and not same_grid(volume, reference)
            ):
                try:  # resampling needs every voxel of both
                    for g in (grow, growing.get(self._reference.get(name, name))):
                        if g is not None:
                            g.wait_all(DECODE_TIMEOUT)
                except NaesviewError as exc:
                    problems.append(f"{where}: volume `{name}`: {exc}")
                    continue
                volume, grow = resample_to(volume, reference, is_mask=is_mask), None
            layers[name] = LoadedLayer(
                name, volume, is_mask, self._window(volume, grow, is_mask), grow
            )
        return CaseVolumes(layers, problems)

    def _window(
        self, volume: Volume, growing: GrowingVolume | None, is_mask: bool
    ) -> tuple[float, float]:
        if growing is None or is_mask or volume.window is not None:
            return initial_window(volume, is_mask=is_mask)
        try:
            growing.wait_fraction(WINDOW_SAMPLE_FRACTION, DECODE_TIMEOUT)
        except NaesviewError:
            return (0.0, 1.0)  # the decoder failed: the voxel requests will say so
        return initial_window(volume, is_mask=False, slices=growing.ready_slices())

    def _forget(self, case_id: int) -> None:
        """A progressive decode failed: the next load of this case reads it again (and reports)."""
        self._cache.discard(case_id)


def shown_mask(edit: np.ndarray, layer: Volume) -> np.ndarray:
    """A 0/1 edit as the mask layer's stored values (inside 1, outside 0 once `slope` and
    `intercept` apply), in the layer's dtype: what the UI's brush writes back as well."""
    slope = layer.slope or 1.0
    inside, outside = (1.0 - layer.intercept) / slope, -layer.intercept / slope
    shown = np.full(edit.shape, outside, dtype=layer.array.dtype)
    shown[edit != 0] = np.asarray(inside).astype(layer.array.dtype)
    return shown


def _reference_volumes(config: ProjectConfig) -> dict[str, str]:
    """For each upper layer, the bottom layer of the first viewport it appears in (its grid)."""
    reference: dict[str, str] = {}
    for viewport in config.viewports.viewports:
        base = viewport.layers[0].volume
        for layer in viewport.layers[1:]:
            reference.setdefault(layer.volume, base)
    return reference
