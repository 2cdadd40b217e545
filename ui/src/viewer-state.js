// The one state object of the image viewer, its defaults, and every event that changes it
// (the niivue pattern from STYLE.md: defaults in one place, one event list, render(state) pure).
//
// state = {
//   volumes:   {name: {name, dims [nz,ny,nx], spacing [sz,sy,sx], dtype, slope, intercept,
//                      isMask, data (typed array), readyZ (axial slices arrived), loaded
//                      (samples arrived from the front), complete}},
//   windows:   {name: {center, width, initial: {center, width}}}   window/level per image volume
//   viewports: [{orientation, layers: [{volume, isMask, colour, opacity, outline, visible}],
//                slice, zoom, panX, panY}]
//   cursor:    {volume, z, y, x} | null   the linked crosshair point (canonical voxel)
//   linked:    bool     scroll/crosshair linked between viewports of the same volume
//   focus:     {image volume name: {z, y, x, mask}}   where each image's mask is (the voxel its
//              views open on, and go back to with reset); none: the middle
//   sliceMoved: bool   the reviewer has scrolled or clicked a crosshair in this case (the views
//              then stay where they are when a mask arrives)
//   leftDrag:  "window" | "pan" | "tool"   what a left-button drag does (right drag is always
//              window); "tool": a tool an extension installed has the left button (the brush),
//              so neither W/L nor Pan looks selected
// }

import { sliceCount, voxelToSlice } from "./slice.js";

export const DEFAULTS = Object.freeze({
  zoom: 1,
  minZoom: 0.25,
  maxZoom: 40,
  zoomStep: 1.25,
  leftDrag: "window",
  linked: false,
  maskColour: "#ff0000",
  maskOpacity: 0.4,
  imageMargin: 24, // CSS px around the image at zoom 1, where the viewport's texts sit
});

/** What a left-button drag can do (state.leftDrag). */
export const LEFT_DRAG_MODES = Object.freeze(["window", "pan", "tool"]);

/** Every event the viewer understands, with its payload. */
export const EVENTS = Object.freeze({
  volumeMeta: "{volume: {name, shape, spacing, dtype, slope, intercept, is_mask}} — a volume is announced",
  volumeData: "{name, data, readyZ?, loaded, complete} — samples arrived (streamed or whole); a mask complete moves the views of its image to it",
  window: "{volume, center, width} — set window/level of an image volume",
  windowReset: "{volume} — back to the volume's initial window",
  slice: "{viewport, index} — show slice `index`",
  sliceBy: "{viewport, delta} — scroll by `delta` slices",
  zoom: "{viewport, factor, anchorX?, anchorY?} — zoom by `factor` (around the anchor, viewport px from centre)",
  pan: "{viewport, dx, dy} — move the image by (dx, dy) viewport pixels",
  reset: "{viewport} — slice to the mask's focus (or the middle), zoom 1, no pan (all viewports when viewport is null)",
  cursor: "{viewport, z, y, x} — put the linked crosshair on voxel [z, y, x]",
  linked: "{on} — link scrolling and crosshair between viewports of the same volume",
  leftDrag: "{mode} — left drag does 'window', 'pan' or 'tool' (an installed tool, e.g. the brush)",
  layer: "{viewport, layer, opacity?, visible?, outline?} — change how a layer is drawn",
});

function viewportsFromConfig(config) {
  return config.viewports.viewports.map((vp) => ({
    orientation: vp.orientation ?? "axial",
    layers: vp.layers.map((l) => ({
      volume: l.volume,
      isMask: Boolean(l.is_mask),
      colour: l.colour ?? DEFAULTS.maskColour,
      opacity: l.opacity ?? 1,
      baseOpacity: l.opacity ?? 1, // the project's opacity; the reviewer's slider scales it
      outline: Boolean(l.outline),
      visible: true,
    })),
    slice: 0,
    zoom: DEFAULTS.zoom,
    panX: 0,
    panY: 0,
  }));
}

/** A fresh viewer state for one case: the project's viewports, the case's volumes announced. */
export function initialState(config, volumes = [], previous = null) {
  let state = {
    volumes: {},
    windows: {},
    viewports: viewportsFromConfig(config),
    cursor: null,
    focus: {},
    sliceMoved: false,
    linked: previous?.linked ?? DEFAULTS.linked,
    leftDrag: previous?.leftDrag ?? DEFAULTS.leftDrag,
  };
  for (const volume of volumes) state = reduce(state, { type: "volumeMeta", volume });
  return state;
}

/** Every mask layer shown or hidden (the images stay). */
export function withMasksVisible(state, visible) {
  const viewports = state.viewports.map((vp) => (vp.layers.some((l) => l.isMask)
    ? { ...vp, layers: vp.layers.map((l) => (l.isMask ? { ...l, visible } : l)) }
    : vp));
  return { ...state, viewports };
}

/** Every mask layer at `factor` (0..1) times the project's opacity. */
export function withMaskOpacity(state, factor) {
  const f = Math.max(0, Math.min(1, factor));
  const viewports = state.viewports.map((vp) => (vp.layers.some((l) => l.isMask)
    ? { ...vp, layers: vp.layers.map((l) => (l.isMask ? { ...l, opacity: (l.baseOpacity ?? 1) * f } : l)) }
    : vp));
  return { ...state, viewports };
}

/** Is any mask layer shown? */
export function masksVisible(state) {
  return state.viewports.some((vp) => vp.layers.some((l) => l.isMask && l.visible));
}

/** The image volume a viewport is "on" (its bottom layer). */
export function baseVolume(state, viewport) {
  const vp = state.viewports[viewport];
  return vp ? state.volumes[vp.layers[0].volume] : undefined;
}

function middle(dims, orientation) {
  return Math.floor(sliceCount(dims, orientation) / 2);
}

/**
 * Where a mask is, as the voxel its views should open on: on each axis, the slice through the
 * mask's centre of mass, or the nearest slice that holds mask voxels when that one holds none
 * (two separate lesions). {z, y, x} in canonical voxel indices, or null for an empty mask.
 * A voxel is inside when its value (stored * slope + intercept) is not 0, as for the brush.
 */
export function maskFocus(data, dims, slope = 1, intercept = 0) {
  const [nz, ny, nx] = dims;
  const cz = new Float64Array(nz), cy = new Float64Array(ny), cx = new Float64Array(nx);
  const plain = slope === 1 && intercept === 0;
  // Masks are mostly empty: when rows are whole 32-bit words, a row whose words are all 0 is
  // passed over without looking at its voxels.
  const bpe = data.BYTES_PER_ELEMENT;
  const rowBytes = nx * bpe;
  const words = plain && bpe <= 4 && data.byteOffset % 4 === 0 && rowBytes % 4 === 0
    ? new Uint32Array(data.buffer, data.byteOffset, data.byteLength >> 2) : null;
  const wordsPerRow = rowBytes >> 2;
  let o = 0;
  for (let z = 0; z < nz; z++) {
    for (let y = 0; y < ny; y++, o += nx) {
      if (words) {
        const w0 = (o * bpe) >> 2;
        let k = 0;
        while (k < wordsPerRow && words[w0 + k] === 0) k++;
        if (k === wordsPerRow) continue;
      }
      let inRow = 0;
      for (let x = 0; x < nx; x++) {
        const v = data[o + x];
        if (plain ? v !== 0 : v * slope + intercept !== 0) { cx[x]++; inRow++; }
      }
      if (inRow) { cy[y] += inRow; cz[z] += inRow; }
    }
  }
  const z = focusIndex(cz);
  if (z === null) return null;
  return { z, y: focusIndex(cy), x: focusIndex(cx) };
}

/** The index nearest the weighted mean of `counts` whose count is not 0 (null: all 0). */
function focusIndex(counts) {
  let total = 0, sum = 0;
  for (let i = 0; i < counts.length; i++) { total += counts[i]; sum += i * counts[i]; }
  if (total === 0) return null;
  const mean = Math.round(sum / total);
  for (let d = 0; d < counts.length; d++) {
    if (mean - d >= 0 && counts[mean - d]) return mean - d;
    if (mean + d < counts.length && counts[mean + d]) return mean + d;
  }
  return null;
}

// Each mask's focus is worked out once per voxel array (a prefetched case has it when shown).
const focusCache = new WeakMap();

function cachedFocus(vol) {
  if (!vol.data || typeof vol.data !== "object") return null;
  if (!focusCache.has(vol.data)) focusCache.set(vol.data, maskFocus(vol.data, vol.dims, vol.slope, vol.intercept));
  return focusCache.get(vol.data);
}

/** The slice viewport `vp` shows to go through `focus` ({z, y, x}). */
function focusSlice(vol, vp, focus) {
  return voxelToSlice(vol.dims, vp.orientation, focus.z, focus.y, focus.x).index;
}

/**
 * Mask `name` has arrived whole: the image(s) it is drawn on get its focus, and, unless the
 * reviewer has already moved, every view of those images goes to the slice through it. The first
 * mask of an image to arrive decides; an empty mask, or one on another voxel grid, changes nothing.
 */
function withMaskFocus(state, name) {
  const mask = state.volumes[name];
  const images = new Set();
  for (const vp of state.viewports) {
    if (!vp.layers.some((l) => l.volume === name)) continue;
    const base = state.volumes[vp.layers[0].volume];
    if (!base || base.name === name || state.focus?.[base.name]) continue;
    if (base.dims.some((n, k) => n !== mask.dims[k])) continue;
    images.add(base.name);
  }
  if (images.size === 0) return state;
  const focus = cachedFocus(mask);
  if (!focus) return state;
  const next = { ...state, focus: { ...state.focus } };
  for (const image of images) next.focus[image] = { ...focus, mask: name };
  if (state.sliceMoved) return next;
  next.viewports = state.viewports.map((vp) => {
    if (!images.has(vp.layers[0].volume)) return vp;
    const slice = focusSlice(state.volumes[vp.layers[0].volume], vp, focus);
    return slice === vp.slice ? vp : { ...vp, slice };
  });
  return next;
}

function clamp(x, lo, hi) {
  return x < lo ? lo : x > hi ? hi : x;
}

function setViewport(state, index, patch) {
  const viewports = state.viewports.slice();
  viewports[index] = { ...viewports[index], ...patch };
  return { ...state, viewports };
}

function withSlice(state, index, slice) {
  const vol = baseVolume(state, index);
  if (!vol) return state;
  const vp = state.viewports[index];
  const s = clamp(Math.round(slice), 0, sliceCount(vol.dims, vp.orientation) - 1);
  if (s === vp.slice) return state;
  let next = setViewport(state, index, { slice: s });
  if (state.linked) next = syncLinkedCursor(next, index);
  return next;
}

// Linked scrolling: moving one viewport's slice moves the shared cursor along that axis,
// and every other viewport of the same volume follows to the cursor's slice.
function syncLinkedCursor(state, from) {
  const vp = state.viewports[from];
  const vol = baseVolume(state, from);
  const [nz, ny, nx] = vol.dims;
  const c = state.cursor?.volume === vol.name
    ? { ...state.cursor }
    : { volume: vol.name, z: Math.floor(nz / 2), y: Math.floor(ny / 2), x: Math.floor(nx / 2) };
  if (vp.orientation === "axial") c.z = vp.slice;
  else if (vp.orientation === "coronal") c.y = vp.slice;
  else c.x = vp.slice;
  return followCursor({ ...state, cursor: c }, from);
}

function followCursor(state, except) {
  const c = state.cursor;
  if (!c) return state;
  const viewports = state.viewports.map((vp, i) => {
    if (i === except || vp.layers[0].volume !== c.volume) return vp;
    const vol = state.volumes[c.volume];
    if (!vol) return vp;
    const { index } = voxelToSlice(vol.dims, vp.orientation, c.z, c.y, c.x);
    return index === vp.slice ? vp : { ...vp, slice: index };
  });
  return { ...state, viewports };
}

/** Apply one event; returns the new state (the old one is not changed). */
export function reduce(state, event) {
  switch (event.type) {
    case "volumeMeta": {
      const v = event.volume;
      const vol = {
        name: v.name, dims: v.shape, spacing: v.spacing, dtype: v.dtype,
        slope: v.slope ?? 1, intercept: v.intercept ?? 0, isMask: Boolean(v.is_mask),
        data: null, loaded: 0, complete: false,
      };
      let next = { ...state, volumes: { ...state.volumes, [v.name]: vol } };
      if (v.window && !vol.isMask) {
        const w = { center: v.window.center, width: v.window.width };
        next = { ...next, windows: { ...next.windows, [v.name]: { ...w, initial: w } } };
      }
      const viewports = next.viewports.map((vp) => (
        vp.layers[0].volume === v.name ? { ...vp, slice: middle(v.shape, vp.orientation) } : vp));
      return { ...next, viewports };
    }
    case "volumeData": {
      const vol = state.volumes[event.name];
      if (!vol) return state;
      // data and readyZ fill in place while streaming; the event says how far they are.
      const updated = { ...vol, data: event.data, readyZ: event.readyZ ?? null, loaded: event.loaded, complete: event.complete };
      const next = { ...state, volumes: { ...state.volumes, [event.name]: updated } };
      return updated.isMask && updated.complete && !vol.complete ? withMaskFocus(next, event.name) : next;
    }
    case "window": {
      const old = state.windows[event.volume];
      const w = { center: event.center, width: Math.max(event.width, 1e-6) };
      const entry = { ...w, initial: old?.initial ?? w };
      return { ...state, windows: { ...state.windows, [event.volume]: entry } };
    }
    case "windowReset": {
      const old = state.windows[event.volume];
      if (!old) return state;
      return { ...state, windows: { ...state.windows, [event.volume]: { ...old.initial, initial: old.initial } } };
    }
    case "slice":
      return { ...withSlice(state, event.viewport, event.index), sliceMoved: true };
    case "sliceBy":
      return { ...withSlice(state, event.viewport, state.viewports[event.viewport].slice + event.delta), sliceMoved: true };
    case "zoom": {
      const vp = state.viewports[event.viewport];
      const zoom = clamp(vp.zoom * event.factor, DEFAULTS.minZoom, DEFAULTS.maxZoom);
      const f = zoom / vp.zoom;
      // Keep the point under the anchor where it is: pan scales around it.
      const ax = event.anchorX ?? 0;
      const ay = event.anchorY ?? 0;
      return setViewport(state, event.viewport, {
        zoom, panX: ax - (ax - vp.panX) * f, panY: ay - (ay - vp.panY) * f,
      });
    }
    case "pan": {
      const vp = state.viewports[event.viewport];
      return setViewport(state, event.viewport, { panX: vp.panX + event.dx, panY: vp.panY + event.dy });
    }
    case "reset": {
      const targets = event.viewport === null || event.viewport === undefined
        ? state.viewports.map((_, i) => i) : [event.viewport];
      let next = state;
      for (const i of targets) {
        const vol = baseVolume(next, i);
        const vp = next.viewports[i];
        const focus = vol ? state.focus?.[vol.name] : null;
        const slice = !vol ? 0 : focus ? focusSlice(vol, vp, focus) : middle(vol.dims, vp.orientation);
        next = setViewport(next, i, { slice, zoom: DEFAULTS.zoom, panX: 0, panY: 0 });
      }
      // Every view reset: as when the case opened (a mask arriving later may still move them).
      return { ...next, cursor: null, sliceMoved: targets.length === state.viewports.length ? false : state.sliceMoved };
    }
    case "cursor": {
      const vol = baseVolume(state, event.viewport);
      if (!vol) return state;
      const [nz, ny, nx] = vol.dims;
      const c = { volume: vol.name, z: clamp(event.z, 0, nz - 1), y: clamp(event.y, 0, ny - 1), x: clamp(event.x, 0, nx - 1) };
      return { ...followCursor({ ...state, cursor: c }, event.viewport), sliceMoved: true };
    }
    case "linked":
      return { ...state, linked: Boolean(event.on), cursor: event.on ? state.cursor : null };
    case "leftDrag":
      return { ...state, leftDrag: LEFT_DRAG_MODES.includes(event.mode) ? event.mode : "window" };
    case "layer": {
      const vp = state.viewports[event.viewport];
      const layers = vp.layers.slice();
      const patch = {};
      for (const key of ["opacity", "visible", "outline"]) if (key in event) patch[key] = event[key];
      layers[event.layer] = { ...layers[event.layer], ...patch };
      return setViewport(state, event.viewport, { layers });
    }
    default:
      throw new Error(`unknown viewer event "${event.type}"; known: ${Object.keys(EVENTS).join(", ")}`);
  }
}
