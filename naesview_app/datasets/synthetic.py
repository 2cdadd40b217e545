"""Deterministic synthetic datasets (numpy, seeded) for tests, the demo and the benchmarks.

Same arguments, same bytes (for one zlib version): arrays come from `numpy.random.default_rng`,
gzip streams are written like nibabel writes them (zlib level 1, mtime 0), and zip entries carry
a fixed date.

    write_ct_dataset(path, cases=1, shape=(300, 512, 512))   # int16 CT phantom + uint8 mask
    write_tiny_cases(path, cases=15_000)                      # 32^3 int16 CTs, unpadded names
    write_mr_dataset(path)                                    # T1, T1GD, T2, FLAIR on one grid

Arrays are given and returned in canonical ``[z, y, x]`` LPS order; `nifti_bytes` stores them
in the layout asked for (LPS or RAS), so readers have something to reorient.
"""

from __future__ import annotations

import gzip
import os
import zipfile
from collections.abc import Iterable
from pathlib import Path

import nibabel as nib
import numpy as np

_ZIP_DATE = (2024, 1, 1, 0, 0, 0)
GZIP_LEVEL = 1
"""nibabel's default level: what most .nii.gz files in the wild are written with."""
MR_SEQUENCES = ("T1", "T1GD", "T2", "FLAIR")


def ct_phantom(
    shape: tuple[int, int, int], *, seed: int = 0, noise_hu: int = 12
) -> tuple[np.ndarray, np.ndarray]:
    """An int16 HU phantom (air, body, two lungs, a spine, a lesion) and its uint8 lesion mask."""
    nz, ny, nx = shape
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:ny, 0:nx].astype(np.float32)
    cy, cx = (ny - 1) / 2, (nx - 1) / 2
    body = ((yy - cy) / (0.42 * ny)) ** 2 + ((xx - cx) / (0.46 * nx)) ** 2 <= 1
    lungs = np.zeros((ny, nx), dtype=bool)
    for side in (-1, 1):
        lungs |= ((yy - cy * 0.9) / (0.25 * ny)) ** 2 + (
            (xx - cx - side * 0.2 * nx) / (0.13 * nx)
        ) ** 2 <= 1
    spine = ((yy - cy - 0.28 * ny) / (0.06 * ny)) ** 2 + ((xx - cx) / (0.05 * nx)) ** 2 <= 1
    plane = np.full((ny, nx), -1000, dtype=np.int16)
    plane[body] = 40
    plane[body & lungs] = -850
    plane[spine] = 700
    center = rng.uniform([0.3, 0.4, 0.3], [0.7, 0.6, 0.45]) * np.array(shape)
    radius = max(2.0, 0.08 * min(shape))
    image = np.empty(shape, dtype=np.int16)
    mask = np.zeros(shape, dtype=np.uint8)
    for z in range(nz):
        image[z] = plane
        if noise_hu:
            image[z] += rng.integers(-noise_hu, noise_hu + 1, size=(ny, nx), dtype=np.int16)
        r2 = radius**2 - (z - center[0]) ** 2
        if r2 > 0:
            disc = (yy - center[1]) ** 2 + (xx - center[2]) ** 2 <= r2
            image[z][disc] += 60
            mask[z][disc] = 1
    return image, mask


def mr_sequences(shape: tuple[int, int, int], *, seed: int = 0) -> dict[str, np.ndarray]:
    """Four int16 MR-like contrasts of one head phantom (same grid), keyed by sequence name."""
    rng = np.random.default_rng(seed)
    nz, ny, nx = shape
    zz, yy, xx = np.mgrid[0:nz, 0:ny, 0:nx].astype(np.float32)
    r = np.sqrt(
        ((zz - nz / 2) / (0.45 * nz)) ** 2
        + ((yy - ny / 2) / (0.45 * ny)) ** 2
        + ((xx - nx / 2) / (0.4 * nx)) ** 2
    )
    tumour = (
        np.sqrt(
            ((zz - 0.6 * nz) / 4) ** 2 + ((yy - 0.4 * ny) / 6) ** 2 + ((xx - 0.6 * nx) / 6) ** 2
        )
        <= 1
    )
    tissue = {  # (white matter, grey matter, CSF, tumour) intensities per contrast
        "T1": (800, 600, 200, 500),
        "T1GD": (800, 600, 200, 1400),
        "T2": (400, 700, 1500, 1200),
        "FLAIR": (500, 700, 100, 1300),
    }
    out = {}
    for name, (wm, gm, csf, tu) in tissue.items():
        a = np.zeros(shape, dtype=np.float32)
        a[r < 1.0] = gm
        a[r < 0.8] = wm
        a[r < 0.2] = csf
        a[tumour] = tu
        a += rng.normal(0, 15, size=shape).astype(np.float32) * (r < 1.0)
        out[name] = np.clip(a, 0, 32767).astype(np.int16)
    return out


def nifti_bytes(
    array_zyx: np.ndarray,
    spacing_zyx: tuple[float, float, float],
    *,
    layout: str = "LPS",
    gz: bool = True,
    slope: float = 1.0,
    intercept: float = 0.0,
) -> bytes:
    """A NIfTI-1 file of a canonical array, stored in `layout` ("LPS" or "RAS")."""
    sz, sy, sx = spacing_zyx
    _, ny, nx = array_zyx.shape
    data = array_zyx.transpose(2, 1, 0)  # [z, y, x] -> NIfTI [i, j, k] = [x, y, z]
    if layout == "LPS":  # i runs towards Left = -R, j towards Posterior = -A
        affine = np.diag([-sx, -sy, sz, 1.0])
    elif layout == "RAS":
        data = data[::-1, ::-1, :]
        affine = np.diag([sx, sy, sz, 1.0])
        affine[:3, 3] = [-(nx - 1) * sx, -(ny - 1) * sy, 0.0]
    else:
        raise ValueError(f"layout {layout!r}: use LPS or RAS")
    image = nib.Nifti1Image(np.asfortranarray(data), affine)
    image.header.set_qform(affine, code=1)
    image.header.set_sform(affine, code=1)
    if slope != 1.0 or intercept != 0.0:
        image.header.set_slope_inter(slope, intercept)
    raw = image.to_bytes()
    return gzip.compress(raw, GZIP_LEVEL, mtime=0) if gz else raw


def write_zip(path: str | os.PathLike[str], members: Iterable[tuple[str, bytes]]) -> Path:
    """A zip with a fixed date; gzip members are stored, the rest deflated."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=_ZIP_DATE)
            info.compress_type = (
                zipfile.ZIP_STORED if data[:2] == b"\x1f\x8b" else zipfile.ZIP_DEFLATED
            )
            info.external_attr = 0o644 << 16
            zf.writestr(info, data)
    return path


def write_ct_dataset(
    path: str | os.PathLike[str],
    *,
    cases: int = 1,
    shape: tuple[int, int, int] = (300, 512, 512),
    spacing: tuple[float, float, float] = (1.0, 0.7, 0.7),
    layout: str = "LPS",
    seed: int = 0,
) -> Path:
    """`case1/image.nii.gz` (int16 CT) + `case1/mask.nii.gz` (uint8), for `cases` cases."""

    def members() -> Iterable[tuple[str, bytes]]:
        for i in range(1, cases + 1):
            image, mask = ct_phantom(shape, seed=seed + i)
            yield f"case{i}/image.nii.gz", nifti_bytes(image, spacing, layout=layout)
            del image
            yield f"case{i}/mask.nii.gz", nifti_bytes(mask, spacing, layout=layout)

    return write_zip(path, members())


def write_tiny_cases(
    path: str | os.PathLike[str],
    *,
    cases: int = 15_000,
    size: int = 32,
    seed: int = 0,
    variants: int = 64,
) -> Path:
    """`case1/ct.nii.gz` ... `caseN/ct.nii.gz`, each a size^3 int16 CT (unpadded names).

    Only `variants` distinct volumes are made and reused, so 15,000 cases take seconds.
    """
    blobs = [
        nifti_bytes(ct_phantom((size, size, size), seed=seed + v)[0], (1.0, 1.0, 1.0))
        for v in range(min(cases, variants))
    ]
    return write_zip(
        path, ((f"case{i + 1}/ct.nii.gz", blobs[i % len(blobs)]) for i in range(cases))
    )


def write_mr_dataset(
    path: str | os.PathLike[str],
    *,
    cases: int = 1,
    shape: tuple[int, int, int] = (48, 96, 96),
    spacing: tuple[float, float, float] = (3.0, 1.0, 1.0),
    seed: int = 0,
) -> Path:
    """Cases with `T1.nii.gz`, `T1GD.nii.gz`, `T2.nii.gz`, `FLAIR.nii.gz` on one grid."""

    def members() -> Iterable[tuple[str, bytes]]:
        for i in range(1, cases + 1):
            for name, array in mr_sequences(shape, seed=seed + i).items():
                yield f"patient{i}/{name}.nii.gz", nifti_bytes(array, spacing, layout="RAS")

    return write_zip(path, members())
