"""A project file saved under a typed relative name is reported by its full path (the owner
sees where it went, not just `relative.json`)."""

from __future__ import annotations

from pathlib import Path

import msgspec
import pytest

from naesview_app.owner import Draft, OwnerApp
from tests.sync_server import sample_config


def test_a_relative_file_name_is_answered_with_its_full_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    owner = OwnerApp(app=None)  # type: ignore[arg-type]  # export_config needs no session
    draft = Draft(title="T", config=msgspec.to_builtins(sample_config()))
    (tmp_path / "saved").mkdir()
    answer = owner.export_config("saved/relative", draft)
    written = Path(answer["path"])
    assert written.is_absolute()
    assert written == tmp_path / "saved" / "relative.json"
    assert written.is_file()
