"""Case order and where a reviewer resumes."""

from __future__ import annotations

import hashlib
import random
from collections.abc import Collection, Sequence
from typing import Literal


def case_order(
    case_count: int, mode: Literal["dataset", "shuffle"], *, project_id: int, user_id: int
) -> list[int]:
    """Case ids in the order this reviewer sees them.

    The shuffle is seeded by project and reviewer, so it is the same on every launch and every
    machine for one reviewer, and differs between reviewers (their order effects average out).
    """
    order = list(range(case_count))
    if mode == "shuffle":
        seed = hashlib.sha256(f"naesview-order/{project_id}/{user_id}".encode()).digest()
        random.Random(int.from_bytes(seed[:8], "big")).shuffle(order)
    return order


def resume_position(order: Sequence[int], answered: Collection[int]) -> int:
    """Position (in `order`) of the first case without an answer; the last one when all are done."""
    for position, case_id in enumerate(order):
        if case_id not in answered:
            return position
    return max(len(order) - 1, 0)
