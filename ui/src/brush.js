// Circular-brush mask editing: the pure maths (no DOM), shared by every viewport.
//
// Coordinates. A mask is a Uint8Array holding a canonical `[z, y, x]` volume (C order,
// `dims = [nz, ny, nx]`, `spacing = [sz, sy, sx]` in mm). A viewport shows one slice of it as a 2D
// image with columns `u` (left to right) and rows `v` (top to bottom), as DESIGN.md's display rules
// say:
//   axial    slice z; u = x, v = y                 pixel spacing (sx, sy)
//   coronal  slice y; u = x, v = nz - 1 - z        pixel spacing (sx, sz)   (superior at the top)
//   sagittal slice x; u = y, v = nz - 1 - z        pixel spacing (sy, sz)   (anterior at the left)
// `sliceGeometry` (from ui/src/slice.js, re-exported here) maps voxel (u, v) of a slice to
// `mask[base + u * strideU + v * strideV]`; the viewer draws and the brush paints through it.
// Slice positions are continuous voxel coordinates with voxel centres at integers: a pointer over
// the middle of pixel (3, 7) is (3, 7), over its top-left corner (2.5, 6.5). A viewer that draws
// voxel u over screen pixels [left + u*scale, left + (u+1)*scale) converts a pointer x with
// `u = (x - left) / scale - 0.5` (pointerToSlice, for a slice placed by slice.js fitSlice).
//
// Brush. A voxel is painted when its centre lies within `radiusMm` of the brush centre, measured in
// millimetres (so the brush stays round on anisotropic voxels). A stroke from p0 to p1 paints every
// voxel within `radiusMm` of the segment (the disc swept along it), so fast pointer moves leave no
// gaps. The voxel nearest each end point is always painted, so a brush smaller than a voxel still
// paints something. naesview_app/imaging/brush.py implements the same rule; a test compares both
// voxel for voxel, so change them together.

import { ORIENTATION_NAMES, sliceGeometry } from "./slice.js";

// The slice geometry is slice.js's: the same object draws a slice and paints into it.
export { sliceGeometry };
export const ORIENTATIONS = ORIENTATION_NAMES;

/** The canonical `[z, y, x]` index of integer slice position (u, v). */
export function sliceToVoxel(geom, u, v) {
  // Coronal and sagittal slices are nz rows high, so z = height - 1 - v.
  if (geom.orientation === "axial") return [geom.index, v, u];
  if (geom.orientation === "coronal") return [geom.height - 1 - v, geom.index, u];
  return [geom.height - 1 - v, u, geom.index];
}

/** Where voxel `[z, y, x]` appears in `orientation`: the slice index and the position (u, v). */
export function voxelToSlice(dims, orientation, z, y, x) {
  const nz = dims[0];
  if (orientation === "axial") return { index: z, u: x, v: y };
  if (orientation === "coronal") return { index: y, u: x, v: nz - 1 - z };
  if (orientation === "sagittal") return { index: x, u: y, v: nz - 1 - z };
  throw new Error(`unknown orientation "${orientation}": use axial, coronal or sagittal`);
}

/**
 * Paint (value 1) or erase (value 0) the stroke from p0 to p1 (`{u, v}`, continuous slice
 * coordinates) into `mask` through `geom`. A dab is a stroke with p1 = p0.
 * Returns `{changed, rect}`: the number of voxels whose value changed and the half-open slice
 * rectangle `{u0, v0, u1, v1}` holding them (null when nothing changed) -- the only pixels a
 * viewer has to redraw.
 */
export function paintStroke(mask, geom, p0, p1, radiusMm, value) {
  const { width, height, su, sv, base, strideU, strideV } = geom;
  if (![p0.u, p0.v, p1.u, p1.v, radiusMm].every(Number.isFinite)) return { changed: 0, rect: null };
  const r = Math.max(0, radiusMm);
  const ru = r / su;
  const rv = r / sv;
  // One voxel of slack on every side: the exact test below decides, the box only has to cover.
  const uLo = Math.max(0, Math.ceil(Math.min(p0.u, p1.u) - ru) - 1);
  const uHi = Math.min(width - 1, Math.floor(Math.max(p0.u, p1.u) + ru) + 1);
  const vLo = Math.max(0, Math.ceil(Math.min(p0.v, p1.v) - rv) - 1);
  const vHi = Math.min(height - 1, Math.floor(Math.max(p0.v, p1.v) + rv) + 1);
  const dx = (p1.u - p0.u) * su;
  const dy = (p1.v - p0.v) * sv;
  const len2 = dx * dx + dy * dy;
  const r2 = r * r;
  let changed = 0;
  let ru0 = width, rv0 = height, ru1 = -1, rv1 = -1;
  for (let v = vLo; v <= vHi; v++) {
    const py = (v - p0.v) * sv;
    const row = base + v * strideV;
    for (let u = uLo; u <= uHi; u++) {
      const px = (u - p0.u) * su;
      let t = len2 > 0 ? (px * dx + py * dy) / len2 : 0;
      if (t < 0) t = 0; else if (t > 1) t = 1;
      const ex = px - t * dx;
      const ey = py - t * dy;
      if (ex * ex + ey * ey > r2) continue;
      const o = row + u * strideU;
      if (mask[o] === value) continue;
      mask[o] = value;
      changed++;
      if (u < ru0) ru0 = u;
      if (u > ru1) ru1 = u;
      if (v < rv0) rv0 = v;
      if (v > rv1) rv1 = v;
    }
  }
  for (const p of p0 === p1 ? [p0] : [p0, p1]) {
    const u = Math.floor(p.u + 0.5);
    const v = Math.floor(p.v + 0.5);
    if (u < 0 || v < 0 || u >= width || v >= height) continue;
    const o = base + u * strideU + v * strideV;
    if (mask[o] === value) continue;
    mask[o] = value;
    changed++;
    if (u < ru0) ru0 = u;
    if (u > ru1) ru1 = u;
    if (v < rv0) rv0 = v;
    if (v > rv1) rv1 = v;
  }
  return { changed, rect: changed ? { u0: ru0, v0: rv0, u1: ru1 + 1, v1: rv1 + 1 } : null };
}

/**
 * The voxels a stroke covers on a `width` x `height` slice with spacing (su, sv), as a 0/1
 * Uint8Array in row-major `[v][u]` order. For tests and the cross-language check.
 */
export function strokeFootprint(width, height, su, sv, p0, p1, radiusMm) {
  const out = new Uint8Array(width * height);
  const geom = { width, height, su, sv, base: 0, strideU: 1, strideV: width };
  paintStroke(out, geom, p0, p1, radiusMm, 1);
  return out;
}

/** The half-open canonical box `{z0, z1, y0, y1, x0, x1}` covered by slice rectangle `rect`. */
export function rectToBox(geom, rect) {
  const a = sliceToVoxel(geom, rect.u0, rect.v0);
  const b = sliceToVoxel(geom, rect.u1 - 1, rect.v1 - 1);
  return {
    z0: Math.min(a[0], b[0]), z1: Math.max(a[0], b[0]) + 1,
    y0: Math.min(a[1], b[1]), y1: Math.max(a[1], b[1]) + 1,
    x0: Math.min(a[2], b[2]), x1: Math.max(a[2], b[2]) + 1,
  };
}

/** Join two boxes (either may be null). */
export function unionBox(a, b) {
  if (!a) return b;
  if (!b) return a;
  return {
    z0: Math.min(a.z0, b.z0), z1: Math.max(a.z1, b.z1),
    y0: Math.min(a.y0, b.y0), y1: Math.max(a.y1, b.y1),
    x0: Math.min(a.x0, b.x0), x1: Math.max(a.x1, b.x1),
  };
}

// ---- run-length coding (undo snapshots) ---------------------------------------------------

/** Run-length code bytes as `{values: Uint8Array, counts: Uint32Array, length}`. */
export function rleEncode(bytes) {
  const values = [];
  const counts = [];
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    let j = i + 1;
    while (j < n && bytes[j] === b) j++;
    values.push(b);
    counts.push(j - i);
    i = j;
  }
  return { values: Uint8Array.from(values), counts: Uint32Array.from(counts), length: n };
}

export function rleDecode(runs) {
  const out = new Uint8Array(runs.length);
  let at = 0;
  for (let k = 0; k < runs.values.length; k++) {
    const c = runs.counts[k];
    if (runs.values[k] !== 0) out.fill(runs.values[k], at, at + c);
    at += c;
  }
  return out;
}

// A region is a strided block of the flat mask: element (a, b, c) of sizes [n0, n1, n2] is at
// `base + a * strides[0] + b * strides[1] + c * strides[2]`. Slice rectangles and canonical boxes
// are both regions, so one undo entry type serves strokes and "reset to original".

function sliceRegion(geom, rect) {
  return {
    base: geom.base + rect.u0 * geom.strideU + rect.v0 * geom.strideV,
    sizes: [1, rect.v1 - rect.v0, rect.u1 - rect.u0],
    strides: [0, geom.strideV, geom.strideU],
  };
}

function boxRegion(dims, box) {
  const [, ny, nx] = dims;
  return {
    base: box.z0 * ny * nx + box.y0 * nx + box.x0,
    sizes: [box.z1 - box.z0, box.y1 - box.y0, box.x1 - box.x0],
    strides: [ny * nx, nx, 1],
  };
}

function forEachOffset(region, fn) {
  const [n0, n1, n2] = region.sizes;
  const [s0, s1, s2] = region.strides;
  let k = 0;
  for (let a = 0; a < n0; a++) {
    for (let b = 0; b < n1; b++) {
      let o = region.base + a * s0 + b * s1;
      for (let c = 0; c < n2; c++, o += s2) fn(o, k++);
    }
  }
}

function regionSize(region) {
  return region.sizes[0] * region.sizes[1] * region.sizes[2];
}

/**
 * The 0/1 Uint8Array the brush edits, from a mask layer's voxels in any typed array: inside where
 * the real-world value `stored * slope + intercept` is non-zero (as brush.py and the export count).
 */
export function editableMask(values, slope = 1, intercept = 0) {
  const out = new Uint8Array(values.length);
  for (let i = 0; i < values.length; i++) out[i] = values[i] * slope + intercept !== 0 ? 1 : 0;
  return out;
}

// ---- metrics ------------------------------------------------------------------------------

/** Voxels added and removed (non-zero = inside) and Dice(original, edited); two empty masks: 1. */
export function maskMetrics(original, edited) {
  if (original.length !== edited.length) {
    throw new Error(`mask sizes differ: ${original.length} and ${edited.length} voxels`);
  }
  let inOriginal = 0, added = 0, removed = 0;
  // Masks are mostly empty: skip 4 voxels at a time where both are 0.
  const o32 = words(original), e32 = words(edited);
  const fast = o32 && e32 ? o32.length : 0;
  for (let w = 0; w < fast; w++) {
    if ((o32[w] | e32[w]) === 0) continue;
    for (let i = w * 4; i < w * 4 + 4; i++) {
      const o = original[i] !== 0;
      const e = edited[i] !== 0;
      if (o) inOriginal++;
      if (o !== e) { if (e) added++; else removed++; }
    }
  }
  for (let i = fast * 4; i < original.length; i++) {
    const o = original[i] !== 0;
    const e = edited[i] !== 0;
    if (o) inOriginal++;
    if (o !== e) { if (e) added++; else removed++; }
  }
  return metricsFromCounts(inOriginal, added, removed);
}

/** A Uint32Array over the whole 4-byte words of `bytes`, or null when it is not 4-aligned. */
function words(bytes) {
  if (bytes.byteOffset % 4 !== 0) return null;
  return new Uint32Array(bytes.buffer, bytes.byteOffset, Math.floor(bytes.length / 4));
}

function metricsFromCounts(inOriginal, added, removed) {
  const inEdited = inOriginal - removed + added;
  const both = inOriginal - removed;
  const dice = inOriginal + inEdited === 0 ? 1 : (2 * both) / (inOriginal + inEdited);
  return { added, removed, dice };
}

function countNonZero(bytes) {
  const b32 = words(bytes);
  const fast = b32 ? b32.length : 0;
  let n = 0;
  for (let w = 0; w < fast; w++) {
    if (b32[w] === 0) continue;
    for (let i = w * 4; i < w * 4 + 4; i++) if (bytes[i] !== 0) n++;
  }
  for (let i = fast * 4; i < bytes.length; i++) if (bytes[i] !== 0) n++;
  return n;
}

// ---- editing session with undo / redo ---------------------------------------------------------

/**
 * The edits of one mask of one case: strokes, undo / redo, reset to the original, live metrics.
 * Each undo entry keeps only the XOR difference of what one action changed, run-length coded over
 * the action's bounding region, so a long session holds kilobytes, not copies of the mask.
 *
 *   const h = new EditHistory(mask, dims, spacing);
 *   h.beginStroke("axial", z);  h.stroke(p0, p1, r, 1);  ...;  const box = h.endStroke();
 *   h.undo(); h.redo(); h.resetToOriginal(); h.metrics();
 *
 * Every call that changes voxels returns the canonical box that changed (or null) so each
 * viewport showing the mask can redraw just that.
 */
export class EditHistory {
  constructor(mask, dims, spacing, { limit = 500 } = {}) {
    if (mask.length !== dims[0] * dims[1] * dims[2]) {
      throw new Error(`mask has ${mask.length} voxels but dims ${dims.join("x")} need ` +
        `${dims[0] * dims[1] * dims[2]}`);
    }
    this.mask = mask;
    this.dims = dims;
    this.spacing = spacing;
    this.original = mask.slice();
    this.limit = limit;
    this.done = [];
    this.undone = [];
    this.stats = { inOriginal: countNonZero(this.original), added: 0, removed: 0 };
    this.active = null;
  }

  get canUndo() { return this.done.length > 0; }
  get canRedo() { return this.undone.length > 0; }

  /** Start a stroke on one slice; remembers that slice so the stroke can be undone. */
  beginStroke(orientation, index) {
    if (this.active) this.endStroke();
    const geom = sliceGeometry(this.dims, this.spacing, orientation, index);
    const before = new Uint8Array(geom.width * geom.height);
    if (geom.orientation === "axial") {
      before.set(this.mask.subarray(geom.base, geom.base + before.length));
    } else {
      forEachOffset(sliceRegion(geom, { u0: 0, v0: 0, u1: geom.width, v1: geom.height }),
        (o, k) => { before[k] = this.mask[o]; });
    }
    this.active = { geom, before, rect: null };
    return geom;
  }

  /** Paint (value 1) or erase (value 0) one segment of the active stroke. */
  stroke(p0, p1, radiusMm, value) {
    if (!this.active) throw new Error("stroke() outside beginStroke()/endStroke()");
    const res = paintStroke(this.mask, this.active.geom, p0, p1, radiusMm, value);
    if (res.rect) {
      const r = this.active.rect;
      this.active.rect = r ? {
        u0: Math.min(r.u0, res.rect.u0), v0: Math.min(r.v0, res.rect.v0),
        u1: Math.max(r.u1, res.rect.u1), v1: Math.max(r.v1, res.rect.v1),
      } : res.rect;
    }
    return { changed: res.changed, rect: res.rect, box: res.rect && rectToBox(this.active.geom, res.rect) };
  }

  /** Finish the stroke: one undo step (none if the stroke changed nothing). Returns its box. */
  endStroke() {
    const active = this.active;
    this.active = null;
    if (!active || !active.rect) return null;
    const { geom, before, rect } = active;
    const region = sliceRegion(geom, rect);
    const diff = new Uint8Array(regionSize(region));
    const w = rect.u1 - rect.u0;
    forEachOffset(region, (o, k) => {
      const u = rect.u0 + (k % w);
      const v = rect.v0 + Math.floor(k / w);
      diff[k] = before[v * geom.width + u] ^ this.mask[o];
    });
    return this._push(region, diff, rectToBox(geom, rect));
  }

  /** Undo the last step; returns the changed box or null when there is nothing to undo. */
  undo() {
    if (this.active) this.endStroke();
    const entry = this.done.pop();
    if (!entry) return null;
    this._apply(entry);
    this.undone.push(entry);
    return entry.box;
  }

  redo() {
    if (this.active) this.endStroke();
    const entry = this.undone.pop();
    if (!entry) return null;
    this._apply(entry);
    this.done.push(entry);
    return entry.box;
  }

  /** Put the original mask back, as one step that can itself be undone. */
  resetToOriginal() {
    if (this.active) this.endStroke();
    const [nz, ny, nx] = this.dims;
    const plane = ny * nx;
    let z0 = nz, z1 = -1, y0 = ny, y1 = -1, x0 = nx, x1 = -1;
    const m32 = words(this.mask), o32 = words(this.original);
    for (let i = 0; i < this.mask.length; i++) {
      // Skip equal 4-voxel words (most of the volume) when both arrays are 4-aligned.
      if (m32 && o32 && (i & 3) === 0 && i + 4 <= this.mask.length && m32[i >> 2] === o32[i >> 2]) {
        i += 3;
        continue;
      }
      if (this.mask[i] === this.original[i]) continue;
      const z = Math.floor(i / plane), y = Math.floor(i / nx) % ny, x = i % nx;
      if (z < z0) z0 = z;
      if (z > z1) z1 = z;
      if (y < y0) y0 = y;
      if (y > y1) y1 = y;
      if (x < x0) x0 = x;
      if (x > x1) x1 = x;
    }
    if (z1 < 0) return null;
    const box = { z0, z1: z1 + 1, y0, y1: y1 + 1, x0, x1: x1 + 1 };
    const region = boxRegion(this.dims, box);
    const diff = new Uint8Array(regionSize(region));
    forEachOffset(region, (o, k) => { diff[k] = this.mask[o] ^ this.original[o]; });
    const entry = { region, runs: rleEncode(diff), box };
    this._apply(entry);
    return this._record(entry);
  }

  /** `{added, removed, dice}` of the mask as it is now against the original (O(1)). */
  metrics() {
    const s = this.stats;
    return metricsFromCounts(s.inOriginal, s.added, s.removed);
  }

  _push(region, diff, box) {
    // Count what this step did relative to the original before it is coded away.
    forEachOffset(region, (o, k) => {
      if (diff[k] === 0) return;
      this._count(o, (this.mask[o] ^ diff[k]) !== 0, this.mask[o] !== 0);
    });
    return this._record({ region, runs: rleEncode(diff), box });
  }

  _record(entry) {
    this.done.push(entry);
    if (this.done.length > this.limit) this.done.shift();
    this.undone.length = 0;
    return entry.box;
  }

  _apply(entry) {
    const { region, runs } = entry;
    let at = 0;
    for (let k = 0; k < runs.values.length; k++) {
      if (runs.values[k] !== 0) {
        for (let i = at; i < at + runs.counts[k]; i++) {
          const o = offsetAt(region, i);
          const was = this.mask[o] !== 0;
          this.mask[o] ^= runs.values[k];
          this._count(o, was, this.mask[o] !== 0);
        }
      }
      at += runs.counts[k];
    }
  }

  // Keep added/removed (relative to the original) current as voxel `o` goes from `was` to `now`.
  _count(o, was, now) {
    if (was === now) return;
    const orig = this.original[o] !== 0;
    if (orig) this.stats.removed += now ? -1 : 1;
    else this.stats.added += now ? 1 : -1;
  }
}

function offsetAt(region, i) {
  const [, n1, n2] = region.sizes;
  const [s0, s1, s2] = region.strides;
  return region.base + Math.floor(i / (n1 * n2)) * s0 + (Math.floor(i / n2) % n1) * s1 + (i % n2) * s2;
}

// ---- pointer and cursor (with slice.js's fitSlice placement) ---------------------------------

/**
 * The continuous slice position under viewport pixel (x, y), for a slice placed by
 * `fitSlice(...)` (`{left, top, pxW, pxH}`): voxel centres at integers, as paintStroke expects.
 */
export function pointerToSlice(fit, x, y) {
  return { u: (x - fit.left) / fit.pxW - 0.5, v: (y - fit.top) / fit.pxH - 0.5 };
}

/** The viewport pixel at the centre of slice position (u, v): where to draw the cursor. */
export function sliceToPointer(fit, u, v) {
  return { x: fit.left + (u + 0.5) * fit.pxW, y: fit.top + (v + 0.5) * fit.pxH };
}

/**
 * Half-axes in viewport pixels of the brush outline for `radiusMm` on a slice with spacing
 * (su, sv): a circle when the slice is drawn with its true aspect (pxW / su = pxH / sv).
 */
export function cursorRadii(fit, geom, radiusMm) {
  return { rx: (radiusMm / geom.su) * fit.pxW, ry: (radiusMm / geom.sv) * fit.pxH };
}

// ---- radius control ---------------------------------------------------------------------------

/** Radius after one `[` (direction -1) or `]` (+1) press: 20 % steps, kept within [min, max] mm. */
export function stepRadius(radiusMm, direction, minMm = 0.5, maxMm = 50) {
  const next = direction > 0 ? radiusMm * 1.2 : radiusMm / 1.2;
  return Math.min(maxMm, Math.max(minMm, Math.round(next * 100) / 100));
}
