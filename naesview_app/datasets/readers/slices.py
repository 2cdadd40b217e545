"""PNG and JPEG slice folders (Pillow), exactly as ../shared/data/README.md defines them.

Files in natural order of their names are stacked along z (first file is z = 0); rows are y,
columns are x. Modes L, I;16, I and F are kept; any other mode goes through ``convert("L")``.
Spacing is 1 mm, origin 0, direction the identity. Every slice must have the same size.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from typing import Literal

import numpy as np
from PIL import Image

from naesview_app.datasets.naming import natural_key
from naesview_app.errors import ReaderError
from naesview_app.imaging.volume import Volume

MAX_SLICE_PIXELS = 1 << 28
"""Pillow's decompression-bomb guard, per slice (16384 x 16384)."""
_KEPT_MODES = {"L": "uint8", "I;16": "uint16", "I": "int32", "F": "float32"}


def read_slices(
    files: Sequence[tuple[str, bytes | bytearray | memoryview]], *, name: str, kind: str
) -> Volume:
    if not files:
        raise ReaderError("folder holds no slices")
    ordered = sorted(files, key=lambda f: natural_key(f[0].rpartition("/")[2]))
    planes: list[np.ndarray] = []
    stored: set[str] = set()
    for path, data in ordered:
        file_name = path.rpartition("/")[2]
        plane, dtype = decode_slice(data, file_name)
        if planes and plane.shape != planes[0].shape:
            first = ordered[0][0].rpartition("/")[2]
            raise ReaderError(
                f"slices have different sizes: {first!r} is {planes[0].shape[1]}x"
                f"{planes[0].shape[0]}, {file_name!r} is {plane.shape[1]}x{plane.shape[0]}"
            )
        planes.append(plane)
        stored.add(dtype)
    if len(stored) > 1:
        raise ReaderError(f"slices have different sample types: {', '.join(sorted(stored))}")
    array = np.empty((len(planes), *planes[0].shape), dtype=planes[0].dtype)
    for z, plane in enumerate(planes):
        array[z] = plane
    return Volume(
        array=array,
        spacing=(1.0, 1.0, 1.0),
        name=name,
        kind=kind,
        stored_dtype=stored.pop(),
    )


def decode_slice(data: bytes | bytearray | memoryview, file_name: str) -> tuple[np.ndarray, str]:
    """One slice as a 2-D array, and the manifest dtype of what the file stores."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                if im.width * im.height > MAX_SLICE_PIXELS:
                    raise ReaderError(f"slice {file_name!r} is {im.width}x{im.height}, too large")
                im.load()
                mode = "I;16" if im.mode.startswith("I;16") else im.mode
                if mode in _KEPT_MODES:
                    dtype = _KEPT_MODES[mode]
                    plane = np.asarray(im if im.mode == mode else im.convert("I"))
                    return np.asarray(plane, dtype=dtype), dtype
                return np.asarray(im.convert("L")), "uint8"
    except ReaderError:
        raise
    except (
        OSError,
        SyntaxError,
        ValueError,
        Image.DecompressionBombError,
        Image.DecompressionBombWarning,
    ) as exc:
        raise ReaderError(f"slice {file_name!r} could not be decoded ({exc})") from exc


class _SliceReader:
    kind = ""
    layout: Literal["file", "folder"] = "folder"
    formats = ""
    suffixes: tuple[str, ...] = ()

    def claims_name(self, name: str) -> bool:
        return name.lower().endswith(self.suffixes)

    def claims_head(self, head: bytes) -> bool:
        return False  # slices are recognised by their extension, as the data contract says

    def read(
        self, files: Sequence[tuple[str, bytes | bytearray | memoryview]], *, name: str
    ) -> Volume:
        return read_slices(files, name=name, kind=self.kind)


class PngReader(_SliceReader):
    kind = "png"
    formats = "a folder of PNG slices (.png), stacked along z in natural order"
    suffixes = (".png",)


class JpegReader(_SliceReader):
    kind = "jpeg"
    formats = "a folder of JPEG slices (.jpg, .jpeg), stacked along z in natural order"
    suffixes = (".jpg", ".jpeg")
