"""A deterministic DICOM dataset for the benchmarks: one axial CT series in a zip.

`case1/ct/0000.dcm ...`: uncompressed, explicit VR little endian, int16, the CT phantom of
`naesview_app.datasets.synthetic`. UIDs derive from fixed strings, so the bytes are the same on
every run (the zip members are deflated like a dataset zip made with common tools).
"""

from __future__ import annotations

from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

from naesview_app.datasets.synthetic import ct_phantom, write_zip

SPACING = (1.25, 0.7, 0.7)  # z, y, x in mm


def write_dicom_dataset(path: Path, *, shape: tuple[int, int, int] = (300, 512, 512)) -> Path:
    return write_zip(path, _series(shape))


def _series(shape: tuple[int, int, int]) -> Iterator[tuple[str, bytes]]:
    image, _ = ct_phantom(shape, seed=1)
    nz, ny, nx = shape
    series_uid = generate_uid(entropy_srcs=["naesview-bench", "series"])
    for k in range(nz):
        ds = Dataset()
        ds.file_meta = FileMetaDataset()
        ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid(
            entropy_srcs=["naesview-bench", str(k)]
        )
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
        ds.SOPClassUID = CTImageStorage
        ds.Modality = "CT"
        ds.SeriesInstanceUID = series_uid
        ds.InstanceNumber = k + 1
        ds.Rows, ds.Columns = ny, nx
        ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
        ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
        ds.ImagePositionPatient = ["0", "0", f"{SPACING[0] * k:g}"]
        ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
        ds.PixelSpacing = [f"{SPACING[1]:g}", f"{SPACING[2]:g}"]
        ds.SliceThickness = f"{SPACING[0]:g}"
        ds.RescaleSlope, ds.RescaleIntercept = "1", "0"
        ds.PixelData = image[k].tobytes()
        buffer = BytesIO()
        ds.save_as(buffer, enforce_file_format=True)
        yield f"case1/ct/{k:04d}.dcm", buffer.getvalue()
