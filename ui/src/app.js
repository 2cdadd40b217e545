// Entry point: connect to Python, then move between the screens.
// Screens: signIn -> projects -> project (instructions, dataset) -> review.

import { connectBridge } from "./bridge.js";
import { h, mount } from "./dom.js";
import { projectScreen, projectsScreen, signInScreen } from "./screens.js";
import { reviewScreen } from "./review.js";
import { ownerScreens } from "./owner.js";
import "./brush-tool.js"; // registers brush editing on the review screen

const root = document.getElementById("app");
const SCREENS = { signIn: signInScreen, projects: projectsScreen, project: projectScreen, review: reviewScreen, ...ownerScreens };

async function start() {
  let bridge;
  try {
    bridge = await connectBridge();
  } catch (e) {
    mount(root, h("main.screen.center", {}, h("div.card", {}, h("h1", {}, "naesView"), h("p.error-line", { role: "alert" }, e.message))));
    return;
  }
  const info = await bridge.call("app_info");
  let leaving = [];
  // A call answered "signed_out" (token expired or revoked) brings back the sign-in form.
  const call = async (method, args) => {
    try {
      return await bridge.call(method, args);
    } catch (e) {
      if (e.code === "signed_out" && method !== "sign_in") {
        info.signed_in = null;
        queueMicrotask(() => ctx.go("signIn"));
      }
      throw e;
    }
  };
  const ctx = {
    bridge: { ...bridge, call },
    info,
    project: null,
    dataset: null,
    // Other modules (e.g. brush editing) may add hooks: masksForSubmit({index, state}) -> [{volume, handle}].
    hooks: {},
    debug: {},
    onLeave(fn) { leaving.push(fn); },
    go(name, args = {}) {
      for (const fn of leaving) { try { fn(); } catch { /* a screen failing to clean up must not block the next */ } }
      leaving = [];
      if (name !== "review") ctx.debug.review = null;
      const screen = SCREENS[name];
      mount(root, screen(ctx, args));
      root.dataset.screen = name;
      document.title = name === "review" || name === "project" ? `${ctx.project?.title ?? "Project"} — naesView` : "naesView";
    },
  };
  window.naesview = ctx.debug;
  ctx.debug.ctx = ctx;
  if (info.signed_in && info.start) {
    ctx.go("project", { projectId: info.start.project_id, datasetPath: info.start.dataset_path, autoStart: Boolean(info.start.dataset_path) });
  } else {
    ctx.go(info.signed_in ? "projects" : "signIn");
  }
}

start();
