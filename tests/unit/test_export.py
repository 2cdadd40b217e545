"""Edited masks exported as NIfTI on the source geometry (naesview_app.imaging.export).

The reference is independent of the app's readers: the source mask straight from the zip, its
canonical array from SimpleITK's DICOMOrient (the data contract), and the reorientation found by
running DICOMOrient on a tiny probe image with the source's direction.
"""

from __future__ import annotations

import itertools
import zipfile
from pathlib import Path

import nibabel as nib
import numpy as np
import pytest
import SimpleITK as sitk

from naesview_app.datasets import open_dataset
from naesview_app.imaging.brush import MaskError, paint_stroke
from naesview_app.imaging.export import (
    canonical_to_stored,
    edited_mask_image,
    export_edited_mask,
    export_file_name,
    nifti_from_bytes,
    write_nifti,
)
from naesview_app.imaging.volume import Reorientation

MINI_MASKS = [
    "case1/mask.nii.gz",  # LAS, big-endian header
    "case2/mask.nii.gz",  # oblique qform = sform, header extensions
    "case3/mask.nii.gz",  # RAS, sform only (qform_code 0)
    "case10/mask.nii.gz",  # RAS, big-endian
    "case10/sub/prediction.nii",  # uncompressed, nested folder
]
# Fields the export sets on purpose; every other header field is the source's.
SET_BY_EXPORT = {"vox_offset", "scl_slope", "scl_inter", "cal_min", "cal_max"}


def probe_reorientation(image: sitk.Image) -> Reorientation:
    """The permutation and flips DICOMOrient applies to an image with this direction."""
    stored = np.arange(24, dtype=np.uint8).reshape(4, 3, 2)  # distinct sizes and values
    probe = sitk.GetImageFromArray(stored)
    probe.SetDirection(image.GetDirection())
    canonical = sitk.GetArrayFromImage(sitk.DICOMOrient(probe, "LPS"))
    size = image.GetSize()
    for axes in itertools.permutations(range(3)):
        moved = stored.transpose(axes)
        for flips in itertools.chain.from_iterable(
            itertools.combinations(range(3), k) for k in range(4)
        ):
            if moved.shape == canonical.shape and np.array_equal(np.flip(moved, flips), canonical):
                return Reorientation(axes, flips, (size[2], size[1], size[0]))
    raise AssertionError("DICOMOrient did more than permute and flip")


class Source:
    """One source mask: its file bytes, nibabel and SimpleITK views, and the reference canonical."""

    def __init__(self, data: bytes, tmp: Path, name: str):
        self.data = data
        self.path = tmp / name.replace("/", "_")
        self.path.write_bytes(data)
        self.nib = nib.load(self.path)
        self.sitk = sitk.ReadImage(str(self.path))
        self.canonical = sitk.GetArrayFromImage(sitk.DICOMOrient(self.sitk, "LPS"))
        self.reorientation = probe_reorientation(self.sitk)
        self.spacing = tuple(reversed(sitk.DICOMOrient(self.sitk, "LPS").GetSpacing()))


def export(source: Source, edited: np.ndarray, out: Path) -> Path:
    image = edited_mask_image(edited, nifti_from_bytes(source.data), source.reorientation)
    return write_nifti(image, out)


def assert_same_geometry(exported: Path, source: Source) -> None:
    back = nib.load(exported)
    assert back.shape == source.nib.shape
    assert back.get_data_dtype() == np.uint8
    assert np.array_equal(back.affine, source.nib.affine)
    for form in ("qform", "sform"):
        got, code = getattr(back.header, f"get_{form}")(coded=True)
        want, want_code = getattr(source.nib.header, f"get_{form}")(coded=True)
        assert code == want_code, form
        assert (got is None and want is None) or np.array_equal(got, want), form
    for key in source.nib.header:
        if key in SET_BY_EXPORT:
            continue
        assert np.array_equal(back.header[key], source.nib.header[key]), key
    assert back.header.endianness == source.nib.header.endianness
    image = sitk.ReadImage(str(exported))
    assert image.GetSize() == source.sitk.GetSize()
    assert image.GetOrigin() == source.sitk.GetOrigin()
    assert image.GetSpacing() == source.sitk.GetSpacing()
    assert image.GetDirection() == source.sitk.GetDirection()


@pytest.fixture(scope="module")
def mini(shared_data: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Source]:
    tmp = tmp_path_factory.mktemp("mini")
    with zipfile.ZipFile(shared_data / "mini.zip") as archive:
        return {name: Source(archive.read(name), tmp, name) for name in MINI_MASKS}


@pytest.mark.parametrize("name", MINI_MASKS)
def test_unedited_export_is_the_source_mask_voxel_for_voxel(mini, name, tmp_path):
    source = mini[name]
    assert source.canonical.any()
    out = export(source, source.canonical.copy(), tmp_path / export_file_name(3))
    assert_same_geometry(out, source)
    assert np.array_equal(np.asanyarray(nib.load(out).dataobj), np.asanyarray(source.nib.dataobj))
    assert np.array_equal(
        sitk.GetArrayFromImage(sitk.ReadImage(str(out))), sitk.GetArrayFromImage(source.sitk)
    )


@pytest.mark.parametrize("name", MINI_MASKS)
def test_edited_export_differs_exactly_where_the_brush_painted(mini, name, tmp_path):
    source = mini[name]
    edited = source.canonical.copy()
    nz, ny, nx = edited.shape
    changed = 0
    # A paint stroke and an erase stroke in each orientation, through the middle of the volume.
    for orientation, index, size in [
        ("axial", nz // 2, (nx, ny)),
        ("coronal", ny // 2, (nx, nz)),
        ("sagittal", nx // 3, (ny, nz)),
    ]:
        w, h = size
        for value, (a, b) in [(1, (0.2, 0.4)), (0, (0.5, 0.7))]:
            changed += paint_stroke(
                edited, source.spacing, orientation, index,
                (w * a, h * a), (w * b, h * b), 3 * max(source.spacing), value,
            ).changed  # fmt: skip
    # Strokes of different orientations cross, so count the net change, not the sum of strokes.
    assert changed > 0
    differs = np.count_nonzero(edited != source.canonical)
    assert np.count_nonzero(edited > source.canonical) > 0  # painted
    assert np.count_nonzero(edited < source.canonical) > 0  # erased foreground

    out = export(source, edited, tmp_path / "edited.nii")
    assert_same_geometry(out, source)
    back = np.asanyarray(nib.load(out).dataobj)
    assert np.count_nonzero(back != np.asanyarray(source.nib.dataobj)) == differs
    exported = sitk.ReadImage(str(out))
    assert np.array_equal(sitk.GetArrayFromImage(sitk.DICOMOrient(exported, "LPS")), edited)


def test_every_storage_layout_of_the_tiny_cts_comes_back(shared_data, tmp_path):
    """RAS, LAS, LPS and sagittal PIR (a real axis permutation) layouts, with scaled storage."""
    layouts = set()
    with zipfile.ZipFile(shared_data / "tiny_ct_many.zip") as archive:
        names = sorted(n for n in archive.namelist() if n.endswith("ct.nii.gz"))[:12]
        for name in names:
            ct = nifti_from_bytes(archive.read(name))
            mask = (np.asanyarray(ct.dataobj) > -300).astype(np.uint8)
            source_image = nib.Nifti1Image(mask, ct.affine, ct.header.copy())
            source_image.header.set_data_dtype(np.uint8)
            source_image.header.set_slope_inter(1.0, 0.0)
            source_path = tmp_path / name.replace("/", "_")
            nib.save(source_image, source_path)
            source = Source(source_path.read_bytes(), tmp_path, "src_" + source_path.name)
            layouts.add((source.reorientation.axes, source.reorientation.flips))
            edited = source.canonical.copy()
            edited[0, 0, :5] ^= 1  # corner voxels: wrong flips or axes would move them
            out = export(source, edited, tmp_path / ("out_" + source_path.name))
            assert_same_geometry(out, source)
            back = np.asanyarray(nib.load(out).dataobj)
            assert np.count_nonzero(back != mask) == 5, name
            assert np.array_equal(
                sitk.GetArrayFromImage(sitk.DICOMOrient(sitk.ReadImage(str(out)), "LPS")), edited
            )
    assert len(layouts) >= 3, layouts
    assert any(axes != (0, 1, 2) for axes, _ in layouts), "no permuted layout was exercised"


def test_canonical_to_stored_inverts_every_permutation_and_flip():
    stored = np.arange(2 * 3 * 4).reshape(2, 3, 4)
    for axes in itertools.permutations(range(3)):
        for flips in [(), (0,), (1, 2), (0, 1, 2)]:
            canonical = np.flip(stored.transpose(axes), flips) if flips else stored.transpose(axes)
            r = Reorientation(axes, flips, stored.shape)
            assert np.array_equal(canonical_to_stored(canonical, r), stored), (axes, flips)


def test_a_mask_on_the_wrong_grid_is_refused_with_a_reason(mini):
    source = mini["case1/mask.nii.gz"]
    with pytest.raises(MaskError, match="edited on another volume's grid"):
        edited_mask_image(
            np.zeros((3, 3, 3), np.uint8), nifti_from_bytes(source.data), source.reorientation
        )
    # Without a stored shape the check falls to the source's shape.
    loose = Reorientation(source.reorientation.axes, source.reorientation.flips)
    with pytest.raises(MaskError, match="the source mask is"):
        edited_mask_image(np.zeros((3, 3, 3), np.uint8), nifti_from_bytes(source.data), loose)
    with pytest.raises(MaskError, match="not a permutation"):
        canonical_to_stored(source.canonical, Reorientation((0, 0, 2), (), (0, 0, 0)))


def test_non_nifti_sources_and_bad_targets_give_one_line_errors(mini, tmp_path):
    with pytest.raises(MaskError, match="not a NIfTI file"):
        nifti_from_bytes(b"hello" * 100)
    with pytest.raises(MaskError, match=r"not a readable \.nii\.gz"):
        nifti_from_bytes(b"\x1f\x8b\x08\x00broken")
    source = mini["case10/mask.nii.gz"]
    image = edited_mask_image(source.canonical, nifti_from_bytes(source.data), source.reorientation)
    with pytest.raises(MaskError, match=r"must end in \.nii or \.nii\.gz"):
        write_nifti(image, tmp_path / "mask.png")
    with pytest.raises(MaskError, match="choose another folder"):
        write_nifti(image, tmp_path / "missing" / "mask.nii.gz")


def test_export_file_names():
    assert export_file_name(7) == "7.nii.gz"
    assert export_file_name(7, "case0012_Thorax_v2") == "case0012_Thorax_v2.nii.gz"
    assert export_file_name(7, 'a:b/c\\d?"') == "a_b_c_d__.nii.gz"
    assert export_file_name(0, "case1", suffix=".nii") == "case1.nii"
    with pytest.raises(MaskError, match="cannot be a file name"):
        export_file_name(2, "..")


def test_export_from_the_dataset_reader_matches_the_file_in_the_zip(mini, shared_data, tmp_path):
    """The app's own path: the reader's canonical volume and reorientation, then the export."""
    exported = 0
    with open_dataset(shared_data / "mini.zip") as dataset:
        for case in dataset.cases:
            for ref in case.volumes:
                member = f"{case.name}/{ref.name}"
                if member not in mini:
                    continue
                source = mini[member]
                volume = dataset.read_volume(case.id, ref.name)
                assert np.array_equal(volume.array, source.canonical), member
                edited = volume.array.copy()
                edited[tuple(n // 2 for n in edited.shape)] ^= 1
                folder = tmp_path / str(case.id)
                folder.mkdir(exist_ok=True)
                out = export_edited_mask(
                    dataset, case.id, ref.name, edited, folder, by_case_name=True
                )
                assert out == folder / f"{case.name}.nii.gz"
                assert_same_geometry(out, source)
                back = np.asanyarray(nib.load(out).dataobj)
                assert np.count_nonzero(back != np.asanyarray(source.nib.dataobj)) == 1
                exported += 1
        assert exported == len(MINI_MASKS)
        out = export_edited_mask(
            dataset, 0, "mask.nii.gz", dataset.read_volume(0, "mask.nii.gz").array, tmp_path
        )
        assert out.name == "0.nii.gz"
        with pytest.raises(MaskError, match=r"case 0, volume `mask.nii.gz`: the edited mask is"):
            export_edited_mask(dataset, 0, "mask.nii.gz", np.zeros((2, 2, 2), np.uint8), tmp_path)


def test_only_nifti_masks_can_be_exported(shared_data, tmp_path):
    with open_dataset(shared_data / "png_jpeg.zip") as dataset:
        volume = dataset.read_volume(0, "png")
        with pytest.raises(MaskError, match="case 0, volume `png`: only masks stored as NIfTI"):
            export_edited_mask(dataset, 0, "png", volume.array, tmp_path)
