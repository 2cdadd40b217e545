// The viewport grid on the page: canvases, overlays, pointer/wheel routing. All drawing goes
// through render.js from the one state object; every change is an event through reduce().

import { EDGE_LETTERS, pointToSlice, sliceToVoxel } from "./slice.js";
import { renderViewport } from "./render.js";
import { gridTemplate, viewportTitles } from "./layout.js";
import { reduce, DEFAULTS } from "./viewer-state.js";
import { panTool, windowLevelTool } from "./tools.js";

const el = (tag, cls, text) => {
  const e = document.createElement(tag);
  if (cls) e.className = cls;
  if (text !== undefined) e.textContent = text;
  return e;
};

/** Short, readable window numbers: 40, 1500, 0.35. */
export function formatWindowNumber(x) {
  const a = Math.abs(x);
  if (a >= 100) return String(Math.round(x));
  if (a >= 1) return String(Math.round(x * 10) / 10);
  return String(Number(x.toPrecision(2)));
}

/**
 * Create the viewer in `container`. `onChange(state, event)` is told about every event
 * (the review screen uses it for its toolbar). Returns the viewer's small API.
 */
export function createViewer(container, { onChange = () => {}, onRender = () => {} } = {}) {
  let state = null;
  let cells = [];
  let infos = [];
  let frame = 0;
  let customTool = null;
  let hovered = 0;
  let lastRenderMs = 0;
  const warmCells = [];
  const overlays = []; // extra drawing after each viewport's image (e.g. a brush cursor)
  const dpr = () => window.devicePixelRatio || 1;

  function dispatch(event) {
    if (!state) return;
    state = reduce(state, event);
    container.dataset.leftDrag = customTool ? "tool" : state.leftDrag;
    onChange(state, event);
    requestRender();
  }

  function requestRender() {
    if (!frame) frame = requestAnimationFrame(() => { frame = 0; renderNow(); });
  }

  /** Draw now (all viewports, or only viewport `only`) instead of at the next frame. */
  function renderNow(only = null) {
    if (!state) return;
    const t0 = performance.now();
    infos = cells.map((cell, i) => {
      if (only !== null && i !== only && infos[i]) return infos[i];
      const { canvas, ctx, scratch } = cell;
      const ratio = dpr();
      const w = Math.max(1, Math.round(canvas.clientWidth * ratio));
      const h = Math.max(1, Math.round(canvas.clientHeight * ratio));
      if (canvas.width !== w || canvas.height !== h) { canvas.width = w; canvas.height = h; }
      const info = renderViewport(ctx, w, h, ratio, state, i, scratch);
      for (const draw of overlays) {
        try { draw(ctx, { ...info, dpr: ratio, width: w, height: h }, i, state); } catch (e) { console.error(e); }
      }
      updateOverlay(cell, info, i);
      return { ...info, dpr: ratio, width: w, height: h };
    });
    lastRenderMs = performance.now() - t0;
    onRender(infos);
  }

  function updateOverlay(cell, info, i) {
    const vp = state.viewports[i];
    const vol = state.volumes[vp.layers[0].volume];
    const win = vol ? state.windows[vol.name] : null;
    cell.slice.textContent = info.geom ? `${info.geom.index + 1} / ${info.geom.count}` : "";
    cell.window.textContent = win ? `W ${formatWindowNumber(win.width)}  L ${formatWindowNumber(win.center)}` : "";
    cell.zoom.textContent = vp.zoom !== 1 ? `${vp.zoom.toFixed(vp.zoom < 10 ? 2 : 1)}×` : "";
    let status = "";
    if (info.status === "missing") status = `${vp.layers[0].volume} is not in this case`;
    else if (info.status === "loading" || info.status === "partial") {
      const pct = vol?.dims ? Math.floor((100 * (vol.loaded || 0)) / (vol.dims[0] * vol.dims[1] * vol.dims[2])) : 0;
      status = vol?.error ? vol.error : `Loading ${pct} %`;
    } else if (info.problems.length) status = info.problems[0];
    cell.status.textContent = status;
    cell.status.hidden = !status;
    cell.root.classList.toggle("is-active", i === hovered && cells.length > 1);
  }

  function layout() {
    container.replaceChildren();
    const titles = viewportTitles(state.viewports);
    cells = state.viewports.map((vp, i) => {
      const root = el("div", "viewport");
      root.dataset.index = String(i);
      root.dataset.orientation = vp.orientation;
      const canvas = el("canvas", "viewport-canvas");
      const scratchCanvas = document.createElement("canvas");
      const scratch = { canvas: scratchCanvas, ctx: scratchCanvas.getContext("2d"), imageData: null, pixels: null };
      const letters = EDGE_LETTERS[vp.orientation];
      const title = el("div", "vp-title", titles[i]);
      title.title = vp.layers.map((l) => l.volume).join(" + ");
      const slice = el("div", "vp-slice");
      const window_ = el("div", "vp-window");
      const zoom = el("div", "vp-zoom");
      const status = el("div", "vp-status");
      status.hidden = true;
      root.append(canvas, title, slice, window_, zoom, status);
      for (const side of ["left", "right", "top", "bottom"]) root.append(el("div", `vp-edge vp-edge-${side}`, letters[side]));
      const cell = { root, canvas, ctx: canvas.getContext("2d", { alpha: false }), scratch, slice, window: window_, zoom, status };
      attachPointer(cell, i);
      container.append(root);
      return cell;
    });
    Object.assign(container.style, gridTemplate(state.viewportsGrid ?? { rows: 1, columns: cells.length }));
  }

  function pointerContext(i, e, dx = 0, dy = 0) {
    const info = infos[i];
    const rect = cells[i].canvas.getBoundingClientRect();
    const ratio = info?.dpr ?? dpr();
    const x = (e.clientX - rect.left) * ratio;
    const y = (e.clientY - rect.top) * ratio;
    let slice = null;
    let voxel = null;
    if (info?.fit && info.geom) {
      slice = pointToSlice(info.fit, x, y);
      const u = Math.round(slice.u);
      const v = Math.round(slice.v);
      if (u >= 0 && v >= 0 && u < info.geom.width && v < info.geom.height) {
        const vol = state.volumes[state.viewports[i].layers[0].volume];
        voxel = sliceToVoxel(vol.dims, info.geom, u, v);
      }
    }
    return { viewport: i, state, dispatch, fit: info?.fit, geom: info?.geom, x, y, dx, dy, slice, voxel, event: e, requestRender };
  }

  function attachPointer(cell, i) {
    const { canvas, root } = cell;
    let drag = null;
    canvas.addEventListener("contextmenu", (e) => e.preventDefault());
    root.addEventListener("pointerenter", () => { hovered = i; requestRender(); });
    canvas.addEventListener("dblclick", (e) => { e.preventDefault(); toggleMaximized(i); });
    canvas.addEventListener("pointerdown", (e) => {
      hovered = i;
      let tool;
      if (e.button === 2) tool = windowLevelTool;
      else if (e.button === 1) tool = panTool;
      else if (e.button === 0) tool = customTool ?? (state.leftDrag === "pan" ? panTool : windowLevelTool);
      if (!tool) return;
      e.preventDefault();
      canvas.setPointerCapture(e.pointerId);
      drag = { tool, x: e.clientX, y: e.clientY, startX: e.clientX, startY: e.clientY, button: e.button };
      canvas.style.cursor = tool.cursor ?? "default";
      tool.down?.(pointerContext(i, e));
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!drag) return;
      const dx = e.clientX - drag.x;
      const dy = e.clientY - drag.y;
      drag.x = e.clientX;
      drag.y = e.clientY;
      drag.tool.move?.(pointerContext(i, e, dx, dy));
    });
    const end = (e) => {
      if (!drag) return;
      const moved = Math.abs(e.clientX - drag.startX) + Math.abs(e.clientY - drag.startY);
      drag.tool.up?.(pointerContext(i, e));
      // A click without a drag in linked mode puts the crosshair there.
      if (moved < 3 && drag.button === 0 && !customTool && state.linked) {
        const { voxel } = pointerContext(i, e);
        if (voxel) dispatch({ type: "cursor", viewport: i, z: voxel[0], y: voxel[1], x: voxel[2] });
      }
      drag = null;
      canvas.style.cursor = "";
    };
    canvas.addEventListener("pointerup", end);
    canvas.addEventListener("pointercancel", end);
    let wheelRest = 0;
    canvas.addEventListener("wheel", (e) => {
      e.preventDefault();
      hovered = i;
      if (e.ctrlKey || e.metaKey) {
        const rect = canvas.getBoundingClientRect();
        const factor = Math.exp(-e.deltaY * (e.deltaMode === 1 ? 0.05 : 0.0025));
        dispatch({ type: "zoom", viewport: i, factor,
          anchorX: e.clientX - rect.left - rect.width / 2, anchorY: e.clientY - rect.top - rect.height / 2 });
        return;
      }
      // One slice per wheel notch (Chromium sends 100 px or 3 lines per notch); trackpads send
      // many small deltas, which accumulate until they add up to a slice.
      let steps;
      if ((e.deltaMode === 0 && Math.abs(e.deltaY) >= 50) || e.deltaMode !== 0) {
        steps = Math.sign(e.deltaY);
        wheelRest = 0;
      } else {
        wheelRest += e.deltaY / 50;
        steps = Math.trunc(wheelRest);
        wheelRest -= steps;
      }
      if (steps !== 0) dispatch({ type: "sliceBy", viewport: i, delta: steps });
    }, { passive: false });
  }

  // One viewport alone over the whole grid (double-click or f), and back.
  let maximized = null;
  function toggleMaximized(i) {
    maximized = maximized === null && cells.length > 1 ? i : null;
    container.classList.toggle("is-maximized", maximized !== null);
    cells.forEach((cell, k) => cell.root.classList.toggle("is-max", k === maximized));
    requestRender();
  }

  const resize = new ResizeObserver(() => requestRender());
  resize.observe(container);

  return {
    /** Show a new state (a new case); the grid is rebuilt only when the layout changes. */
    setState(next, grid) {
      const relayout = !state || !sameLayout(state, next) || cells.length === 0;
      state = { ...next, viewportsGrid: grid ?? next.viewportsGrid };
      if (relayout) { layout(); maximized = null; container.classList.remove("is-maximized"); }
      hovered = Math.min(hovered, state.viewports.length - 1);
      container.dataset.leftDrag = customTool ? "tool" : state.leftDrag;
      requestRender();
    },
    getState: () => state,
    dispatch,
    toggleMaximized: (i = hovered) => toggleMaximized(i),
    maximized: () => maximized,
    requestRender,
    renderNow,
    /**
     * Draw `other` (the next case's state) off screen once, so its lookup tables exist and the
     * JIT has seen its voxel types before the reviewer switches to it.
     */
    warm(other) {
      const ratio = dpr();
      other.viewports.forEach((_, i) => {
        const cell = cells[i];
        if (!cell) return;
        if (!warmCells[i]) {
          const c = document.createElement("canvas");
          const s = document.createElement("canvas");
          c.width = 4; c.height = 4;
          warmCells[i] = { ctx: c.getContext("2d", { alpha: false }), scratch: { canvas: s, ctx: s.getContext("2d"), imageData: null, pixels: null } };
        }
        const w = Math.max(1, Math.round(cell.canvas.clientWidth * ratio));
        const h = Math.max(1, Math.round(cell.canvas.clientHeight * ratio));
        try { renderViewport(warmCells[i].ctx, w, h, ratio, other, i, warmCells[i].scratch); } catch { /* warming is best effort */ }
      });
    },
    /**
     * Draw on top of every viewport after its image: `draw(ctx, info, index, state)` with
     * info = {geom, fit, status, dpr, width, height} (canvas pixels). Returns a remover.
     */
    addOverlay(draw) {
      overlays.push(draw);
      requestRender();
      return () => { const k = overlays.indexOf(draw); if (k >= 0) overlays.splice(k, 1); requestRender(); };
    },
    /** Install a left-button tool (e.g. a brush); null restores window/level or pan. */
    setTool(tool) {
      customTool = tool;
      container.dataset.leftDrag = tool ? "tool" : (state?.leftDrag ?? "window");
      container.style.setProperty("--tool-cursor", tool?.cursor ?? "crosshair");
    },
    /** The viewport keyboard actions go to: the one under the pointer last. */
    activeViewport: () => hovered,
    /** What the last render drew in viewport i (for tools and tests). */
    viewportInfo: (i) => infos[i] ?? null,
    canvas: (i) => cells[i]?.canvas ?? null,
    lastRenderMs: () => lastRenderMs,
    defaults: DEFAULTS,
  };
}

function sameLayout(a, b) {
  if (a.viewports.length !== b.viewports.length) return false;
  return a.viewports.every((vp, i) => vp.orientation === b.viewports[i].orientation);
}
