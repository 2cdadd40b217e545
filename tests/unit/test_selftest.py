"""`naesview app --self-test`: the parts that need no window (the window run is in
tests/e2e/test_bundle.py, on the bundled app)."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from naesview_app.selftest import LAZY_MODULES, load_lazy_modules, process_age_s


def test_an_unreadable_script_is_refused_in_one_line_before_any_window(tmp_path: Path) -> None:
    script = tmp_path / "script.json"
    script.write_text('{"steps": []}')  # "calls" is the key
    done = subprocess.run(
        [sys.executable, "-m", "naesview_app", "app", "--self-test", str(script)],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "DISPLAY": ":9999"},  # no window could open anyway
    )
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert str(script) in lines[0]
    assert '{"calls": [' in lines[0]


def test_every_module_loaded_on_demand_loads_here() -> None:
    outcome = load_lazy_modules()
    assert set(outcome) == set(LAZY_MODULES)
    assert all(value == "ok" for value in outcome.values()), outcome


def test_process_age_counts_from_process_start() -> None:
    first = process_age_s()
    assert first is not None
    assert 0 < first < 3600
    time.sleep(0.05)
    second = process_age_s()
    assert second is not None
    assert second >= first
