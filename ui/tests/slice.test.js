import { test } from "node:test";
import assert from "node:assert/strict";
import { extractSlice, fitSlice, pointToSlice, sliceCount, sliceGeometry, sliceEndOffset, sliceToVoxel, voxelToSlice } from "../src/slice.js";

// A volume whose value encodes its own voxel index: v = z*100 + y*10 + x.
const dims = [3, 4, 5];
const data = new Int16Array(3 * 4 * 5);
for (let z = 0; z < 3; z++) for (let y = 0; y < 4; y++) for (let x = 0; x < 5; x++) data[z * 20 + y * 5 + x] = z * 100 + y * 10 + x;
const at = (z, y, x) => z * 100 + y * 10 + x;

test("axial slice: x left to right, y top to bottom", () => {
  const g = sliceGeometry(dims, [3, 2, 1], "axial", 1);
  assert.deepEqual([g.width, g.height, g.su, g.sv], [5, 4, 1, 2]);
  const s = extractSlice(data, g);
  assert.equal(s[0], at(1, 0, 0));
  assert.equal(s[4], at(1, 0, 4)); // top right = patient left
  assert.equal(s[5], at(1, 1, 0)); // second row = more posterior
});

test("coronal slice: x left to right, superior (last z) at the top", () => {
  const g = sliceGeometry(dims, [3, 2, 1], "coronal", 2);
  assert.deepEqual([g.width, g.height, g.su, g.sv], [5, 3, 1, 3]);
  const s = extractSlice(data, g);
  assert.equal(s[0], at(2, 2, 0)); // top row is z = nz - 1
  assert.equal(s[4], at(2, 2, 4));
  assert.equal(s[10], at(0, 2, 0)); // bottom row is z = 0
});

test("sagittal slice: anterior (y = 0) at the left, superior at the top", () => {
  const g = sliceGeometry(dims, [3, 2, 1], "sagittal", 3);
  assert.deepEqual([g.width, g.height, g.su, g.sv], [4, 3, 2, 3]);
  const s = extractSlice(data, g);
  assert.equal(s[0], at(2, 0, 3));
  assert.equal(s[3], at(2, 3, 3));
  assert.equal(s[8], at(0, 0, 3));
});

test("slice counts and bounds", () => {
  assert.equal(sliceCount(dims, "axial"), 3);
  assert.equal(sliceCount(dims, "coronal"), 4);
  assert.equal(sliceCount(dims, "sagittal"), 5);
  assert.throws(() => sliceGeometry(dims, [1, 1, 1], "axial", 3), /outside the volume/);
  assert.throws(() => sliceGeometry(dims, [1, 1, 1], "oblique", 0), /unknown orientation/);
});

test("anisotropic spacing keeps the mm aspect ratio when fitted", () => {
  // Coronal of 2.5 mm slices: each row is 2.5x as tall as a column is wide.
  const g = sliceGeometry([10, 20, 20], [2.5, 1, 1], "coronal", 0);
  const fit = fitSlice(g, 400, 400);
  assert.ok(Math.abs(fit.pxH / fit.pxW - 2.5) < 1e-9);
  // 20 mm wide x 25 mm tall: the height fills the box, the width is 4/5 of it, centred.
  assert.ok(Math.abs(fit.drawH - 400) < 1e-9);
  assert.ok(Math.abs(fit.drawW - 320) < 1e-9);
  assert.ok(Math.abs(fit.left - 40) < 1e-9);
  const zoomed = fitSlice(g, 400, 400, 2, 10, -5);
  assert.ok(Math.abs(zoomed.pxW - 2 * fit.pxW) < 1e-9);
  assert.ok(Math.abs(zoomed.left - (fit.left - fit.drawW / 2 + 10)) < 1e-9);
});

test("pointer position maps back to the voxel under it", () => {
  const g = sliceGeometry(dims, [1, 1, 1], "coronal", 1);
  const fit = fitSlice(g, 100, 60);
  const p = pointToSlice(fit, fit.left + 2.5 * fit.pxW, fit.top + 0.5 * fit.pxH);
  assert.deepEqual([p.u, p.v], [2, 0]);
  assert.deepEqual(sliceToVoxel(dims, g, 2, 0), [2, 1, 2]);
  assert.deepEqual(voxelToSlice(dims, "coronal", 2, 1, 2), { index: 1, u: 2, v: 0 });
  assert.deepEqual(voxelToSlice(dims, "sagittal", 0, 3, 4), { index: 4, u: 3, v: 2 });
});

test("a streamed axial slice needs only the samples up to its end", () => {
  const g = sliceGeometry(dims, [1, 1, 1], "axial", 0);
  assert.equal(sliceEndOffset(dims, g), 20);
  assert.equal(sliceEndOffset(dims, sliceGeometry(dims, [1, 1, 1], "sagittal", 0)), 60);
});
