"""What-changed lines between config versions, and thumbnail checks."""

from __future__ import annotations

import base64
import io
from pathlib import Path

import msgspec
import pytest
from PIL import Image

from naesview_app.errors import ConfigError
from naesview_app.project import read_project_file
from naesview_app.project.diff import config_changes
from naesview_app.project.thumbnail import (
    data_url,
    thumbnail_from_bytes,
    thumbnail_from_data_url,
)
from naesview_wire import AnswerOption, BrushConfig, CaseLabel
from naesview_wire.project import THUMBNAIL_MAX_BYTES

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def test_no_change_no_lines() -> None:
    config = read_project_file(EXAMPLES / "prostate-review.json").config
    assert config_changes(config, config) == []


def test_every_kind_of_change_is_named() -> None:
    old = read_project_file(EXAMPLES / "prostate-review.json").config
    vp = old.viewports.viewports[0]
    mask = msgspec.structs.replace(vp.layers[1], opacity=0.8)
    new = msgspec.structs.replace(
        old,
        question="Acceptable?",
        viewports=msgspec.structs.replace(
            old.viewports,
            columns=2,
            viewports=(
                msgspec.structs.replace(vp, layers=(vp.layers[0], mask)),
                msgspec.structs.replace(vp, orientation="coronal"),
            ),
        ),
        answers=(
            AnswerOption(value="needs-refinement", label="Refine", key=1),
            AnswerOption(value="unusable", label="Unusable", key=3),
        ),
        label=CaseLabel(delimiter="_", parts=(0,)),
        comment="required",
        timing=False,
        brush=BrushConfig(volume="mask.nii.gz", radius_mm=5.0),
        order="shuffle",
    )
    text = "\n".join(config_changes(old, new))
    for expected in [
        "question: “Is this segmentation acceptable?” → “Acceptable?”",
        "viewport grid: 1×1 → 1×2",
        "viewport 1: axial `image.nii.gz` + `mask.nii.gz` (mask #ff3030, opacity 0.45) → axial "
        "`image.nii.gz` + `mask.nii.gz` (mask #ff3030, opacity 0.8)",
        "viewport 2 added: coronal",
        "answer `needs-refinement`: Needs refinement (key 2) → Refine (key 1)",
        "answer added: Unusable (`unusable`, key 3)",
        "answer removed: Acceptable (`acceptable`)",
        "case label: whole case name → split at “_”, parts 0",
        "comment: optional → required",
        "timing: on → off",
        "brush editing: `mask.nii.gz` (3 mm) → `mask.nii.gz` (5 mm)",
        "case order: dataset → shuffle",
    ]:
        assert expected in text


def _png(size: tuple[int, int], *, noise: bool = False) -> bytes:
    image = Image.effect_noise(size, 80).convert("RGB") if noise else Image.new("RGB", size, "teal")
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def test_small_png_is_kept_byte_for_byte() -> None:
    data = _png((64, 48))
    assert thumbnail_from_bytes(data) == data
    assert thumbnail_from_data_url(data_url(data) or "") == data


def test_large_image_is_scaled_to_fit() -> None:
    data = _png((2000, 1500), noise=True)
    assert len(data) > THUMBNAIL_MAX_BYTES
    out = thumbnail_from_bytes(data)
    assert len(out) <= THUMBNAIL_MAX_BYTES
    with Image.open(io.BytesIO(out)) as image:
        assert max(image.size) <= 1024


@pytest.mark.parametrize(
    "data",
    [b"GIF89a....", b"%PDF-1.4 not an image", b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, b""],
)
def test_non_images_are_refused(data: bytes) -> None:
    with pytest.raises(ConfigError) as err:
        thumbnail_from_bytes(data, source="thumb.png")
    assert err.value.message.startswith("thumb.png: ")
    assert "pick" in err.value.message


def test_data_urls_other_than_png_jpeg_are_refused() -> None:
    svg = "data:image/svg+xml;base64," + base64.b64encode(b"<svg/>").decode()
    with pytest.raises(ConfigError, match="not a PNG or JPEG"):
        thumbnail_from_data_url(svg)
