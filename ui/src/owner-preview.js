// Live preview of one case of the owner's dataset with the config being edited: the review
// viewer itself (viewer.js), fed by owner_preview instead of load_case.

import { h } from "./dom.js";
import { createViewer } from "./viewer.js";
import { initialState, reduce } from "./viewer-state.js";
import { fetchVolume } from "./volumes.js";
import { voxelHeaders } from "./bridge.js";
import { percentileWindow } from "./windowing.js";

/** `text` with its `quoted` parts (volume names) as <code>, built as nodes: nothing is parsed as HTML. */
export function withCode(text) {
  return String(text).split("`").map((part, i) => (i % 2 ? h("code", {}, part) : part));
}

/** A preview panel: `show(config, caseId)` draws that case; `capture()` gives a PNG data URL. */
export function createPreview(ctx) {
  // Until a dataset is open there is nothing to draw: a short note instead of an empty box.
  const grid = h("div.viewer-grid.owner-preview-grid", { "data-testid": "owner-preview", hidden: true });
  const label = h("div.owner-preview-label.muted", { "data-testid": "owner-preview-label" },
    "Open your dataset above: any of its cases is shown here with the layout as you edit it.");
  const problems = h("ul.problems", { hidden: true, "data-testid": "owner-preview-problems" });
  const node = h("div.owner-preview", {}, label, problems, grid);
  const viewer = createViewer(grid);
  const headers = voxelHeaders(ctx.bridge);
  let generation = 0;
  let shown = null;
  let settled = 0; // the generation whose preview is complete (or failed)

  async function show(config, caseId) {
    api.pending = false;
    const mine = ++generation;
    let info;
    try {
      info = await ctx.bridge.call("owner_preview", { config, case_id: caseId });
    } catch (e) {
      if (mine === generation) { label.textContent = e.message; grid.hidden = true; settled = mine; }
      return null;
    }
    if (mine !== generation) return null;
    grid.hidden = false;
    label.textContent = `Case ${info.case_id + 1}: ${info.case_name} · shown to reviewers as “${info.label_parts.join(" ")}”`;
    problems.replaceChildren(...info.problems.map((p) => h("li", {}, withCode(p))));
    problems.hidden = info.problems.length === 0;
    let dirty = new Set();
    let frame = 0;
    const flush = () => {
      frame = 0;
      if (mine !== generation) return;
      let state = viewer.getState();
      for (const hd of dirty) {
        state = reduce(state, { type: "volumeData", name: hd.name, data: hd.data, readyZ: hd.readyZ, loaded: hd.loaded, complete: hd.complete });
        if (hd.error) state.volumes[hd.name].error = hd.error;
        const vol = state.volumes[hd.name];
        if (vol && !vol.isMask && !state.windows[hd.name] && hd.complete) {
          const w = percentileWindow(hd.data, vol.slope, vol.intercept, 0.5, 99.5);
          state = reduce(state, { type: "window", volume: hd.name, center: w.center, width: w.width });
        }
      }
      dirty = new Set();
      viewer.setState(state, config.viewports);
    };
    // Voxels are drawn as they arrive (middle slice first), like the review screen does.
    const progressed = (hd) => { dirty.add(hd); if (!frame) frame = requestAnimationFrame(flush); };
    viewer.setState(initialState(config, info.volumes, viewer.getState()), config.viewports);
    const handles = info.volumes.map((v) => fetchVolume(v, { headers, firstZ: Math.floor(v.shape[0] / 2), onProgress: progressed }));
    await Promise.allSettled(handles.map((hd) => hd.done));
    if (mine !== generation) return null;
    for (const hd of handles) dirty.add(hd);
    flush();
    viewer.renderNow();
    shown = info;
    settled = mine;
    return info;
  }

  /** The first viewport as a PNG data URL (the thumbnail "capture"). */
  function capture(index = 0) {
    viewer.renderNow();
    const canvas = viewer.canvas(index);
    return canvas ? canvas.toDataURL("image/png") : null;
  }

  const api = { node, show, capture, viewer, get shown() { return shown; }, get busy() { return generation !== settled; }, pending: false };
  return api;
}
