"""The one ordered registry of volume readers.

A reader turns the bytes of one volume into the one `Volume` type, in canonical LPS ``[z, y, x]``.
There are two layouts: a *file* reader owns one member (NIfTI: ``image.nii.gz``), a *folder*
reader owns every file of one folder (DICOM, PNG, JPEG slices). Listing asks the readers in order:
first by file name (`claims_name`), then, for a file name nobody claims, by its first bytes
(`claims_head`, e.g. ``DICM`` at byte 128). Built-in readers register exactly like a new one would:
append an object with these attributes to `READERS`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Literal, Protocol

from naesview_app.imaging.volume import Volume

HEAD_BYTES = 132
"""How many leading bytes listing reads to sniff a file whose name no reader claims."""

Layout = Literal["file", "folder"]


class Reader(Protocol):
    kind: str
    """Volume kind reported to users: ``nifti``, ``dicom``, ``png``, ``jpeg``."""
    layout: Layout
    formats: str
    """One line for docs and errors: what the reader reads."""

    def claims_name(self, name: str) -> bool: ...

    def claims_head(self, head: bytes) -> bool: ...

    def read(
        self, files: Sequence[tuple[str, bytes | bytearray | memoryview]], *, name: str
    ) -> Volume:
        """Decode a volume from ``(path inside the case, bytes)`` pairs; raise ReaderError."""
        ...


def _builtin_readers() -> list[Reader]:
    from naesview_app.datasets.readers.dicom_adapter import DicomReader
    from naesview_app.datasets.readers.nifti import NiftiReader
    from naesview_app.datasets.readers.slices import JpegReader, PngReader

    return [NiftiReader(), DicomReader(), PngReader(), JpegReader()]


READERS: list[Reader] = _builtin_readers()


def reader_for_kind(kind: str) -> Reader:
    for reader in READERS:
        if reader.kind == kind:
            return reader
    raise KeyError(kind)


def file_reader_for(name: str) -> Reader | None:
    """The reader that owns a single file by its name, if any."""
    for reader in READERS:
        if reader.layout == "file" and reader.claims_name(name):
            return reader
    return None


def folder_kind_by_name(name: str) -> str | None:
    for reader in READERS:
        if reader.layout == "folder" and reader.claims_name(name):
            return reader.kind
    return None


def folder_kind_by_head(head: bytes) -> str | None:
    for reader in READERS:
        if reader.layout == "folder" and reader.claims_head(head):
            return reader.kind
    return None


__all__ = [
    "HEAD_BYTES",
    "READERS",
    "Reader",
    "file_reader_for",
    "folder_kind_by_head",
    "folder_kind_by_name",
    "reader_for_kind",
]
