"""T5: loading a DICOM series against the floor of reading and decoding its files with pydicom.

The reader parses, checks, sorts and reorients; the floor (`decode_files_only`) only runs
`pydicom.dcmread(...).pixel_array` on every file. Bound: 2x (the issue's target).

Uncompressed pixels are copied once, straight into the volume, so an axial series costs about
the floor. A sagittal or coronal one also pays the transpose (every voxel moves to a strided
place): the reader takes a few rows of every slice at a time through a cache-sized tile laid out
like its output block (2 MiB; ~40 ms for 150x512x512 int16, from ~65 ms with 32 slices at a
time). The floor itself copies no pixel at all (an uncompressed `pixel_array` is a view of the
file), so a sagittal series sits at ~1.8x on a quiet machine, a coronal one ~1.2x.
"""

from __future__ import annotations

import zipfile
from collections import defaultdict
from io import BytesIO
from pathlib import Path, PurePosixPath

import numpy as np
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from benchmarks.common import Figure, best_of, figure
from naesview_app.datasets.readers.dicom import decode_files_only, read_dicom_series

SHARED_DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"
BOUND = 2.0


def run() -> list[Figure]:
    figures = []
    multiseq = _zip_series(SHARED_DATA / "dicom_multiseq.zip")
    read = sum(
        best_of(lambda f=files, n=name: read_dicom_series(f, name=n)) for name, files in multiseq
    )
    floor = sum(best_of(lambda f=files: decode_files_only(f)) for _, files in multiseq)
    figures.append(
        figure(
            "T5", "DICOM load / pydicom decode: dicom_multiseq (7 series)", read, floor, BOUND, "s"
        )
    )
    for tag, label, orientation in (
        ("T5-ax", "axial CT 150x512x512 int16", (1, 0, 0, 0, 1, 0)),
        ("T5-sag", "sagittal 150x512x512 int16", (0, 1, 0, 0, 0, -1)),
    ):
        files = _synthetic_series(150, 512, orientation)
        read = best_of(lambda f=files: read_dicom_series(f, name="bench"))
        floor = best_of(lambda f=files: decode_files_only(f))
        figures.append(
            figure(tag, f"DICOM load / pydicom decode: {label}", read, floor, BOUND, "s")
        )
    return figures


def _zip_series(path: Path) -> list[tuple[str, list[tuple[str, bytes]]]]:
    folders: dict[str, list[tuple[str, bytes]]] = defaultdict(list)
    with zipfile.ZipFile(path) as zf:
        for info in zf.infolist():
            if not info.is_dir():
                folders[str(PurePosixPath(info.filename).parent)].append(
                    (info.filename, zf.read(info))
                )
    return sorted(folders.items())


def _synthetic_series(count: int, size: int, orientation) -> list[tuple[str, bytes]]:
    rng = np.random.default_rng(0)
    plane = rng.integers(-1000, 2000, size=(size, size)).astype(np.int16)
    normal = np.cross(orientation[:3], orientation[3:])
    files = []
    for k in range(count):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid()
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = CTImageStorage
        ds.SeriesInstanceUID = "1.2.826.0.1.3680043.10.2"
        ds.Rows = ds.Columns = size
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.ImagePositionPatient = [f"{v:g}" for v in normal * 1.25 * k]
        ds.ImageOrientationPatient = [str(v) for v in orientation]
        ds.PixelSpacing = ["0.7", "0.7"]
        ds.RescaleSlope, ds.RescaleIntercept = "1", "-1024"
        ds.PixelData = (plane + k).tobytes()
        buffer = BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        files.append((f"ct/{k:04d}.dcm", buffer.getvalue()))
    return files
