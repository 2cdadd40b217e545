"""Shared fixtures. Every test lives in tests/unit, tests/integration or tests/e2e and gets the
marker of its tier automatically from its folder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"

_TIERS = ("unit", "integration", "e2e")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        parts = Path(str(item.fspath)).relative_to(ROOT / "tests").parts
        if parts and parts[0] in _TIERS:
            item.add_marker(getattr(pytest.mark, parts[0]))


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """`../shared/data`: the test datasets and their manifest (read-only)."""
    if not (SHARED_DATA / "manifest.json").is_file():
        pytest.fail(f"shared test data not found at {SHARED_DATA} (expected beside the checkout)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def manifest(shared_data: Path) -> dict:
    return json.loads((shared_data / "manifest.json").read_text())
