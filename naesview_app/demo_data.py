"""The demo's datasets and projects (generated, deterministic, nothing downloaded).

- `naesview-demo-ct.zip`: 20 contrast-enhanced chest CT phantoms (`demo_phantoms.chest_ct_cases`),
  each `image.nii.gz` (int16 HU, 256² pixels of 1.2–1.5 mm, 40–64 slices of 2.5 or 3 mm) with one
  lung nodule or liver lesion and its `mask.nii.gz`; every third mask is deliberately wrong
  (shifted, too small or leaking). Named `P001_chest_siteA` … so the label can be split by `_`.
- `naesview-demo-mr.zip`: 3 MR head phantoms with a tumour, each in the 4 sequences T1, T1GD, T2,
  FLAIR (`demo_phantoms.head_mr_sequences`).

Projects: "Lesion masks" (modelled on the prostate example: axial image with the mask overlay,
"Acceptable" / "Needs refinement", optional comment, timing) and "MR sequences" (2×2 grid).
"""

from __future__ import annotations

import io
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

import numpy as np
from PIL import Image

from naesview_app.datasets.synthetic import MR_SEQUENCES, nifti_bytes, write_zip
from naesview_app.demo_phantoms import chest_ct_cases, head_mr_sequences
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

DATA_VERSION = "6"  # bump when the generated data changes, so old demo folders regenerate
CT_CASES = 20
CT_SEED = 100
MR_CASES = 3
MR_SHAPE = (48, 160, 160)
MR_SPACING = (3.0, 1.2, 1.2)
SITES = ("siteA", "siteB")


def ct_case_name(i: int) -> str:
    return f"P{i:03d}_chest_{SITES[i % 2]}"


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
    def volumes() -> Iterator[tuple[str, np.ndarray, tuple[float, float, float], str]]:
        for i, case in enumerate(chest_ct_cases(CT_CASES, seed=CT_SEED), start=1):
            name = ct_case_name(i)
            yield f"{name}/image.nii.gz", case.image, case.spacing, "LPS"
            yield f"{name}/mask.nii.gz", case.mask, case.spacing, "LPS"

    return _compressed_in_background(volumes())


def _mr_members() -> Iterator[tuple[str, bytes]]:
    def volumes() -> Iterator[tuple[str, np.ndarray, tuple[float, float, float], str]]:
        for i in range(1, MR_CASES + 1):
            sequences = head_mr_sequences(MR_SHAPE, MR_SPACING, seed=200 + i)
            for sequence in MR_SEQUENCES:
                yield f"H{i:03d}_brain/{sequence}.nii.gz", sequences[sequence], MR_SPACING, "RAS"

    return _compressed_in_background(volumes())


def _compressed_in_background(
    volumes: Iterator[tuple[str, np.ndarray, tuple[float, float, float], str]],
) -> Iterator[tuple[str, bytes]]:
    """(name, .nii.gz bytes) in order, each gzipped on a worker thread while the next volume is
    generated (zlib lets go of the GIL): on two cores the demo data is ready in ~60 % of the
    time. At most a few volumes wait in memory."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        waiting: deque[tuple[str, Future[bytes]]] = deque()
        for name, array, spacing, layout in volumes:
            waiting.append((name, pool.submit(nifti_bytes, array, spacing, layout=layout)))
            while len(waiting) > 3:
                done, job = waiting.popleft()
                yield done, job.result()
        for done, job in waiting:
            yield done, job.result()


def thumbnail_png(size: int = 160) -> bytes:
    """A small PNG of the first case's middle slice (where its nodule is), lesion in red: the
    project list's picture. Window -1000…400 HU: lung and soft tissue both readable."""
    case = next(chest_ct_cases(1, seed=CT_SEED))
    z = case.image.shape[0] // 2
    grey = np.clip((case.image[z].astype(np.float32) + 1000) / 1400 * 255, 0, 255).astype(np.uint8)
    rgb = np.stack([grey, grey, grey], axis=-1)
    on = case.mask[z] > 0
    rgb[on] = (0.55 * rgb[on] + [115, 29, 29]).astype(np.uint8)
    picture = Image.fromarray(rgb).resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


def mr_thumbnail_png(size: int = 160) -> bytes:
    """The first MR head's middle slice in its four sequences, 2×2 as the project shows them,
    each windowed on its own 0.5–99.5 percentiles: the project list's picture."""
    sequences = head_mr_sequences(MR_SHAPE, MR_SPACING, seed=201)
    tiles = []
    for name in MR_SEQUENCES:
        plane = sequences[name][MR_SHAPE[0] // 2].astype(np.float32)
        low, high = np.percentile(plane, [0.5, 99.5])
        grey = np.clip((plane - low) / max(float(high - low), 1.0) * 255, 0, 255)
        tiles.append(grey.astype(np.uint8))
    mosaic = np.block([[tiles[0], tiles[1]], [tiles[2], tiles[3]]])
    picture = Image.fromarray(mosaic).resize((size, size), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    picture.save(out, format="PNG", optimize=True)
    return out.getvalue()


LESION_INSTRUCTIONS = """# Lesion masks: acceptable or not?

Each case is an axial chest CT with one lesion (a lung nodule or a liver lesion) and its
automatic segmentation in red. The case opens on the lesion's middle slice.

- Scroll through the slices that contain the lesion (mouse wheel or ↑/↓); **Hide masks**
  shows the lesion without the overlay.
- Press **1** when the mask is **acceptable**: it covers the lesion and nothing else.
- Press **2** when it **needs refinement**: it is off the lesion, misses part of it, or leaks
  into normal tissue; say where in the comment.
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
            short_description="Check automatic lesion segmentations on chest CT, case by case.",
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
            thumbnail=mr_thumbnail_png(),
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
