import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULTS, EVENTS, initialState, masksVisible, reduce, withMaskOpacity, withMasksVisible } from "../src/viewer-state.js";

const config = {
  viewports: {
    rows: 1, columns: 3,
    viewports: [
      { orientation: "axial", layers: [{ volume: "ct" }, { volume: "mask", is_mask: true, colour: "#00ff00", opacity: 0.5 }] },
      { orientation: "coronal", layers: [{ volume: "ct" }] },
      { orientation: "sagittal", layers: [{ volume: "ct" }] },
    ],
  },
};
const volumes = [
  { name: "ct", shape: [10, 20, 30], spacing: [2, 1, 1], dtype: "int16", slope: 1, intercept: 0, is_mask: false, window: { center: 40, width: 400 } },
  { name: "mask", shape: [10, 20, 30], spacing: [2, 1, 1], dtype: "uint8", slope: 1, intercept: 0, is_mask: true, window: null },
];

test("initial state: viewports from the config, middle slices, window from the bridge", () => {
  const s = initialState(config, volumes);
  assert.deepEqual(s.viewports.map((v) => v.slice), [5, 10, 15]);
  assert.equal(s.viewports[0].layers[1].colour, "#00ff00");
  assert.equal(s.viewports[0].layers[1].isMask, true);
  assert.deepEqual([s.windows.ct.center, s.windows.ct.width], [40, 400]);
  assert.equal(s.windows.mask, undefined);
  assert.equal(s.leftDrag, DEFAULTS.leftDrag);
});

test("scrolling clamps to the volume and does not touch the old state", () => {
  const s0 = initialState(config, volumes);
  const s1 = reduce(s0, { type: "sliceBy", viewport: 0, delta: 100 });
  assert.equal(s1.viewports[0].slice, 9);
  assert.equal(s0.viewports[0].slice, 5);
  assert.equal(reduce(s1, { type: "slice", viewport: 0, index: -3 }).viewports[0].slice, 0);
});

test("zoom keeps the anchor point still and is clamped", () => {
  const s0 = initialState(config, volumes);
  const s1 = reduce(s0, { type: "zoom", viewport: 1, factor: 2, anchorX: 50, anchorY: -20 });
  assert.equal(s1.viewports[1].zoom, 2);
  assert.deepEqual([s1.viewports[1].panX, s1.viewports[1].panY], [-50, 20]);
  const big = reduce(s0, { type: "zoom", viewport: 1, factor: 1e6 });
  assert.equal(big.viewports[1].zoom, DEFAULTS.maxZoom);
});

test("window, reset of window, pan and reset of a viewport", () => {
  let s = initialState(config, volumes);
  s = reduce(s, { type: "window", volume: "ct", center: -600, width: 1500 });
  assert.deepEqual([s.windows.ct.center, s.windows.ct.width], [-600, 1500]);
  s = reduce(s, { type: "windowReset", volume: "ct" });
  assert.deepEqual([s.windows.ct.center, s.windows.ct.width], [40, 400]);
  s = reduce(s, { type: "pan", viewport: 2, dx: 5, dy: 7 });
  s = reduce(s, { type: "sliceBy", viewport: 2, delta: 3 });
  s = reduce(s, { type: "reset", viewport: 2 });
  assert.deepEqual([s.viewports[2].slice, s.viewports[2].panX, s.viewports[2].zoom], [15, 0, 1]);
});

test("linked scrolling moves the crosshair; the other viewports follow", () => {
  let s = initialState(config, volumes);
  s = reduce(s, { type: "linked", on: true });
  s = reduce(s, { type: "cursor", viewport: 0, z: 3, y: 4, x: 7 });
  assert.deepEqual(s.viewports.map((v) => v.slice), [5, 4, 7]); // axial keeps its own slice
  s = reduce(s, { type: "sliceBy", viewport: 1, delta: 2 }); // coronal -> y = 6
  assert.equal(s.cursor.y, 6);
  s = reduce(s, { type: "slice", viewport: 0, index: 8 });
  assert.equal(s.cursor.z, 8);
  assert.deepEqual(s.viewports.map((v) => v.slice), [8, 6, 7]);
  const unlinked = reduce(reduce(s, { type: "linked", on: false }), { type: "sliceBy", viewport: 0, delta: -1 });
  assert.deepEqual(unlinked.viewports.map((v) => v.slice), [7, 6, 7]);
});

test("layer opacity and visibility; unknown events are refused", () => {
  let s = initialState(config, volumes);
  s = reduce(s, { type: "layer", viewport: 0, layer: 1, opacity: 0.2, visible: false });
  assert.deepEqual([s.viewports[0].layers[1].opacity, s.viewports[0].layers[1].visible], [0.2, false]);
  assert.throws(() => reduce(s, { type: "explode" }), /unknown viewer event "explode"/);
  assert.ok(Object.keys(EVENTS).includes("sliceBy"));
});

test("volume data arrives: the state knows how much", () => {
  let s = initialState(config, volumes);
  const data = new Int16Array(6000);
  s = reduce(s, { type: "volumeData", name: "ct", data, loaded: 600, complete: false });
  assert.equal(s.volumes.ct.loaded, 600);
  assert.equal(s.volumes.ct.data, data);
});

test("masks are hidden and shown together; images stay", () => {
  const s = initialState(config, volumes);
  assert.equal(masksVisible(s), true);
  const hidden = withMasksVisible(s, false);
  assert.equal(masksVisible(hidden), false);
  assert.equal(hidden.viewports[0].layers[0].visible, true);
  assert.equal(hidden.viewports[0].layers[1].visible, false);
  assert.equal(masksVisible(withMasksVisible(hidden, true)), true);
  assert.equal(s.viewports[0].layers[1].visible, true); // the old state is untouched
});

test("the mask opacity slider scales the project's opacity; images are untouched", () => {
  const s = initialState(config, volumes);
  const half = withMaskOpacity(s, 0.5);
  assert.equal(half.viewports[0].layers[1].opacity, 0.25); // project says 0.5
  assert.equal(half.viewports[0].layers[0].opacity, 1);
  assert.equal(withMaskOpacity(half, 1).viewports[0].layers[1].opacity, 0.5);
  assert.equal(withMaskOpacity(s, 7).viewports[0].layers[1].opacity, 0.5); // clamped to 1x
});

test("left drag: window, pan or an installed tool; anything else is window; kept from case to case", () => {
  const s0 = initialState(config, volumes);
  assert.equal(reduce(s0, { type: "leftDrag", mode: "pan" }).leftDrag, "pan");
  const tool = reduce(s0, { type: "leftDrag", mode: "tool" });
  assert.equal(tool.leftDrag, "tool");
  assert.equal(reduce(tool, { type: "leftDrag", mode: "window" }).leftDrag, "window");
  assert.equal(reduce(tool, { type: "leftDrag", mode: "zoom" }).leftDrag, "window");
  assert.equal(initialState(config, volumes, tool).leftDrag, "tool");
});
