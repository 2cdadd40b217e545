"""`make bench` runs `python -m benchmarks` with no argument: that must mean every suite."""

from __future__ import annotations

import pytest

from benchmarks.__main__ import SUITES, chosen_suites


def test_no_argument_means_every_suite() -> None:
    assert chosen_suites([]) == SUITES


def test_named_suites_only_and_unknown_ones_refused() -> None:
    assert chosen_suites(["load_bench", "ui_bench"]) == ["load_bench", "ui_bench"]
    with pytest.raises(SystemExit):
        chosen_suites(["no_such_bench"])
