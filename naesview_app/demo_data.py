"""The demo's datasets and projects (generated, deterministic, nothing downloaded).

- `naesview-demo-ct.zip`: 20 CT-like pelvis phantoms, each `image.nii.gz` (int16 HU) with a lesion
  `mask.nii.gz`, named `P001_pelvis_siteA` … so the case label can be split by `_`.
- `naesview-demo-mr.zip`: 3 MR-like head phantoms, each with the 4 sequences T1, T1GD, T2, FLAIR.

Projects: "Lesion masks" (modelled on the prostate example: axial image with the mask overlay,
"Acceptable" / "Needs refinement", optional comment, timing) and "MR sequences" (2×2 grid).
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from PIL import Image

from naesview_app.datasets.synthetic import (
    ct_phantom,
    mr_sequences,
    nifti_bytes,
    write_zip,
)
from naesview_wire import (
    AnswerOption,
    CaseLabel,
    Layer,
    ProjectConfig,
    ProjectCreate,
    ProjectPrivate,
    ProjectPublic,
    Viewport,
    ViewportGrid,
)

DATA_VERSION = "4"  # bump when the generated data changes, so old demo folders regenerate
CT_CASES = 20
CT_SHAPE = (48, 256, 256)
CT_NOISE_HU = 6  # less noise than the benchmark phantom: a smaller zip, made faster
CT_SPACING = (3.0, 0.8, 0.8)
MR_CASES = 3
MR_SHAPE = (48, 160, 160)
MR_SPACING = (3.0, 1.2, 1.2)
SITES = ("siteA", "siteB")


def ct_case_name(i: int) -> str:
    return f"P{i:03d}_pelvis_{SITES[i % 2]}"


def write_demo_datasets(folder: Path) -> tuple[Path, Path]:
    """Write both demo zips into `folder` (skipped when this version is already there)."""
    folder.mkdir(parents=True, exist_ok=True)
    ct, mr = folder / "naesview-demo-ct.zip", folder / "naesview-demo-mr.zip"
    marker = folder / "demo-data.version"
    if ct.is_file() and mr.is_file() and marker.is_file() and marker.read_text() == DATA_VERSION:
        return ct, mr
    write_zip(ct, _ct_members())
    write_zip(mr, _mr_members())
    marker.write_text(DATA_VERSION)
    return ct, mr


def _ct_members() -> Iterator[tuple[str, bytes]]:
    for i in range(1, CT_CASES + 1):
        image, mask = _lesion_in_the_middle(
            *ct_phantom(CT_SHAPE, seed=100 + i, noise_hu=CT_NOISE_HU)
        )
        name = ct_case_name(i)
        yield f"{name}/image.nii.gz", nifti_bytes(image, CT_SPACING)
        yield f"{name}/mask.nii.gz", nifti_bytes(mask, CT_SPACING)


def _lesion_in_the_middle(image: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Roll the phantom along z so the lesion sits on the middle slice, where the review opens
    (the phantom's slices differ only by the lesion and noise, so nothing else changes)."""
    slices = np.flatnonzero(mask.any(axis=(1, 2)))
    if slices.size == 0:
        return image, mask
    shift = image.shape[0] // 2 - round(float(slices.mean()))
    return np.roll(image, shift, axis=0), np.roll(mask, shift, axis=0)


def _mr_members() -> Iterator[tuple[str, bytes]]:
    for i in range(1, MR_CASES + 1):
        for sequence, array in mr_sequences(MR_SHAPE, seed=200 + i).items():
            yield f"H{i:03d}_brain/{sequence}.nii.gz", nifti_bytes(array, MR_SPACING, layout="RAS")


def thumbnail_png(size: int = 160) -> bytes:
    """A small PNG of a windowed axial CT slice, lesion in red (the project list's picture)."""
    image, mask = ct_phantom(CT_SHAPE, seed=101, noise_hu=CT_NOISE_HU)
    z = int(np.argmax(mask.sum(axis=(1, 2))))
    grey = np.clip((image[z].astype(np.float32) + 160) / 400 * 255, 0, 255).astype(np.uint8)
    rgb = np.stack([grey, grey, grey], axis=-1)
    rgb[mask[z] > 0] = (0.5 * rgb[mask[z] > 0] + [110, 10, 10]).astype(np.uint8)
    picture = Image.fromarray(rgb).resize((size, size), Image.Resampling.BILINEAR)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


LESION_INSTRUCTIONS = """# Lesion masks: acceptable or not?

Each case shows an axial CT slice stack with an automatic lesion segmentation in red.

- Scroll through the slices that contain the lesion (mouse wheel or ↑/↓).
- Press **1** when the mask is **acceptable**: it covers the lesion and nothing else.
- Press **2** when it **needs refinement**: it leaks into normal tissue or misses part of
  the lesion; say where in the comment.
- **Enter** or **→** goes to the next case, **←** back. Press **?** for all keys.

Your answers are saved on this computer first and sent to the server in the background.
"""

MR_INSTRUCTIONS = """# MR sequences

Four sequences of one head, side by side. Rate the image quality of the case.
"""


def lesion_project(fingerprint: str, case_count: int) -> ProjectCreate:
    return ProjectCreate(
        public=ProjectPublic(
            title="Lesion masks (demo)",
            short_description="Check automatic lesion segmentations on pelvis CT, case by case.",
            thumbnail=thumbnail_png(),
        ),
        private=ProjectPrivate(instructions_md=LESION_INSTRUCTIONS),
        config=ProjectConfig(
            question="Is the lesion mask acceptable?",
            viewports=ViewportGrid(
                rows=1,
                columns=1,
                viewports=(
                    Viewport(
                        orientation="axial",
                        layers=(
                            Layer(volume="image.nii.gz"),
                            Layer(
                                volume="mask.nii.gz", is_mask=True, colour="#ff4040", opacity=0.45
                            ),
                        ),
                    ),
                ),
            ),
            answers=(
                AnswerOption(value="acceptable", label="Acceptable", key=1),
                AnswerOption(value="needs_refinement", label="Needs refinement", key=2),
            ),
            label=CaseLabel(delimiter="_", parts=(0, 2)),
            comment="optional",
            timing=True,
            order="dataset",
        ),
        fingerprint=fingerprint,
        case_count=case_count,
        status="open",
    )


def mr_project(fingerprint: str, case_count: int) -> ProjectCreate:
    sequences = ("T1", "T1GD", "T2", "FLAIR")
    return ProjectCreate(
        public=ProjectPublic(
            title="MR sequences (demo)",
            short_description="Four MR sequences per case in a 2×2 grid: rate the image quality.",
        ),
        private=ProjectPrivate(instructions_md=MR_INSTRUCTIONS),
        config=ProjectConfig(
            question="Is the image quality sufficient?",
            viewports=ViewportGrid(
                rows=2,
                columns=2,
                viewports=tuple(
                    Viewport(orientation="axial", layers=(Layer(volume=f"{s}.nii.gz"),))
                    for s in sequences
                ),
            ),
            answers=(
                AnswerOption(value="good", label="Good", key=1),
                AnswerOption(value="acceptable", label="Acceptable", key=2),
                AnswerOption(value="poor", label="Poor", key=3),
            ),
            comment="optional",
            order="shuffle",
        ),
        fingerprint=fingerprint,
        case_count=case_count,
        status="open",
    )
