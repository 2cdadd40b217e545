"""The one volume type of naesView.

A `Volume` holds voxels in the canonical order: LPS, array axes ``[z, y, x]`` -- exactly what
``SimpleITK.GetArrayFromImage(SimpleITK.DICOMOrient(img, "LPS"))`` gives (see DESIGN.md).

The array keeps the **stored** sample type (int16 CT stays int16: memory <= 1.1x raw). Scaling
(NIfTI scl_slope/scl_inter, DICOM RescaleSlope/Intercept) is kept beside it as `slope` and
`intercept` and applied on demand, in float64 then rounded to float32, as the data contract says.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

import numpy as np

Vec3 = tuple[float, float, float]
IDENTITY: tuple[float, ...] = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0)


@dataclass(frozen=True, slots=True)
class Reorientation:
    """How the canonical array was made from the stored one, so edits can be written back.

    ``canonical = np.flip(stored.transpose(axes), flips)`` where ``stored`` is the array in the
    file's own ``[z, y, x]``-like order (NIfTI: ``dataobj`` transposed to ``[k, j, i]``).
    """

    axes: tuple[int, int, int] = (0, 1, 2)
    flips: tuple[int, ...] = ()
    stored_shape: tuple[int, int, int] = (0, 0, 0)


@dataclass(frozen=True, slots=True)
class Volume:
    """Voxels in canonical LPS ``[z, y, x]`` order plus their geometry."""

    array: np.ndarray
    """Canonical ``[z, y, x]`` array in the stored sample type (C-contiguous)."""
    spacing: Vec3
    """Voxel size in mm along ``[z, y, x]``."""
    origin: Vec3 = (0.0, 0.0, 0.0)
    """LPS position in mm ``(x, y, z)`` of voxel ``[0, 0, 0]``."""
    direction: tuple[float, ...] = IDENTITY
    """Row-major 3x3 (SimpleITK ``GetDirection()``): column j is index axis j (x, y, z)."""
    name: str = ""
    kind: str = ""
    """Reader that produced it: ``nifti``, ``dicom``, ``png``, ``jpeg``."""
    stored_dtype: str = ""
    """Sample type in the file before scaling (manifest ``dtype``)."""
    slope: float = 1.0
    intercept: float = 0.0
    reorientation: Reorientation = field(default_factory=Reorientation)
    window: tuple[float, float] | None = None
    """(center, width) the file suggests for display, in scaled units (DICOM Window Center and
    Window Width); None: the viewer picks one from percentiles."""

    @property
    def shape(self) -> tuple[int, int, int]:
        z, y, x = self.array.shape
        return (int(z), int(y), int(x))

    @property
    def is_scaled(self) -> bool:
        return self.slope != 1.0 or self.intercept != 0.0

    @property
    def nbytes(self) -> int:
        return int(self.array.nbytes)

    def scaled_slice(self, z: int) -> np.ndarray:
        """One axial slice as float32 real-world values."""
        return _scale(self.array[z], self.slope, self.intercept)

    def as_float32(self) -> np.ndarray:
        """The canonical float32 array (the manifest's values), computed slab by slab.

        Each slab is widened to float64 only while it is scaled, so the peak is one float32 copy
        plus one slice of float64, never a float64 copy of the whole volume.
        """
        if not self.is_scaled and self.array.dtype == np.float32:
            return np.ascontiguousarray(self.array)
        out = np.empty(self.array.shape, dtype=np.float32)
        for z in range(self.array.shape[0]):
            out[z] = _scale(self.array[z], self.slope, self.intercept)
        return out

    def value_range(self) -> tuple[float, float]:
        """Min and max of the scaled values (as float32, like the manifest)."""
        lo = float(self.array.min())
        hi = float(self.array.max())
        with np.errstate(over="ignore"):
            lo_s, hi_s = (
                float(np.float32(np.float64(v) * self.slope + self.intercept)) for v in (lo, hi)
            )
        return (min(lo_s, hi_s), max(lo_s, hi_s))

    def sha256(self) -> str:
        """sha256 of the canonical float32 little-endian C-order bytes (the manifest's hash)."""
        digest = hashlib.sha256()
        for z in range(self.array.shape[0]):
            digest.update(_scale(self.array[z], self.slope, self.intercept).astype("<f4").tobytes())
        return digest.hexdigest()


def _scale(a: np.ndarray, slope: float, intercept: float) -> np.ndarray:
    if slope == 1.0 and intercept == 0.0:
        return a.astype(np.float32, copy=False)
    with np.errstate(over="ignore"):  # an absurd slope gives inf, as SimpleITK would
        return (a.astype(np.float64) * slope + intercept).astype(np.float32)
