// The keyboard help overlay (opened with ?).

import { h } from "./dom.js";

export function helpOverlay(config) {
  const rows = [
    ["Answer", config.answers.map((a) => `${a.key} ${a.label}`).join(" · ")],
    ["Next case", "Enter or →  (saves a changed comment)"],
    ["Previous case", "←  (earlier answers can be changed)"],
    ["Go to case", "g, or click “Case n of N”, then type its number and Enter"],
    ["Scroll slices", "mouse wheel, ↑ ↓, PageUp PageDown (10), Home End"],
    ["Window / level", "right-button drag (left drag too in W/L mode); a = automatic"],
    ["Window presets", "the presets menu in the side panel"],
    ["Zoom", "ctrl + wheel, + −"],
    ["Pan", "middle-button drag (left drag in Pan mode)"],
    ["Left drag mode", "w switches W/L ↔ Pan"],
    ["Link views", "l: scrolling and crosshair linked; click sets the crosshair"],
    ["One view large", "double-click a view, or f; again to go back"],
    ["Masks", "m shows or hides the mask overlays"],
    ["Reset view", "r"],
    ...(config.brush ? [
      ["Brush", "left drag paints; hold Shift (or e for Erase mode) to erase; b puts the brush away"],
      ["Brush radius", "[ smaller · ] larger (shown in mm)"],
      ["Undo / redo edits", "ctrl+Z · ctrl+shift+Z (or ctrl+Y)"],
    ] : []),
    ["Comment", "c to type; ctrl+Enter saves and goes on; Esc leaves the box"],
    ["This help", "? or Esc to close"],
  ];
  const close = h("button.ghost.icon", { type: "button", "aria-label": "Close", onclick: () => api.close() }, "×");
  const node = h("div.help-overlay", { hidden: true, role: "dialog", "aria-modal": "true", "aria-label": "Keyboard shortcuts", "data-testid": "help",
    onclick: (e) => { if (e.target === node) api.close(); } },
  h("div.help-card", {},
    h("div.help-head", {}, h("h2", {}, "Keyboard and mouse"), close),
    h("table.help-table", {}, h("tbody", {}, rows.map(([what, keys]) => h("tr", {}, h("th", {}, what), h("td", {}, keys)))))));
  const api = {
    node,
    isOpen: () => !node.hidden,
    open() { node.hidden = false; close.focus(); },
    close() { node.hidden = true; },
    toggle() { if (node.hidden) api.open(); else api.close(); },
  };
  return api;
}
