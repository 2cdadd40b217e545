// The cases around the one on screen: their load_case answers and their voxels, fetched ahead
// and dropped when the reviewer has moved on. No DOM; `loadCase(index)` is the bridge call.

import { bytesPerSample, fetchVolume } from "./volumes.js";

/** Bytes of voxels a load_case answer describes. */
export function caseBytes(info) {
  return info.volumes.reduce((sum, v) => sum + v.shape[0] * v.shape[1] * v.shape[2] * bytesPerSample(v.dtype), 0);
}

/**
 * Axial slices to fetch before the rest: the middle one (where the view opens) and, for a
 * volume the app is still decoding, the one decoded first (`first_z`), to show something at once.
 */
export function firstSlices(volume) {
  const middle = Math.floor(volume.shape[0] / 2);
  const early = volume.streaming && Number.isInteger(volume.first_z) && volume.first_z !== middle;
  return early ? [volume.first_z, middle] : [middle];
}

/**
 * `loadCase(index)` -> Promise of a load_case answer (without starting its on-screen time);
 * `onProgress(index, handle)` is told about arriving voxels. `ahead` cases after the current one
 * and `behind` before it are kept, within `budgetBytes` of voxels.
 */
export function createCaseCache({ loadCase, headers = {}, onProgress = () => {}, ahead = 2, behind = 1, budgetBytes = 768 << 20 }) {
  const cache = new Map(); // index -> {info: Promise, infoResolved, handles: Map | null, abort}

  function entry(i) {
    let e = cache.get(i);
    if (!e) {
      e = { info: loadCase(i), infoResolved: null, handles: null, abort: new AbortController() };
      e.info.then((info) => { e.infoResolved = info; }, () => { if (cache.get(i) === e) cache.delete(i); });
      cache.set(i, e);
    }
    return e;
  }

  /** Start (once) fetching the voxels of case `i` (its info must have arrived). */
  function voxels(i, info) {
    const e = entry(i);
    if (e.handles) return e.handles;
    e.handles = new Map();
    for (const v of info.volumes) {
      const handle = fetchVolume(v, {
        headers, firstZ: firstSlices(v), slabs: Boolean(v.streaming), signal: e.abort.signal,
        onProgress: (hd) => onProgress(i, hd),
      });
      handle.done.catch(() => onProgress(i, handle));
      e.handles.set(v.name, handle);
    }
    return e.handles;
  }

  function heldBytes() {
    let sum = 0;
    for (const e of cache.values()) if (e.handles && e.infoResolved) sum += caseBytes(e.infoResolved);
    return sum;
  }

  /** Drop the cases outside [i - behind, i + ahead]: their downloads stop, their voxels go. */
  function keepAround(i) {
    for (const [k, e] of cache) {
      if (k >= i - behind && k <= i + ahead) continue;
      e.abort.abort();
      cache.delete(k);
    }
  }

  /**
   * After case `i`'s own voxels (they share the pipe), fetch the next cases' one by one while
   * `stillOn()` and the budget allow; `ready(k, info, handles)` when case k is complete.
   */
  async function prefetchAfter(i, total, stillOn, ready = () => {}) {
    const own = cache.get(i)?.handles;
    await Promise.allSettled(own ? [...own.values()].map((hd) => hd.done) : []);
    for (let k = i + 1; k <= i + ahead && k < total; k++) {
      if (!stillOn()) return;
      try {
        const e = entry(k);
        const info = await e.info;
        if (!e.handles && heldBytes() + caseBytes(info) > budgetBytes) return;
        const handles = voxels(k, info);
        await Promise.allSettled([...handles.values()].map((hd) => hd.done));
        if (stillOn()) ready(k, info, handles);
      } catch { /* shown when the reviewer gets there */ }
    }
  }

  return {
    entry,
    voxels,
    keepAround,
    prefetchAfter,
    handles: (i) => cache.get(i)?.handles ?? null,
    indices: () => [...cache.keys()],
    heldBytes,
    clear() { for (const e of cache.values()) e.abort.abort(); cache.clear(); },
  };
}
