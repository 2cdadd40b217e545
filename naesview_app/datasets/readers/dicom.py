"""DICOM series reader: the files of one folder (bytes in memory) -> one canonical `Volume`.

Files are parsed with pydicom from memory (no temporary files), checked to be one series on one
regular grid (`dicom_geometry.py`), sorted along the slice normal, decoded straight into a
pre-allocated array laid out in canonical LPS ``[z, y, x]`` order (one copy per frame, no
float64 volume), and returned with their stored sample type plus RescaleSlope/Intercept.
MONOCHROME1 samples are inverted as SimpleITK does, and the file's window becomes the volume's
(`dicom_display.py`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from io import BytesIO
from pathlib import PurePosixPath

import numpy as np
import pydicom
from pydicom.dataset import Dataset

from naesview_app.datasets.readers.dicom_checks import (
    MAX_VOLUME_VOXELS,
    check_decoders,
    check_images,
    check_one_grid,
    check_one_series,
    check_size,
    single_slice_thickness,
    stored_dtype,
)
from naesview_app.datasets.readers.dicom_decode import decode_into, first_line
from naesview_app.datasets.readers.dicom_display import display_window, inversion_sum
from naesview_app.datasets.readers.dicom_frames import Frame, frames_of
from naesview_app.datasets.readers.dicom_geometry import (
    CanonicalLayout,
    GeometryError,
    canonical_layout,
    stack_geometry,
)
from naesview_app.datasets.readers.dicom_native import Buffer, parse_file
from naesview_app.errors import ReaderError
from naesview_app.imaging.volume import Reorientation, Volume


def is_dicom(head: Buffer) -> bool:
    """A DICOM Part 10 file: 128-byte preamble, then ``DICM``."""
    return len(head) >= 132 and head[128:132] == b"DICM"


def read_dicom_series(files: Sequence[tuple[str, Buffer]], *, name: str) -> Volume:
    """Read one folder's DICOM files, given as (member name, bytes), into a canonical Volume.

    The bytes may be any buffer (bytes, bytearray, memoryview); uncompressed pixels are read
    from it in place while the volume is built, and nothing refers to it afterwards.

    Raises ReaderError (MissingDecoderError when a codec plugin is not installed) with a one-line
    message naming the volume; no other exception escapes for any input bytes.
    """
    return plan_dicom_series(files, name=name).decode()


class DicomSeriesPlan:
    """A series that passed every check, its voxels not decoded yet.

    `volume` is the final Volume (geometry, sample type, scaling) whose array is allocated but
    empty until `decode()` fills it, so a viewer can show slices while the rest decode. The
    plan refers to the file buffers until `decode()` returns: keep them alive until then.
    """

    __slots__ = (
        "_inversion",
        "_labels",
        "_layout",
        "_name",
        "_ordered",
        "_pending",
        "_scale",
        "volume",
    )

    def __init__(
        self,
        volume: Volume,
        layout: CanonicalLayout,
        ordered: list[Frame],
        pending: list[tuple[Dataset, np.ndarray | None] | None],
        labels: list[str],
        *,
        scale: bool,
        inversion: int | None = None,
    ) -> None:
        self.volume = volume
        self._layout, self._ordered, self._pending = layout, ordered, pending
        self._labels, self._name, self._scale = labels, volume.name, scale
        self._inversion = inversion

    def decode(self, on_slice: Callable[[int], None] | None = None) -> Volume:
        """Fill `volume.array` (once) and return the volume; raises ReaderError.

        `on_slice(z)` is called as each canonical z slice is complete: one by one for a stack of
        axial slices, all at the end for sagittal or coronal ones.
        """
        if any(entry is None for entry in self._pending):
            raise ReaderError("this series was decoded already", volume=self._name)
        try:
            decode_into(
                self.volume.array,
                self._layout,
                self._ordered,
                self._pending,
                self._labels,
                self._name,
                scale=self._scale,
                inversion=self._inversion,
                on_slice=on_slice,
            )
        except ReaderError:
            raise
        except Exception as exc:  # pydicom and its plugins raise many types
            raise ReaderError(
                f"malformed DICOM data ({first_line(exc)}); re-export the series",
                volume=self._name,
            ) from None
        return self.volume


def plan_dicom_series(files: Sequence[tuple[str, Buffer]], *, name: str) -> DicomSeriesPlan:
    """Parse and check a folder's DICOM files; `plan.decode()` then fills the voxels.

    Every check that needs no pixel (one series, one grid, even spacing, size limit, decoders
    installed) runs here, so errors come before any voxel is decoded.
    """
    try:
        return _plan(files, name)
    except ReaderError:
        raise
    except Exception as exc:  # pydicom converts header values lazily and raises many types
        message = f"malformed DICOM header ({first_line(exc)}); re-export the series"
        raise ReaderError(message, volume=name) from None


def _plan(files: Sequence[tuple[str, Buffer]], name: str) -> DicomSeriesPlan:
    if not files:
        raise ReaderError("folder holds no DICOM files", volume=name)
    labels = [PurePosixPath(member).name or member for member, _ in files]
    parsed = [_parse(data, label, name) for (_, data), label in zip(files, labels, strict=True)]
    datasets = [ds for ds, _ in parsed]
    in_place = [pixels for _, pixels in parsed]
    del parsed
    check_images(datasets, in_place, labels, name)
    check_one_series(datasets, name)
    check_one_grid(datasets, name)
    check_size(datasets, name)
    check_decoders(datasets, labels, name)
    try:
        frames = [f for i, ds in enumerate(datasets) for f in frames_of(ds, i, labels[i])]
        stack = stack_geometry(
            [f.geometry for f in frames],
            single_slice_thickness=single_slice_thickness(datasets[0]),
        )
    except GeometryError as exc:
        raise ReaderError(str(exc), volume=name) from None
    first = datasets[0]
    stored_shape = (len(frames), int(first.Rows), int(first.Columns))
    layout = canonical_layout(stack, stored_shape)
    ordered = [frames[i] for i in stack.order]
    one_scale = len({(f.slope, f.intercept) for f in ordered}) == 1
    sample_type = stored_dtype(first, name)
    # Different RescaleSlope/Intercept per slice cannot share one (slope, intercept): store the
    # scaled float32 values instead (same numbers as the contract, 2x the memory of int16).
    out = np.empty(layout.shape, dtype=sample_type if one_scale else np.float32)
    pending: list[tuple[Dataset, np.ndarray | None] | None] = list(
        zip(datasets, in_place, strict=True)
    )
    head = ordered[0]  # the first slice: its window stands for the series
    inversion = inversion_sum(first)
    volume = Volume(
        array=out,
        spacing=layout.spacing_zyx,
        origin=layout.origin,
        direction=layout.direction,
        name=name,
        kind="dicom",
        stored_dtype=sample_type,
        slope=ordered[0].slope if one_scale else 1.0,
        intercept=ordered[0].intercept if one_scale else 0.0,
        reorientation=Reorientation(layout.axes, layout.flips, stored_shape),
        window=display_window(
            datasets[head.file_index], head.frame_index, inversion, head.slope, head.intercept
        ),
    )
    return DicomSeriesPlan(
        volume, layout, ordered, pending, labels, scale=not one_scale, inversion=inversion
    )


def decode_files_only(files: Sequence[tuple[str, Buffer]]) -> int:
    """The floor for benchmarks: parse and decode every file with pydicom, nothing else.

    Returns the number of decoded bytes (so the work cannot be optimised away).
    """
    total = 0
    for _, data in files:
        total += pydicom.dcmread(BytesIO(data)).pixel_array.nbytes
    return total


def _parse(data: Buffer, label: str, name: str) -> tuple[Dataset, np.ndarray | None]:
    # pydicom's warnings on vendor quirks are left to logging: catch_warnings is not thread-safe.
    try:
        return parse_file(data)
    except Exception as exc:  # pydicom raises many types for damaged files
        raise ReaderError(
            f"`{label}` is not a readable DICOM file ({first_line(exc)}); re-export or remove it",
            volume=name,
        ) from None


__all__ = [
    "MAX_VOLUME_VOXELS",
    "DicomSeriesPlan",
    "decode_files_only",
    "is_dicom",
    "plan_dicom_series",
    "read_dicom_series",
]
