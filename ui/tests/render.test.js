import { test } from "node:test";
import assert from "node:assert/strict";
import { paintSlice, parseColour } from "../src/render.js";
import { makeWindowMap, windowValue } from "../src/windowing.js";
import { sliceGeometry } from "../src/slice.js";

const rgba = (p) => [p & 255, (p >>> 8) & 255, (p >>> 16) & 255, p >>> 24];

test("paintSlice writes the windowed grey of every voxel, opaque", () => {
  const dims = [2, 3, 4];
  const data = new Int16Array(24).map((_, i) => i * 10 - 50);
  const g = sliceGeometry(dims, [1, 1, 1], "coronal", 1);
  const map = makeWindowMap("int16", 1, 0, 60, 200);
  const px = paintSlice(new Uint32Array(g.width * g.height), g, data, map);
  // Row 0 is z = 1 (superior), row 1 is z = 0.
  for (let v = 0; v < 2; v++) for (let u = 0; u < 4; u++) {
    const z = 1 - v;
    const value = (z * 12 + 1 * 4 + u) * 10 - 50;
    const grey = windowValue(value, 60, 200);
    assert.deepEqual(rgba(px[v * 4 + u]), [grey, grey, grey, 255], `u=${u} v=${v}`);
  }
});

test("a mask blends its colour at its opacity; outside voxels stay grey", () => {
  const dims = [1, 2, 2];
  const image = new Uint8Array([0, 100, 200, 255]);
  const mask = new Uint8Array([0, 1, 0, 3]);
  const g = sliceGeometry(dims, [1, 1, 1], "axial", 0);
  const map = makeWindowMap("uint8", 1, 0, 127.5, 255);
  const px = paintSlice(new Uint32Array(4), g, image, map, [{ data: mask, rgb: [255, 0, 0], opacity: 0.5, outline: false }]);
  assert.deepEqual(rgba(px[0]), [0, 0, 0, 255]);
  const grey = windowValue(100, 127.5, 255);
  assert.deepEqual(rgba(px[1]), [Math.round(grey / 2 + 127.5), Math.round(grey / 2), Math.round(grey / 2), 255]);
  assert.deepEqual(rgba(px[2]).slice(0, 3), [200, 200, 200].map((x) => windowValue(x, 127.5, 255)));
  assert.deepEqual(rgba(px[3]), [255, 128, 128, 255]);
});

test("an outline mask colours only its border voxels", () => {
  const dims = [1, 5, 5];
  const image = new Uint8Array(25);
  const mask = new Uint8Array(25);
  for (let y = 1; y < 4; y++) for (let x = 1; x < 4; x++) mask[y * 5 + x] = 1;
  const g = sliceGeometry(dims, [1, 1, 1], "axial", 0);
  const map = makeWindowMap("uint8", 1, 0, 127.5, 255);
  const px = paintSlice(new Uint32Array(25), g, image, map, [{ data: mask, rgb: [0, 255, 0], opacity: 1, outline: true }]);
  assert.deepEqual(rgba(px[1 * 5 + 1]), [0, 255, 0, 255]); // corner of the square
  assert.deepEqual(rgba(px[2 * 5 + 2]), [0, 0, 0, 255]); // centre: inside, not drawn
  assert.deepEqual(rgba(px[0]), [0, 0, 0, 255]); // outside
});

test("float volumes with NaN draw black, not garbage", () => {
  const g = sliceGeometry([1, 1, 3], [1, 1, 1], "axial", 0);
  const map = makeWindowMap("float32", 1, 0, 0.5, 1);
  const px = paintSlice(new Uint32Array(3), g, new Float32Array([NaN, 0.5, 7]), map);
  assert.deepEqual(px.map((p) => p & 255), new Uint32Array([0, 128, 255]));
});

test("parseColour reads #rrggbb", () => {
  assert.deepEqual(parseColour("#10ff80"), [16, 255, 128]);
  assert.deepEqual(parseColour("bogus"), [255, 0, 0]);
});

test("outline via the four-voxels-at-a-time path equals the voxel-by-voxel definition", () => {
  const n = 8;
  const mask = new Uint8Array(2 * n * n);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    if ((x - 4) ** 2 + (y - 3) ** 2 <= 7 || (x === 0 && y === 7)) mask[n * n + y * n + x] = 1;
  }
  const g = sliceGeometry([2, n, n], [1, 1, 1], "axial", 1);
  const map = makeWindowMap("uint8", 1, 0, 127.5, 255);
  const px = paintSlice(new Uint32Array(n * n), g, new Uint8Array(2 * n * n), map,
    [{ data: mask, rgb: [0, 0, 255], opacity: 1, outline: true }]);
  const at = (x, y) => (x >= 0 && y >= 0 && x < n && y < n ? mask[n * n + y * n + x] : 0);
  for (let y = 0; y < n; y++) for (let x = 0; x < n; x++) {
    const inside = at(x, y) > 0;
    const border = x === 0 || y === 0 || x === n - 1 || y === n - 1;
    const edge = inside && (border || !(at(x - 1, y) && at(x + 1, y) && at(x, y - 1) && at(x, y + 1)));
    assert.equal((px[y * n + x] >>> 16) & 255, edge ? 255 : 0, `x=${x} y=${y}`);
  }
});

// A stand-in for the two canvases renderViewport draws with (no canvas in node): it records
// what was drawn where, and keeps the slice pixels.
function fakeCanvas() {
  const calls = [];
  const ctx = {
    calls, setTransform() {}, fillRect() {}, beginPath() {}, moveTo() {}, lineTo() {}, stroke() {},
    drawImage: (...args) => calls.push(["drawImage", ...args]),
  };
  const scratchCtx = {
    createImageData: (w, h) => ({ width: w, height: h, data: new Uint8ClampedArray(w * h * 4) }),
    putImageData: () => {},
  };
  return { ctx, scratch: { canvas: { width: 0, height: 0 }, ctx: scratchCtx, imageData: null, pixels: null } };
}

function streamingState(readyZ, orientation, slice) {
  const dims = [4, 2, 3];
  const data = new Int16Array(24).map((_, i) => Math.floor(i / 6) * 100); // value = 100 * z
  return {
    volumes: { ct: { name: "ct", dims, spacing: [1, 1, 1], dtype: "int16", slope: 1, intercept: 0, data, readyZ: Uint8Array.from(readyZ), loaded: 0, complete: false } },
    windows: { ct: { center: 150, width: 300 } },
    viewports: [{ orientation, layers: [{ volume: "ct", visible: true }], slice, zoom: 1, panX: 0, panY: 0 }],
    cursor: null, linked: false,
  };
}

test("while streaming, an axial view shows the nearest slice that has arrived", async () => {
  const { renderViewport, nearestReady } = await import("../src/render.js");
  assert.equal(nearestReady(Uint8Array.from([1, 0, 0, 0]), 2), 0);
  assert.equal(nearestReady(Uint8Array.from([0, 0, 0, 1]), 1), 3);
  assert.equal(nearestReady(Uint8Array.from([0, 0, 0, 0]), 1), -1);
  const { ctx, scratch } = fakeCanvas();
  const info = renderViewport(ctx, 100, 100, 1, streamingState([1, 0, 0, 0], "axial", 2), 0, scratch);
  assert.equal(info.status, "partial");
  assert.equal(info.geom.index, 0);
  assert.equal(scratch.pixels[0] & 255, windowValue(0, 150, 300));
  const none = renderViewport(ctx, 100, 100, 1, streamingState([0, 0, 0, 0], "axial", 2), 0, fakeCanvas().scratch);
  assert.equal(none.status, "loading");
  const ready = renderViewport(ctx, 100, 100, 1, streamingState([0, 0, 1, 0], "axial", 2), 0, fakeCanvas().scratch);
  assert.equal(ready.status, "ok");
});

test("while streaming, coronal rows of slices not yet in are black", async () => {
  const { renderViewport } = await import("../src/render.js");
  const { ctx, scratch } = fakeCanvas();
  const info = renderViewport(ctx, 100, 100, 1, streamingState([1, 1, 0, 0], "coronal", 1), 0, scratch);
  assert.equal(info.status, "partial");
  // Rows top to bottom are z = 3, 2, 1, 0: the top two have not arrived.
  const rowGrey = (v) => scratch.pixels[v * 3] & 255;
  assert.deepEqual([0, 1, 2, 3].map(rowGrey), [0, 0, windowValue(100, 150, 300), windowValue(0, 150, 300)]);
  assert.equal(scratch.pixels[0] >>> 24, 255); // black, not transparent
});
