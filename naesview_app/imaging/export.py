"""Write an edited mask back as NIfTI on the geometry of the file it came from.

The UI edits masks on the canonical LPS ``[z, y, x]`` grid. An owner wants them back where the
source mask lives: same voxel order, dims, affine (qform and sform with their codes) and header as
the source file. The canonical array is turned back with the volume's `Reorientation` (only axis
permutations and flips, never resampling), so unedited voxels come out exactly as they went in.

    source = nifti_from_bytes(member_bytes)          # the source mask, e.g. from the dataset zip
    image = edited_mask_image(edited, source, volume.reorientation)
    write_nifti(image, out_dir / export_file_name(case.id, case.name if names_mapped else None))
"""

from __future__ import annotations

import gzip
import os
import re
from pathlib import Path

import nibabel as nib
import numpy as np

from naesview_app.imaging.brush import MaskError
from naesview_app.imaging.volume import Reorientation

NiftiImage = nib.Nifti1Image | nib.Nifti2Image

_UNSAFE_NAME = re.compile(r'[<>:"/\\|?*\x00-\x1f]')


def canonical_to_stored(canonical: np.ndarray, reorientation: Reorientation) -> np.ndarray:
    """Undo ``canonical = np.flip(stored.transpose(axes), flips)``: the array in the file's own
    ``[k, j, i]`` order (a view where numpy allows)."""
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
    unflipped = np.flip(canonical, reorientation.flips) if reorientation.flips else canonical
    return unflipped.transpose(np.argsort(axes))


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
