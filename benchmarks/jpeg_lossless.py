"""Decode time of a JPEG Lossless (SV1) CT series through the app's DICOM reader (decision 0008).

`python -m benchmarks.jpeg_lossless [SLICES]` encodes the synthetic CT phantom (512x512 int16,
100 slices by default) as JPEG Lossless SV1 with SimpleITK's GDCM, then times
`read_dicom_series` on it and prints which pydicom plugin decoded it, one JSON line. Not part of
`make bench`: run it by hand before and after a decoder change.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from io import BytesIO
from pathlib import Path

import numpy as np
import pydicom
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.pixels import get_decoder
from pydicom.uid import CTImageStorage, JPEGLosslessSV1, generate_uid

from naesview_app.datasets.readers.dicom import read_dicom_series
from naesview_app.datasets.synthetic import ct_phantom


def jpeg_lossless_series(slices: int) -> tuple[list[tuple[str, bytes]], np.ndarray]:
    image, _ = ct_phantom((slices, 512, 512), seed=1)
    series_uid = generate_uid(entropy_srcs=["naesview-bench-jpeg-lossless"])
    files = []
    with tempfile.TemporaryDirectory() as folder:
        path = str(Path(folder) / "slice.dcm")
        writer = sitk.ImageFileWriter()
        writer.SetFileName(path)
        writer.SetUseCompression(True)
        writer.SetCompressor("JPEG")  # GDCM writes JPEG Lossless, first-order prediction (SV1)
        for k in range(slices):
            writer.Execute(sitk.GetImageFromArray(image[k][np.newaxis]))
            encoded = pydicom.dcmread(path)
            assert encoded.file_meta.TransferSyntaxUID == JPEGLosslessSV1
            ds = Dataset()
            ds.file_meta = FileMetaDataset()
            ds.file_meta.MediaStorageSOPClassUID = ds.SOPClassUID = CTImageStorage
            ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID = generate_uid(
                entropy_srcs=["naesview-bench-jpeg-lossless", str(k)]
            )
            ds.file_meta.TransferSyntaxUID = JPEGLosslessSV1
            ds.Modality, ds.SeriesInstanceUID, ds.InstanceNumber = "CT", series_uid, k + 1
            ds.Rows, ds.Columns = image.shape[1:]
            ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
            ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
            ds.ImagePositionPatient = ["0", "0", f"{1.25 * k:g}"]
            ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
            ds.PixelSpacing = ["0.7", "0.7"]
            ds.PixelData = encoded.PixelData
            ds["PixelData"].VR = "OB"
            buffer = BytesIO()
            ds.save_as(buffer, enforce_file_format=True)
            files.append((f"ct/{k:04d}.dcm", buffer.getvalue()))
    return files, image


def main() -> None:
    slices = int(sys.argv[1]) if len(sys.argv) > 1 else 100
    files, image = jpeg_lossless_series(slices)
    read_dicom_series(files[:2], name="warm-up")
    times = []
    for _ in range(5):
        start = time.perf_counter()
        volume = read_dicom_series(files, name="ct")
        times.append(time.perf_counter() - start)
    assert np.array_equal(volume.array, image), "not pixel-identical"
    result = {
        "series": f"{slices}x512x512 int16, JPEG Lossless SV1",
        "encoded_mb": round(sum(len(b) for _, b in files) / 1e6, 2),
        "plugins": list(get_decoder(JPEGLosslessSV1).available_plugins),
        "best_s": round(min(times), 3),
        "median_s": round(sorted(times)[len(times) // 2], 3),
        "per_slice_ms": round(1000 * min(times) / slices, 2),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
