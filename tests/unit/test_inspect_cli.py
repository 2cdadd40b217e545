"""`naesview inspect` as users run it: a subprocess, one line per problem, never a traceback."""

from __future__ import annotations

import json
import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from naesview_app.datasets.inspect import format_table, inspect_dataset

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data"
BAD = sorted(p.name for p in (SHARED / "bad").glob("*.zip"))


def _inspect(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "naesview_app", "inspect", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        **kwargs,
    )


@pytest.mark.parametrize("name", BAD)
def test_bad_dataset_fails_in_one_line_per_problem(name: str) -> None:
    out = _inspect(str(SHARED / "bad" / name))
    assert out.returncode == 1, out.stderr
    assert "Traceback" not in out.stdout + out.stderr
    assert out.stderr == ""
    problems = [line for line in out.stdout.splitlines() if line.lstrip().startswith("!")]
    assert problems, out.stdout
    for line in problems:
        assert len(line) < 400


def test_json_form_is_the_data_contract() -> None:
    out = _inspect(str(SHARED / "mini.zip"), "--json")
    assert out.returncode == 0, out.stderr
    report = json.loads(out.stdout)
    assert list(report) == ["dataset", "fingerprint", "ignored", "errors", "cases"]
    assert report["dataset"] == "mini.zip"
    volume = report["cases"][0]["volumes"][0]
    assert list(volume) == [
        "name",
        "kind",
        "shape",
        "spacing",
        "origin",
        "direction",
        "dtype",
        "min",
        "max",
        "sha256",
    ]
    assert list(report["cases"][0]) == ["id", "name", "volumes", "errors"]


def test_json_form_of_an_unreadable_zip() -> None:
    out = _inspect(str(SHARED / "bad" / "truncated.zip"), "--json")
    assert out.returncode == 1
    report = json.loads(out.stdout)
    assert report["cases"] == []
    assert report["fingerprint"] is None
    assert len(report["errors"]) == 1
    assert "not a readable zip" in report["errors"][0]["error"]


def test_progress_bar_only_on_a_terminal() -> None:
    dataset = str(SHARED / "tiny_ct_many.zip")
    main, secondary = pty.openpty()
    chunks: list[bytes] = []

    def drain() -> None:  # read while the child writes, so a full terminal never blocks it
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO once the terminal's last writer has closed
                return
            if not chunk:
                return
            chunks.append(chunk)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "naesview_app", "inspect", dataset],
            stdout=subprocess.PIPE,
            stderr=secondary,
            timeout=120,
            check=False,
        )
    finally:
        os.close(secondary)
        reader.join(timeout=10)
        os.close(main)
    assert proc.returncode == 0
    assert b"300/300 volumes" in b"".join(chunks)
    piped = _inspect(dataset, "--json")
    assert piped.stderr == ""
    assert json.loads(piped.stdout)["cases"][299]["id"] == 299


def test_table_lists_volumes_failures_and_ignored() -> None:
    table = format_table(inspect_dataset(SHARED / "bad" / "corrupt_members.zip"))
    assert "4 cases, 5 volumes read, 3 errors" in table
    assert "    ! " in table
    table = format_table(inspect_dataset(SHARED / "mini.zip"))
    assert "sub/prediction.nii" in table
    assert "ignored (6):" in table
