"""Where a NIfTI volume sits: ITK's choice between sform and qform, as LPS directions and origin.

SimpleITK defines the canonical geometry, so this follows ITK's ``NiftiImageIO`` (5.4):
the sform is used when it is close to the qform, when the qform is absent, when it is labelled
scanner-anatomical, or when both agree closely; otherwise the qform. A sheared sform is never
used (ITK supports rotations only). Spacing always comes from pixdim, directions are the
normalised columns, and with neither transform the volume sits at the origin, axes along LPS.
"""

from __future__ import annotations

import nibabel as nib
import numpy as np

from naesview_app.errors import ReaderError

_SCANNER_ANAT = 1


def lps_frame(header: nib.Nifti1Header) -> tuple[np.ndarray, tuple[float, float, float]]:
    """Unit directions of index axes i, j, k (LPS columns) and the LPS origin."""
    s_code, q_code = int(header["sform_code"]), int(header["qform_code"])
    if s_code <= 0 and q_code <= 0:
        return np.eye(3), (0.0, 0.0, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        try:
            affine = _chosen_transform(header, s_code, q_code)
        except ReaderError:
            raise
        except Exception as exc:  # nibabel refuses e.g. negative pixdim in a qform
            raise ReaderError(f"orientation cannot be computed ({exc})") from exc
        lps = np.diag([-1.0, -1.0, 1.0]) @ affine[:3]
        columns = lps[:, :3]
        norms = np.linalg.norm(columns, axis=0)
    if not (np.all(np.isfinite(lps)) and np.all(norms > 0) and np.all(np.isfinite(norms))):
        raise ReaderError("the orientation matrix has a zero or infinite column; cannot place it")
    t = lps[:, 3]
    return columns / norms, (float(t[0]), float(t[1]), float(t[2]))


def _chosen_transform(header: nib.Nifti1Header, s_code: int, q_code: int) -> np.ndarray:
    zooms = [float(z) for z in header["pixdim"][1:4]]
    sform = np.asarray(header.get_sform(), dtype=np.float64) if s_code > 0 else np.zeros((4, 4))
    qform = (
        np.asarray(header.get_qform(), dtype=np.float64)
        if q_code > 0
        else np.diag([*(abs(z) for z in zooms), 1.0])  # what the NIfTI library sets up
    )
    prefer_sform = bool(
        np.allclose(sform[:3, :3], qform[:3, :3], rtol=0, atol=1e-5)
        and np.abs(sform[:3, 3] - qform[:3, 3]).sum() <= 1e-7
    )
    if s_code > 0 and _is_rotation_and_scale(sform):
        if q_code <= 0 or s_code == _SCANNER_ANAT:
            prefer_sform = True
        else:
            prefer_sform = _very_similar(sform, qform)
    if prefer_sform and s_code > 0:
        return sform
    if q_code > 0:
        return qform
    raise ReaderError(
        "the sform has shear and there is no qform: the volume cannot be shown without "
        "resampling; re-save it with a rigid orientation"
    )


def _is_rotation_and_scale(affine: np.ndarray) -> bool:
    """ITK's "decomposable without skew": normalised columns form an orthonormal matrix."""
    m = affine[:3, :3]
    norms = np.linalg.norm(m, axis=0)
    if not np.all(norms > 0) or not np.all(np.isfinite(m)):
        return False
    r = m / norms
    return bool(np.allclose(r @ r.T, np.eye(3), rtol=0, atol=1e-4))


def _very_similar(sform: np.ndarray, qform: np.ndarray) -> bool:
    """Same rotation, scales and offset within 1e-4 (ITK compares SVDs of both)."""
    s, q = sform[:3, :3], qform[:3, :3]
    s_norms, q_norms = np.linalg.norm(s, axis=0), np.linalg.norm(q, axis=0)
    if not (np.all(s_norms > 0) and np.all(q_norms > 0)):
        return False
    return bool(
        np.allclose(s_norms, q_norms, rtol=0, atol=1e-4)
        and np.allclose(s / s_norms, q / q_norms, rtol=0, atol=1e-4)
        and np.allclose(sform[:3, 3], qform[:3, 3], rtol=0, atol=1e-4)
    )
