"""Project files: exact round trip, refusals with one clear line, nothing written half-way."""

from __future__ import annotations

import json
from pathlib import Path

import msgspec
import pytest

from naesview_app.errors import ConfigError
from naesview_app.project import (
    ProjectFile,
    decode_project_file,
    encode_project_file,
    read_project_file,
    write_project_file,
)
from naesview_wire import AnswerOption, Layer, ProjectConfig, Viewport, ViewportGrid

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _project(**config: object) -> ProjectFile:
    base: dict[str, object] = {
        "viewports": ViewportGrid(
            rows=1,
            columns=2,
            viewports=(
                Viewport(orientation="coronal", layers=(Layer(volume="a.nii.gz"),)),
                Viewport(
                    layers=(
                        Layer(volume="a.nii.gz"),
                        Layer(volume="m.nii", is_mask=True, colour="#00ff7f", opacity=0.3),
                    )
                ),
            ),
        ),
        "answers": (
            AnswerOption(value="yes", label="Yes ✓", key=3),
            AnswerOption(value="no", label="No", key=1),
        ),
    }
    base.update(config)
    return ProjectFile(
        title="Ünïcode title",
        short_description="short",
        instructions_md="# Hi\n<script>alert(1)</script>",
        config=ProjectConfig(**base),  # type: ignore[arg-type]
    )


def test_round_trip_is_exact(tmp_path: Path) -> None:
    project = _project(comment="required", timing=False, order="shuffle")
    path = write_project_file(tmp_path / "p.json", project)
    again = read_project_file(path)
    assert again == project
    assert encode_project_file(again) == path.read_bytes()
    # and a second export of the import is the same file, byte for byte
    write_project_file(tmp_path / "q.json", again)
    assert (tmp_path / "q.json").read_bytes() == path.read_bytes()


@pytest.mark.parametrize("name", sorted(p.name for p in EXAMPLES.glob("*.json")))
def test_examples_round_trip_byte_for_byte(name: str) -> None:
    data = (EXAMPLES / name).read_bytes()
    assert encode_project_file(decode_project_file(data, source=name)) == data


def test_newer_file_format_says_update(tmp_path: Path) -> None:
    raw = json.loads(encode_project_file(_project()))
    raw["format"] = "naesview-project-file/2"
    with pytest.raises(ConfigError) as err:
        decode_project_file(json.dumps(raw).encode(), source="new.json")
    assert "new.json" in err.value.message
    assert "newer naesView" in err.value.message
    assert "update naesView" in err.value.message
    assert "\n" not in err.value.message


def test_newer_config_format_inside_says_update() -> None:
    raw = json.loads(encode_project_file(_project()))
    raw["config"]["format"] = "naesview-project/7"
    with pytest.raises(ConfigError, match=r"\(config\): written by a newer naesView"):
        decode_project_file(json.dumps(raw).encode(), source="x.json")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"{not json", "not valid JSON"),
        (b"[1, 2]", "expected a JSON object"),
        (b"{}", "no `format` field"),
        (b'{"format": "something-else/1"}', "unknown format `something-else/1`"),
        (b'{"format": "naesview-project-file/1"}', "missing required field `title`"),
    ],
)
def test_broken_files_are_refused_in_one_line(data: bytes, expected: str) -> None:
    with pytest.raises(ConfigError) as err:
        decode_project_file(data, source="bad.json")
    assert expected in err.value.message
    assert err.value.message.startswith("bad.json")
    assert "\n" not in err.value.message


def test_wrong_field_names_its_path() -> None:
    raw = json.loads(encode_project_file(_project()))
    raw["config"]["answers"][0]["key"] = 12
    with pytest.raises(ConfigError, match=r"\$\.config\.answers\[0\]\.key"):
        decode_project_file(json.dumps(raw).encode())
    raw["config"]["answers"][0]["key"] = 1
    raw["config"]["answers"][0]["extra"] = True
    with pytest.raises(ConfigError, match="unknown field `extra`"):
        decode_project_file(json.dumps(raw).encode())


def test_config_problems_are_refused() -> None:
    raw = json.loads(encode_project_file(_project()))
    raw["config"]["answers"][1]["key"] = 3
    with pytest.raises(ConfigError, match="answer key 3 is used more than once"):
        decode_project_file(json.dumps(raw).encode())


def test_a_bare_config_is_read_and_titled_after_the_file(tmp_path: Path) -> None:
    config = _project().config
    path = tmp_path / "my_layout.json"
    path.write_bytes(msgspec.json.encode(config))
    project = read_project_file(path)
    assert project.config == config
    assert project.title == "my layout"


def test_missing_and_oversized_files(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        read_project_file(tmp_path / "nope.json")
    with pytest.raises(ConfigError, match="is a folder"):
        read_project_file(tmp_path)
    big = tmp_path / "big.json"
    big.write_bytes(b" " * (3 * 1024 * 1024))
    with pytest.raises(ConfigError, match="too large"):
        read_project_file(big)


def test_invalid_project_is_not_written_and_old_file_stays(tmp_path: Path) -> None:
    target = tmp_path / "p.json"
    write_project_file(target, _project())
    before = target.read_bytes()
    dup = _project(
        answers=(
            AnswerOption(value="a", label="A", key=1),
            AnswerOption(value="a", label="B", key=2),
        )
    )
    with pytest.raises(ConfigError, match="not saved"):
        write_project_file(target, dup)
    assert target.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]


def test_write_failure_midway_leaves_no_temp_file(tmp_path: Path) -> None:
    # a target that is a folder makes the final rename fail after the data was written
    (tmp_path / "p.json").mkdir()
    with pytest.raises(ConfigError, match="cannot save it"):
        write_project_file(tmp_path / "p.json", _project())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["p.json"]
