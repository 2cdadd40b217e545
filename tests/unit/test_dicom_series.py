"""The DICOM reader on series generated here with pydicom, in memory.

Geometry is checked against SimpleITK itself (ImageSeriesReader + DICOMOrient on the same
files written to a temporary folder), which is how the data contract defines canonical voxels.
"""

from __future__ import annotations

import random
from io import BytesIO

import numpy as np
import pydicom
import pytest
import SimpleITK as sitk
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import (
    EnhancedMRImageStorage,
    ExplicitVRLittleEndian,
    MRImageStorage,
    generate_uid,
)

from naesview_app.datasets.readers.dicom import plan_dicom_series, read_dicom_series
from naesview_app.errors import ReaderError

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)
SAGITTAL = (0.0, 1.0, 0.0, 0.0, 0.0, -1.0)
CORONAL = (1.0, 0.0, 0.0, 0.0, 0.0, -1.0)


def _ds(value: float) -> str:
    """A decimal string (DS) of at most 16 characters."""
    return f"{value:.10g}"[:16]


def image_dataset(
    pixels: np.ndarray,
    *,
    series: str = "1.2.826.0.1.3680043.10.1.1",
    instance: int = 1,
    sop_class: str = MRImageStorage,
) -> Dataset:
    """A minimal valid image: file meta, ids, Image Pixel module. Geometry is up to the caller."""
    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    # Deterministic UIDs: the same test writes the same bytes on every run.
    uid = generate_uid(
        entropy_srcs=[series, str(instance), str(pixels.shape), pixels.tobytes().hex()]
    )
    ds.file_meta.MediaStorageSOPClassUID = sop_class
    ds.file_meta.MediaStorageSOPInstanceUID = uid
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.SOPClassUID = sop_class
    ds.SOPInstanceUID = uid
    ds.StudyInstanceUID = "1.2.826.0.1.3680043.10.1"
    ds.SeriesInstanceUID = series
    ds.Modality = "MR"
    ds.InstanceNumber = instance
    ds.Rows, ds.Columns = pixels.shape[-2:]
    ds.SamplesPerPixel = 1
    ds.PhotometricInterpretation = "MONOCHROME2"
    ds.BitsAllocated = pixels.dtype.itemsize * 8
    ds.BitsStored = pixels.dtype.itemsize * 8
    ds.HighBit = pixels.dtype.itemsize * 8 - 1
    ds.PixelRepresentation = 1 if pixels.dtype.kind == "i" else 0
    ds.PixelData = np.ascontiguousarray(pixels, pixels.dtype.newbyteorder("<")).tobytes()
    return ds


def slice_dataset(
    pixels: np.ndarray,
    position,
    orientation=AXIAL,
    spacing=(0.8, 0.7),
    *,
    slope: str | None = None,
    intercept: str | None = None,
    **ids,
) -> Dataset:
    ds = image_dataset(pixels, **ids)
    ds.ImagePositionPatient = [_ds(v) for v in position]
    ds.ImageOrientationPatient = [_ds(v) for v in orientation]
    ds.PixelSpacing = [_ds(v) for v in spacing]
    if slope is not None:
        ds.RescaleSlope = slope
        ds.RescaleIntercept = intercept or "0"
    return ds


def to_bytes(ds: Dataset) -> bytes:
    buffer = BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def make_series(
    n: int = 6,
    shape: tuple[int, int] = (5, 4),
    *,
    orientation=AXIAL,
    origin=(-10.0, 20.0, 30.0),
    step: float = 2.5,
    spacing=(0.8, 0.7),
    dtype=np.int16,
    seed: int = 1,
    **kw,
) -> tuple[list[tuple[str, bytes]], list[np.ndarray]]:
    """n slices stepping along the normal; returns shuffled (name, bytes) and the planes in order.

    File names and InstanceNumbers are both shuffled, so only positions give the order.
    """
    rng = np.random.default_rng(seed)
    normal = np.cross(orientation[:3], orientation[3:])
    planes = [rng.integers(-500, 1500, size=shape).astype(dtype) for _ in range(n)]
    numbers = list(range(1, n + 1))
    random.Random(seed).shuffle(numbers)
    files = [
        (
            f"series/IM{numbers[k]:04d}",
            to_bytes(
                slice_dataset(
                    planes[k],
                    np.asarray(origin) + k * step * normal,
                    orientation,
                    spacing,
                    instance=numbers[(k * 7 + 3) % n],
                    **kw,
                )
            ),
        )
        for k in range(n)
    ]
    random.Random(seed + 1).shuffle(files)
    return files, planes


def simpleitk_reference(files: list[tuple[str, bytes]], folder) -> sitk.Image:
    """What the data contract calls canonical: GDCM order, ImageSeriesReader, DICOMOrient LPS."""
    for name, data in files:
        (folder / name.replace("/", "_")).write_bytes(data)
    reader = sitk.ImageSeriesReader()
    reader.SetFileNames(sitk.ImageSeriesReader.GetGDCMSeriesFileNames(str(folder)))
    return sitk.DICOMOrient(reader.Execute(), "LPS")


def test_shuffled_names_and_instance_numbers_still_sort_by_position() -> None:
    files, planes = make_series(n=7)
    vol = read_dicom_series(files, name="T1")
    # Axial, ascending z: canonical z is the position order.
    assert np.array_equal(vol.array, np.stack(planes))
    assert vol.array.dtype == np.int16
    assert vol.spacing == pytest.approx((2.5, 0.8, 0.7))
    assert vol.origin == pytest.approx((-10.0, 20.0, 30.0))


@pytest.mark.parametrize(
    ("orientation", "step"),
    [
        (AXIAL, 2.5),
        (AXIAL, -3.0),  # slices listed head to feet
        (SAGITTAL, 4.0),
        (CORONAL, 1.5),
        ((-1.0, 0.0, 0.0, 0.0, -1.0, 0.0), 2.0),  # rows run right to left, columns anterior
        ((0.8660254, 0.5, 0.0, -0.4924039, 0.8528685, 0.1736482), 3.0),  # oblique
        ((0.7071068, 0.7071068, 0.0, -0.7071068, 0.7071068, 0.0), 2.0),  # 45 degrees in-plane
    ],
    ids=["axial", "axial-reversed", "sagittal", "coronal", "flipped", "oblique", "45deg"],
)
def test_geometry_matches_simpleitk(orientation, step, tmp_path) -> None:
    files, planes = make_series(n=5, shape=(6, 3), orientation=orientation, step=step)
    vol = read_dicom_series(files, name="s")
    ref = simpleitk_reference(files, tmp_path)
    assert np.array_equal(vol.array, sitk.GetArrayFromImage(ref))
    assert vol.spacing == pytest.approx(ref.GetSpacing()[::-1], rel=1e-6)
    assert vol.origin == pytest.approx(ref.GetOrigin(), abs=1e-4)
    assert vol.direction == pytest.approx(ref.GetDirection(), abs=1e-6)
    # The recorded reorientation maps the canonical array back to the stored slices.
    r = vol.reorientation
    stored = np.flip(vol.array, r.flips).transpose(np.argsort(r.axes))
    assert stored.shape == r.stored_shape == (5, 6, 3)
    assert np.array_equal(stored, np.stack(planes if step > 0 else planes[::-1]))


def test_single_rescale_is_kept_beside_the_stored_integers() -> None:
    files, planes = make_series(n=3, slope="0.0123", intercept="-5.5")
    vol = read_dicom_series(files, name="ADC")
    assert vol.array.dtype == np.int16
    assert (vol.slope, vol.intercept) == (0.0123, -5.5)
    expected = (np.stack(planes).astype(np.float64) * float("0.0123") + float("-5.5")).astype(
        np.float32
    )
    assert np.array_equal(vol.as_float32(), expected)


def test_rescale_that_differs_per_slice_is_applied_per_slice() -> None:
    rng = np.random.default_rng(3)
    planes = [rng.integers(0, 4000, size=(4, 4)).astype(np.uint16) for _ in range(3)]
    scales = [("0.5", "10"), ("1.29035", "0"), ("3.7", "-1024")]
    files = [
        (
            f"f{k}",
            to_bytes(
                slice_dataset(
                    planes[k], (0.0, 0.0, 2.0 * k), slope=scales[k][0], intercept=scales[k][1]
                )
            ),
        )
        for k in range(3)
    ]
    vol = read_dicom_series(files, name="PET")
    assert vol.array.dtype == np.float32
    assert (vol.slope, vol.intercept) == (1.0, 0.0)
    assert vol.stored_dtype == "uint16"
    for k, (slope, intercept) in enumerate(scales):
        want = (planes[k].astype(np.float64) * float(slope) + float(intercept)).astype(np.float32)
        assert np.array_equal(vol.as_float32()[k], want)


def _enhanced(planes, positions, orientation=AXIAL, spacing=(0.8, 0.7), scales=None) -> Dataset:
    ds = image_dataset(np.stack(planes), sop_class=EnhancedMRImageStorage)
    ds.NumberOfFrames = len(planes)
    shared = Dataset()
    plane_orientation = Dataset()
    plane_orientation.ImageOrientationPatient = [_ds(v) for v in orientation]
    shared.PlaneOrientationSequence = Sequence([plane_orientation])
    measures = Dataset()
    measures.PixelSpacing = [_ds(v) for v in spacing]
    measures.SliceThickness = "2"
    shared.PixelMeasuresSequence = Sequence([measures])
    ds.SharedFunctionalGroupsSequence = Sequence([shared])
    groups = []
    for j, position in enumerate(positions):
        group = Dataset()
        plane_position = Dataset()
        plane_position.ImagePositionPatient = [_ds(v) for v in position]
        group.PlanePositionSequence = Sequence([plane_position])
        if scales:
            transform = Dataset()
            transform.RescaleSlope, transform.RescaleIntercept = scales[j]
            group.PixelValueTransformationSequence = Sequence([transform])
        groups.append(group)
    ds.PerFrameFunctionalGroupsSequence = Sequence(groups)
    return ds


def test_enhanced_multiframe_uses_per_frame_positions() -> None:
    rng = np.random.default_rng(5)
    planes = [rng.integers(0, 900, size=(6, 5)).astype(np.int16) for _ in range(5)]
    z = [8.0, 0.0, 4.0, 2.0, 6.0]  # frames stored out of order
    positions = [(-3.0, 7.0, zz) for zz in z]
    files = [("mf/enhanced.dcm", to_bytes(_enhanced(planes, positions)))]
    vol = read_dicom_series(files, name="mf")
    order = np.argsort(z)
    assert np.array_equal(vol.array, np.stack([planes[i] for i in order]))
    assert vol.spacing == pytest.approx((2.0, 0.8, 0.7))
    assert vol.origin == pytest.approx((-3.0, 7.0, 0.0))

    # The same frames as single-frame files give the same volume.
    singles = [(f"s{j}", to_bytes(slice_dataset(planes[j], positions[j]))) for j in range(5)]
    same = read_dicom_series(singles, name="mf")
    assert np.array_equal(same.array, vol.array)
    assert same.origin == pytest.approx(vol.origin)
    assert same.direction == pytest.approx(vol.direction)


def test_enhanced_multiframe_sagittal_with_per_frame_rescale() -> None:
    rng = np.random.default_rng(6)
    planes = [rng.integers(0, 900, size=(6, 5)).astype(np.int16) for _ in range(3)]
    positions = [(x, -20.0, 40.0) for x in (5.0, 1.0, 3.0)]
    scales = [("2", "1"), ("2", "1"), ("0.5", "0")]
    files = [("mf.dcm", to_bytes(_enhanced(planes, positions, SAGITTAL, scales=scales)))]
    vol = read_dicom_series(files, name="sag")
    assert vol.array.dtype == np.float32  # per-frame scales differ
    assert vol.shape == (6, 5, 3)  # sagittal: z = rows, y = columns, x = frames
    x_order = np.argsort([p[0] for p in positions])
    for x, j in enumerate(x_order):
        slope, intercept = (float(v) for v in scales[j])
        want = (planes[j].astype(np.float64) * slope + intercept).astype(np.float32)
        # rows run superior -> inferior, so canonical z (inferior -> superior) is reversed
        assert np.array_equal(vol.array[::-1, :, x], want)


def test_simple_multiframe_steps_along_the_normal() -> None:
    rng = np.random.default_rng(7)
    frames = rng.integers(0, 255, size=(4, 3, 5)).astype(np.uint8)
    ds = image_dataset(frames)
    ds.NumberOfFrames = 4
    ds.ImagePositionPatient = ["0", "0", "10"]
    ds.ImageOrientationPatient = ["1", "0", "0", "0", "1", "0"]
    ds.PixelSpacing = ["1.5", "1.5"]
    ds.SpacingBetweenSlices = "3"
    vol = read_dicom_series([("cine.dcm", to_bytes(ds))], name="cine")
    assert np.array_equal(vol.array, frames)
    assert vol.stored_dtype == "uint8"
    assert vol.spacing == pytest.approx((3.0, 1.5, 1.5))
    assert vol.origin == pytest.approx((0.0, 0.0, 10.0))


def test_single_file_without_geometry_is_one_slice() -> None:
    pixels = np.arange(12, dtype=np.uint16).reshape(3, 4)
    vol = read_dicom_series([("sc.dcm", to_bytes(image_dataset(pixels)))], name="sc")
    assert vol.shape == (1, 3, 4)
    assert np.array_equal(vol.array[0], pixels)


def test_missing_slice_names_the_gap() -> None:
    files, _ = make_series(n=8, step=2.0)
    positions = {}
    for name, data in files:
        positions[name] = float(pydicom.dcmread(BytesIO(data)).ImagePositionPatient[2])
    by_z = sorted(files, key=lambda f: positions[f[0]])
    del by_z[4]
    with pytest.raises(ReaderError) as caught:
        read_dicom_series(by_z, name="T2")
    message = str(caught.value)
    assert message.startswith("volume `T2`: slices are not evenly spaced")
    before, after = by_z[3][0].rsplit("/", 1)[1], by_z[4][0].rsplit("/", 1)[1]
    assert f"4.000 mm between slice 4 `{before}` and slice 5 `{after}` of 7" in message
    assert "about 1 slice missing" in message


def test_two_series_in_one_folder_are_refused_with_the_count() -> None:
    a, _ = make_series(n=3, series="1.2.3.1")
    b, _ = make_series(n=4, series="1.2.3.2", seed=2)
    with pytest.raises(ReaderError, match=r"folder holds 2 DICOM series .*4 \+ 3 files"):
        read_dicom_series(a + b, name="mixed")


def test_mixed_sizes_are_refused() -> None:
    a, _ = make_series(n=3, shape=(5, 4))
    b, _ = make_series(n=1, shape=(6, 4), origin=(-10.0, 20.0, 37.5))
    with pytest.raises(ReaderError, match=r"different sizes: 4×5 \(3 files\), 4×6 \(1 files\)"):
        read_dicom_series(a + b, name="sizes")


def test_mixed_orientations_are_refused() -> None:
    a, _ = make_series(n=3)
    b, _ = make_series(n=3, orientation=CORONAL, origin=(0.0, 0.0, 80.0), seed=4)
    with pytest.raises(ReaderError, match=r"different orientations: 3 of 6 .*one stack\)"):
        read_dicom_series(a + b, name="orient")


def test_a_localizer_among_the_slices_is_named() -> None:
    axial, _ = make_series(n=8)
    scout, _ = make_series(n=1, orientation=CORONAL, origin=(0.0, 0.0, 80.0), seed=4)
    files = scout + axial  # the odd one first: the majority still decides
    with pytest.raises(ReaderError) as caught:
        read_dicom_series(files, name="CT")
    message = str(caught.value)
    assert "1 of 9 (e.g. `IM0001`) are not oriented like the others" in message
    assert "a localizer or scout image? remove it from the folder" in message


def test_mixed_pixel_spacing_is_refused() -> None:
    a, _ = make_series(n=3)
    b, _ = make_series(n=1, spacing=(0.9, 0.7), origin=(-10.0, 20.0, 37.5))
    with pytest.raises(ReaderError, match="different pixel spacings"):
        read_dicom_series(a + b, name="grid")


def test_repeated_positions_are_refused() -> None:
    a, _ = make_series(n=3)
    b, _ = make_series(n=3, seed=9)  # a second volume at the same positions
    with pytest.raises(ReaderError, match="3 of 6 slices repeat another slice's position"):
        read_dicom_series(a + b, name="dti")


def test_unreadable_and_non_image_files_are_named() -> None:
    files, _ = make_series(n=2)
    with pytest.raises(ReaderError, match=r"`junk` holds no image \(no PixelData"):
        read_dicom_series([*files, ("dir/junk", b"\0" * 128 + b"DICM" + b"\xff" * 7)], name="v")
    cut = files[0][1][:-10]  # pixel data cut short
    with pytest.raises(ReaderError, match="could not decode the pixel data of `cut`"):
        read_dicom_series([files[1], ("cut", cut)], name="v")
    report = image_dataset(np.zeros((2, 2), np.uint8))
    del report.PixelData
    with pytest.raises(ReaderError, match=r"`sr\.dcm` holds no image"):
        read_dicom_series([*files, ("sr.dcm", to_bytes(report))], name="v")


def test_colour_images_are_refused() -> None:
    ds = image_dataset(np.zeros((2, 2), np.uint8))
    ds.SamplesPerPixel = 3
    ds.PhotometricInterpretation = "RGB"
    ds.PlanarConfiguration = 0
    ds.PixelData = bytes(12)
    with pytest.raises(ReaderError, match="colour image"):
        read_dicom_series([("rgb.dcm", to_bytes(ds))], name="photo")


def test_empty_folder_is_an_error() -> None:
    with pytest.raises(ReaderError, match="no DICOM files"):
        read_dicom_series([], name="empty")


def test_tilted_gantry_keeps_the_normal_like_simpleitk(tmp_path) -> None:
    # Each slice shifts 0.5 mm in y per 2 mm in z: spacing spans the slices, direction stays normal.
    files = [
        (f"t{k}", to_bytes(slice_dataset(np.full((4, 5), k, np.int16), (0.0, 0.5 * k, 2.0 * k))))
        for k in range(5)
    ]
    vol = read_dicom_series(files, name="tilt")
    ref = simpleitk_reference(files, tmp_path)
    assert np.array_equal(vol.array, sitk.GetArrayFromImage(ref))
    assert vol.spacing == pytest.approx(ref.GetSpacing()[::-1], rel=1e-9)
    assert vol.spacing[0] == pytest.approx(np.hypot(0.5, 2.0))
    assert vol.direction == pytest.approx(ref.GetDirection(), abs=1e-9)


@pytest.mark.parametrize(
    ("tags", "z_spacing"),
    [({"SliceThickness": "5"}, 1.0), ({"SliceThickness": "5", "SpacingBetweenSlices": "6"}, 6.0)],
)
def test_single_slice_spacing_like_simpleitk(tags, z_spacing, tmp_path) -> None:
    ds = slice_dataset(np.arange(12, dtype=np.int16).reshape(3, 4), (1.0, 2.0, 3.0), SAGITTAL)
    for keyword, value in tags.items():
        setattr(ds, keyword, value)
    files = [("one.dcm", to_bytes(ds))]
    vol = read_dicom_series(files, name="one")
    ref = simpleitk_reference(files, tmp_path)
    assert np.array_equal(vol.array, sitk.GetArrayFromImage(ref))
    assert vol.spacing == pytest.approx(ref.GetSpacing()[::-1])
    assert vol.spacing[2] == z_spacing  # sagittal: the slice axis is canonical x
    assert vol.origin == pytest.approx(ref.GetOrigin())


def test_orientations_that_differ_within_tolerance_take_the_first_slice_like_itk(
    tmp_path,
) -> None:
    files = []
    for k, tilt in enumerate([3e-5, -4e-5, 2e-5, 0.0]):
        c, s = np.cos(tilt), np.sin(tilt)
        orientation = (c, s, 0.0, -s, c, 0.0)
        plane = np.full((4, 5), k, np.int16)
        files.append(
            (f"f{3 - k}", to_bytes(slice_dataset(plane, (0.0, 0.0, 2.0 * k), orientation)))
        )
    files.reverse()  # the lowest slice is not the first file given
    vol = read_dicom_series(files, name="v")
    ref = simpleitk_reference(files, tmp_path)
    assert vol.direction == pytest.approx(ref.GetDirection(), abs=1e-9)
    assert vol.direction[1] == pytest.approx(-3e-5, abs=1e-9)  # the lowest slice's cosines


@pytest.mark.parametrize(
    ("orientation", "one_by_one"),
    [(AXIAL, True), ((1.0, 0.0, 0.0, 0.0, -1.0, 0.0), True), (SAGITTAL, False)],
    ids=["axial", "axial-normal-inferior", "sagittal"],
)
def test_plan_reports_each_slice_when_it_is_complete(orientation, one_by_one) -> None:
    files, _ = make_series(n=6, shape=(5, 4), orientation=orientation)
    expected = read_dicom_series(files, name="v").array
    plan = plan_dicom_series(files, name="v")
    assert plan.volume.shape == expected.shape
    seen: list[int] = []

    def on_slice(z: int) -> None:
        assert np.array_equal(plan.volume.array[z], expected[z])  # complete when announced
        seen.append(z)

    assert plan.decode(on_slice) is plan.volume
    assert sorted(seen) == list(range(expected.shape[0]))
    if one_by_one:  # in decoding order, so the first announced slice came early
        assert seen == sorted(seen) or seen == sorted(seen, reverse=True)
    assert np.array_equal(plan.volume.array, expected)
    with pytest.raises(ReaderError, match="decoded already"):
        plan.decode()


def test_plan_checks_before_decoding_and_decode_reports_damaged_pixels() -> None:
    files, _ = make_series(n=4, step=2.0)
    with pytest.raises(ReaderError, match="not evenly spaced"):
        plan_dicom_series(_drop_middle(files), name="v")
    name, data = files[0]
    plan = plan_dicom_series([(name, data[:-10]), *files[1:]], name="v")  # header fine
    with pytest.raises(ReaderError, match="could not decode the pixel data"):
        plan.decode()


def _drop_middle(files: list[tuple[str, bytes]]) -> list[tuple[str, bytes]]:
    by_z = sorted(
        files, key=lambda f: float(pydicom.dcmread(BytesIO(f[1])).ImagePositionPatient[2])
    )
    return by_z[:1] + by_z[2:]


@pytest.mark.parametrize("spacing", [(0.0, 0.0), (-0.5, 0.7)])
def test_odd_pixel_spacing_values_like_simpleitk(spacing, tmp_path) -> None:
    files = [
        (
            f"f{k}",
            to_bytes(slice_dataset(np.zeros((3, 4), np.int16), (0, 0, 2.0 * k), spacing=spacing)),
        )
        for k in range(3)
    ]
    vol = read_dicom_series(files, name="v")
    ref = simpleitk_reference(files, tmp_path)
    assert vol.spacing == pytest.approx(ref.GetSpacing()[::-1])


@pytest.mark.parametrize("orientation", [SAGITTAL, CORONAL], ids=["sagittal", "coronal"])
def test_large_uncompressed_stacks_fill_tile_by_tile_like_simpleitk(orientation, tmp_path) -> None:
    """Uncompressed non-axial series go through a few rows of every slice at a time: a stack
    large enough for several tiles, the last one partial, still equals SimpleITK's volume."""
    files, _ = make_series(n=60, shape=(700, 64), orientation=orientation, step=2.0)
    vol = read_dicom_series(files, name="s")
    ref = simpleitk_reference(files, tmp_path)
    assert np.array_equal(vol.array, sitk.GetArrayFromImage(ref))
