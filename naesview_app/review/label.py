"""The case label the reviewer sees (the name stays on this machine)."""

from __future__ import annotations

from naesview_wire import CaseLabel


def case_label_parts(name: str, label: CaseLabel) -> list[str]:
    """Split `name` at the project's delimiter and keep the chosen parts, in the chosen order.

    Parts that the name does not have are skipped rather than failing: one oddly named case
    must not stop a review.
    """
    if label.delimiter is None:
        return [name]
    parts = name.split(label.delimiter)
    if label.parts is None:
        return parts
    chosen = [parts[i] for i in label.parts if i < len(parts)]
    return chosen or [name]
