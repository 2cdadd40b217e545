"""Checks that a folder's parsed DICOM files make one volume, each a one-line ReaderError.

They run on headers only, before any pixel is decoded or any memory is allocated.
"""

from __future__ import annotations

from collections import Counter

import numpy as np
from pydicom.dataset import Dataset
from pydicom.pixels import get_decoder
from pydicom.uid import UID

from naesview_app.datasets.readers import dicom_gdcm
from naesview_app.errors import MissingDecoderError, ReaderError

# JPEG Baseline/Extended/Lossless without GPL code: GDCM in SimpleITK (decision 0008).
dicom_gdcm.register()

MAX_VOLUME_VOXELS = 512 * 1024**2  # 2 GiB as float32; checked before anything is allocated

# What to install for each compressed transfer syntax pydicom cannot decode by itself. Never a
# GPL package (pylibjpeg-libjpeg): the bundled app must stay MIT-compatible (decision 0008).
_DECODER_PACKAGES = {
    "1.2.840.10008.1.2.4.50": "SimpleITK",  # JPEG Baseline (8-bit: Pillow too)
    "1.2.840.10008.1.2.4.51": "SimpleITK",  # JPEG Extended (12-bit: GDCM only)
    "1.2.840.10008.1.2.4.57": "SimpleITK",  # JPEG Lossless
    "1.2.840.10008.1.2.4.70": "SimpleITK",  # JPEG Lossless SV1
    "1.2.840.10008.1.2.4.80": "pyjpegls",  # JPEG-LS Lossless
    "1.2.840.10008.1.2.4.81": "pyjpegls",  # JPEG-LS Near-lossless
    "1.2.840.10008.1.2.4.90": "pylibjpeg pylibjpeg-openjpeg",  # JPEG 2000 Lossless
    "1.2.840.10008.1.2.4.91": "pylibjpeg pylibjpeg-openjpeg",  # JPEG 2000
    "1.2.840.10008.1.2.4.201": "pylibjpeg pylibjpeg-openjpeg",  # HTJ2K Lossless
    "1.2.840.10008.1.2.4.202": "pylibjpeg pylibjpeg-openjpeg",  # HTJ2K Lossless RPCL
    "1.2.840.10008.1.2.4.203": "pylibjpeg pylibjpeg-openjpeg",  # HTJ2K
}


def check_one_series(datasets: list[Dataset], name: str) -> None:
    series = Counter(str(ds.get("SeriesInstanceUID", "")) for ds in datasets)
    if len(series) > 1:
        sizes = " + ".join(str(n) for n in sorted(series.values(), reverse=True))
        raise ReaderError(
            f"folder holds {len(series)} DICOM series (SeriesInstanceUID; {sizes} files), "
            "expected 1; put each series in its own folder",
            volume=name,
        )


def check_images(
    datasets: list[Dataset], in_place: list[np.ndarray | None], labels: list[str], name: str
) -> None:
    for ds, pixels, label in zip(datasets, in_place, labels, strict=True):
        has_pixels = pixels is not None or "PixelData" in ds
        if not has_pixels and ("FloatPixelData" in ds or "DoubleFloatPixelData" in ds):
            raise ReaderError(
                f"`{label}` holds floating-point pixel data (a parametric map?), which is not "
                "supported; export it as integers with RescaleSlope/Intercept",
                volume=name,
            )
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


def check_one_grid(datasets: list[Dataset], name: str) -> None:
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


def check_size(datasets: list[Dataset], name: str) -> None:
    """Refuse before anything is allocated (or a frame list is built) from declared sizes."""
    frames = sum(int(ds.get("NumberOfFrames") or 1) for ds in datasets)
    voxels = frames * int(datasets[0].Rows) * int(datasets[0].Columns)
    if voxels > MAX_VOLUME_VOXELS:
        raise ReaderError(
            f"{voxels} voxels declared, over the {MAX_VOLUME_VOXELS} voxel limit of one volume",
            volume=name,
        )


def single_slice_thickness(ds: Dataset) -> float:
    # GDCM (the reference) reads only SpacingBetweenSlices here, not SliceThickness.
    value = ds.get("SpacingBetweenSlices")
    return float(value) if value and float(value) > 0 else 1.0


def stored_dtype(ds: Dataset, name: str) -> str:
    bits = int(ds.BitsAllocated)
    if bits not in (8, 16, 32):
        raise ReaderError(f"{bits}-bit samples (BitsAllocated) are not supported", volume=name)
    signed = int(ds.get("PixelRepresentation", 0)) == 1
    return np.dtype(f"{'i' if signed else 'u'}{bits // 8}").name


def check_decoders(datasets: list[Dataset], labels: list[str], name: str) -> None:
    """Every compressed transfer syntax has an installed pydicom plugin (else: what to install)."""
    for ds, label in zip(datasets, labels, strict=True):
        syntax = UID(ds.file_meta.get("TransferSyntaxUID", "1.2.840.10008.1.2"))
        if not syntax.is_compressed:
            continue
        try:
            decoder = get_decoder(syntax)
        except NotImplementedError:
            raise ReaderError(
                f"`{label}`: transfer syntax {syntax.name} ({syntax}) is not supported", volume=name
            ) from None
        if not decoder.is_available:
            package = _DECODER_PACKAGES.get(
                str(syntax), "pylibjpeg pylibjpeg-openjpeg pyjpegls SimpleITK"
            )
            raise MissingDecoderError(
                f"{syntax.name} pixel data, no decoder installed; "
                f"install {package.replace(' ', ' + ')} (pip install {package})",
                volume=name,
            )
