"""DICOM series reader: the files of one folder (bytes in memory) -> one canonical `Volume`.

Files are parsed with pydicom from memory (no temporary files), checked to be one series on one
regular grid (`dicom_geometry.py`), sorted along the slice normal, decoded straight into a
pre-allocated array laid out in canonical LPS ``[z, y, x]`` order (one copy per frame, no
float64 volume), and returned with their stored sample type plus RescaleSlope/Intercept.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from io import BytesIO
from pathlib import PurePosixPath

import numpy as np
import pydicom
from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder
from pydicom.pixels import pixel_array as decode_pixels
from pydicom.uid import UID

from naesview_app.datasets.readers.dicom_frames import Frame, frames_of
from naesview_app.datasets.readers.dicom_geometry import (
    CanonicalLayout,
    GeometryError,
    canonical_layout,
    stack_geometry,
)
from naesview_app.datasets.readers.dicom_native import parse_file
from naesview_app.errors import MissingDecoderError, ReaderError
from naesview_app.imaging.volume import Reorientation, Volume

MAX_VOLUME_VOXELS = 512 * 1024**2  # 2 GiB as float32; checked before anything is allocated

# What to install for each compressed transfer syntax pydicom cannot decode by itself.
_DECODER_PACKAGES = {
    "1.2.840.10008.1.2.4.50": "pylibjpeg pylibjpeg-libjpeg",  # JPEG Baseline (Pillow works too)
    "1.2.840.10008.1.2.4.51": "pylibjpeg pylibjpeg-libjpeg",  # JPEG Extended
    "1.2.840.10008.1.2.4.57": "pylibjpeg pylibjpeg-libjpeg",  # JPEG Lossless
    "1.2.840.10008.1.2.4.70": "pylibjpeg pylibjpeg-libjpeg",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80": "pyjpegls",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81": "pyjpegls",  # JPEG-LS Near-lossless
    "1.2.840.10008.1.2.4.90": "pylibjpeg pylibjpeg-openjpeg",  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91": "pylibjpeg pylibjpeg-openjpeg",  # JPEG 2000
    "1.2.840.10008.1.2.4.201": "pylibjpeg pylibjpeg-openjpeg",  # HTJ2K Lossless
    "1.2.840.10008.1.2.4.202": "pylibjpeg pylibjpeg-openjpeg",  # HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203": "pylibjpeg pylibjpeg-openjpeg",  # HTJ2K
}


def is_dicom(head: bytes) -> bool:
    """A DICOM Part 10 file: 128-byte preamble, then ``DICM``."""
    return len(head) >= 132 and head[128:132] == b"DICM"


def read_dicom_series(files: Sequence[tuple[str, bytes]], *, name: str) -> Volume:
    """Read one folder's DICOM files, given as (member name, bytes), into a canonical Volume.

    Raises ReaderError (MissingDecoderError when a codec plugin is not installed) with a one-line
    message naming the volume; no other exception escapes for any input bytes.
    """
    try:
        return _read_series(files, name)
    except ReaderError:
        raise
    except Exception as exc:  # pydicom converts header values lazily and raises many types
        raise ReaderError(f"malformed DICOM header: {_first_line(exc)}", volume=name) from None


def _read_series(files: Sequence[tuple[str, bytes]], name: str) -> Volume:
    if not files:
        raise ReaderError("folder holds no DICOM files", volume=name)
    labels = [PurePosixPath(member).name or member for member, _ in files]
    parsed = [_parse(data, label, name) for (_, data), label in zip(files, labels, strict=True)]
    datasets = [ds for ds, _ in parsed]
    in_place = [pixels for _, pixels in parsed]
    del parsed
    _check_images(datasets, in_place, labels, name)
    _check_one_series(datasets, name)
    _check_one_grid(datasets, name)
    _check_size(datasets, name)
    try:
        frames = [f for i, ds in enumerate(datasets) for f in frames_of(ds, i, labels[i])]
        spacing = _common_pixel_spacing(frames)
        stack = stack_geometry(
            [f.geometry for f in frames],
            pixel_spacing_xy=(spacing[1], spacing[0]),
            single_slice_thickness=_single_slice_thickness(datasets[0]),
        )
    except GeometryError as exc:
        raise ReaderError(str(exc), volume=name) from None
    first = datasets[0]
    stored_shape = (len(frames), int(first.Rows), int(first.Columns))
    layout = canonical_layout(stack, stored_shape)
    ordered = [frames[i] for i in stack.order]
    one_scale = len({(f.slope, f.intercept) for f in ordered}) == 1
    stored_dtype = _stored_dtype(first, name)
    # Different RescaleSlope/Intercept per slice cannot share one (slope, intercept): store the
    # scaled float32 values instead (same numbers as the contract, 2x the memory of int16).
    out = np.empty(layout.shape, dtype=stored_dtype if one_scale else np.float32)
    pending: list[tuple[Dataset, np.ndarray | None] | None] = list(
        zip(datasets, in_place, strict=True)
    )
    datasets.clear()  # _decode_into drops each parsed file as soon as its frames are written
    in_place.clear()
    _decode_into(out, layout, ordered, pending, labels, name, scale=not one_scale)
    return Volume(
        array=out,
        spacing=layout.spacing_zyx,
        origin=layout.origin,
        direction=layout.direction,
        name=name,
        kind="dicom",
        stored_dtype=stored_dtype,
        slope=ordered[0].slope if one_scale else 1.0,
        intercept=ordered[0].intercept if one_scale else 0.0,
        reorientation=Reorientation(layout.axes, layout.flips, stored_shape),
    )


def decode_files_only(files: Sequence[tuple[str, bytes]]) -> int:
    """The floor for benchmarks: parse and decode every file with pydicom, nothing else.

    Returns the number of decoded bytes (so the work cannot be optimised away).
    """
    total = 0
    for _, data in files:
        total += pydicom.dcmread(BytesIO(data)).pixel_array.nbytes
    return total


def _parse(data: bytes, label: str, name: str) -> tuple[Dataset, np.ndarray | None]:
    # pydicom's warnings on vendor quirks are left to logging: catch_warnings is not thread-safe.
    try:
        return parse_file(data)
    except Exception as exc:  # pydicom raises many types for damaged files
        raise ReaderError(
            f"`{label}` is not a readable DICOM file: {_first_line(exc)}", volume=name
        ) from None


def _check_one_series(datasets: list[Dataset], name: str) -> None:
    series = Counter(str(ds.get("SeriesInstanceUID", "")) for ds in datasets)
    if len(series) > 1:
        sizes = " + ".join(str(n) for n in sorted(series.values(), reverse=True))
        raise ReaderError(
            f"folder holds {len(series)} DICOM series (SeriesInstanceUID; {sizes} files), "
            "expected 1; put each series in its own folder",
            volume=name,
        )


def _check_images(
    datasets: list[Dataset], in_place: list[np.ndarray | None], labels: list[str], name: str
) -> None:
    for ds, pixels, label in zip(datasets, in_place, labels, strict=True):
        has_pixels = pixels is not None or "PixelData" in ds
        if not has_pixels or "Rows" not in ds or "Columns" not in ds:
            raise ReaderError(
                f"`{label}` holds no image (no PixelData: not an image, or cut short); "
                "remove it from the folder",
                volume=name,
            )
        for keyword in ("Rows", "Columns", "BitsAllocated", "NumberOfFrames"):
            value = ds.get(keyword)
            if keyword == "NumberOfFrames" and value in (None, ""):
                continue  # absent or empty: one frame, as pydicom reads it
            if not isinstance(value, int) or value < 1:
                raise ReaderError(
                    f"`{label}` has an impossible {keyword} ({value!r}); the file is damaged",
                    volume=name,
                )
        samples = int(ds.get("SamplesPerPixel") or 1)
        if samples != 1:
            raise ReaderError(
                f"`{label}` is a colour image ({ds.get('PhotometricInterpretation', '?')}, "
                f"{samples} samples per pixel); only grayscale series can be read",
                volume=name,
            )


def _check_one_grid(datasets: list[Dataset], name: str) -> None:
    sizes = Counter((int(ds.Rows), int(ds.Columns)) for ds in datasets)
    if len(sizes) > 1:
        listed = ", ".join(f"{c}×{r} ({n} files)" for (r, c), n in sizes.most_common())
        raise ReaderError(
            f"slices have different sizes: {listed}; one folder must hold one grid", volume=name
        )
    types = Counter(
        (int(ds.BitsAllocated), int(ds.get("PixelRepresentation", 0))) for ds in datasets
    )
    if len(types) > 1:
        raise ReaderError(
            "slices have different sample types (BitsAllocated/PixelRepresentation: "
            f"{', '.join(f'{b}/{p}' for b, p in types)}); one folder must hold one series",
            volume=name,
        )


def _check_size(datasets: list[Dataset], name: str) -> None:
    """Refuse before anything is allocated (or a frame list is built) from declared sizes."""
    frames = sum(int(ds.get("NumberOfFrames") or 1) for ds in datasets)
    voxels = frames * int(datasets[0].Rows) * int(datasets[0].Columns)
    if voxels > MAX_VOLUME_VOXELS:
        raise ReaderError(
            f"{voxels} voxels declared, over the {MAX_VOLUME_VOXELS} voxel limit of one volume",
            volume=name,
        )


def _common_pixel_spacing(frames: list[Frame]) -> tuple[float, float]:
    spacings = {f.pixel_spacing for f in frames}
    if len(spacings) == 1:
        return next(iter(spacings)) or (1.0, 1.0)
    known = [s for s in spacings if s is not None]
    if len(known) == len(spacings) and np.ptp(np.array(known), axis=0).max() <= 1e-4 * max(
        map(max, known)
    ):
        return known[0]
    listed = ", ".join(f"{s[0]:g}×{s[1]:g}" if s else "none" for s in spacings)
    raise GeometryError(
        f"slices have different pixel spacings ({listed} mm); one folder must hold one grid"
    )


def _single_slice_thickness(ds: Dataset) -> float:
    # GDCM (the reference) reads only SpacingBetweenSlices here, not SliceThickness.
    value = ds.get("SpacingBetweenSlices")
    return float(value) if value and float(value) > 0 else 1.0


def _stored_dtype(ds: Dataset, name: str) -> str:
    bits = int(ds.BitsAllocated)
    if bits not in (8, 16, 32):
        raise ReaderError(f"{bits}-bit samples (BitsAllocated) are not supported", volume=name)
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    return np.dtype(f"{'i' if signed else 'u'}{bits // 8}").name


def _decode_into(
    out: np.ndarray,
    layout: CanonicalLayout,
    ordered: list[Frame],
    parsed: list[tuple[Dataset, np.ndarray | None] | None],
    labels: list[str],
    name: str,
    *,
    scale: bool,
) -> None:
    # The stored [slice, row, column] view of `out`: slice k written there lands in canonical order.
    stored = np.flip(out, layout.flips).transpose(np.argsort(layout.axes))
    rows, columns = stored.shape[1:]
    # A slice that is not a canonical z-plane (sagittal, coronal) lands with a stride. Writing
    # 32 slices at once, a few rows at a time through a small tile, keeps those writes in whole
    # cache lines (4x faster) without a second copy of the volume.
    batch = 1 if layout.axes[0] == 0 else 32
    tile_rows = max(1, (256 * 1024) // (batch * columns * out.itemsize))
    tile = np.empty((batch, tile_rows, columns), out.dtype) if batch > 1 else None
    frames_left = Counter(frame.file_index for frame in ordered)
    decoded: dict[int, np.ndarray] = {}

    def plane_of(frame: Frame) -> np.ndarray:
        pixels = decoded.get(frame.file_index)
        if pixels is None:
            entry = parsed[frame.file_index]
            assert entry is not None
            ds, pixels = entry
            if pixels is None:
                pixels = _pixels(ds, labels[frame.file_index], name)
            decoded[frame.file_index] = pixels = pixels.reshape(-1, *pixels.shape[-2:])
        return pixels[frame.frame_index]

    def values(plane: np.ndarray, frame: Frame) -> np.ndarray:
        return plane.astype(np.float64) * frame.slope + frame.intercept if scale else plane

    for start in range(0, len(ordered), batch):
        group = ordered[start : start + batch]
        planes = [plane_of(frame) for frame in group]
        if tile is None:
            stored[start] = values(planes[0], group[0])
        else:
            for top in range(0, rows, tile_rows):
                block = slice(top, top + tile_rows)
                height = min(tile_rows, rows - top)
                for i, (plane, frame) in enumerate(zip(planes, group, strict=True)):
                    tile[i, :height] = values(plane[block], frame)
                stored[start : start + len(group), block] = tile[: len(group), :height]
        for frame in group:
            frames_left[frame.file_index] -= 1
            if not frames_left[frame.file_index]:  # drop the file: peak ~ output + a batch
                decoded.pop(frame.file_index, None)
                parsed[frame.file_index] = None


def _pixels(ds: Dataset, label: str, name: str) -> np.ndarray:
    syntax = UID(ds.file_meta.get("TransferSyntaxUID", "1.2.840.10008.1.2"))
    if syntax.is_compressed:
        try:
            decoder = get_decoder(syntax)
        except NotImplementedError:
            raise ReaderError(
                f"`{label}`: transfer syntax {syntax.name} ({syntax}) is not supported", volume=name
            ) from None
        if not decoder.is_available:
            package = _DECODER_PACKAGES.get(
                str(syntax), "pylibjpeg pylibjpeg-libjpeg pylibjpeg-openjpeg pyjpegls"
            )
            raise MissingDecoderError(
                f"{syntax.name} pixel data, no decoder installed; "
                f"install {package.replace(' ', ' + ')} (pip install {package})",
                volume=name,
            )
    try:
        # view_only: data that is not compressed stays a view on the file's bytes (no copy).
        return decode_pixels(ds, view_only=True)
    except Exception as exc:  # codecs raise many types for damaged data
        raise ReaderError(
            f"could not decode the pixel data of `{label}` ({syntax.name}): {_first_line(exc)}",
            volume=name,
        ) from None


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return (lines[0] if lines else type(exc).__name__)[:200]
