"""Pure review logic: order, resume, label, time on screen, progress, auto window, prefetch."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest

from naesview_app.imaging.volume import Volume
from naesview_app.review.cache import PrefetchCache
from naesview_app.review.label import case_label_parts
from naesview_app.review.order import case_order, resume_position
from naesview_app.review.timing import CaseTimer, ProgressEstimator
from naesview_app.review.windowing import auto_window
from naesview_wire import CaseLabel


def test_dataset_order_is_the_dataset_order() -> None:
    assert case_order(5, "dataset", project_id=1, user_id=7) == [0, 1, 2, 3, 4]


def test_shuffle_is_a_stable_permutation_per_reviewer() -> None:
    a = case_order(50, "shuffle", project_id=3, user_id=7)
    assert sorted(a) == list(range(50))
    assert a != list(range(50))
    assert a == case_order(50, "shuffle", project_id=3, user_id=7)  # same on every launch
    assert a != case_order(50, "shuffle", project_id=3, user_id=8)  # another reviewer
    assert a != case_order(50, "shuffle", project_id=4, user_id=7)  # another project


def test_resume_at_first_unanswered_in_reviewer_order() -> None:
    order = [3, 0, 2, 1]
    assert resume_position(order, set()) == 0
    assert resume_position(order, {3, 0}) == 2
    assert resume_position(order, {3, 2}) == 1  # a gap earlier in the order comes first
    assert resume_position(order, {0, 1, 2, 3}) == 3  # all done: the last case
    assert resume_position([], set()) == 0


@pytest.mark.parametrize(
    ("name", "label", "expected"),
    [
        ("case0012_Thorax_v2", CaseLabel(), ["case0012_Thorax_v2"]),
        ("case0012_Thorax_v2", CaseLabel(delimiter="_"), ["case0012", "Thorax", "v2"]),
        ("case0012_Thorax_v2", CaseLabel(delimiter="_", parts=(1,)), ["Thorax"]),
        ("case0012_Thorax_v2", CaseLabel(delimiter="_", parts=(2, 0)), ["v2", "case0012"]),
        ("p7__T2", CaseLabel(delimiter="__", parts=(1,)), ["T2"]),
        ("plain", CaseLabel(delimiter="_", parts=(1, 2)), ["plain"]),  # missing parts: name
        ("a_b", CaseLabel(delimiter="_", parts=(1, 5)), ["b"]),
    ],
)
def test_case_label_parts(name: str, label: CaseLabel, expected: list[str]) -> None:
    assert case_label_parts(name, label) == expected


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_timer_counts_only_time_on_screen() -> None:
    clock = FakeClock()
    timer = CaseTimer(clock)
    timer.show(4)
    clock.now += 2.0
    timer.set_visible(False)  # window hidden: time stops
    clock.now += 60.0
    timer.set_visible(True)
    clock.now += 1.0
    assert timer.elapsed_ms(4) == 3000
    timer.show(5)  # moved on without answering
    clock.now += 0.5
    timer.show(4)  # back: adds to what it had
    clock.now += 0.25
    assert timer.elapsed_ms(5) == 500
    assert timer.take(4) == 3250
    clock.now += 1.0
    assert timer.take(4) == 1000  # restarted from zero after the answer
    assert timer.elapsed_ms(99) == 0


def test_timer_hidden_before_any_case_and_repeated_visibility() -> None:
    clock = FakeClock()
    timer = CaseTimer(clock)
    timer.set_visible(False)
    timer.show(1)
    clock.now += 5
    assert timer.elapsed_ms(1) == 0
    timer.set_visible(False)
    timer.set_visible(True)
    timer.set_visible(True)
    clock.now += 1
    assert timer.elapsed_ms(1) == 1000


def test_progress_estimate_uses_median_of_recent_answers() -> None:
    estimator = ProgressEstimator(window=5)
    assert estimator.progress(0, 10).seconds_left is None
    assert estimator.progress(10, 10).seconds_left == 0.0
    for seconds in (2.0, 2.0, 3.0, 600.0):  # one coffee break does not move the median much
        estimator.record(seconds)
    info = estimator.progress(4, 10)
    assert (info.done, info.total) == (4, 10)
    assert info.seconds_left == pytest.approx(6 * 2.5)


def test_auto_window_from_percentiles_in_scaled_units() -> None:
    rng = np.random.default_rng(0)
    stored = rng.integers(0, 1001, size=(40, 64, 64)).astype(np.int16)
    center, width = auto_window(Volume(stored, (1.0, 1.0, 1.0), slope=2.0, intercept=-1000.0))
    # uniform 0..1000 scaled to -1000..1000: 0.5-99.5 percentiles ~ -990..990
    assert center == pytest.approx(0.0, abs=15)
    assert width == pytest.approx(1980, rel=0.02)


def test_auto_window_of_a_flat_volume_is_usable() -> None:
    center, width = auto_window(Volume(np.full((4, 4, 4), 7, np.uint8), (1.0, 1.0, 1.0)))
    assert width > 0
    assert center - width / 2 <= 7 <= center + width / 2


def test_prefetch_cache_loads_each_key_once_and_in_background() -> None:
    calls: list[tuple[int, bool]] = []
    gate = threading.Event()

    def load(key: int, background: bool) -> bytes:
        calls.append((key, background))
        if key == 1:
            gate.wait(5)
        return bytes(10)

    cache: PrefetchCache[int, bytes] = PrefetchCache(load, len, max_bytes=100)
    cache.prefetch([1, 2])
    results: list[bytes] = []
    waiter = threading.Thread(target=lambda: results.append(cache.get(1)))
    waiter.start()
    time.sleep(0.05)
    assert results == []  # waiting for the prefetch under way, not loading again
    gate.set()
    waiter.join(5)
    assert results == [bytes(10)]
    assert cache.get(2) == bytes(10)
    assert cache.get(3) == bytes(10)
    assert sorted(calls) == [(1, True), (2, True), (3, False)]  # prefetches run in background
    cache.close()


def test_prefetch_cache_evicts_least_recently_used_and_retries_failures() -> None:
    attempts = {"bad": 0}

    def load(key: str, background: bool) -> bytes:
        if key == "bad":
            attempts["bad"] += 1
            raise ValueError("broken")
        return bytes(40)

    cache: PrefetchCache[str, bytes] = PrefetchCache(load, len, max_bytes=100)
    for key in ("a", "b", "c"):
        cache.get(key)
    assert not cache.cached("a")  # 120 bytes > 100: the oldest went
    assert cache.cached("b")
    assert cache.cached("c")
    for _ in range(2):
        with pytest.raises(ValueError, match="broken"):
            cache.get("bad")
    assert attempts["bad"] == 2  # a failure is not cached
    cache.close()
