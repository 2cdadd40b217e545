"""Registers the DICOM series reader (`readers/dicom.py`, written separately) in the registry.

The adapter keeps the registry importable when that module is missing or broken: a DICOM folder
then fails with a clear ReaderError instead of the whole dataset failing to open.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import ModuleType
from typing import Literal

from naesview_app.errors import ReaderError
from naesview_app.imaging.volume import Volume


def _dicom_module() -> ModuleType:
    try:
        from naesview_app.datasets.readers import dicom
    except ImportError as exc:
        raise ReaderError(
            f"DICOM reading is not available in this installation ({exc}); reinstall naesview[app]"
        ) from exc
    return dicom


class DicomReader:
    kind = "dicom"
    layout: Literal["file", "folder"] = "folder"
    formats = "DICOM series: a folder of files with 'DICM' at byte 128 (any file name)"

    def claims_name(self, name: str) -> bool:
        return name.lower().endswith(".dcm")

    def claims_head(self, head: bytes) -> bool:
        try:
            return bool(_dicom_module().is_dicom(head))
        except (ReaderError, AttributeError):
            return len(head) >= 132 and head[128:132] == b"DICM"

    def read(
        self, files: Sequence[tuple[str, bytes | bytearray | memoryview]], *, name: str
    ) -> Volume:
        module = _dicom_module()
        read_series = getattr(module, "read_dicom_series", None)
        if read_series is None:
            raise ReaderError("DICOM reading is not available in this build yet")
        # The DICOM reader's contract is `bytes` (hashable, immutable); members arrive as
        # bytearray, and DICOM files are small, so the copy is cheap.
        return read_series([(path, bytes(data)) for path, data in files], name=name)
