"""Names inside a dataset zip: natural order and unsafe member paths (pure functions)."""

from __future__ import annotations

import functools
import re

_DIGIT_RUNS = re.compile(r"([0-9]+)")
_DRIVE = re.compile(r"^[A-Za-z]:")


@functools.lru_cache(maxsize=8192)  # volume names ("image.nii.gz") repeat in every case
def natural_key(name: str) -> tuple[tuple[int | str, ...], str]:
    """Sort key: ASCII digit runs compare as integers, other runs case-folded; raw name breaks ties.

    ``case2`` < ``case10``, ``scan2_Head`` < ``scan10_Pelvis``, ``slice_2.png`` < ``slice_10.png``.
    The split always starts with a text run, so digit runs only ever meet digit runs.
    """
    parts = _DIGIT_RUNS.split(name)
    key = tuple(int(p) if i % 2 else p.casefold() for i, p in enumerate(parts))
    return (key, name)


def natural_sorted(names: list[str]) -> list[str]:
    return sorted(names, key=natural_key)


def unsafe_member_reason(name: str) -> str | None:
    """Why a member name may not be used as a path, or None when it is safe."""
    if "\\" in name:
        return "backslash in member name"
    if name.startswith("/") or _DRIVE.match(name):
        return "absolute member path"
    if any(part == ".." for part in name.split("/")):
        return "'..' in member path"
    if "\x00" in name:
        return "NUL in member name"
    return None
