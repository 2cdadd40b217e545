// Brush editing of the project's editable mask on the review screen (issue 7): side-panel
// controls, the left-button brush tool, the circle cursor, keys, and the upload of the edited
// mask when the case is answered. The maths is brush.js's; this module only wires it up.
//
// The edit lives in an EditHistory (0/1 Uint8Array) and is copied into the mask layer's voxel
// array in place, so every viewport showing that mask draws it at the next frame.
//
// A case answered earlier with an edit (even before a restart) arrives with that edit in the
// layer's voxels and the project's own mask at `original_url`: the history starts from the edit
// and measures against the original. An edit not yet part of a saved answer is "unsaved": the
// review screen asks before leaving the case (unsavedEdits / discardEdits).

import { registerReviewExtension } from "./extensions.js";
import { EditHistory, cursorRadii, editableMask, maskMetrics, rleDecode, rleEncode, sliceToPointer, pointerToSlice, stepRadius } from "./brush.js";
import { h } from "./dom.js";
import { panTool, windowLevelTool } from "./tools.js";
import { fetchVolume } from "./volumes.js";

export const MIN_RADIUS_MM = 0.5;
export const MAX_RADIUS_MM = 50;

/** `PUT` address of an edited mask, next to the volume's `<voxel_base>/voxels/<handle>` URL. */
export function maskUploadUrl(voxelUrl, handle) {
  const at = voxelUrl.lastIndexOf("/voxels/");
  if (at < 0) throw new Error(`volume URL ${voxelUrl} has no /voxels/ part; reload the case`);
  return `${voxelUrl.slice(0, at)}/masks/${encodeURIComponent(handle)}`;
}

/**
 * What a key press does to the brush, or null: "undo", "redo", "smaller", "bigger",
 * "toggleErase" (e), "toggleBrush" (b). Shift held while painting erases (not a key action).
 */
export function brushKeyAction(e) {
  if (e.altKey) return null;
  const key = e.key.length === 1 ? e.key.toLowerCase() : e.key;
  if (e.ctrlKey || e.metaKey) {
    if (key === "z") return e.shiftKey ? "redo" : "undo";
    if (key === "y" && !e.shiftKey) return "redo";
    return null;
  }
  if (e.key === "[") return "smaller";
  if (e.key === "]") return "bigger";
  if (key === "e" && !e.shiftKey) return "toggleErase";
  if (key === "b" && !e.shiftKey) return "toggleBrush";
  return null;
}

/** Stored values of a mask layer that read as outside (0) and inside (non-zero). */
export function storedValues(slope = 1, intercept = 0) {
  const s = slope || 1;
  const outside = -intercept / s;
  const inside = (1 - intercept) / s;
  return { outside, inside };
}

/**
 * Copy the edited 0/1 `mask` into the layer's voxel array `data` over the canonical box
 * `{z0, z1, y0, y1, x0, x1}` (the whole volume when `box` is null).
 */
export function writeBack(data, mask, dims, box, slope = 1, intercept = 0) {
  const [nz, ny, nx] = dims;
  const b = box ?? { z0: 0, z1: nz, y0: 0, y1: ny, x0: 0, x1: nx };
  const { outside, inside } = storedValues(slope, intercept);
  for (let z = b.z0; z < b.z1; z++) {
    for (let y = b.y0; y < b.y1; y++) {
      let o = (z * ny + y) * nx + b.x0;
      for (let x = b.x0; x < b.x1; x++, o++) data[o] = mask[o] ? inside : outside;
    }
  }
}

/**
 * How the brush follows the viewer's left-drag mode (state.leftDrag): "claim" (the brush is on
 * but the viewer does not know yet: set leftDrag to "tool", so W/L and Pan stop looking
 * selected), "release" (the brush had the left button and the reviewer chose W/L or Pan since:
 * put the brush away), or null. `leftDrag` is null before the first case is on screen.
 */
export function leftDragAction({ enabled, claimed, leftDrag }) {
  if (leftDrag === null || leftDrag === undefined) return null;
  if (enabled && claimed && leftDrag !== "tool") return "release";
  if (enabled && !claimed) return "claim";
  return null;
}

/**
 * An EditHistory whose mask is `current` (a saved edit) while its original stays `original`
 * (the project's mask): metrics and "Reset to original" are relative to the project's mask, and
 * there is nothing to undo yet. Both are 0/1 Uint8Arrays; `current` is used, `original` copied.
 */
export function restoredHistory(original, current, dims, spacing) {
  const history = new EditHistory(original, dims, spacing);
  if (current.length !== original.length) {
    throw new Error(`the saved edit has ${current.length} voxels, the mask ${original.length}; reload the case`);
  }
  const m = maskMetrics(original, current);
  history.mask = current;
  history.stats.added = m.added;
  history.stats.removed = m.removed;
  return history;
}

/** True when `mask` (0/1) differs from the run-length coded `saved` state. */
export function differsFromSaved(mask, saved) {
  if (!saved || saved.length !== mask.length) return true;
  let at = 0;
  for (let k = 0; k < saved.values.length; k++) {
    const value = saved.values[k];
    for (let end = at + saved.counts[k]; at < end; at++) if (mask[at] !== value) return true;
  }
  return false;
}

/** "Added 12 · Removed 3 · Dice 0.981". */
export function formatMetrics(m) {
  return `Added ${m.added} · Removed ${m.removed} · Dice ${m.dice.toFixed(3)}`;
}

/** The brush extension for one review screen, or null when the project has no brush editing. */
export function createBrushExtension({ viewer, config, headers }) {
  const settings = config.brush;
  if (!settings) return null;
  const name = settings.volume;
  let radius = Math.min(MAX_RADIUS_MM, Math.max(MIN_RADIUS_MM, settings.radius_mm ?? 3));
  let erase = false;
  let enabled = true;
  let claimed = false; // the viewer's state says leftDrag "tool" because of this brush
  let fallback = "window"; // what left drag did before the brush took it (W/L or Pan)
  let hover = null; // {viewport, u, v}
  let session = null; // {index, meta, history, saved, data, original}
  // `${index}/${handle}` -> {history, saved}, so going back keeps the edits. `saved` is the
  // run-length coded mask as last saved (or as it arrived): what "unsaved edits" compare with.
  const kept = new Map();

  // ---- panel ----
  const paintBtn = h("button.toggle", { type: "button", title: "Paint into the mask (b turns the brush off)", "data-testid": "brush-paint",
    onclick: (e) => { e.currentTarget.blur(); setMode(false); } }, "Paint");
  const eraseBtn = h("button.toggle", { type: "button", title: "Erase from the mask (e, or hold Shift while painting)", "data-testid": "brush-erase",
    onclick: (e) => { e.currentTarget.blur(); setMode(true); } }, "Erase");
  const radiusLabel = h("span.brush-radius-label", { "data-testid": "brush-radius-label" });
  const slider = h("input", { type: "range", min: String(MIN_RADIUS_MM), max: String(MAX_RADIUS_MM), step: "0.1",
    "aria-label": "Brush radius in mm", "data-testid": "brush-radius",
    oninput: (e) => setRadius(Number(e.target.value)) });
  const undoBtn = h("button", { type: "button", title: "Undo (ctrl+Z)", "data-testid": "brush-undo", onclick: () => act("undo") }, "Undo");
  const redoBtn = h("button", { type: "button", title: "Redo (ctrl+shift+Z)", "data-testid": "brush-redo", onclick: () => act("redo") }, "Redo");
  const resetBtn = h("button", { type: "button", title: "Put the original mask back", "data-testid": "brush-reset", onclick: () => act("reset") }, "Reset to original");
  const metricsLine = h("p.brush-metrics.muted", { "data-testid": "brush-metrics" });
  const panel = h("section.brush-panel", { "data-testid": "brush-panel" },
    h("h3", {}, `Edit mask: ${name}`),
    h("div.tool-row", {}, paintBtn, eraseBtn),
    h("label.brush-radius", {}, "Radius ", slider, " ", radiusLabel),
    h("div.tool-row", {}, undoBtn, redoBtn, resetBtn),
    metricsLine);

  function setMode(toErase) {
    // Clicking the active mode again puts the brush away (left drag is window/level again).
    if (enabled && erase === toErase) useBrush(false);
    else { erase = toErase; useBrush(true); }
  }

  /** Give the left button to the brush, or back to W/L or Pan (whichever had it before). */
  function useBrush(on) {
    enabled = on;
    viewer.setTool(on ? tool : null);
    const leftDrag = viewer.getState?.()?.leftDrag ?? null;
    if (on) claim(leftDrag);
    else {
      if (claimed && leftDrag === "tool") viewer.dispatch({ type: "leftDrag", mode: fallback });
      claimed = false;
    }
    refresh();
    viewer.requestRender();
  }

  /** Tell the viewer the brush has the left button: only the brush then looks selected. */
  function claim(leftDrag) {
    if (leftDragAction({ enabled, claimed, leftDrag }) !== "claim") return;
    if (leftDrag !== "tool") fallback = leftDrag;
    claimed = true;
    if (leftDrag !== "tool") viewer.dispatch({ type: "leftDrag", mode: "tool" });
  }

  /** The reviewer chose W/L or Pan (button or w key) while the brush was on: put it away. */
  function followLeftDrag(state) {
    if (leftDragAction({ enabled, claimed, leftDrag: state?.leftDrag ?? null }) !== "release") return;
    enabled = false;
    claimed = false;
    fallback = state.leftDrag;
    viewer.setTool(null);
    refresh();
  }

  function setRadius(mm) {
    if (!Number.isFinite(mm)) return;
    radius = Math.min(MAX_RADIUS_MM, Math.max(MIN_RADIUS_MM, Math.round(mm * 100) / 100));
    refresh();
    viewer.requestRender();
  }

  function refresh() {
    paintBtn.classList.toggle("is-on", enabled && !erase);
    eraseBtn.classList.toggle("is-on", enabled && erase);
    paintBtn.setAttribute("aria-pressed", String(enabled && !erase));
    eraseBtn.setAttribute("aria-pressed", String(enabled && erase));
    slider.value = String(radius);
    radiusLabel.textContent = `${radius.toFixed(1)} mm`;
    const history = session?.history;
    undoBtn.disabled = !history?.canUndo;
    redoBtn.disabled = !history?.canRedo;
    resetBtn.disabled = !history || changed(history) === false;
    if (!session) metricsLine.textContent = `This case has no editable ${name}.`;
    else if (!history) metricsLine.textContent = "Loading the mask…";
    else metricsLine.textContent = formatMetrics(history.metrics());
  }

  function changed(history) {
    const m = history.metrics();
    return m.added + m.removed > 0;
  }

  // ---- the edit of the shown case ----
  /** The history of the shown case, created once its mask voxels are all in. */
  function ensureHistory() {
    if (!session) return null;
    const vol = viewer.getState()?.volumes[name];
    if (!vol?.complete || !vol.data) return null;
    if (!session.history) {
      const key = `${session.index}/${session.meta.handle}`;
      let entry = kept.get(key);
      if (!entry) {
        if (session.meta.original_url && !session.original) return null; // still on its way
        const shown = editableMask(vol.data, vol.slope, vol.intercept);
        const history = session.original
          ? restoredHistory(session.original, shown, vol.dims, vol.spacing)
          : new EditHistory(shown, vol.dims, vol.spacing);
        entry = { history, saved: rleEncode(shown) };
      }
      session.history = entry.history;
      session.saved = entry.saved;
      kept.delete(key);
      kept.set(key, entry);
      while (kept.size > 32) kept.delete(kept.keys().next().value);
    }
    if (session.data !== vol.data) {
      // A fresh voxel array (first use, or reloaded): show the edit in it.
      session.data = vol.data;
      writeBack(vol.data, session.history.mask, vol.dims, null, vol.slope, vol.intercept);
      viewer.requestRender();
      refresh();
    }
    return session.history;
  }

  function show(box) {
    const vol = viewer.getState()?.volumes[name];
    if (box && vol?.data) writeBack(vol.data, session.history.mask, vol.dims, box, vol.slope, vol.intercept);
    viewer.requestRender();
    refresh();
  }

  function act(action) {
    const history = ensureHistory();
    if (!history) return;
    if (action === "undo") show(history.undo());
    else if (action === "redo") show(history.redo());
    else if (action === "reset") show(history.resetToOriginal());
  }

  function showsMask(state, i) {
    return state.viewports[i]?.layers.some((l) => l.volume === name && l.visible !== false);
  }

  // ---- the tool (left button) ----
  let stroke = null; // {last, value} while painting, or {delegate} for a viewport without the mask
  const tool = {
    name: "brush",
    cursor: "crosshair",
    down(ctx) {
      const history = ensureHistory();
      const vol = ctx.state.volumes[name];
      if (!history || !ctx.geom || !ctx.slice || !showsMask(ctx.state, ctx.viewport) ||
          vol.dims.some((n, k) => n !== history.dims[k])) {
        const mode = ctx.state.leftDrag === "tool" ? fallback : ctx.state.leftDrag;
        const delegate = mode === "pan" ? panTool : windowLevelTool;
        stroke = { delegate };
        delegate.down?.(ctx);
        return;
      }
      const value = erase || ctx.event.shiftKey ? 0 : 1;
      history.beginStroke(ctx.geom.orientation, ctx.geom.index);
      stroke = { last: ctx.slice, value };
      show(history.stroke(ctx.slice, ctx.slice, radius, value).box);
    },
    move(ctx) {
      trackHover(ctx);
      if (!stroke) return;
      if (stroke.delegate) { stroke.delegate.move?.(ctx); return; }
      if (!ctx.slice) return;
      show(session.history.stroke(stroke.last, ctx.slice, radius, stroke.value).box);
      stroke.last = ctx.slice;
    },
    up(ctx) {
      if (stroke?.delegate) stroke.delegate.up?.(ctx);
      else if (stroke && session?.history) show(session.history.endStroke());
      stroke = null;
    },
  };

  function trackHover(ctx) {
    hover = ctx.slice ? { viewport: ctx.viewport, u: ctx.slice.u, v: ctx.slice.v } : null;
    viewer.requestRender();
  }

  // Hover without a button: the viewer routes only drags to tools, so follow the pointer here.
  function onPointerMove(e) {
    const canvas = e.target;
    if (!(canvas instanceof HTMLCanvasElement) || !canvas.classList.contains("viewport-canvas")) {
      if (hover) { hover = null; viewer.requestRender(); }
      return;
    }
    const i = Number(canvas.parentElement?.dataset.index);
    const info = viewer.viewportInfo(i);
    if (!info?.fit) return;
    const rect = canvas.getBoundingClientRect();
    const ratio = info.dpr ?? window.devicePixelRatio ?? 1;
    const p = pointerToSlice(info.fit, (e.clientX - rect.left) * ratio, (e.clientY - rect.top) * ratio);
    hover = { viewport: i, u: p.u, v: p.v };
    viewer.requestRender();
  }

  function drawCursor(ctx, info, i, state) {
    // Every viewer event is followed by a frame: this is where the brush sees a W/L or Pan choice.
    if (i === 0) followLeftDrag(state);
    // The mask's voxels arrive after caseShown: pick the edit up at the first frame they are in.
    if (i === 0 && session) ensureHistory();
    if (!enabled || !hover || hover.viewport !== i || !info.fit || !info.geom || !showsMask(state, i)) return;
    const c = sliceToPointer(info.fit, hover.u, hover.v);
    const { rx, ry } = cursorRadii(info.fit, info.geom, radius);
    ctx.save();
    ctx.lineWidth = Math.max(1, info.dpr ?? 1);
    ctx.strokeStyle = erase ? "#66ccff" : "#ffff66";
    ctx.setLineDash(erase ? [4 * (info.dpr ?? 1), 3 * (info.dpr ?? 1)] : []);
    ctx.beginPath();
    ctx.ellipse(c.x, c.y, Math.max(1, rx), Math.max(1, ry), 0, 0, 2 * Math.PI);
    ctx.stroke();
    ctx.restore();
  }

  function onKey(e) {
    if (e.defaultPrevented) return;
    const typing = e.target instanceof HTMLElement && (e.target.matches("textarea, input:not([type=range]), select") || e.target.isContentEditable);
    if (typing || document.querySelector(".help-overlay:not([hidden])")) return;
    const action = brushKeyAction(e);
    if (!action) return;
    e.preventDefault();
    if (action === "smaller" || action === "bigger") setRadius(stepRadius(radius, action === "bigger" ? 1 : -1, MIN_RADIUS_MM, MAX_RADIUS_MM));
    else if (action === "toggleErase") setMode(!erase);
    else if (action === "toggleBrush") useBrush(!enabled);
    else act(action);
  }

  /** Fetch the project's mask for a case shown with a saved edit (the history's original). */
  function loadOriginal(target) {
    const { meta } = target;
    const handle = fetchVolume({ name: `${name} (original)`, url: meta.original_url, shape: meta.shape, dtype: meta.dtype }, { headers });
    target.originalReady = handle.done.then(() => {
      target.original = editableMask(handle.data, meta.slope ?? 1, meta.intercept ?? 0);
      if (session === target) { ensureHistory(); refresh(); viewer.requestRender(); }
    });
    target.originalReady.catch(() => {}); // masks() reports it when the case is answered
  }

  /** The shown case's history once its mask and original are in (waits at most `ms`). */
  async function historyReady(index, ms = 60000) {
    const until = performance.now() + ms;
    for (;;) {
      if (!session || session.index !== index) return null;
      if (session.originalReady) await session.originalReady;
      const history = ensureHistory();
      if (history) return history;
      if (performance.now() > until) throw new Error(`the mask ${name} is still loading; answer again in a moment`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  viewer.setTool(tool);
  const removeOverlay = viewer.addOverlay(drawCursor);
  document.addEventListener("keydown", onKey);
  document.addEventListener("pointermove", onPointerMove);
  refresh();

  const extension = {
    panel,
    caseShown({ index, info }) {
      stroke = null;
      const meta = info.volumes.find((v) => v.name === name && v.editable !== false);
      session = meta ? { index, meta, history: null, saved: null, data: null, original: null } : null;
      if (meta?.original_url && !kept.has(`${index}/${meta.handle}`)) loadOriginal(session);
      const leftDrag = viewer.getState?.()?.leftDrag ?? null;
      if (leftDragAction({ enabled, claimed, leftDrag }) === "release") followLeftDrag(viewer.getState());
      else claim(leftDrag);
      refresh();
      ensureHistory();
    },
    async masks({ index }) {
      // A saved edit must go out again with a changed answer: wait for it rather than send none.
      const restoring = session?.index === index && Boolean(session.meta.original_url);
      const history = restoring ? await historyReady(index) : ensureHistory();
      if (restoring && (!history || session?.index !== index)) {
        throw new Error(`the case was left before its edited mask ${name} was in; go back and answer it again`);
      }
      if (!session || session.index !== index || !history) return [];
      history.endStroke();
      if (!changed(history)) return [];
      const res = await fetch(maskUploadUrl(session.meta.url, session.meta.handle), {
        method: "PUT", headers: { ...headers, "Content-Type": "application/octet-stream" }, body: history.mask,
      });
      if (!res.ok) {
        const why = (await res.text().catch(() => "")).split("\n")[0].slice(0, 200);
        throw new Error(`the edited mask ${name} was not saved (HTTP ${res.status}${why ? `: ${why}` : ""}); answer the case again`);
      }
      return [{ volume: name, handle: session.meta.handle }];
    },
    /** The answer of case `index` was saved, with this edit: it is no longer unsaved. */
    answered({ index }) {
      if (session?.index !== index || !session.history) return;
      session.saved = rleEncode(session.history.mask);
      const entry = kept.get(`${index}/${session.meta.handle}`);
      if (entry) entry.saved = session.saved;
    },
    /** True when the shown case's mask has edits that no saved answer carries. */
    unsavedEdits() {
      const history = session?.history;
      if (!history) return false;
      history.endStroke();
      return differsFromSaved(history.mask, session.saved);
    },
    /** Put the shown case's mask back as it was last saved (or as it arrived). */
    discardEdits() {
      const history = session?.history;
      if (!history || !session.saved) return;
      stroke = null;
      const fresh = restoredHistory(history.original, rleDecode(session.saved), history.dims, history.spacing);
      session.history = fresh;
      kept.set(`${session.index}/${session.meta.handle}`, { history: fresh, saved: session.saved });
      const vol = viewer.getState()?.volumes[name];
      if (vol?.data) writeBack(vol.data, fresh.mask, vol.dims, null, vol.slope, vol.intercept);
      viewer.requestRender();
      refresh();
    },
    /** For tests and diagnostics: the shown case's edit. */
    debug: () => ({ radius, erase, enabled, claimed, history: session?.history ?? null }),
    leave() {
      document.removeEventListener("keydown", onKey);
      document.removeEventListener("pointermove", onPointerMove);
      removeOverlay();
      viewer.setTool(null);
      if (window.naesview?.brush === extension) window.naesview.brush = null;
    },
  };
  if (window.naesview) window.naesview.brush = extension;
  return extension;
}

registerReviewExtension(createBrushExtension);
