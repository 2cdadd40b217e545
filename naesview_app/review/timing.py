"""Time on screen per case, and progress with an estimate of the time left."""

from __future__ import annotations

import statistics
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

Clock = Callable[[], float]


class CaseTimer:
    """Counts the time a case was actually on screen.

    Time runs only for the case shown and only while the window is visible (the UI reports
    blur/hidden); coming back to a case adds to what it had. `take` returns the time and starts
    that case from zero, so each review records the time spent reaching that answer.
    """

    def __init__(self, clock: Clock = time.monotonic) -> None:
        self._clock = clock
        self._spent: dict[int, float] = {}
        self._current: int | None = None
        self._since: float | None = None
        self._visible = True

    def show(self, case_id: int) -> None:
        if case_id == self._current:
            return
        self._pause()
        self._current = case_id
        self._resume()

    def set_visible(self, visible: bool) -> None:
        if visible == self._visible:
            return
        if visible:
            self._visible = True
            self._resume()
        else:
            self._pause()
            self._visible = False

    def elapsed_ms(self, case_id: int) -> int:
        spent = self._spent.get(case_id, 0.0)
        if case_id == self._current and self._since is not None:
            spent += self._clock() - self._since
        return round(spent * 1000)

    def take(self, case_id: int) -> int:
        """The time on screen of `case_id` so far; its count then restarts from zero."""
        elapsed = self.elapsed_ms(case_id)
        self._spent.pop(case_id, None)
        if case_id == self._current and self._since is not None:
            self._since = self._clock()
        return elapsed

    def _pause(self) -> None:
        if self._current is not None and self._since is not None:
            now = self._clock()
            self._spent[self._current] = self._spent.get(self._current, 0.0) + now - self._since
        self._since = None

    def _resume(self) -> None:
        if self._current is not None and self._visible:
            self._since = self._clock()


@dataclass(frozen=True, slots=True)
class ProgressInfo:
    done: int
    total: int
    seconds_left: float | None
    """Estimate from the median time per answer in this sitting; None until there is one."""


class ProgressEstimator:
    """Remaining time = cases left × median seconds per recent answer (robust to a coffee break)."""

    def __init__(self, window: int = 20) -> None:
        self._recent: deque[float] = deque(maxlen=window)

    def record(self, seconds: float) -> None:
        if seconds > 0:
            self._recent.append(seconds)

    def progress(self, done: int, total: int) -> ProgressInfo:
        left = max(total - done, 0)
        if not self._recent:
            return ProgressInfo(done, total, None if left else 0.0)
        return ProgressInfo(done, total, left * statistics.median(self._recent))
