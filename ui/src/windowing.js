// Window/level: stored samples -> 8-bit grey, with the volume's slope/intercept applied here
// (never by making a float copy of the volume).
//
// The one definition (the e2e test computes the same in numpy):
//   value = stored * slope + intercept              (float64)
//   grey  = round_half_up((value - (center - width / 2)) * 255 / width), clamped to 0..255
// For 8- and 16-bit integer volumes a lookup table over every stored sample is built once per
// window change (65,536 entries at most), so drawing a slice is one table read per pixel.

const GREY_RGBA = new Uint32Array(256).map((_, g) => (0xff000000 | (g * 0x010101)) >>> 0);

const LUT_DTYPES = { uint8: [0, 256], int8: [-128, 256], uint16: [0, 65536], int16: [-32768, 65536] };

export const TYPED_ARRAYS = {
  uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  uint32: Uint32Array, int32: Int32Array, float32: Float32Array, float64: Float64Array,
};

/** Presets (center, width) in the volume's real units: Hounsfield units for CT. */
export const PRESETS = Object.freeze({
  ct: [
    { id: "ct-soft", label: "Soft tissue", center: 40, width: 400 },
    { id: "ct-brain", label: "Brain", center: 40, width: 80 },
    { id: "ct-lung", label: "Lung", center: -600, width: 1500 },
    { id: "ct-bone", label: "Bone", center: 400, width: 1800 },
    { id: "ct-abdomen", label: "Abdomen", center: 60, width: 350 },
  ],
  mr: [
    { id: "auto-99", label: "Auto 1–99 %", low: 1, high: 99 },
    { id: "auto-995", label: "Auto 0.5–99.5 %", low: 0.5, high: 99.5 },
    { id: "auto-95", label: "Auto 5–95 % (contrast)", low: 5, high: 95 },
    { id: "full", label: "Full range", low: 0, high: 100 },
  ],
});

/** The grey level of one real value: the reference definition. */
export function windowValue(value, center, width) {
  const w = Math.max(width, 1e-12);
  const g = Math.floor((value - (center - w / 2)) * 255 / w + 0.5);
  return g < 0 ? 0 : g > 255 ? 255 : g;
}

/**
 * A mapping from stored samples to grey for one window: `{rgba, offset}` for 8/16-bit integer
 * data (packed grey = rgba[stored + offset]) or `{slope, intercept, low, w}` for the rest.
 */
export function makeWindowMap(dtype, slope, intercept, center, width) {
  const s = slope ?? 1;
  const i = intercept ?? 0;
  const range = LUT_DTYPES[dtype];
  if (range) {
    const [lo, n] = range;
    // Packed opaque RGBA grey per stored sample: drawing is then one read and one write per
    // pixel. Inlined windowValue (same operations, same order): this runs on every W/L drag.
    const w = Math.max(width, 1e-12);
    const low = center - w / 2;
    const rgba = new Uint32Array(n);
    const exact = (k) => {
      const g = Math.floor((((lo + k) * s + i) - low) * 255 / w + 0.5);
      rgba[k] = GREY_RGBA[g > 255 ? 255 : g >= 0 ? g : 0];
    };
    if (s === 0 || !Number.isFinite(s) || !Number.isFinite(i)) {
      for (let k = 0; k < n; k++) exact(k);
    } else {
      // Below the window everything is black and above it white: only the samples whose value
      // lies inside it (plus a safety margin) need the formula. A 400 HU window: ~400 entries.
      const a = (low - i) / s - lo;
      const b = (low + w - i) / s - lo;
      const k0 = Math.max(0, Math.min(n, Math.floor(Math.min(a, b)) - 2));
      const k1 = Math.max(0, Math.min(n, Math.ceil(Math.max(a, b)) + 3));
      for (let k = k0; k < k1; k++) exact(k);
      const below = s > 0 ? GREY_RGBA[0] : GREY_RGBA[255];
      const above = s > 0 ? GREY_RGBA[255] : GREY_RGBA[0];
      rgba.fill(below, 0, k0);
      rgba.fill(above, k1, n);
    }
    return { rgba, offset: -lo, center, width };
  }
  const w = Math.max(width, 1e-12);
  // Same operations in the same order as windowValue, so float volumes match it bit for bit.
  return { slope: s, intercept: i, low: center - w / 2, w, center, width };
}

/** Grey of one stored sample through a window map (the renderer inlines this). */
export function mapSample(map, stored) {
  if (map.rgba) return map.rgba[stored + map.offset] & 255;
  const g = Math.floor((stored * map.slope + map.intercept - map.low) * 255 / map.w + 0.5);
  return g < 0 ? 0 : g > 255 ? 255 : g;
}

/**
 * Window from percentiles of the real values: {center, width}. Samples at most ~`maxSamples`
 * voxels evenly (a full sort of a 100 M voxel CT would stall the page).
 */
export function percentileWindow(data, slope, intercept, lowPct = 0.5, highPct = 99.5, maxSamples = 262144) {
  const n = data.length;
  if (n === 0) return { center: 0, width: 1 };
  const step = Math.max(1, Math.floor(n / maxSamples));
  const sample = new Float64Array(Math.ceil(n / step));
  let m = 0;
  for (let k = 0; k < n; k += step) {
    const v = data[k];
    if (Number.isFinite(v)) sample[m++] = v;
  }
  const sorted = sample.subarray(0, m).sort();
  if (m === 0) return { center: 0, width: 1 };
  const at = (pct) => sorted[Math.min(m - 1, Math.max(0, Math.round((pct / 100) * (m - 1))))];
  const s = slope ?? 1;
  const i = intercept ?? 0;
  let lo = at(lowPct) * s + i;
  let hi = at(highPct) * s + i;
  if (lo > hi) [lo, hi] = [hi, lo];
  const width = Math.max(hi - lo, 1e-6 * Math.max(1, Math.abs(hi)), s < 1 ? Math.abs(s) : 1);
  return { center: (lo + hi) / 2, width };
}

/** Do two windows differ enough to be worth replacing one by the other (not just noise)? */
export function windowsDiffer(a, b) {
  const ratio = b.width / a.width;
  return Math.abs(b.center - a.center) > 0.1 * a.width || ratio > 1.4 || ratio < 0.7;
}

/** Is this volume CT-like (so CT presets make sense)? Hounsfield air is about −1000. */
export function looksLikeCT(minValue) {
  return minValue !== undefined && minValue <= -500;
}

/** Window/level drag: horizontal changes width, vertical changes center, scaled to the range. */
export function dragWindow(window, dx, dy, valueRange) {
  const k = Math.max(valueRange, 1) / 512;
  const width = Math.max(window.width + dx * k * 2, k);
  const center = window.center - dy * k * 2;
  return { center, width };
}
