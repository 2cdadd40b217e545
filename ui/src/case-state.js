// Viewer state for one case from its load_case answer and its (arriving) voxels: pure functions.

import { initialState, reduce } from "./viewer-state.js";
import { percentileWindow, windowsDiffer } from "./windowing.js";

/** The viewer event saying how far a volume handle has arrived. */
export function volumeDataEvent(handle) {
  return { type: "volumeData", name: handle.name, data: handle.data, readyZ: handle.readyZ, loaded: handle.loaded, complete: handle.complete };
}

/** Image volumes without a window from the bridge get one from percentiles of what has arrived. */
export function ensureWindow(state, name) {
  const vol = state.volumes[name];
  if (!vol || vol.isMask || state.windows[name] || !vol.data) return state;
  let sample = null;
  const plane = vol.dims[1] * vol.dims[2];
  if (vol.complete) sample = vol.data;
  else {
    const z = vol.readyZ ? vol.readyZ.indexOf(1) : -1;
    if (z >= 0) sample = vol.data.subarray(z * plane, (z + 1) * plane);
  }
  if (!sample) return state;
  const w = percentileWindow(sample, vol.slope, vol.intercept, 0.5, 99.5);
  return reduce(state, { type: "window", volume: name, center: w.center, width: w.width });
}

/**
 * A volume the app was still decoding (`meta.streaming`) got its window from its first few
 * slices (often air at the feet end). Once complete, and if the reviewer has not changed the
 * window, take the whole volume's percentiles when they differ clearly. Runs once per handle.
 */
export function refineStreamedWindow(state, meta, handle) {
  if (!handle.complete || handle.refined) return state;
  handle.refined = true;
  const vol = state.volumes[handle.name];
  const win = state.windows[handle.name];
  if (!meta?.streaming || !vol || vol.isMask || !win) return state;
  if (win.center !== win.initial.center || win.width !== win.initial.width) return state;
  const w = percentileWindow(vol.data, vol.slope, vol.intercept, 0.5, 99.5);
  if (!windowsDiffer(win, w)) return state;
  const initial = { center: w.center, width: w.width };
  return { ...state, windows: { ...state.windows, [handle.name]: { ...initial, initial } } };
}

/** Bring `state` up to date with arrived voxels of the named handles. */
export function withArrived(state, info, handles, names = handles.keys()) {
  let next = state;
  for (const name of names) {
    const hd = handles.get(name);
    if (!hd || !next.volumes[name]) continue;
    next = reduce(next, volumeDataEvent(hd));
    if (hd.error) next = { ...next, volumes: { ...next.volumes, [name]: { ...next.volumes[name], error: hd.error } } };
    next = ensureWindow(next, name);
    next = refineStreamedWindow(next, info.volumes.find((v) => v.name === name), hd);
  }
  return next;
}

/** A fresh state for a case (keeping the reviewer's link and drag settings from `previous`). */
export function caseState(config, info, handles, previous) {
  for (const hd of handles.values()) hd.refined = false; // starts from the bridge's window again
  return withArrived(initialState(config, info.volumes, previous), info, handles);
}
