// The screens before the review: sign in, the reviewer's projects, one project (instructions and
// dataset). Each screen is a function (ctx) -> element; ctx = {bridge, info, go(screen, args), ...}.

import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";
import { openAbout } from "./about.js";
import { accountButton, signInNotice } from "./account.js";
import { ownerEntry } from "./owner.js";
import { registerForm } from "./register.js";

const SERVER_KEY = "naesview.lastServer";
const USER_KEY = "naesview.lastUser";

function errorLine() {
  const line = h("p.error-line", { role: "alert", hidden: true });
  return {
    node: line,
    show(e) { line.textContent = e?.message ?? String(e); line.hidden = false; },
    clear() { line.textContent = ""; line.hidden = true; },
  };
}

async function busy(button, work) {
  const label = button.textContent;
  button.disabled = true;
  button.classList.add("is-busy");
  try { return await work(); } finally {
    button.disabled = false;
    button.classList.remove("is-busy");
    button.textContent = label;
  }
}

export function topBar(ctx, { back = null, title = "" } = {}) {
  const user = ctx.info.signed_in;
  return h("header.topbar",
    {},
    h("button.brand", { type: "button", title: "About naesView: version and licences", "data-testid": "about-open",
      onclick: () => openAbout(ctx.bridge).catch(() => {}) }, h("span.brand-mark", { "aria-hidden": "true" }), "naesView"),
    back ? h("button.ghost.back", { type: "button", onclick: back.action, "data-testid": "back" }, `← ${back.label}`) : null,
    h("div.topbar-title", {}, title),
    h("div.topbar-spacer"),
    user ? accountButton(ctx) : null,
    user ? h("button.ghost", { type: "button", "data-testid": "sign-out", onclick: async () => {
      if (ctx.hooks?.mayLeave && !(await ctx.hooks.mayLeave())) return; // e.g. unsaved mask edits
      // Signed out locally whatever the server says (it may be unreachable).
      try { await ctx.bridge.call("sign_out"); } catch { /* nothing more to do */ }
      ctx.info.signed_in = null;
      ctx.go("signIn");
    } }, "Sign out") : null,
  );
}

// `returnTo` {projectId, account}: where the reviewer was when the server signed them out (the
// review screen's banner); signing in again as that same account goes back to that project.
export function signInScreen(ctx, { returnTo = null } = {}) {
  const err = errorLine();
  const server = h("input", { id: "server", name: "server", type: "url", required: true, autocomplete: "url",
    placeholder: "https://review.example.org", value: localStorage.getItem(SERVER_KEY) ?? "" });
  const username = h("input", { id: "username", name: "username", required: true, autocomplete: "username",
    value: localStorage.getItem(USER_KEY) ?? "" });
  const password = h("input", { id: "password", name: "password", type: "password", required: true, autocomplete: "current-password" });
  const submit = h("button.primary", { type: "submit" }, "Sign in");
  const form = h("form.card.signin", {
    onsubmit: async (e) => {
      e.preventDefault();
      err.clear();
      await busy(submit, async () => {
        try {
          const who = await ctx.bridge.call("sign_in", { server: server.value.trim(), username: username.value.trim(), password: password.value });
          localStorage.setItem(SERVER_KEY, server.value.trim());
          localStorage.setItem(USER_KEY, username.value.trim());
          ctx.info.signed_in = who;
          const same = returnTo?.account && who.server === returnTo.account.server && who.username === returnTo.account.username;
          if (same) ctx.go("project", { projectId: returnTo.projectId });
          else ctx.go("projects");
        } catch (e2) { err.show(e2); password.select(); }
      });
    },
  },
  h("div.signin-brand", {}, h("span.brand-mark.large", { "aria-hidden": "true" }), h("h1", {}, "naesView")),
  h("p.muted", {}, "Sign in to your review server. Images stay on this computer; only your answers are sent.",
    " ", h("button.link", { type: "button", "data-testid": "about-open", onclick: () => openAbout(ctx.bridge).catch(() => {}) }, "About")),
  signInNotice(ctx),
  h("label", { for: "server" }, "Server"), server,
  h("label", { for: "username" }, "User name"), username,
  h("label", { for: "password" }, "Password"), password,
  err.node,
  submit,
  h("p.register-switch", {},
    h("button.link", { type: "button", "data-testid": "register-open", onclick: () => showRegister() },
      "New here? Create an account with an invitation code")));
  // The other form (ui/src/register.js) takes this one's place; its back link brings this back.
  const showRegister = () => {
    err.clear();
    form.replaceWith(registerForm(ctx, {
      server: server.value.trim(),
      onBack: (typedServer) => {
        if (typedServer) server.value = typedServer;
        backToSignIn();
      },
      onSignedIn: (who, typedServer) => {
        localStorage.setItem(SERVER_KEY, typedServer);
        localStorage.setItem(USER_KEY, who.username);
        ctx.info.signed_in = who;
        ctx.go("projects");
      },
      onRegistered: (name, message, typedServer) => {
        server.value = typedServer;
        username.value = name;
        backToSignIn();
        err.show(new Error(message));
      },
    }));
  };
  const backToSignIn = () => {
    screen.querySelector("form.register")?.replaceWith(form);
    (server.value ? (username.value ? password : username) : server).focus();
  };
  queueMicrotask(() => (server.value ? (username.value ? password : username) : server).focus());
  const screen = h("main.screen.center.signin-screen", {}, form, h("p.version.muted", {}, `naesView ${ctx.info.version ?? ""}`));
  return screen;
}

function progressBar(done, total) {
  const pct = total ? Math.round((100 * done) / total) : 0;
  return h("div.bar", { role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(total), "aria-valuenow": String(done) },
    h("div.bar-fill", { style: { width: `${pct}%` } }));
}

export function projectsScreen(ctx) {
  const list = h("div.project-list", { "data-testid": "project-list" }, h("p.muted", {}, "Loading your projects…"));
  const err = errorLine();
  const code = h("input", { id: "invite", name: "invite", placeholder: "Invitation code", autocomplete: "off", spellcheck: false });
  const join = h("button", { type: "submit" }, "Join");
  const load = async () => {
    try {
      const { projects } = await ctx.bridge.call("list_projects");
      list.replaceChildren(...(projects.length ? projects.map((p) => projectCard(ctx, p)) : [
        h("div.empty", {}, h("p", {}, "You are not in any project yet."), h("p.muted", {}, "Enter the invitation code your project owner sent you.")),
      ]));
    } catch (e) { list.replaceChildren(); err.show(e); }
  };
  const joinForm = h("form.join", {
    onsubmit: async (e) => {
      e.preventDefault();
      err.clear();
      const typed = code.value.trim();
      if (!typed) { code.focus(); return; }
      // The same rule as the server's (naesview_wire InvitationCode), said in words.
      if (!/^[A-Za-z0-9_-]{8,64}$/.test(typed)) {
        err.show(new Error("An invitation code is 8 to 64 letters, digits, - or _; check the code you were sent."));
        code.select();
        return;
      }
      await busy(join, async () => {
        try {
          await ctx.bridge.call("join_project", { code: typed });
          code.value = "";
          await load();
        } catch (e2) { err.show(e2); }
      });
    },
  }, h("label.sr-only", { for: "invite" }, "Invitation code"), code, join);
  load();
  return h("div.screen", {},
    topBar(ctx, { title: "Projects" }),
    h("main.page", {},
      h("div.page-head", {}, h("h1", {}, "Your projects"), ownerEntry(ctx), joinForm),
      err.node,
      list));
}

function projectCard(ctx, p) {
  const done = p.done ?? p.progress?.done ?? 0;
  const total = p.total ?? p.progress?.total ?? 0;
  const thumb = p.thumbnail && /^data:image\/(png|jpeg|webp|gif);base64,/.test(p.thumbnail)
    ? h("img.thumb", { src: p.thumbnail, alt: "" })
    : h("div.thumb.placeholder", { "aria-hidden": "true" }, (p.title || "?").slice(0, 1).toUpperCase());
  const closed = p.status === "closed";
  return h("button.project-card", { type: "button", "data-testid": "project-card", "data-project-id": String(p.id),
    onclick: () => ctx.go("project", { projectId: p.id }) },
  thumb,
  h("div.project-text", {},
    h("div.project-title", {}, p.title),
    h("div.project-desc", {}, p.short_description || ""),
    h("div.project-meta", {},
      progressBar(done, total),
      h("span.muted", {}, total ? `${done} of ${total} reviewed` : ""),
      closed ? h("span.tag", {}, "closed") : p.role === "owner" ? h("span.tag", {}, "owner") : null)));
}

export function projectScreen(ctx, { projectId, datasetPath = null, autoStart = false }) {
  const err = errorLine();
  const body = h("main.page.project", {}, h("p.muted", {}, "Opening the project…"));
  const screen = h("div.screen", {}, topBar(ctx, { back: { label: "Projects", action: () => ctx.go("projects") }, title: "" }), err.node, body);
  (async () => {
    try {
      const project = await ctx.bridge.call("open_project", { project_id: projectId });
      ctx.project = project;
      screen.querySelector(".topbar-title").textContent = project.title;
      body.replaceChildren(
        h("section.instructions", { "data-testid": "instructions" },
          h("h1", {}, project.title),
          instructionsNode(project.instructions_md)),
        datasetPanel(ctx, project, { datasetPath, autoStart }));
    } catch (e) { body.replaceChildren(); err.show(e); }
  })();
  return screen;
}

function instructionsNode(md) {
  const node = h("div.markdown");
  // Safe: renderMarkdown escapes all source text and emits only its own fixed tags.
  node.innerHTML = md?.trim() ? renderMarkdown(md) : "<p class=\"muted\">This project has no instructions.</p>";
  return node;
}

function datasetPanel(ctx, project, { datasetPath, autoStart }) {
  const err = errorLine();
  const result = h("div.dataset-result");
  const path = h("input", { id: "dataset-path", name: "dataset-path", placeholder: "/path/to/dataset.zip", spellcheck: false,
    value: datasetPath ?? project.dataset_path ?? "" });
  const open = h("button", { type: "submit" }, "Open");
  const openPath = async (p) => {
    err.clear();
    result.replaceChildren(h("p.muted", {}, "Reading the dataset…"));
    try {
      const ds = await ctx.bridge.call("open_dataset", { project_id: project.id, path: p });
      ctx.dataset = ds;
      if (autoStart && ds.case_count > 0) {
        // The demo: straight into the review, at the first unanswered case.
        ctx.go("review", { startIndex: Math.min(ds.resume_index ?? 0, ds.case_count - 1) });
        return;
      }
      result.replaceChildren(datasetSummary(ctx, project, ds));
    } catch (e) { result.replaceChildren(); err.show(e); }
  };
  const browse = ctx.bridge.mode === "window"
    ? h("button.primary", { type: "button", "data-testid": "choose-dataset", onclick: async (e) => {
      const chosen = await busy(e.currentTarget, () => ctx.bridge.call("choose_dataset")).catch((e2) => { err.show(e2); return null; });
      if (chosen?.path) { path.value = chosen.path; await openPath(chosen.path); }
    } }, "Choose dataset…")
    : null;
  const form = h("form.path-form", { onsubmit: async (e) => {
    e.preventDefault();
    if (!path.value.trim()) { path.focus(); return; }
    await busy(open, () => openPath(path.value.trim()));
  } }, h("label", { for: "dataset-path" }, "Dataset file (.zip)"), h("div.row", {}, path, open));
  // A dataset used before (or given at start) is opened right away: no clicks for a returning reviewer.
  if (path.value) queueMicrotask(() => openPath(path.value));
  return h("aside.dataset card", { "data-testid": "dataset-panel" },
    h("h2", {}, "Your dataset"),
    h("p.muted", {}, `Point naesView at your copy of this project's dataset (${project.case_count} cases). It is read on this computer and never uploaded.`),
    browse, form, err.node, result);
}

function datasetSummary(ctx, project, ds) {
  const items = [];
  if (ds.fingerprint_matches) {
    items.push(h("p.ok", { "data-testid": "fingerprint-ok" }, `✓ Same dataset as the project owner's (${ds.case_count} cases).`));
  } else {
    items.push(h("div.warning", { role: "alert", "data-testid": "fingerprint-warning" },
      h("strong", {}, "This is not the same dataset as the project owner's."),
      h("p", {}, `Its files differ (fingerprint mismatch; ${ds.dataset_cases ?? ds.case_count} cases here, ${project.case_count} in the project). `
        + "Your answers may be recorded against the wrong cases. Check that you chose the right file, or ask the owner.")));
  }
  const missingCount = ds.missing_count ?? ds.missing?.length ?? 0;
  if (missingCount) {
    const shown = (ds.missing ?? []).slice(0, 200);
    items.push(h("div.warning.missing", { "data-testid": "missing-volumes" },
      h("strong", {}, `${missingCount} case${missingCount === 1 ? "" : "s"} lack volumes this project shows`),
      h("p", {}, "Those cases show what they have; answer them as well as you can, or tell the owner."),
      h("table.missing-table", {},
        h("thead", {}, h("tr", {}, h("th", {}, "Case"), h("th", {}, "Missing volumes"))),
        h("tbody", {}, shown.map((m) => h("tr", {}, h("td", {}, m.case_name), h("td", {}, (m.volumes ?? []).join(", ")))))),
      missingCount > shown.length ? h("p.muted", {}, `…and ${missingCount - shown.length} more.`) : null));
  }
  const total = ds.case_count;
  const resume = Math.min(ds.resume_index ?? 0, Math.max(0, total - 1));
  const allDone = (ds.resume_index ?? 0) >= total && total > 0;
  const label = allDone ? "Review again from case 1" : resume > 0 ? `Resume at case ${resume + 1} of ${total}` : `Start review (${total} cases)`;
  items.push(h("button.primary.start", { type: "button", "data-testid": "start-review", disabled: total === 0,
    onclick: () => ctx.go("review", { startIndex: allDone ? 0 : resume }) }, label));
  if (allDone) items.unshift(h("p.ok", {}, "You have answered every case. Thank you!"));
  return h("div", {}, items);
}
