"""Shared helpers for the benchmark suites: timing, result records, the results file."""

from __future__ import annotations

import gc
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

RESULTS = Path(__file__).with_name("results.json")
DATA = Path(__file__).with_name("data")


@dataclass(frozen=True, slots=True)
class Figure:
    """One figure: `value` and the `floor` measured in the same run; `ratio` = value / floor."""

    id: str
    what: str
    value: float
    floor: float
    ratio: float
    bound: float
    unit: str

    @property
    def ok(self) -> bool:
        return self.ratio <= self.bound


def figure(id: str, what: str, value: float, floor: float, bound: float, unit: str) -> Figure:
    ratio = value / floor if floor > 0 else float("inf")
    return Figure(id, what, round(value, 6), round(floor, 6), round(ratio, 4), bound, unit)


def best_of(fn: Callable[[], object], *, repeat: int = 5, warmup: int = 1) -> float:
    """Minimum wall time in seconds over `repeat` runs (the least-disturbed run on a noisy box)."""
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(repeat):
        gc.collect()
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def median_of(fn: Callable[[], object], *, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def write_results(figures: list[Figure], path: Path = RESULTS) -> None:
    """Merge `figures` into the results file, replacing entries with the same id."""
    existing: list[dict] = []
    if path.exists():
        try:
            existing = json.loads(path.read_text())
        except ValueError:
            existing = []
    ids = {f.id for f in figures}
    merged = [e for e in existing if e.get("id") not in ids] + [asdict(f) for f in figures]
    merged.sort(key=lambda e: e["id"])
    path.write_text(json.dumps(merged, indent=2) + "\n")


def print_table(figures: list[Figure]) -> None:
    print(f"{'id':<8} {'what':<58} {'value':>10} {'floor':>10} {'ratio':>7} {'bound':>6}  ok")
    for f in figures:
        print(
            f"{f.id:<8} {f.what[:58]:<58} {f.value:>10.4g} {f.floor:>10.4g} "
            f"{f.ratio:>7.3f} {f.bound:>6.2f}  {'yes' if f.ok else 'NO'}"
        )
