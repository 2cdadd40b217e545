"""Write an edited mask back as NIfTI on the geometry of the file it came from.

The UI edits masks on the canonical LPS ``[z, y, x]`` grid. An owner wants them back where the
source mask lives: same voxel order, dims, affine (qform and sform with their codes) and header as
the source file. The canonical array is turned back with the volume's `Reorientation` (only axis
permutations and flips, never resampling), so unedited voxels come out exactly as they went in.

    # with a dataset open (the owner's own copy):
    export_edited_mask(dataset, case_id, "mask.nii.gz", edited, out_dir, by_case_name=False)
    # or from the parts:
    image = edited_mask_image(edited, nifti_from_bytes(mask_file_bytes), volume.reorientation)
    write_nifti(image, out_dir / export_file_name(case_id))
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import nibabel as nib
import numpy as np

from naesview_app.imaging.brush import MaskError
from naesview_app.imaging.orientation import undo_reorientation
from naesview_app.imaging.volume import Reorientation

if TYPE_CHECKING:
    from naesview_app.datasets import Dataset

NiftiImage = nib.Nifti1Image | nib.Nifti2Image

_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def canonical_to_stored(canonical: np.ndarray, reorientation: Reorientation) -> np.ndarray:
    """Undo ``canonical = np.flip(stored.transpose(axes), flips)``: the array in the file's own
    ``[k, j, i]`` order, after checking that the shapes fit."""
    axes = reorientation.axes
    if sorted(axes) != [0, 1, 2] or any(f not in (0, 1, 2) for f in reorientation.flips):
        raise MaskError(f"reorientation {reorientation} is not a permutation with flips")
    stored_shape = tuple(reorientation.stored_shape)
    if canonical.ndim != 3:
        raise MaskError(f"edited mask has shape {canonical.shape}; expected 3 axes [z, y, x]")
    if any(stored_shape):
        expected = tuple(stored_shape[a] for a in axes)
        if canonical.shape != expected:
            raise MaskError(
                f"edited mask has shape {list(canonical.shape)}, but the source mask's canonical "
                f"shape is {list(expected)}; was it edited on another volume's grid?"
            )
    return undo_reorientation(canonical, reorientation)


def nifti_from_bytes(data: bytes | bytearray) -> NiftiImage:
    """A NIfTI-1 or NIfTI-2 image from the bytes of a ``.nii`` or ``.nii.gz`` file."""
    raw = bytes(data)
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise MaskError(f"source mask is not a readable .nii.gz ({exc})") from None
    errors = []
    for image_class in (nib.Nifti1Image, nib.Nifti2Image):
        try:
            return image_class.from_bytes(raw)
        except Exception as exc:  # nibabel raises several kinds; one line is enough
            errors.append(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    raise MaskError(f"source mask is not a NIfTI file ({errors[0]})")


def edited_mask_image(
    edited: np.ndarray, source: NiftiImage, reorientation: Reorientation
) -> NiftiImage:
    """The edited canonical mask as an image of the source's class, shape, affine and header.

    Voxels are uint8 (non-zero edited voxels become 1); scaling is reset to none.
    """
    stored = canonical_to_stored(edited, reorientation)
    data = np.ascontiguousarray((stored != 0).astype(np.uint8).transpose(2, 1, 0))  # [i, j, k]
    if data.shape != source.shape[:3] or any(n != 1 for n in source.shape[3:]):
        raise MaskError(
            f"edited mask gives a {list(data.shape)} volume, the source mask is "
            f"{list(source.shape)}; export needs the mask the edit started from"
        )
    data = data.reshape(source.shape)
    header = source.header.copy()
    header.set_data_dtype(np.uint8)
    header.set_slope_inter(1.0, 0.0)
    header["cal_min"], header["cal_max"] = 0, 1
    # nibabel keeps a copied header's qform and sform (codes included) as long as the affine
    # given equals the header's own best affine, which source.affine is.
    return type(source)(data, source.affine, header)


def write_nifti(image: NiftiImage, path: str | os.PathLike[str]) -> Path:
    """Save `image` (``.nii`` or ``.nii.gz`` by the name); the folder must exist."""
    target = Path(path)
    if not target.name.endswith((".nii", ".nii.gz")):
        raise MaskError(f"export file {target.name} must end in .nii or .nii.gz")
    try:
        nib.save(image, target)
    except OSError as exc:
        raise MaskError(
            f"cannot write {target}: {exc.strerror or exc}; choose another folder"
        ) from None
    return target


def export_file_name(case_id: int, case_name: str | None = None, *, suffix: str = ".nii.gz") -> str:
    """``<case id>.nii.gz``, or ``<case folder name>.nii.gz`` when the owner maps names locally.

    Characters that are not allowed in file names on Windows, macOS or Linux become ``_``.
    """
    if case_name is None:
        return f"{case_id}{suffix}"
    safe = _UNSAFE_NAME.sub("_", case_name).strip(" .")
    if not safe:
        raise MaskError(f"case {case_id}: folder name {case_name!r} cannot be a file name")
    return f"{safe}{suffix}"


def export_edited_mask(
    dataset: Dataset,
    case_id: int,
    volume_name: str,
    edited: np.ndarray,
    out_dir: str | os.PathLike[str],
    *,
    by_case_name: bool = False,
) -> Path:
    """Write `edited` (canonical, as unpacked from a review) for one case's mask volume into
    `out_dir`, named by case id or, with `by_case_name`, by the case folder name."""
    case = dataset.case(case_id)
    where = f"case {case.id}, volume `{volume_name}`"
    ref = case.volume(volume_name)
    volume = dataset.read_volume(case_id, volume_name)  # ReaderError names case and volume
    if ref is None or volume.kind != "nifti" or len(ref.members) != 1:
        raise MaskError(
            f"{where}: only masks stored as NIfTI files can be exported, this is "
            f"{volume.kind or 'not a file'}"
        )
    if edited.shape != volume.shape:
        raise MaskError(
            f"{where}: the edited mask is {list(edited.shape)}, the volume is "
            f"{list(volume.shape)}; was the review made on another dataset?"
        )
    data = dataset.volume_bytes(case.id, ref.name)
    try:
        image = edited_mask_image(edited, nifti_from_bytes(data), volume.reorientation)
    except MaskError as exc:
        raise MaskError(f"{where}: {exc.message}") from None
    name = export_file_name(case.id, case.name if by_case_name else None)
    return write_nifti(image, Path(out_dir) / name)
