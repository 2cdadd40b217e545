// The owner's screens: their projects, the project editor (form, dataset check, live preview,
// thumbnail, project files, publish) and the manage page (status, invitations, members and
// progress, exports). Screens are registered in app.js through `ownerScreens`.

import { h } from "./dom.js";
import { topBar } from "./screens.js";
import { emptyDraft, ownerForm } from "./owner-form.js";
import { createPreview, withCode } from "./owner-preview.js";

const DATASET_KEY = "naesview.ownerDataset";
const CASES_LISTED = 200;

export const ownerScreens = { owner: ownerHomeScreen, ownerEdit: ownerEditScreen, ownerManage: ownerManageScreen };

/** The projects screen's way in, for owner accounts (else null). */
export function ownerEntry(ctx) {
  if (ctx.info.signed_in?.role !== "owner") return null; // only owners may create projects
  ensureStyles();
  return h("button.primary", { type: "button", "data-testid": "owner-entry", onclick: () => ctx.go("owner") }, "Manage & create projects");
}

function ensureStyles() {
  if (document.querySelector("link[data-owner-css]")) return;
  document.head.append(h("link", { rel: "stylesheet", href: "styles/owner.css", "data-owner-css": "1" }));
}

/** The screen's error strip, as wide as its page (`page`: "home", "editor" or "manage"). */
function errorLine(page = "home") {
  const node = h(`p.error-line.owner-error.is-${page}`, { role: "alert", hidden: true, "data-testid": "owner-error" });
  return {
    node,
    show(e) {
      const text = e?.message ?? String(e);
      // A sentence starts with a capital; a message starting with a file name keeps it as it is.
      node.textContent = text.replace(/^[a-z]+(?=\s)/, (word) => word.charAt(0).toUpperCase() + word.slice(1));
      node.hidden = false;
    },
    clear() { node.textContent = ""; node.hidden = true; },
  };
}

async function busy(button, work) {
  button.disabled = true;
  button.classList.add("is-busy");
  try { return await work(); } finally { button.disabled = false; button.classList.remove("is-busy"); }
}

function readFile(file, how) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(new Error(`${file.name}: cannot be read`));
    if (how === "text") reader.readAsText(file); else reader.readAsDataURL(file);
  });
}

function rememberedDataset(projectId) {
  return localStorage.getItem(`${DATASET_KEY}.${projectId ?? "new"}`) ?? localStorage.getItem(DATASET_KEY) ?? "";
}

function rememberDataset(projectId, path) {
  localStorage.setItem(DATASET_KEY, path);
  if (projectId) localStorage.setItem(`${DATASET_KEY}.${projectId}`, path);
}

// ---- the owner's projects ----------------------------------------------------------------

function ownerHomeScreen(ctx) {
  ensureStyles();
  const err = errorLine();
  const list = h("div.project-list.owner-project-list", { "data-testid": "owner-projects" }, h("p.muted", {}, "Loading…"));
  const importInput = h("input", { id: "owner-import", type: "file", accept: ".json,application/json", "data-testid": "owner-import",
    onchange: async (e) => {
      err.clear();
      const file = e.target.files[0];
      if (!file) return;
      try {
        const draft = await ctx.bridge.call("owner_import_config", { text: await readFile(file, "text"), name: file.name });
        ctx.go("ownerEdit", { draft });
      } catch (e2) { err.show(e2); }
      e.target.value = "";
    } });
  (async () => {
    try {
      const { projects } = await ctx.bridge.call("list_projects");
      const mine = projects.filter((p) => p.role === "owner");
      list.replaceChildren(...(mine.length ? mine.map((p) => h("div.owner-project-row.card", { "data-testid": "owner-project", "data-project-id": String(p.id) },
        p.thumbnail && /^data:image\/(png|jpeg);base64,/.test(p.thumbnail)
          ? h("img.thumb", { src: p.thumbnail, alt: "" })
          : h("div.thumb.placeholder", { "aria-hidden": "true" }, (p.title || "?").slice(0, 1).toUpperCase()),
        h("div.project-text", {}, h("div.project-title", {}, p.title), h("div.project-desc", {}, p.short_description),
          h("div.muted", {}, `${p.total} cases`)),
        h("span.tag", {}, p.status),
        h("button", { type: "button", "data-testid": "owner-manage", onclick: () => ctx.go("ownerManage", { projectId: p.id }) }, "Manage")))
        : [h("div.empty.owner-empty", { "data-testid": "owner-projects-empty" },
          h("p", {}, "You own no project yet."),
          h("p.muted", {}, "Start one with New project, or import a project file exported from naesView."))]));
    } catch (e) { list.replaceChildren(); err.show(e); }
  })();
  return h("div.screen", {},
    topBar(ctx, { back: { label: "Projects", action: () => ctx.go("projects") }, title: "Your projects as owner" }),
    h("main.page", {},
      h("div.page-head", {}, h("h1", {}, "Projects you own"),
        h("div.owner-inline", {},
          h("button.primary", { type: "button", "data-testid": "owner-new", onclick: () => ctx.go("ownerEdit", {}) }, "New project"),
          h("label.owner-file-button", { for: "owner-import" }, "Import project file…"), importInput)),
      err.node, list));
}

// ---- the editor -------------------------------------------------------------------------------

function ownerEditScreen(ctx, { projectId = null, draft = null } = {}) {
  ensureStyles();
  const err = errorLine("editor");
  const body = h("main.page.owner-editor", {}, h("p.muted", {}, "Loading…"));
  const screen = h("div.screen", {},
    topBar(ctx, { back: projectId ? { label: "Manage", action: () => ctx.go("ownerManage", { projectId }) } : { label: "Your projects", action: () => ctx.go("owner") },
      title: projectId ? "Edit project" : "New project" }),
    err.node, body);
  (async () => {
    let start = draft ?? emptyDraft();
    if (projectId) {
      try {
        const p = await ctx.bridge.call("owner_project", { project_id: projectId });
        start = { title: p.title, short_description: p.short_description, instructions_md: p.instructions_md, thumbnail: p.thumbnail, config: p.config };
      } catch (e) { body.replaceChildren(); err.show(e); return; }
    }
    body.replaceChildren(...editor(ctx, start, projectId, err));
  })();
  return screen;
}

function editor(ctx, start, projectId, err) {
  let dataset = null;
  let lastCheck = null;
  let previewTimer = 0;
  const preview = createPreview(ctx);
  ctx.debug.ownerPreview = preview; // for tests: what the preview shows
  const edited = () => { lastCheck = null; checkBox.replaceChildren(); resetContinue(); schedulePreview(); };
  const form = ownerForm(start, { onChange: edited });

  // dataset
  const path = h("input", { id: "owner-dataset", value: rememberedDataset(projectId), placeholder: "/path/to/dataset.zip", spellcheck: false, "data-testid": "owner-dataset" });
  const datasetInfo = h("p.muted", { "data-testid": "owner-dataset-info" }, "Open your dataset to pick volume names, check it and preview cases. It never leaves this computer.");
  const caseSelect = h("select", { id: "owner-preview-case", "data-testid": "owner-preview-case", disabled: true, onchange: () => showPreview() });
  const casePicker = h("div.owner-inline.owner-case-picker", { hidden: true }, h("label", { for: "owner-preview-case" }, "Case"), caseSelect);
  const openButton = h("button", { type: "submit" }, "Open");
  const openDataset = async () => {
    err.clear();
    try {
      dataset = await ctx.bridge.call("owner_open_dataset", { path: path.value.trim() });
      rememberDataset(projectId, dataset.path);
      datasetInfo.textContent = `${dataset.name}: ${dataset.case_count} cases; volumes: ${dataset.volumes.map((v) => `${v.name} (${v.cases})`).join(", ")}`;
      caseSelect.replaceChildren(...dataset.cases.map((name, i) => h("option", { value: String(i) }, `${i + 1}. ${name}`)));
      caseSelect.disabled = false;
      casePicker.hidden = false;
      checkButton.disabled = false;
      checkButton.removeAttribute("title");
      capture.disabled = false;
      capture.removeAttribute("title");
      const value = form.value();
      if (!projectId && !value.config.viewports.viewports.some((vp) => vp.layers.some((l) => l.volume)) && dataset.volumes.length) {
        value.config.viewports.viewports[0].layers[0].volume = dataset.volumes[0].name;
        rebuildForm(value);
      }
      form.setVolumes(dataset.volumes);
      showPreview();
    } catch (e) { err.show(e); }
  };
  // In the desktop window, the native file dialog (the reviewer's choose_dataset) picks the zip.
  const browse = ctx.bridge.mode === "window"
    ? h("button.primary", { type: "button", "data-testid": "owner-choose-dataset", onclick: (e) => busy(e.currentTarget, async () => {
      try {
        const chosen = await ctx.bridge.call("choose_dataset");
        if (chosen?.path) { path.value = chosen.path; await openDataset(); }
      } catch (e2) { err.show(e2); }
    }) }, "Choose dataset…")
    : null;
  const datasetForm = h("form.path-form", { onsubmit: async (e) => { e.preventDefault(); if (path.value.trim()) await busy(openButton, openDataset); } },
    h("label", { for: "owner-dataset" }, "Your dataset (.zip)"), h("div.row", {}, path, openButton));

  // check
  const checkBox = h("div.owner-check-result", { "data-testid": "owner-check-result" });
  const checkButton = h("button", { type: "button", "data-testid": "owner-check", disabled: true, title: "Open your dataset first",
    onclick: (e) => busy(e.currentTarget, runCheck) }, "Check dataset");
  async function runCheck() {
    err.clear();
    if (!dataset) { err.show(new Error("open your dataset first (Dataset, on the right): the check and publishing read every case")); return null; }
    try {
      lastCheck = await ctx.bridge.call("owner_check", { config: form.value().config });
      checkBox.replaceChildren(checkReport(lastCheck));
      if (lastCheck.ok) resetContinue();
      return lastCheck;
    } catch (e) { checkBox.replaceChildren(); err.show(e); return null; }
  }

  // preview
  function schedulePreview() {
    clearTimeout(previewTimer);
    if (dataset) preview.pending = true; // tests wait for the preview the last edit asked for
    previewTimer = setTimeout(showPreview, 400);
  }
  async function showPreview() {
    if (!dataset) return;
    await preview.show(form.value().config, Number(caseSelect.value || 0));
  }

  // thumbnail
  const thumb = h("img.owner-thumb", { alt: "Thumbnail", "data-testid": "owner-thumbnail", hidden: !start.thumbnail, src: start.thumbnail ?? undefined });
  const setThumb = async (url) => {
    err.clear();
    try {
      const { data_url: checked } = await ctx.bridge.call("owner_thumbnail", { data_url: url });
      form.setThumbnail(checked);
      thumb.src = checked;
      thumb.hidden = false;
    } catch (e) { err.show(e); }
  };
  const thumbFile = h("input", { id: "owner-thumb-file", type: "file", accept: "image/png,image/jpeg", "data-testid": "owner-thumb-file",
    onchange: async (e) => { const f = e.target.files[0]; if (f) await setThumb(await readFile(f, "dataurl")); e.target.value = ""; } });
  const capture = h("button", { type: "button", "data-testid": "owner-thumb-capture", disabled: true, title: "Open your dataset first", onclick: () => {
    const url = preview.capture(0);
    if (url) setThumb(url); else err.show(new Error("open your dataset first: the thumbnail is taken from the preview's first viewport"));
  } }, "Use the preview's first viewport");

  // project file export
  const exportPath = h("input", { id: "owner-export-path", placeholder: "/path/to/project.json", spellcheck: false, "data-testid": "owner-export-path" });
  const exportDone = h("p.ok", { hidden: true, "data-testid": "owner-export-done" });
  const exportButton = h("button", { type: "button", "data-testid": "owner-export-config", onclick: (e) => busy(e.currentTarget, async () => {
    err.clear();
    exportDone.hidden = true;
    if (!exportPath.value.trim()) { err.show(new Error("type where to save the project file, e.g. /path/to/project.json")); exportPath.focus(); return; }
    try {
      const { path: written } = await ctx.bridge.call("owner_export_config", { path: exportPath.value.trim(), project: form.value() });
      exportDone.textContent = `Saved ${written}`;
      exportDone.hidden = false;
    } catch (e2) { err.show(e2); }
  }) }, "Export project file");

  // publish / save
  const continueBox = h("input", { id: "owner-continue", type: "checkbox", "data-testid": "owner-continue" });
  const continueRow = h("label.owner-check.warning", { for: "owner-continue", hidden: true }, continueBox, " Publish anyway: reviewers will see what those cases have");
  function resetContinue() { continueRow.hidden = true; continueBox.checked = false; }
  const publishButton = h("button.primary", { type: "button", "data-testid": projectId ? "owner-save" : "owner-publish", onclick: (e) => busy(e.currentTarget, async () => {
    err.clear();
    if (!form.value().title.trim()) { // said plainly here, not as the wire format's "$.title"
      err.show(new Error("give the project a title (About the project, at the top): invited reviewers see it before they join"));
      document.getElementById("owner-title")?.focus();
      return;
    }
    const report = lastCheck ?? (await runCheck());
    if (!report) return;
    if (!report.ok && !continueBox.checked) {
      continueRow.hidden = false;
      err.show(new Error(`${report.case_count - report.complete_count} of ${report.case_count} cases are incomplete (listed under Check dataset); tick “Publish anyway” to continue`));
      return;
    }
    try {
      if (projectId) {
        const saved = await ctx.bridge.call("owner_update", { project_id: projectId, project: form.value() });
        ctx.go("ownerManage", { projectId, changes: saved.changes });
      } else {
        const made = await ctx.bridge.call("owner_publish", { project: form.value(), status: "draft" });
        rememberDataset(made.id, dataset.path);
        ctx.go("ownerManage", { projectId: made.id, published: true,
          changes: [`Published as a draft (config version ${made.config_version}): only you see it. Open it for reviewers when ready, then invite them.`] });
      }
    } catch (e2) { err.show(e2); }
  }) }, projectId ? "Save changes" : "Publish as draft");

  const formSlot = h("div.owner-form-slot", {}, form.node);
  function rebuildForm(value) {
    const fresh = ownerForm(value, { onChange: edited });
    formSlot.replaceChildren(fresh.node);
    Object.assign(form, fresh);
  }
  if (path.value) queueMicrotask(() => openDataset());

  const side = h("aside.owner-side", {},
    h("section.card", {}, h("h2", {}, "Dataset"), browse, datasetForm, datasetInfo, h("div.owner-inline", {}, checkButton), checkBox),
    h("section.card", {}, h("h2", {}, "Preview"), casePicker, preview.node),
    h("section.card", {}, h("h2", {}, "Thumbnail"), thumb,
      h("div.owner-inline", {}, h("label.owner-file-button", { for: "owner-thumb-file" }, "Pick an image…"), thumbFile, capture)),
    h("section.card", {}, h("h2", {}, "Project file"), h("p.muted", {}, "Reuse this layout with another dataset: export it, then import it in a new project."),
      h("label", { for: "owner-export-path" }, "Save as"), h("div.row", {}, exportPath, exportButton), exportDone),
    h("section.card.owner-actions", {}, continueRow, publishButton));
  return [formSlot, side];
}

function checkReport(report) {
  const lines = [];
  const incomplete = report.case_count - report.complete_count;
  lines.push(h(report.ok ? "p.ok" : "p.warning", { "data-testid": "owner-check-summary" },
    report.ok ? `✓ All ${report.case_count} cases have every configured volume.` : `${incomplete} of ${report.case_count} cases are incomplete.`));
  for (const p of report.config_problems) lines.push(h("p.error-line", {}, withCode(p)));
  for (const n of report.notes) lines.push(h("p.muted", {}, withCode(n)));
  const rows = [];
  for (const c of report.cases.slice(0, CASES_LISTED)) {
    const what = [
      c.missing.length ? `missing ${c.missing.join(", ")}` : null,
      ...c.unreadable.map((u) => `${u.volume} cannot be read: ${u.problem}`),
      ...c.problems,
      ...c.notes.map((n) => `note: ${n}`),
    ].filter(Boolean);
    rows.push(h("tr", { "data-testid": "owner-check-case" }, h("td", {}, `${c.id + 1}. ${c.name}`), h("td", {}, withCode(what.join("; ")))));
  }
  if (rows.length) {
    lines.push(h("table.missing-table", {}, h("thead", {}, h("tr", {}, h("th", {}, "Case"), h("th", {}, "What the check found"))), h("tbody", {}, rows)));
    if (report.cases.length > CASES_LISTED) lines.push(h("p.muted", {}, `…and ${report.cases.length - CASES_LISTED} more cases.`));
  }
  return h("div", {}, lines);
}

// ---- manage: status, invitations, members, exports --------------------------------------------

function ownerManageScreen(ctx, { projectId, changes = null, published = false }) {
  ensureStyles();
  const err = errorLine("manage");
  const body = h("main.page.owner-manage", {}, h("p.muted", {}, "Loading…"));
  const screen = h("div.screen", {},
    topBar(ctx, { back: { label: "Your projects", action: () => ctx.go("owner") }, title: "Manage project" }), err.node, body);
  const load = async () => {
    try {
      const p = await ctx.bridge.call("owner_project", { project_id: projectId });
      body.replaceChildren(...manage(ctx, p, { changes, published }, err, load));
      changes = null;
    } catch (e) { err.show(e); }
  };
  load();
  return screen;
}

function manage(ctx, p, { changes, published }, err, reload) {
  const status = (next, labelText, testid, main = false) => h(main ? "button.primary" : "button", { type: "button", "data-testid": testid, onclick: (e) => busy(e.currentTarget, async () => {
    try { await ctx.bridge.call("owner_set_status", { project_id: p.id, status: next }); await reload(); } catch (e2) { err.show(e2); }
  }) }, labelText);
  const head = h("section.card.owner-head", {},
    p.thumbnail ? h("img.owner-thumb", { src: p.thumbnail, alt: "" }) : null,
    h("div", {},
      h("h1", { "data-testid": "owner-manage-title" }, p.title),
      h("p.muted", {}, p.short_description),
      h("p", {}, h("span.tag", { "data-testid": "owner-status" }, p.status), ` · config version ${p.config_version} · ${p.case_count} cases`),
      h("div.owner-inline", {},
        p.status === "draft" ? status("open", "Open for reviewers", "owner-open", true) : null,
        p.status === "open" ? status("closed", "Close", "owner-close") : null,
        p.status === "closed" ? status("open", "Reopen", "owner-reopen") : null,
        h("button", { type: "button", "data-testid": "owner-edit", onclick: () => ctx.go("ownerEdit", { projectId: p.id }) }, "Edit project"))));
  const changed = changes?.length
    ? h("section.card.owner-changes", { "data-testid": "owner-changes" }, h("h2", {}, published ? "Published" : "What changed"), changeList(changes))
    : null;
  return [head, changed, invitations(ctx, p, err), members(ctx, p, err), exports(ctx, p, err)].filter(Boolean);
}

/** The bridge's change lines as a list; the lines after one ending in ":" are its items. */
function changeList(changes) {
  const top = h("ul");
  let inner = null;
  for (const line of changes) {
    if (line.endsWith(":")) {
      inner = h("ul");
      top.append(h("li", {}, withCode(line.slice(0, -1)), inner));
    } else (inner ?? top).append(h("li", {}, withCode(line)));
  }
  return top;
}

function invitations(ctx, p, err) {
  const list = h("table.missing-table.owner-table", { "data-testid": "owner-invitations" });
  const code = h("p.owner-code", { "data-testid": "owner-invite-code", hidden: true });
  const copied = h("span.ok.owner-copied", { hidden: true, role: "status" }, "Copied");
  const copy = h("button", { type: "button", "data-testid": "owner-invite-copy", onclick: async () => {
    try {
      await navigator.clipboard.writeText(code.textContent);
      copied.hidden = false;
    } catch {
      getSelection().selectAllChildren(code); // no clipboard here: selected, for Ctrl+C
    }
  } }, "Copy");
  const fresh = h("div.owner-new-code", { hidden: true, "data-testid": "owner-new-code" },
    h("p.muted", {}, "New code: send it to one reviewer, who types it on their projects screen."),
    h("div.owner-inline", {}, code, copy, copied));
  const showCode = (value) => { code.textContent = value; code.hidden = !value; fresh.hidden = !value; copied.hidden = true; };
  const hours = h("select", { id: "owner-invite-hours", "data-testid": "owner-invite-hours" },
    [[24, "1 day"], [168, "7 days"], [720, "30 days"], [2160, "90 days"]].map(([n, t]) => h("option", { value: String(n), selected: n === 168 }, t)));
  const revoke = (i) => h("button", { type: "button", "data-testid": "owner-revoke", title: "The code can no longer be used to join", onclick: (e) => busy(e.currentTarget, async () => {
    try {
      show((await ctx.bridge.call("owner_revoke_invitation", { project_id: p.id, code: i.code })).invitations);
      if (code.textContent === i.code) showCode("");
    } catch (e2) { err.show(e2); }
  }) }, "Revoke");
  const show = (items) => list.replaceChildren(
    h("thead", {}, h("tr", {}, h("th", {}, "Codes made on this computer"), h("th", {}, "Valid until"), h("th", {}))),
    h("tbody", {}, items.length ? items.map((i) => h("tr", {},
      h("td.owner-code", {}, i.code), h("td", {}, i.expired ? "expired" : new Date(i.expires).toLocaleString()),
      h("td.owner-row-action", {}, i.expired ? "" : revoke(i))))
      : [h("tr", {}, h("td.muted", { colspan: "3" }, "No code yet: create one above."))]));
  ctx.bridge.call("owner_invitations", { project_id: p.id }).then((r) => show(r.invitations)).catch(() => {});
  const create = h("button.primary", { type: "button", "data-testid": "owner-invite", onclick: (e) => busy(e.currentTarget, async () => {
    try {
      const r = await ctx.bridge.call("owner_invite", { project_id: p.id, expires_in_hours: Number(hours.value) });
      showCode(r.invitation.code);
      show(r.invitations);
    } catch (e2) { err.show(e2); }
  }) }, "Create invitation code");
  return h("section.card", {}, h("h2", {}, "Invite reviewers"),
    h("p.muted", {}, "Each code lets one reviewer join. Send it with the dataset; the reviewer enters it in the app."),
    h("div.owner-inline", {}, h("label", { for: "owner-invite-hours" }, "Valid for"), hours, create), fresh,
    p.status === "draft" ? h("p.warning", {}, "The project is a draft: reviewers who join see it once you open it for reviewers.") : null,
    list);
}

function members(ctx, p, err) {
  const table = h("table.missing-table.owner-table.owner-members", { "data-testid": "owner-members" });
  const count = (n) => `${n} review${n === 1 ? "" : "s"}`;
  const remove = (m) => h("button.danger", { type: "button", "data-testid": "owner-member-remove", title: "Take this reviewer out of the project",
    onclick: async (e) => {
      const button = e.currentTarget;
      const name = m.display_name || m.username;
      if (!(await askRemove(`Remove ${name} from ${p.title}?`,
        `Their ${count(m.done)} stay in the export; they can join again with a new invitation code.`))) return;
      err.clear();
      await busy(button, async () => {
        try { show((await ctx.bridge.call("owner_remove_member", { project_id: p.id, user_id: m.user_id })).members); }
        catch (e2) { err.show(e2); await load(); }
      });
    } }, "Remove");
  const who = (m) => {
    const text = `${m.display_name} (${m.username})`;
    if (m.status === "you") return h("td", {}, text, " ", h("span.tag", {}, "you"));
    if (m.status === "removed") return h("td.muted", {}, text, " ", h("span.tag", { "data-testid": "owner-member-removed", title: "Removed from the project: their reviews stay in the export" }, "removed"));
    return h("td", {}, text);
  };
  const show = (rows) => table.replaceChildren(
    h("thead", {}, h("tr", {}, h("th", {}, "Reviewer"), h("th", {}, "Progress"), h("th", {}))),
    h("tbody", {}, rows.length ? rows.map((m) => h("tr", { "data-testid": "owner-member", "data-username": m.username, "data-status": m.status },
      who(m),
      h("td", {}, h("div.bar", {}, h("div.bar-fill", { style: { width: `${m.total ? Math.round((100 * m.done) / m.total) : 0}%` } })),
        h("span.muted", { "data-testid": "owner-member-progress" }, `${m.done} of ${m.total}`)),
      h("td.owner-row-action", {}, m.status === "member" ? remove(m) : "")))
      : [h("tr", {}, h("td.muted", { colspan: "3" }, "No reviewer has joined yet: send them an invitation code."))]));
  const load = async () => {
    try { show((await ctx.bridge.call("owner_members", { project_id: p.id })).members); } catch (e) { err.show(e); }
  };
  load();
  return h("section.card", {}, h("div.owner-card-head", {}, h("h2", {}, "Members and progress"),
    h("button", { type: "button", "data-testid": "owner-members-refresh", onclick: (e) => busy(e.currentTarget, load) }, "Refresh")), table);
}

/**
 * The in-app question before removing a reviewer (the style of leave-confirm.js): resolves true
 * for Remove, false for Cancel (the default: Enter, Esc, a click outside). Tab moves between them.
 */
function askRemove(title, detail) {
  return new Promise((resolve) => {
    const before = document.activeElement;
    const cancel = h("button.primary", { type: "button", "data-testid": "owner-remove-cancel", onclick: () => done(false) }, "Cancel");
    const confirm = h("button.danger", { type: "button", "data-testid": "owner-remove-confirm", onclick: () => done(true) }, "Remove");
    const buttons = [cancel, confirm];
    const overlay = h("div.leave-overlay", { role: "alertdialog", "aria-modal": "true", "aria-labelledby": "owner-remove-title",
      "aria-describedby": "owner-remove-detail", "data-testid": "owner-remove-dialog",
      onclick: (e) => { if (e.target === overlay) done(false); } },
    h("div.leave-card.owner-remove-card", {},
      h("h2", { id: "owner-remove-title" }, title),
      h("p.muted", { id: "owner-remove-detail" }, detail),
      h("div.row", {}, confirm, cancel)));
    function onKey(e) {
      e.preventDefault();
      e.stopImmediatePropagation();
      const at = buttons.indexOf(document.activeElement);
      if (e.key === "Escape") done(false);
      else if (e.key === "Enter" || e.key === " ") done(at === 1);
      else if (e.key === "Tab") buttons[((at < 0 ? 0 : at) + 1) % buttons.length].focus();
    }
    function done(yes) {
      document.removeEventListener("keydown", onKey, true);
      overlay.remove();
      if (before instanceof HTMLElement && before.isConnected) before.focus();
      resolve(yes);
    }
    document.addEventListener("keydown", onKey, true);
    document.body.append(overlay);
    cancel.focus();
  });
}

function exports(ctx, p, err) {
  const dataset = h("input", { id: "owner-export-dataset", value: rememberedDataset(p.id), placeholder: "/path/to/dataset.zip", spellcheck: false, "data-testid": "owner-export-dataset" });
  const folder = h("input", { id: "owner-export-folder", placeholder: "/path/to/folder", spellcheck: false, "data-testid": "owner-export-folder" });
  const mapNames = h("input", { id: "owner-map-names", type: "checkbox", "data-testid": "owner-map-names" });
  const result = h("div", { "data-testid": "owner-export-result" });
  const run = h("button.primary", { type: "button", "data-testid": "owner-export-reviews", onclick: (e) => busy(e.currentTarget, async () => {
    err.clear();
    result.replaceChildren();
    if (!folder.value.trim()) { err.show(new Error("type the folder to write the reviews into, e.g. /path/to/folder")); folder.focus(); return; }
    try {
      if (dataset.value.trim()) {
        const opened = await ctx.bridge.call("owner_open_dataset", { path: dataset.value.trim() });
        rememberDataset(p.id, opened.path);
      }
      const r = await ctx.bridge.call("owner_export_reviews", { project_id: p.id, folder: folder.value.trim(), map_names: mapNames.checked, masks: true });
      result.replaceChildren(...[
        h("p.ok", {}, `✓ ${r.reviews} review${r.reviews === 1 ? "" : "s"} ${r.mapped ? "with case names" : "de-identified (case ids)"}`),
        h("ul.owner-paths", {}, h("li", {}, r.csv_path), h("li", {}, r.json_path)),
        ...r.warnings.map((w) => h("p.warning", { "data-testid": "owner-export-warning" }, w)),
        r.masks ? h("p", {}, `${r.masks.written.length} edited masks in ${r.masks.folder}`) : null,
        ...(r.masks?.problems ?? []).map((x) => h("p.error-line", {}, withCode(x))),
      ].filter(Boolean));
    } catch (e2) { err.show(e2); }
  }) }, "Export reviews");
  return h("section.card", {}, h("h2", {}, "Export reviews"),
    h("p.muted", {}, "CSV and JSON of every review. Case names come from your dataset, on this computer only; the server knows case ids."),
    h("label", { for: "owner-export-dataset" }, "Your dataset (.zip), for case names and edited masks"), dataset,
    h("label", { for: "owner-export-folder" }, "Folder"), folder,
    h("label.owner-check.owner-map", { for: "owner-map-names" }, mapNames, " replace case ids by case folder names"),
    h("div.owner-inline.owner-run", {}, run), result);
}
