"""The wire format: round trips, strictness, config validation and mask packing."""

from __future__ import annotations

import uuid
import zlib
from datetime import UTC, datetime

import msgspec
import numpy as np
import pytest

from naesview_wire import (
    AnswerOption,
    BrushConfig,
    EditedMask,
    Layer,
    ProjectConfig,
    Review,
    Viewport,
    ViewportGrid,
    check_config,
    config_problems,
    config_volumes,
    mask_problem,
)
from naesview_wire.review import packed_length


def make_config(**changes) -> ProjectConfig:
    config = ProjectConfig(
        viewports=ViewportGrid(
            rows=1,
            columns=2,
            viewports=(
                Viewport(orientation="axial", layers=(Layer(volume="image.nii.gz"),)),
                Viewport(
                    orientation="coronal",
                    layers=(
                        Layer(volume="image.nii.gz"),
                        Layer(volume="mask.nii.gz", is_mask=True, colour="#00ff00", opacity=0.5),
                    ),
                ),
            ),
        ),
        answers=(
            AnswerOption(value="yes", label="Yes", key=1),
            AnswerOption(value="no", label="No", key=2),
        ),
        brush=BrushConfig(volume="mask.nii.gz", radius_mm=2.0),
    )
    return msgspec.structs.replace(config, **changes)


def test_config_round_trips_through_json_with_its_format_first():
    config = make_config()
    data = msgspec.json.encode(config)
    assert data.startswith(b'{"format":"naesview-project/1"')
    assert msgspec.json.decode(data, type=ProjectConfig) == config
    assert check_config(config) is config
    assert config_volumes(config) == ["image.nii.gz", "mask.nii.gz"]


def test_unknown_fields_and_formats_are_refused():
    data = msgspec.to_builtins(make_config())
    with pytest.raises(msgspec.ValidationError, match="unknown field `colour_map`"):
        msgspec.convert({**data, "colour_map": "hot"}, ProjectConfig)
    with pytest.raises(msgspec.ValidationError, match="format"):
        msgspec.convert({**data, "format": "naesview-project/2"}, ProjectConfig)
    with pytest.raises(msgspec.ValidationError, match="answers"):
        msgspec.convert({**data, "answers": []}, ProjectConfig)
    bad_key = {**data, "answers": [{"value": "a", "label": "A", "key": 10}]}
    with pytest.raises(msgspec.ValidationError, match="<= 9"):
        msgspec.convert(bad_key, ProjectConfig)


def test_config_problems_name_each_mistake():
    config = make_config(
        answers=(
            AnswerOption(value="yes", label="Yes", key=1),
            AnswerOption(value="yes", label="Also yes", key=1),
        ),
        brush=BrushConfig(volume="image.nii.gz"),
        viewports=ViewportGrid(
            rows=1,
            columns=1,
            viewports=(
                Viewport(layers=(Layer(volume="mask.nii.gz", is_mask=True),)),
                Viewport(layers=(Layer(volume="image.nii.gz"),)),
            ),
        ),
    )
    problems = config_problems(config)
    assert len(problems) == 5, problems
    text = "\n".join(problems)
    assert "2 viewports do not fit a 1×1 grid" in text
    assert "answer key 1 is used more than once" in text
    assert "answer value `yes` is used more than once" in text
    assert "bottom layer `mask.nii.gz` is a mask" in text
    assert "brush edits `image.nii.gz`, which is not a mask layer" in text
    with pytest.raises(ValueError, match="grid"):
        check_config(config)


def test_a_review_has_no_field_for_names_paths_or_pixels():
    fields = set(Review.__struct_fields__) | set(EditedMask.__struct_fields__)
    assert not {"path", "file", "filename", "name", "case_name", "pixels", "image"} & fields
    review = {
        "uuid": str(uuid.uuid4()),
        "project_id": 1,
        "config_version": 1,
        "case_id": 3,
        "answer": "yes",
        "created": "2026-01-01T10:00:00Z",
    }
    assert msgspec.convert(review, Review).case_id == 3
    with pytest.raises(msgspec.ValidationError, match="unknown field `path`"):
        msgspec.convert({**review, "path": "/data/case03/image.nii.gz"}, Review)
    with pytest.raises(msgspec.ValidationError, match="timezone"):
        msgspec.convert({**review, "created": "2026-01-01T10:00:00"}, Review)


def pack(mask: np.ndarray) -> bytes:
    return zlib.compress(np.packbits(mask.astype(bool).ravel(), bitorder="big").tobytes(), 6)


def make_mask(packed: bytes, shape=(3, 5, 7)) -> EditedMask:
    return EditedMask(
        volume="mask.nii.gz", shape=shape, packed=packed, added=1, removed=0, dice=0.9
    )


def test_mask_packing_is_checked_without_numpy_on_the_server_side():
    mask = np.zeros((3, 5, 7), dtype=np.uint8)
    mask[1, 2, 3:6] = 1
    packed = pack(mask)
    assert packed_length((3, 5, 7)) == 14
    assert mask_problem(make_mask(packed)) is None
    # What the owner does with an exported mask: unpack it back to the same voxels.
    bits = np.unpackbits(np.frombuffer(zlib.decompress(packed), np.uint8), bitorder="big")
    assert np.array_equal(bits[: mask.size].reshape(mask.shape), mask)

    assert "unpacks to 14 bytes, but shape [3, 5, 8] needs 15" in mask_problem(
        make_mask(packed, shape=(3, 5, 8))
    )
    assert "not zlib data" in mask_problem(make_mask(b"\x00\x01\x02"))
    bomb = zlib.compress(bytes(50_000_000))
    assert "unpacks to 15 bytes" in mask_problem(make_mask(bomb))


def test_review_round_trips_with_masks_as_base64():
    review = Review(
        uuid=uuid.uuid4(),
        project_id=7,
        config_version=2,
        case_id=0,
        answer="no",
        comment="blurry",
        elapsed_ms=1500,
        created=datetime(2026, 1, 1, tzinfo=UTC),
        masks=(make_mask(pack(np.ones((3, 5, 7)))),),
    )
    assert msgspec.json.decode(msgspec.json.encode(review), type=Review) == review


def test_every_wire_field_has_a_docstring():
    """UI authors and the owner editor read these: a field without a docstring fails here."""
    import ast
    import inspect

    import naesview_wire
    from naesview_wire import accounts, config, project, review

    undocumented = []
    structs = 0
    for module in (accounts, config, project, review):
        tree = ast.parse(inspect.getsource(module))
        for node in tree.body:
            if not isinstance(node, ast.ClassDef):
                continue
            structs += 1
            if ast.get_docstring(node) is None:
                undocumented.append(node.name)
            body = node.body
            for field, following in zip(body, [*body[1:], None], strict=True):
                if isinstance(field, ast.AnnAssign):
                    documented = isinstance(following, ast.Expr) and isinstance(
                        getattr(following, "value", None), ast.Constant
                    )
                    if not documented:
                        undocumented.append(f"{node.name}.{ast.unparse(field.target)}")
    assert structs >= len(naesview_wire.__all__) // 2
    assert undocumented == []
