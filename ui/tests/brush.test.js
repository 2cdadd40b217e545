// Unit tests of ui/src/brush.js (run: node --test ui/tests/).
import { test } from "node:test";
import assert from "node:assert/strict";

import {
  EditHistory,
  cursorRadii,
  editableMask,
  ORIENTATIONS,
  maskMetrics,
  paintStroke,
  pointerToSlice,
  rectToBox,
  rleDecode,
  rleEncode,
  sliceGeometry,
  sliceToPointer,
  sliceToVoxel,
  stepRadius,
  strokeFootprint,
  voxelToSlice,
} from "../src/brush.js";
import { fitSlice } from "../src/slice.js";

// Reference disc: voxel centres within r mm, plus the voxel nearest the centre.
function bruteDisc(w, h, su, sv, cu, cv, r) {
  const out = new Uint8Array(w * h);
  for (let v = 0; v < h; v++) {
    for (let u = 0; u < w; u++) {
      if (Math.hypot((u - cu) * su, (v - cv) * sv) <= r) out[v * w + u] = 1;
    }
  }
  const iu = Math.floor(cu + 0.5), iv = Math.floor(cv + 0.5);
  if (iu >= 0 && iv >= 0 && iu < w && iv < h) out[iv * w + iu] = 1;
  return out;
}

function count(a) {
  let n = 0;
  for (const x of a) n += x !== 0 ? 1 : 0;
  return n;
}

// A reproducible pseudo-random sequence (mulberry32).
function rng(seed) {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

test("a disc is the set of voxel centres within the radius in mm", () => {
  const cases = [
    [1, 1, 10, 10, 3],
    [0.5, 2.5, 12.3, 7.8, 4], // anisotropic
    [0.7, 0.7, 0.2, 19.9, 5], // clipped by the edge
    [1, 1, 6.5, 6.5, 0.2], // smaller than a voxel: nearest voxel only
  ];
  for (const [su, sv, cu, cv, r] of cases) {
    const p = { u: cu, v: cv };
    const got = strokeFootprint(25, 20, su, sv, p, p, r);
    assert.deepEqual(got, bruteDisc(25, 20, su, sv, cu, cv, r), `disc ${[su, sv, cu, cv, r]}`);
  }
  const tiny = strokeFootprint(25, 20, 1, 1, { u: 6.5, v: 6.5 }, { u: 6.5, v: 6.5 }, 0.2);
  assert.equal(count(tiny), 1);
});

test("a disc on anisotropic voxels is round in millimetres", () => {
  // 0.5 mm columns, 2 mm rows, radius 4 mm: columns 12..28, rows 18..22.
  const p = { u: 20, v: 20 };
  const got = strokeFootprint(40, 40, 0.5, 2, p, p, 4);
  let uMin = 99, uMax = -1, vMin = 99, vMax = -1;
  for (let v = 0; v < 40; v++) {
    for (let u = 0; u < 40; u++) {
      if (!got[v * 40 + u]) continue;
      uMin = Math.min(uMin, u); uMax = Math.max(uMax, u);
      vMin = Math.min(vMin, v); vMax = Math.max(vMax, v);
    }
  }
  assert.deepEqual([uMin, uMax, vMin, vMax], [12, 28, 18, 22]);
});

test("a stroke covers the discs swept along it, so a fast stroke has no gap", () => {
  const p0 = { u: 3.2, v: 4.1 }, p1 = { u: 40.7, v: 22.5 }, r = 2.5;
  const got = strokeFootprint(50, 30, 1, 1.5, p0, p1, r);
  const dense = new Uint8Array(50 * 30);
  for (let i = 0; i <= 2000; i++) {
    const t = i / 2000;
    const d = bruteDisc(50, 30, 1, 1.5, p0.u + t * (p1.u - p0.u), p0.v + t * (p1.v - p0.v), r);
    for (let k = 0; k < d.length; k++) dense[k] |= d[k];
  }
  let extra = 0;
  for (let k = 0; k < dense.length; k++) {
    assert.ok(!(dense[k] && !got[k]), `voxel ${k} of the sampled sweep is missing`);
    if (got[k] && !dense[k]) extra++;
  }
  assert.ok(extra <= 2);
  const line = strokeFootprint(200, 20, 1, 1, { u: 2, v: 10 }, { u: 197, v: 10 }, 1);
  for (let u = 2; u <= 197; u++) assert.equal(line[10 * 200 + u], 1, `gap at u=${u}`);
});

test("a stroke with a missing position paints nothing", () => {
  const mask = new Uint8Array(64);
  const g = { width: 8, height: 8, su: 1, sv: 1, base: 0, strideU: 1, strideV: 8 };
  assert.deepEqual(paintStroke(mask, g, { u: NaN, v: 2 }, { u: 3, v: 3 }, 2, 1), { changed: 0, rect: null });
  assert.deepEqual(paintStroke(mask, g, { u: 2, v: 2 }, { u: 3, v: 3 }, Infinity, 1), { changed: 0, rect: null });
  assert.equal(count(mask), 0);
});

test("slice geometry follows the display rules and matches sliceToVoxel", () => {
  const dims = [4, 5, 6];
  const spacing = [3, 2, 1];
  const flat = (z, y, x) => (z * dims[1] + y) * dims[2] + x;
  const expected = {
    axial: { width: 6, height: 5, su: 1, sv: 2 },
    coronal: { width: 6, height: 4, su: 1, sv: 3 },
    sagittal: { width: 5, height: 4, su: 2, sv: 3 },
  };
  for (const o of ORIENTATIONS) {
    const g = sliceGeometry(dims, spacing, o, 1);
    assert.deepEqual({ width: g.width, height: g.height, su: g.su, sv: g.sv }, expected[o]);
    for (let v = 0; v < g.height; v++) {
      for (let u = 0; u < g.width; u++) {
        const [z, y, x] = sliceToVoxel(g, u, v);
        assert.equal(g.base + u * g.strideU + v * g.strideV, flat(z, y, x), `${o} (${u},${v})`);
        assert.deepEqual(voxelToSlice(dims, o, z, y, x), { index: 1, u, v });
      }
    }
  }
  // Superior at the top in coronal and sagittal; anterior (low y) at the left in sagittal.
  assert.deepEqual(sliceToVoxel(sliceGeometry(dims, spacing, "coronal", 2), 3, 0), [3, 2, 3]);
  assert.deepEqual(sliceToVoxel(sliceGeometry(dims, spacing, "sagittal", 5), 0, 3), [0, 0, 5]);
  assert.throws(() => sliceGeometry(dims, spacing, "axial", 4), /outside the volume/);
  assert.throws(() => sliceGeometry(dims, spacing, "oblique", 0), /unknown orientation/);
});

test("paint and erase in every orientation touch only that slice and report the dirty rect", () => {
  const dims = [12, 14, 16];
  const spacing = [2, 1, 0.5];
  for (const o of ORIENTATIONS) {
    const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
    const g = sliceGeometry(dims, spacing, o, 3);
    const first = paintStroke(mask, g, { u: 4, v: 4 }, { u: 9, v: 6 }, 2, 1);
    assert.ok(first.changed > 0);
    assert.equal(count(mask), first.changed);
    let u0 = 1e9, v0 = 1e9, u1 = -1, v1 = -1;
    for (let v = 0; v < g.height; v++) {
      for (let u = 0; u < g.width; u++) {
        if (!mask[g.base + u * g.strideU + v * g.strideV]) continue;
        u0 = Math.min(u0, u); v0 = Math.min(v0, v); u1 = Math.max(u1, u + 1); v1 = Math.max(v1, v + 1);
      }
    }
    assert.deepEqual(first.rect, { u0, v0, u1, v1 }, o);
    const box = rectToBox(g, first.rect);
    let inBox = 0;
    for (let z = box.z0; z < box.z1; z++) {
      for (let y = box.y0; y < box.y1; y++) {
        for (let x = box.x0; x < box.x1; x++) inBox += mask[(z * dims[1] + y) * dims[2] + x];
      }
    }
    assert.equal(inBox, first.changed, `${o}: the box holds every change`);
    assert.deepEqual(paintStroke(mask, g, { u: 4, v: 4 }, { u: 9, v: 6 }, 2, 1), { changed: 0, rect: null });
    const erased = paintStroke(mask, g, { u: 4, v: 4 }, { u: 4, v: 4 }, 1, 0);
    assert.ok(erased.changed > 0);
    assert.equal(count(mask), first.changed - erased.changed);
  }
});

test("run-length coding round-trips", () => {
  const next = rng(3);
  for (const n of [0, 1, 7, 1000]) {
    const bytes = new Uint8Array(n);
    for (let i = 0; i < n; i++) bytes[i] = next() < 0.1 ? 1 : next() < 0.01 ? 255 : 0;
    const runs = rleEncode(bytes);
    assert.deepEqual(rleDecode(runs), bytes);
    let total = 0;
    for (const c of runs.counts) total += c;
    assert.equal(total, n);
  }
  const zeros = rleEncode(new Uint8Array(1 << 20));
  assert.equal(zeros.values.length, 1); // a mostly empty diff costs a few bytes
});

test("undo and redo restore exactly, per stroke, in every orientation", () => {
  const dims = [10, 12, 14];
  const spacing = [2.5, 0.8, 0.8];
  const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
  for (let i = 0; i < mask.length; i += 7) mask[i] = 1; // a non-empty original
  const h = new EditHistory(mask, dims, spacing);
  const states = [mask.slice()];
  const next = rng(11);
  for (let s = 0; s < 12; s++) {
    const o = ORIENTATIONS[s % 3];
    const g = h.beginStroke(o, Math.floor(next() * (o === "axial" ? 10 : o === "coronal" ? 12 : 14)));
    let p = { u: next() * g.width, v: next() * g.height };
    for (let k = 0; k < 4; k++) {
      const q = { u: next() * g.width, v: next() * g.height };
      h.stroke(p, q, 0.5 + next() * 3, s % 4 === 3 ? 0 : 1);
      p = q;
    }
    h.endStroke();
    states.push(mask.slice());
    assert.deepEqual(h.metrics(), maskMetrics(h.original, mask), `metrics after stroke ${s}`);
  }
  const steps = h.done.length;
  for (let i = steps; i > 0; i--) {
    assert.ok(h.undo());
    assert.deepEqual(h.metrics(), maskMetrics(h.original, mask));
  }
  assert.deepEqual(mask, states[0]);
  assert.equal(h.undo(), null);
  for (let i = 0; i < steps; i++) h.redo();
  assert.deepEqual(mask, states[states.length - 1]);
  assert.equal(h.redo(), null);
  // A new stroke after an undo drops the redo branch.
  h.undo();
  h.beginStroke("axial", 0);
  h.stroke({ u: 1, v: 1 }, { u: 1, v: 1 }, 1, 1);
  h.endStroke();
  assert.equal(h.canRedo, false);
});

test("a stroke that changes nothing is not an undo step", () => {
  const dims = [3, 8, 8];
  const mask = new Uint8Array(3 * 64);
  const h = new EditHistory(mask, dims, [1, 1, 1]);
  h.beginStroke("axial", 1);
  h.stroke({ u: 3, v: 3 }, { u: 3, v: 3 }, 2, 0); // erase on empty
  assert.equal(h.endStroke(), null);
  assert.equal(h.canUndo, false);
});

test("reset to original is one undoable step and returns the changed box", () => {
  const dims = [6, 20, 20];
  const mask = new Uint8Array(6 * 400);
  mask.fill(1, 400, 800); // slice z=1 full
  const original = mask.slice();
  const h = new EditHistory(mask, dims, [1, 1, 1]);
  h.beginStroke("axial", 1);
  h.stroke({ u: 5, v: 5 }, { u: 12, v: 5 }, 2, 0);
  h.endStroke();
  h.beginStroke("sagittal", 15);
  h.stroke({ u: 2, v: 1 }, { u: 2, v: 1 }, 1.5, 1);
  const edited = h.endStroke() && mask.slice();
  const m = h.metrics();
  assert.ok(m.added > 0 && m.removed > 0 && m.dice < 1);
  const box = h.resetToOriginal();
  assert.deepEqual(mask, original);
  assert.deepEqual(h.metrics(), { added: 0, removed: 0, dice: 1 });
  assert.ok(box.z0 <= 1 && box.z1 >= 5 && box.x0 <= 3 && box.x1 === 16);
  h.undo();
  assert.deepEqual(mask, edited);
  assert.deepEqual(h.metrics(), m);
  assert.equal(h.resetToOriginal() !== null, true);
  assert.equal(h.resetToOriginal(), null); // nothing left to reset
});

test("metrics: added, removed and Dice", () => {
  const o = new Uint8Array([1, 1, 1, 1, 0, 0, 0, 0]);
  const e = new Uint8Array([1, 1, 0, 0, 1, 0, 0, 0]);
  assert.deepEqual(maskMetrics(o, e), { added: 1, removed: 2, dice: (2 * 2) / (4 + 3) });
  assert.deepEqual(maskMetrics(new Uint8Array(4), new Uint8Array(4)), { added: 0, removed: 0, dice: 1 });
  assert.throws(() => maskMetrics(o, e.subarray(1)), /sizes differ/);
  // Word-at-a-time scanning agrees with a plain count, aligned or not, with a ragged tail.
  const next = rng(5);
  const a = new Uint8Array(1003), b = new Uint8Array(1003);
  for (let i = 0; i < a.length; i++) { a[i] = next() < 0.05 ? 1 : 0; b[i] = next() < 0.05 ? 3 : 0; }
  for (const [x, y] of [[a, b], [a.subarray(1), b.subarray(1)], [a.subarray(2, 1002), b.subarray(3, 1003)]]) {
    let both = 0, ox = 0, oy = 0;
    for (let i = 0; i < x.length; i++) { ox += x[i] ? 1 : 0; oy += y[i] ? 1 : 0; both += x[i] && y[i] ? 1 : 0; }
    assert.deepEqual(maskMetrics(x, y), { added: oy - both, removed: ox - both, dice: (2 * both) / (ox + oy) });
  }
});

test("any mask layer becomes a 0/1 editable mask by its real-world value", () => {
  assert.deepEqual(editableMask(new Int16Array([0, 1, 2, -3])), new Uint8Array([0, 1, 1, 1]));
  assert.deepEqual(editableMask(new Float32Array([0, 0.5, NaN])), new Uint8Array([0, 1, 1]));
  // stored 1024 with intercept -1024 is a real 0: outside.
  assert.deepEqual(editableMask(new Uint16Array([1024, 1025]), 1, -1024), new Uint8Array([0, 1]));
});

test("pointer positions map to slice positions the brush paints, and the cursor is round in mm", () => {
  const dims = [40, 100, 200];
  const spacing = [2.5, 0.5, 0.5];
  const g = sliceGeometry(dims, spacing, "coronal", 10); // 200 x 40 voxels, 0.5 x 2.5 mm
  const fit = fitSlice(g, 400, 400);
  // The centre of voxel (7, 3) on screen maps back to (7, 3) exactly.
  const at = sliceToPointer(fit, 7, 3);
  const p = pointerToSlice(fit, at.x, at.y);
  assert.ok(Math.abs(p.u - 7) < 1e-9 && Math.abs(p.v - 3) < 1e-9);
  // A pointer over a voxel's top-left corner is half a voxel before its centre.
  const corner = pointerToSlice(fit, fit.left + 7 * fit.pxW, fit.top + 3 * fit.pxH);
  assert.ok(Math.abs(corner.u - 6.5) < 1e-9 && Math.abs(corner.v - 2.5) < 1e-9);
  // A dab under the pointer paints the voxel under the pointer.
  const mask = new Uint8Array(dims[0] * dims[1] * dims[2]);
  paintStroke(mask, g, p, p, 0.1, 1);
  const [z, y, x] = sliceToVoxel(g, 7, 3);
  assert.equal(mask[(z * dims[1] + y) * dims[2] + x], 1);
  // 5 mm is 10 columns but 2 rows, and the same number of screen pixels both ways.
  const { rx, ry } = cursorRadii(fit, g, 5);
  assert.ok(Math.abs(rx - ry) < 1e-9);
  assert.ok(Math.abs(rx - 10 * fit.pxW) < 1e-9 && Math.abs(ry - 2 * fit.pxH) < 1e-9);
});

test("radius steps stay within bounds", () => {
  assert.equal(stepRadius(5, 1), 6);
  assert.equal(stepRadius(6, -1), 5);
  assert.equal(stepRadius(0.5, -1), 0.5);
  assert.equal(stepRadius(50, 1), 50);
});
