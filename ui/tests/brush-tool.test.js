// Unit tests of ui/src/brush-tool.js's pure parts (run: node --test ui/tests/).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  brushKeyAction,
  createBrushExtension,
  formatMetrics,
  leftDragAction,
  maskUploadUrl,
  storedValues,
  writeBack,
} from "../src/brush-tool.js";
import { EditHistory } from "../src/brush.js";

const key = (k, mods = {}) => ({ key: k, ctrlKey: false, metaKey: false, shiftKey: false, altKey: false, ...mods });

test("keys: [ ] radius, ctrl+Z undo, ctrl+shift+Z and ctrl+Y redo, e erase, b brush", () => {
  assert.equal(brushKeyAction(key("[")), "smaller");
  assert.equal(brushKeyAction(key("]")), "bigger");
  assert.equal(brushKeyAction(key("z", { ctrlKey: true })), "undo");
  assert.equal(brushKeyAction(key("Z", { ctrlKey: true, shiftKey: true })), "redo");
  assert.equal(brushKeyAction(key("z", { metaKey: true, shiftKey: true })), "redo");
  assert.equal(brushKeyAction(key("y", { ctrlKey: true })), "redo");
  assert.equal(brushKeyAction(key("e")), "toggleErase");
  assert.equal(brushKeyAction(key("b")), "toggleBrush");
  // Keys the review screen owns stay its own.
  for (const k of ["z", "1", "m", "w", "Enter", "ArrowUp", "?", "r"]) assert.equal(brushKeyAction(key(k)), null, k);
  assert.equal(brushKeyAction(key("Enter", { ctrlKey: true })), null);
  assert.equal(brushKeyAction(key("z", { ctrlKey: true, altKey: true })), null);
});

test("the upload URL replaces /voxels/<handle> with /masks/<handle>", () => {
  assert.equal(maskUploadUrl("http://127.0.0.1:5000/voxels/ab12", "ab12"), "http://127.0.0.1:5000/masks/ab12");
  assert.equal(maskUploadUrl("http://127.0.0.1:5000/base/voxels/x", "h 1"), "http://127.0.0.1:5000/base/masks/h%201");
  assert.throws(() => maskUploadUrl("http://127.0.0.1:5000/v/x", "x"), /no \/voxels\//);
});

test("writeBack copies the edited box into the layer's voxels as inside/outside stored values", () => {
  const dims = [2, 3, 4];
  const mask = new Uint8Array(24);
  mask[1 * 12 + 1 * 4 + 2] = 1;
  mask[0] = 1; // outside the box: must not be copied
  const data = new Int16Array(24).fill(7);
  writeBack(data, mask, dims, { z0: 1, z1: 2, y0: 1, y1: 3, x0: 1, x1: 4 });
  assert.equal(data[1 * 12 + 1 * 4 + 2], 1);
  assert.equal(data[1 * 12 + 1 * 4 + 1], 0);
  assert.equal(data[1 * 12 + 2 * 4 + 3], 0);
  assert.equal(data[0], 7);
  assert.equal(data[1 * 12 + 0 * 4 + 2], 7);
  // Whole volume, and a scaled layer: stored * slope + intercept is 0 outside, non-zero inside.
  const scaled = new Float32Array(24);
  writeBack(scaled, mask, dims, null, 2, -4);
  const { outside, inside } = storedValues(2, -4);
  assert.equal(outside * 2 - 4, 0);
  assert.notEqual(inside * 2 - 4, 0);
  assert.equal(scaled[0], inside);
  assert.equal(scaled[5], outside);
});

test("metrics text, and a stroke undone leaves no change", () => {
  const mask = new Uint8Array(5 * 5 * 5);
  const history = new EditHistory(mask, [5, 5, 5], [1, 1, 1]);
  history.beginStroke("axial", 2);
  history.stroke({ u: 2, v: 2 }, { u: 2, v: 2 }, 1, 1);
  history.endStroke();
  assert.equal(formatMetrics(history.metrics()), "Added 5 · Removed 0 · Dice 0.000");
  history.undo();
  assert.equal(formatMetrics(history.metrics()), "Added 0 · Removed 0 · Dice 1.000");
});

test("a project without brush editing gets no brush extension", () => {
  const viewer = { setTool() { throw new Error("must not install a tool"); }, addOverlay() { throw new Error("no overlay"); } };
  assert.equal(createBrushExtension({ viewer, config: { brush: null }, headers: {} }), null);
  assert.equal(createBrushExtension({ viewer, config: {}, headers: {} }), null);
});

test("left drag: the brush claims it (W/L and Pan stop looking selected) and yields to W/L or Pan", () => {
  // No case on screen yet: nothing to tell the viewer.
  assert.equal(leftDragAction({ enabled: true, claimed: false, leftDrag: null }), null);
  // The brush is on and the viewer still says W/L or Pan: claim the left button.
  assert.equal(leftDragAction({ enabled: true, claimed: false, leftDrag: "window" }), "claim");
  assert.equal(leftDragAction({ enabled: true, claimed: false, leftDrag: "pan" }), "claim");
  assert.equal(leftDragAction({ enabled: true, claimed: false, leftDrag: "tool" }), "claim");
  // Claimed and still "tool": nothing to do.
  assert.equal(leftDragAction({ enabled: true, claimed: true, leftDrag: "tool" }), null);
  // Claimed, and the reviewer picked W/L or Pan since: the brush goes away.
  assert.equal(leftDragAction({ enabled: true, claimed: true, leftDrag: "window" }), "release");
  assert.equal(leftDragAction({ enabled: true, claimed: true, leftDrag: "pan" }), "release");
  // The brush is off: W/L and Pan are left alone.
  assert.equal(leftDragAction({ enabled: false, claimed: false, leftDrag: "window" }), null);
  assert.equal(leftDragAction({ enabled: false, claimed: false, leftDrag: "pan" }), null);
});
