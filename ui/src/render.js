// Drawing: a pure pixel pass (paintSlice: volume slice -> RGBA pixels, testable under node) and
// renderViewport, which draws one viewport of the state onto a canvas. Nothing here changes state.

import { makeWindowMap } from "./windowing.js";
import { fitSlice, sliceEndOffset, sliceGeometry, voxelToSlice } from "./slice.js";
import { DEFAULTS } from "./viewer-state.js";

const GREY = new Uint32Array(256);
for (let g = 0; g < 256; g++) GREY[g] = (0xff000000 | (g << 16) | (g << 8) | g) >>> 0;

/** "#rrggbb" -> [r, g, b]. */
export function parseColour(hex) {
  const m = /^#?([0-9a-f]{6})$/i.exec(hex ?? "");
  const n = m ? parseInt(m[1], 16) : 0xff0000;
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

/**
 * Fill `pixels` (a Uint32Array over RGBA bytes, geom.width * geom.height, rows top to bottom)
 * with slice `geom` of `image` windowed through `map`, then blend each mask on top:
 * masks = [{data, rgb: [r, g, b], opacity, outline}]; a voxel > 0 is inside the mask.
 * An outline mask colours only inside voxels with an outside 4-neighbour in the slice.
 */
export function paintSlice(pixels, geom, image, map, masks = []) {
  const { width, height, base, strideU, strideV } = geom;
  // Axial slices are one contiguous run of the volume; a flat loop over it is ~4x faster in V8
  // than the general strided loop, and axial is what most projects show.
  const flat = strideU === 1 && strideV === width;
  if (map.rgba) {
    const { rgba, offset } = map;
    if (flat) {
      const n = width * height;
      for (let k = 0; k < n; k++) pixels[k] = rgba[image[base + k] + offset];
    } else {
      let k = 0;
      for (let v = 0; v < height; v++) {
        let o = base + v * strideV;
        for (let u = 0; u < width; u++, o += strideU) pixels[k++] = rgba[image[o] + offset];
      }
    }
  } else {
    const { slope, intercept, low, w } = map;
    let k = 0;
    for (let v = 0; v < height; v++) {
      let o = base + v * strideV;
      for (let u = 0; u < width; u++, o += strideU) {
        const g = Math.floor((image[o] * slope + intercept - low) * 255 / w + 0.5);
        // NaN (not a number in a float volume) falls through both tests and shows as black.
        pixels[k++] = GREY[g > 255 ? 255 : g >= 0 ? g : 0];
      }
    }
  }
  for (const mask of masks) blendMask(pixels, geom, mask, flat);
  return pixels;
}

function blendMask(pixels, geom, { data, rgb, opacity, outline }, flat) {
  const { width, height, base, strideU, strideV } = geom;
  const a = Math.max(0, Math.min(1, opacity));
  if (a === 0) return;
  const [cr, cg, cb] = rgb;
  const mix = (x, c) => (x * (1 - a) + c * a + 0.5) | 0;
  // Most masked pixels are still pure grey: their blend is one lookup.
  const overGrey = new Uint32Array(256);
  for (let g = 0; g < 256; g++) overGrey[g] = (0xff000000 | (mix(g, cb) << 16) | (mix(g, cg) << 8) | mix(g, cr)) >>> 0;
  const blend = (k) => {
    const p = pixels[k];
    const r = p & 255;
    pixels[k] = p === GREY[r] ? overGrey[r]
      : (0xff000000 | (mix((p >>> 16) & 255, cb) << 16) | (mix((p >>> 8) & 255, cg) << 8) | mix(r, cr)) >>> 0;
  };
  const isEdge = (o, u, v) => !(u > 0 && u < width - 1 && v > 0 && v < height - 1
    && data[o - strideU] > 0 && data[o + strideU] > 0 && data[o - strideV] > 0 && data[o + strideV] > 0);
  const n = width * height;
  const at = data.byteOffset + base;
  if (flat && data.BYTES_PER_ELEMENT === 1 && at % 4 === 0 && n % 4 === 0) {
    // Most of a mask is empty: test four voxels at a time and skip empty words.
    const words = new Uint32Array(data.buffer, at, n / 4);
    for (let q = 0; q < words.length; q++) {
      if (words[q] === 0) continue;
      for (let k = q * 4, end = k + 4; k < end; k++) {
        const o = base + k;
        if (!(data[o] > 0)) continue;
        if (outline && !isEdge(o, k % width, (k / width) | 0)) continue;
        blend(k);
      }
    }
    return;
  }
  for (let v = 0; v < height; v++) {
    const row = base + v * strideV;
    let k = v * width;
    for (let u = 0; u < width; u++, k++) {
      const o = row + u * strideU;
      if (!(data[o] > 0)) continue;
      if (outline && !isEdge(o, u, v)) continue;
      blend(k);
    }
  }
}

// Window maps are derived data: cached per volume and window, outside the state.
const mapCache = new Map();
export function windowMapFor(vol, win) {
  const key = `${vol.name}|${vol.dtype}|${vol.slope}|${vol.intercept}|${win.center}|${win.width}`;
  let map = mapCache.get(key);
  if (!map) {
    if (mapCache.size > 64) mapCache.clear();
    map = makeWindowMap(vol.dtype, vol.slope, vol.intercept, win.center, win.width);
    mapCache.set(key, map);
  }
  return map;
}

/** Can this viewport's current slice be drawn yet (streamed volumes arrive front to back)? */
export function sliceReady(vol, geom) {
  if (!vol?.data) return false;
  if (vol.complete || vol.loaded >= sliceEndOffset(vol.dims, geom)) return true;
  return geom.orientation === "axial" && Boolean(vol.readyZ?.[geom.index]);
}

function sameGrid(a, b) {
  return a.dims[0] === b.dims[0] && a.dims[1] === b.dims[1] && a.dims[2] === b.dims[2];
}

/**
 * Draw viewport `index` of `state` on `ctx` (canvas pixels `w` x `h`, `dpr` canvas px per CSS px).
 * `scratch` = {canvas, ctx, imageData} reused between frames. Returns what overlays need:
 * {geom, fit, status: "ok" | "loading" | "missing", problems: [..]}.
 */
export function renderViewport(ctx, w, h, dpr, state, index, scratch) {
  const vp = state.viewports[index];
  const vol = state.volumes[vp.layers[0].volume];
  ctx.setTransform(1, 0, 0, 1, 0, 0);
  ctx.fillStyle = "#000";
  ctx.fillRect(0, 0, w, h);
  if (!vol) return { geom: null, fit: null, status: "missing", problems: [] };
  let geom = sliceGeometry(vol.dims, vol.spacing, vp.orientation, vp.slice);
  // A margin keeps the corner texts and edge letters off the image at zoom 1.
  const m = Math.min(Math.round(DEFAULTS.imageMargin * dpr), Math.floor(Math.min(w, h) / 8));
  const fit = fitSlice(geom, w - 2 * m, h - 2 * m, vp.zoom, vp.panX * dpr, vp.panY * dpr);
  fit.left += m;
  fit.top += m;
  if (!state.windows[vol.name] || !vol.data) return { geom, fit, status: "loading", problems: [] };
  // While a volume streams in, show what has arrived rather than nothing: an axial view shows
  // the nearest slice that is in (until the wanted one arrives), the other views the rows that are.
  let status = "ok";
  let missingRows = null;
  if (!sliceReady(vol, geom)) {
    if (geom.orientation === "axial") {
      const z = nearestReady(vol.readyZ, geom.index);
      if (z < 0) return { geom, fit, status: "loading", problems: [] };
      geom = sliceGeometry(vol.dims, vol.spacing, "axial", z);
    } else if (!vol.readyZ?.includes(1)) {
      return { geom, fit, status: "loading", problems: [] };
    } else {
      missingRows = vol.readyZ;
    }
    status = "partial";
  }

  const problems = [];
  const masks = [];
  for (const layer of vp.layers.slice(1)) {
    const m = state.volumes[layer.volume];
    if (!layer.visible || !m) continue;
    if (!sameGrid(m, vol)) {
      problems.push(`${layer.volume} is not on the grid of ${vol.name}`);
      continue;
    }
    if (!sliceReady(m, geom)) continue;
    masks.push({ data: m.data, rgb: parseColour(layer.colour), opacity: layer.opacity, outline: layer.outline });
  }
  if (scratch.canvas.width !== geom.width || scratch.canvas.height !== geom.height || !scratch.imageData) {
    scratch.canvas.width = geom.width;
    scratch.canvas.height = geom.height;
    scratch.imageData = scratch.ctx.createImageData(geom.width, geom.height);
    scratch.pixels = new Uint32Array(scratch.imageData.data.buffer);
  }
  paintSlice(scratch.pixels, geom, vol.data, windowMapFor(vol, state.windows[vol.name]), masks);
  if (missingRows) {
    // Row v of a coronal or sagittal slice is z = nz - 1 - v: black until that z has arrived.
    const nz = vol.dims[0];
    for (let v = 0; v < geom.height; v++) {
      if (!missingRows[nz - 1 - v]) scratch.pixels.fill(0xff000000, v * geom.width, (v + 1) * geom.width);
    }
  }
  scratch.ctx.putImageData(scratch.imageData, 0, 0);
  ctx.imageSmoothingEnabled = false; // one voxel = one flat block, as radiologists expect
  ctx.drawImage(scratch.canvas, fit.left, fit.top, fit.drawW, fit.drawH);

  const c = state.linked ? state.cursor : null;
  if (c && c.volume === vol.name) {
    const { u, v } = voxelToSlice(vol.dims, vp.orientation, c.z, c.y, c.x);
    const x = Math.round(fit.left + (u + 0.5) * fit.pxW) + 0.5;
    const y = Math.round(fit.top + (v + 0.5) * fit.pxH) + 0.5;
    ctx.strokeStyle = "rgba(80, 200, 255, 0.75)";
    ctx.lineWidth = 1;
    ctx.beginPath();
    ctx.moveTo(Math.max(0, fit.left), y); ctx.lineTo(Math.min(w, fit.left + fit.drawW), y);
    ctx.moveTo(x, Math.max(0, fit.top)); ctx.lineTo(x, Math.min(h, fit.top + fit.drawH));
    ctx.stroke();
  }
  return { geom, fit, status, problems };
}

/** The ready axial slice nearest to `z`, or -1 when none has arrived. */
export function nearestReady(readyZ, z) {
  if (!readyZ) return -1;
  for (let d = 0; d < readyZ.length; d++) {
    if (z - d >= 0 && readyZ[z - d]) return z - d;
    if (z + d < readyZ.length && readyZ[z + d]) return z + d;
  }
  return -1;
}
