// Pointer tools of a viewport. The viewer routes pointer events of a drag to one tool:
// right button -> window/level, middle button -> pan, left button -> the active tool
// (window/level or pan per state.leftDrag, or a tool another module installs, e.g. a brush).
//
// A tool is {name, cursor, down(ctx), move(ctx), up(ctx)}; every handler is optional.
// ctx = {viewport, state, dispatch, fit, geom, x, y (canvas px), dx, dy (CSS px since the last
//        event), slice: {u, v} (continuous slice position), voxel: [z, y, x] | null,
//        event (the PointerEvent), requestRender()}

import { dragWindow } from "./windowing.js";

export const windowLevelTool = {
  name: "window",
  cursor: "ns-resize",
  move(ctx) {
    const vp = ctx.state.viewports[ctx.viewport];
    const volume = vp.layers[0].volume;
    const win = ctx.state.windows[volume];
    if (!win) return;
    const range = Math.max(win.initial?.width ?? win.width, 1) * 1.5;
    const next = dragWindow(win, ctx.dx, ctx.dy, range);
    ctx.dispatch({ type: "window", volume, center: next.center, width: next.width });
  },
};

export const panTool = {
  name: "pan",
  cursor: "grab",
  move(ctx) {
    ctx.dispatch({ type: "pan", viewport: ctx.viewport, dx: ctx.dx, dy: ctx.dy });
  },
};
