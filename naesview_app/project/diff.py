"""What changed between two config versions, as lines an owner can read before publishing."""

from __future__ import annotations

from naesview_wire import Layer, ProjectConfig, Viewport


def config_changes(old: ProjectConfig, new: ProjectConfig) -> list[str]:
    """One line per change from `old` to `new` ([] when they are equal)."""
    if old == new:
        return []
    lines: list[str] = []
    if old.question != new.question:
        lines.append(f"question: “{old.question}” → “{new.question}”")
    lines += _grid_changes(old, new)
    lines += _answer_changes(old, new)
    if old.label != new.label:
        lines.append(f"case label: {_label(old)} → {_label(new)}")
    if old.comment != new.comment:
        lines.append(f"comment: {old.comment} → {new.comment}")
    if old.timing != new.timing:
        lines.append(f"timing: {_on(old.timing)} → {_on(new.timing)}")
    if old.brush != new.brush:
        lines.append(f"brush editing: {_brush(old)} → {_brush(new)}")
    if old.order != new.order:
        lines.append(f"case order: {old.order} → {new.order}")
    return lines or ["format details changed"]


def _grid_changes(old: ProjectConfig, new: ProjectConfig) -> list[str]:
    a, b = old.viewports, new.viewports
    lines = []
    if (a.rows, a.columns) != (b.rows, b.columns):
        lines.append(f"viewport grid: {a.rows}×{a.columns} → {b.rows}×{b.columns}")
    for i in range(max(len(a.viewports), len(b.viewports))):
        before = a.viewports[i] if i < len(a.viewports) else None
        after = b.viewports[i] if i < len(b.viewports) else None
        if before == after:
            continue
        if before is None:
            lines.append(f"viewport {i + 1} added: {_viewport(after)}")
        elif after is None:
            lines.append(f"viewport {i + 1} removed (was {_viewport(before)})")
        else:
            lines.append(f"viewport {i + 1}: {_viewport(before)} → {_viewport(after)}")
    return lines


def _answer_changes(old: ProjectConfig, new: ProjectConfig) -> list[str]:
    before = {a.value: a for a in old.answers}
    after = {a.value: a for a in new.answers}
    lines = []
    for value, a in after.items():
        if value not in before:
            lines.append(f"answer added: {a.label} (`{value}`, key {a.key})")
        elif before[value] != a:
            was = before[value]
            lines.append(f"answer `{value}`: {was.label} (key {was.key}) → {a.label} (key {a.key})")
    for value, a in before.items():
        if value not in after:
            lines.append(
                f"answer removed: {a.label} (`{value}`); earlier reviews keep it in their version"
            )
    common_before = [v for v in before if v in after]
    common_after = [v for v in after if v in before]
    if common_before != common_after:
        lines.append("answer order: " + ", ".join(after[v].label for v in after))
    return lines


def _viewport(viewport: Viewport | None) -> str:
    if viewport is None:
        return "none"
    return f"{viewport.orientation} " + " + ".join(_layer(layer) for layer in viewport.layers)


def _layer(layer: Layer) -> str:
    if not layer.is_mask:
        return f"`{layer.volume}`"
    return f"`{layer.volume}` (mask {layer.colour}, opacity {layer.opacity:g})"


def _label(config: ProjectConfig) -> str:
    if config.label.delimiter is None:
        return "whole case name"
    parts = (
        "all parts"
        if config.label.parts is None
        else "parts " + ", ".join(str(p) for p in config.label.parts)
    )
    return f"split at “{config.label.delimiter}”, {parts}"


def _brush(config: ProjectConfig) -> str:
    if config.brush is None:
        return "off"
    return f"`{config.brush.volume}` ({config.brush.radius_mm:g} mm)"


def _on(flag: bool) -> str:
    return "on" if flag else "off"
