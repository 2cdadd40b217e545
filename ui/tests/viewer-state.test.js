import { test } from "node:test";
import assert from "node:assert/strict";
import { DEFAULTS, EVENTS, initialState, maskFocus, masksVisible, reduce, withMaskOpacity, withMasksVisible } from "../src/viewer-state.js";

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

// A [10, 20, 30] mask with the boxes [z0, z1) × [y0, y1) × [x0, x1) set to `value`.
function boxMask(boxes, { value = 1, T = Uint8Array } = {}) {
  const data = new T(10 * 20 * 30);
  for (const [z0, z1, y0, y1, x0, x1] of boxes) {
    for (let z = z0; z < z1; z++) for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) data[(z * 20 + y) * 30 + x] = value;
  }
  return data;
}

test("mask focus: the centre of mass, snapped to a slice that holds mask voxels; null when empty", () => {
  assert.equal(maskFocus(new Uint8Array(10 * 20 * 30), [10, 20, 30]), null);
  assert.deepEqual(maskFocus(boxMask([[2, 5, 10, 13, 20, 23]]), [10, 20, 30]), { z: 3, y: 11, x: 21 });
  // A single voxel at the far corner (word skipping must not miss it).
  assert.deepEqual(maskFocus(boxMask([[9, 10, 19, 20, 29, 30]]), [10, 20, 30]), { z: 9, y: 19, x: 29 });
  // Two lesions far apart on x: the mean (x 15) holds none; the nearest slice that does is taken.
  const two = maskFocus(boxMask([[4, 5, 5, 6, 2, 4], [4, 5, 5, 6, 26, 28]]), [10, 20, 30]);
  assert.equal(two.z, 4);
  assert.equal(two.y, 5);
  assert.ok([3, 26].includes(two.x), `x ${two.x} must hold mask voxels`);
  // Stored values with slope/intercept: stored 1 reads as 0 (outside), stored 0 as -1 (inside).
  const shifted = boxMask([[0, 10, 0, 20, 0, 30]]);
  shifted.fill(0, 0, 30 * 20 * 7); // z 0..6 stored 0 -> value -1 -> inside
  assert.deepEqual(maskFocus(shifted, [10, 20, 30], 1, -1), { z: 3, y: 10, x: 15 });
  // Any voxel type, the same answer as the uint8 fast path.
  const boxes = [[1, 3, 0, 4, 7, 9], [6, 7, 12, 20, 0, 30]];
  assert.deepEqual(maskFocus(boxMask(boxes, { T: Float32Array, value: 0.5 }), [10, 20, 30]), maskFocus(boxMask(boxes), [10, 20, 30]));
});

test("mask focus: rows skipped 32 bits at a time give the same answer as voxel by voxel", () => {
  const dims = [5, 6, 8]; // 8-voxel rows: whole words for uint8, uint16 and float32
  let seed = 7;
  const random = () => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed / 2147483648; };
  for (let round = 0; round < 20; round++) {
    const u8 = new Uint8Array(5 * 6 * 8);
    for (let i = 0; i < u8.length; i++) if (random() < 0.03) u8[i] = 1 + Math.floor(random() * 3);
    const expected = maskFocus(Float64Array.from(u8), dims); // 8-byte voxels: no word skipping
    assert.deepEqual(maskFocus(u8, dims), expected);
    assert.deepEqual(maskFocus(Uint16Array.from(u8), dims), expected);
    assert.deepEqual(maskFocus(Float32Array.from(u8), dims), expected);
    // A view into a larger buffer (a slab of a stream) at a word-aligned offset.
    const big = new Uint8Array(u8.length + 8);
    big.set(u8, 4);
    assert.deepEqual(maskFocus(big.subarray(4, 4 + u8.length), dims), expected);
  }
  const corner = new Uint8Array(5 * 6 * 8);
  corner[corner.length - 1] = 1;
  assert.deepEqual(maskFocus(corner, dims), { z: 4, y: 5, x: 7 });
});

test("a mask arriving whole moves the views of its image to it, unless the reviewer has moved", () => {
  const data = boxMask([[7, 9, 2, 4, 25, 27]]);
  const arrived = { type: "volumeData", name: "mask", data, loaded: data.length, complete: true };
  const s0 = initialState(config, volumes);
  assert.deepEqual(s0.viewports.map((v) => v.slice), [5, 10, 15]);
  // Still arriving: nothing moves.
  const partial = reduce(s0, { ...arrived, complete: false, loaded: 10 });
  assert.deepEqual(partial.viewports.map((v) => v.slice), [5, 10, 15]);
  // Whole: axial z, coronal y, sagittal x of the mask's focus (all three views show "ct").
  const s1 = reduce(partial, arrived);
  assert.deepEqual(s1.viewports.map((v) => v.slice), [8, 3, 26]);
  assert.deepEqual(s1.focus.ct, { z: 8, y: 3, x: 26, mask: "mask" });
  // Reset goes back there, not to the middle.
  const scrolled = reduce(s1, { type: "sliceBy", viewport: 0, delta: -4 });
  assert.equal(scrolled.viewports[0].slice, 4);
  assert.deepEqual(reduce(scrolled, { type: "reset", viewport: null }).viewports.map((v) => v.slice), [8, 3, 26]);
  // The reviewer scrolled before the mask came: the views stay; reset then goes to the mask.
  const moved = reduce(reduce(s0, { type: "sliceBy", viewport: 1, delta: 2 }), arrived);
  assert.deepEqual(moved.viewports.map((v) => v.slice), [5, 12, 15]);
  assert.deepEqual(reduce(moved, { type: "reset", viewport: null }).viewports.map((v) => v.slice), [8, 3, 26]);
  // An empty mask keeps the middle (and reset stays the middle).
  const empty = new Uint8Array(data.length);
  const s2 = reduce(s0, { ...arrived, data: empty });
  assert.deepEqual(s2.viewports.map((v) => v.slice), [5, 10, 15]);
  assert.deepEqual(s2.focus, {});
  // A mask on another voxel grid than its image is not used.
  const other = initialState(config, [volumes[0], { ...volumes[1], shape: [5, 20, 30] }]);
  const s3 = reduce(other, { ...arrived, data: data.subarray(0, 5 * 20 * 30) });
  assert.deepEqual(s3.viewports.map((v) => v.slice), [5, 10, 15]);
});

test("views on another image than the mask's keep their middle slice", () => {
  const twoImages = {
    viewports: {
      rows: 1, columns: 2,
      viewports: [
        { orientation: "axial", layers: [{ volume: "ct" }, { volume: "mask", is_mask: true }] },
        { orientation: "axial", layers: [{ volume: "pet" }] },
      ],
    },
  };
  const pet = { ...volumes[0], name: "pet", shape: [40, 20, 30] };
  const data = boxMask([[1, 2, 0, 20, 0, 30]]);
  const s = reduce(initialState(twoImages, [...volumes, pet]), { type: "volumeData", name: "mask", data, loaded: data.length, complete: true });
  assert.deepEqual(s.viewports.map((v) => v.slice), [1, 20]);
});
