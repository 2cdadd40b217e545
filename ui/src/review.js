// The review screen: the project's viewport grid, the answer panel, case navigation, timing,
// progress, sync status and prefetching. Voxels stream into typed arrays (volumes.js); drawing
// is render(state) (viewer.js); this module decides which case is shown and what is answered.

import { h } from "./dom.js";
import { topBar } from "./screens.js";
import { createViewer, formatWindowNumber } from "./viewer.js";
import { initialState, baseVolume, masksVisible, withMaskOpacity, withMasksVisible } from "./viewer-state.js";
import { createCaseCache } from "./case-cache.js";
import { caseState, withArrived } from "./case-state.js";
import { voxelHeaders } from "./bridge.js";
import { caseLabelParts } from "./caselabel.js";
import { createCaseTimer, pauseWhenAway } from "./timing.js";
import { formatRemaining, syncText } from "./progress.js";
import { PRESETS, percentileWindow } from "./windowing.js";
import { helpOverlay } from "./help.js";
import { renderInline } from "./markdown.js";
import { startReviewExtensions } from "./extensions.js";
import { askKeepOrDiscard, windowCloseQuestion } from "./leave-confirm.js";

const PREFETCH_AHEAD = 2;
const PREFETCH_BUDGET_BYTES = 768 << 20; // voxels held for the cases around the current one
const KEEP_BEHIND = 1;
const SYNC_POLL_MS = 5000;

export function reviewScreen(ctx, { startIndex = 0 }) {
  const { bridge, project } = ctx;
  const config = project.config;
  const total = ctx.dataset?.case_count ?? project.case_count;
  const headers = voxelHeaders(bridge);

  // ---- page -------------------------------------------------------------------------------
  const label = h("div.case-label", { "data-testid": "case-label" });
  const position = h("button.position", { type: "button", "data-testid": "position", title: "Go to a case (g)", onclick: () => openJump() });
  // Go to case n: for looking at (and changing) an earlier answer without pressing ← many times.
  const jump = h("input.jump", { type: "number", min: "1", max: String(total), hidden: true, "aria-label": "Go to case number", "data-testid": "jump",
    onkeydown: (e) => {
      if (e.key === "Enter") {
        e.preventDefault();
        const n = Number(jump.value);
        closeJump();
        if (Number.isInteger(n) && n >= 1 && n <= total) go(n - 1);
        else showError(new Error(`There are cases 1 to ${total}; type one of those numbers.`));
      } else if (e.key === "Escape") { e.preventDefault(); closeJump(); }
    },
    onblur: () => closeJump() });
  function openJump() {
    position.hidden = true;
    jump.hidden = false;
    jump.value = String(index + 1);
    jump.focus();
    jump.select();
  }
  function closeJump() {
    jump.hidden = true;
    position.hidden = false;
  }
  const bar = h("div.bar-fill");
  const eta = h("div.eta.muted", { "data-testid": "eta" });
  const sync = h("div.sync", { "data-testid": "sync-status", title: "Answers are saved on this computer first, then sent to the server." });
  const helpButton = h("button.ghost.icon", { type: "button", title: "Keyboard shortcuts (?)", "aria-label": "Keyboard shortcuts", onclick: () => help.toggle() }, "?");
  const bar0 = topBar(ctx, { back: { label: "Project", action: () => leaveTo("project", { projectId: project.id }) }, title: project.title });
  bar0.querySelector(".topbar-spacer").replaceWith(
    h("div.topbar-center", {}, label),
    h("div.progress", {}, h("div.progress-line", {}, position, jump, eta), h("div.bar", {}, bar)),
  );
  bar0.querySelector(".who")?.before(sync);
  bar0.append(helpButton);

  const grid = h("div.viewer-grid", { "data-testid": "viewer" });
  const doneOverlay = h("div.done-overlay", { hidden: true });
  const message = h("p.panel-message", { role: "status" });
  const problemsBox = h("ul.problems", { hidden: true, "data-testid": "case-problems" });
  const comment = config.comment !== "off"
    ? h("textarea.comment", { id: "comment", rows: 3, placeholder: config.comment === "required" ? "Comment (required)" : "Comment (optional)", "data-testid": "comment" })
    : null;
  const answerButtons = config.answers.map((a) => h("button.answer", {
    type: "button", "data-value": a.value, "data-key": String(a.key), "data-testid": `answer-${a.value}`,
    // Blur after a click: keys (Space, Enter) must keep driving the review, not re-press the button.
    onclick: (e) => { e.currentTarget.blur(); answer(a.value); },
  }, h("kbd", {}, String(a.key)), h("span", {}, a.label)));
  const prev = h("button", { type: "button", onclick: (e) => { e.currentTarget.blur(); go(index - 1); }, "data-testid": "previous" }, "← Previous");
  const next = h("button", { type: "button", onclick: (e) => { e.currentTarget.blur(); nextCase(); }, "data-testid": "next" }, "Next →");

  const preset = h("select", { id: "preset", "aria-label": "Window preset", onchange: (e) => { applyPreset(e.target.value); e.target.value = ""; e.target.blur(); } },
    h("option", { value: "" }, "Window presets…"),
    h("option", { value: "initial" }, "Initial window (r)"),
    h("optgroup", { label: "Automatic" }, PRESETS.mr.map((p) => h("option", { value: p.id }, p.label))),
    h("optgroup", { label: "CT" }, PRESETS.ct.map((p) => h("option", { value: p.id }, `${p.label}  ${p.width}/${p.center}`))));
  const dragWindowBtn = h("button.seg", { type: "button", onclick: () => viewer.dispatch({ type: "leftDrag", mode: "window" }) }, "W/L");
  const dragPanBtn = h("button.seg", { type: "button", onclick: () => viewer.dispatch({ type: "leftDrag", mode: "pan" }) }, "Pan");
  const linkBtn = h("button.toggle", { type: "button", title: "Link scrolling and crosshair between views of the same volume (l)",
    onclick: () => viewer.dispatch({ type: "linked", on: !viewer.getState().linked }) }, "Link views");
  const resetBtn = h("button", { type: "button", title: "Reset slice, zoom, pan and window (r)", onclick: () => resetAll() }, "Reset");
  const hasMasks = config.viewports.viewports.some((vp) => vp.layers.some((l) => l.is_mask));
  let masksHidden = false;
  const maskBtn = hasMasks ? h("button.toggle", { type: "button", title: "Show or hide the mask overlays (m)", "data-testid": "toggle-masks",
    onclick: (e) => { e.currentTarget.blur(); toggleMasks(); } }, "Hide masks") : null;
  let maskOpacity = 1;
  const opacitySlider = hasMasks ? h("input.opacity", { type: "range", min: "0", max: "100", value: "100", "aria-label": "Mask opacity", title: "Mask opacity",
    "data-testid": "mask-opacity",
    oninput: (e) => {
      maskOpacity = Number(e.target.value) / 100;
      const state = viewer.getState();
      if (state) viewer.setState(withMaskOpacity(state, maskOpacity), config.viewports);
    },
    onchange: (e) => e.target.blur() }) : null;
  function toggleMasks() {
    const state = viewer.getState();
    if (!state || !hasMasks) return;
    masksHidden = masksVisible(state);
    viewer.setState(withMasksVisible(state, !masksHidden), config.viewports);
    maskBtn.textContent = masksHidden ? "Show masks" : "Hide masks";
    maskBtn.classList.toggle("is-on", masksHidden);
  }

  const extensionSlot = h("div.extensions");
  const panel = h("aside.review-panel", {},
    config.question ? h("h2.question", {}, config.question) : null,
    problemsBox,
    h("div.answers", { "data-testid": "answers" }, answerButtons),
    comment ? h("label.sr-only", { for: "comment" }, "Comment") : null,
    comment,
    message,
    h("div.nav", {}, prev, next),
    extensionSlot,
    h("div.tools", {},
      h("div.tool-row", {}, h("span.muted", {}, "Left drag"), h("div.segmented", {}, dragWindowBtn, dragPanBtn)),
      h("div.tool-row", {}, preset),
      h("div.tool-row", {}, linkBtn, resetBtn),
      maskBtn ? h("div.tool-row", {}, maskBtn, opacitySlider) : null),
    h("p.hint.muted", {}, "Scroll: wheel or ↑ ↓ · Zoom: ctrl+wheel or + − · Window: right drag · ", h("kbd", {}, "?"), " all keys"));

  // The server signed the reviewer out while the answers keep being saved here (see showSync).
  const signedOutReason = h("p.signed-out-reason", { "data-testid": "signed-out-reason", hidden: true });
  const signedOut = h("div.signed-out-banner", { role: "status", hidden: true, "data-testid": "signed-out-banner" },
    h("div.signed-out-text", {},
      h("p", {}, h("strong", {}, "The server signed you out:"),
        " your answers are kept on this computer and will be sent after you sign in again."),
      signedOutReason),
    h("button.primary", { type: "button", "data-testid": "signed-out-sign-in",
      onclick: (e) => { e.currentTarget.blur(); leaveTo("signIn", { returnTo: { projectId: project.id, account: ctx.info.signed_in } }); } },
    "Sign in"));

  const help = helpOverlay(config);
  const screen = h("div.screen.review", {}, bar0, signedOut, h("div.review-body", {}, h("div.viewer-wrap", {}, grid, doneOverlay), panel), help.node);

  // ---- viewer -----------------------------------------------------------------------------
  // Timings of the case on screen (ms since it was asked for): first image drawn, all voxels in.
  let timing = { start: 0, firstDraw: null, allVoxels: null };
  const viewer = createViewer(grid, {
    onChange: (state, event) => syncTools(state, event),
    onRender: (infos) => {
      const drawn = infos.some((i) => i.status === "ok" || i.status === "partial");
      if (timing.firstDraw === null && drawn) timing.firstDraw = performance.now() - timing.start;
    },
  });

  const extensions = startReviewExtensions({ viewer, config, bridge, headers, project });
  extensionSlot.replaceChildren(...extensions.map((x) => x.panel).filter(Boolean));
  extensionSlot.hidden = extensionSlot.childElementCount === 0;

  function syncTools(state) {
    dragWindowBtn.classList.toggle("is-on", state.leftDrag === "window");
    dragPanBtn.classList.toggle("is-on", state.leftDrag === "pan");
    linkBtn.classList.toggle("is-on", state.linked);
    linkBtn.setAttribute("aria-pressed", String(state.linked));
  }

  // ---- cases: cache, streaming, prefetch ---------------------------------------------------
  let index = -1;
  let shownInfo = null;
  let generation = 0;
  const answers = new Map(); // index -> {answer, comment} given in this session
  let dirty = new Set();
  let flushFrame = 0;

  // load_case({show: false}) loads a case without starting its on-screen time (prefetch);
  // the case that is actually shown is announced with load_case({show: true}).
  const cases = createCaseCache({
    loadCase: (i) => bridge.call("load_case", { index: i, show: false }),
    headers,
    onProgress: (i, handle) => {
      if (i !== index) return;
      dirty.add(handle.name);
      if (timing.firstDraw === null) {
        // Nothing on screen yet: draw what arrived now rather than at the next frame.
        if (flushFrame) cancelAnimationFrame(flushFrame);
        flushProgress();
        viewer.renderNow();
      } else if (!flushFrame) flushFrame = requestAnimationFrame(flushProgress);
    },
    ahead: PREFETCH_AHEAD,
    behind: KEEP_BEHIND,
    budgetBytes: PREFETCH_BUDGET_BYTES,
  });

  function flushProgress() {
    flushFrame = 0;
    const handles = cases.handles(index);
    if (!handles || !shownInfo || !viewer.getState()) return;
    const names = dirty;
    dirty = new Set();
    viewer.setState(withArrived(viewer.getState(), shownInfo, handles, names), config.viewports);
  }

  function prefetchAround(i) {
    const ahead = [];
    for (let k = 1; k <= PREFETCH_AHEAD; k++) if (i + k < total) ahead.push(i + k);
    if (ahead.length) bridge.call("prefetch", { indices: ahead }).catch(() => {});
    cases.keepAround(i);
    cases.prefetchAfter(i, total, () => index === i, (k, info, handles) => {
      // Draw the next case once off screen so switching to it is immediate.
      if (k === i + 1) viewer.warm(caseState(config, info, handles, viewer.getState()));
    });
  }

  async function go(i) {
    if (i < 0 || i >= total) return;
    if (i !== index && !(await mayLeave())) return;
    const myGeneration = ++generation;
    const asked = performance.now();
    hideDone();
    message.textContent = "";
    let info;
    try {
      info = await cases.entry(i).info;
    } catch (e) {
      if (myGeneration === generation) showError(e);
      return;
    }
    if (myGeneration !== generation) return;
    const t0 = performance.now();
    timing = { start: asked, caseInfo: t0 - asked, firstDraw: null, allVoxels: null };
    const myTiming = timing;
    index = i;
    shownInfo = info;
    const handles = cases.voxels(i, info);
    Promise.all([...handles.values()].map((hd) => hd.done)).then(() => { myTiming.allVoxels = performance.now() - asked; }, () => {});
    let state = caseState(config, info, handles, viewer.getState());
    if (masksHidden) state = withMasksVisible(state, false); // hidden stays hidden from case to case
    if (maskOpacity !== 1) state = withMaskOpacity(state, maskOpacity); // and so does the opacity
    viewer.setState(state, config.viewports);
    viewer.renderNow(); // a prefetched case appears in this frame, not the next
    lastSwitchMs = performance.now() - t0;
    showCase(info);
    for (const ext of extensions) ext.caseShown?.({ index: i, info, state: viewer.getState() });
    timer.start();
    if (!visible) timer.pause();
    // Starts this case's on-screen time in Python; instant for a prefetched case, not awaited so
    // the switch is not held up by a round trip. Its answer carries the freshest review/progress.
    bridge.call("load_case", { index: i, show: true }).then((fresh) => {
      if (index !== i || myGeneration !== generation) return;
      shownInfo = { ...info, review: fresh.review, progress: fresh.progress, problems: fresh.problems };
      // Never overwrite what the reviewer typed or chose while this answer was on its way.
      const untouched = !comment || comment.value === shownComment;
      if (!answers.has(i) && untouched && !pendingAnswer) showAnswer(fresh.review);
      if (fresh.progress) progress = fresh.progress;
      updateProgress();
      showProblems(fresh.problems);
    }).catch((e2) => { if (index === i) showError(e2); });
    prefetchAround(i);
  }

  let lastSwitchMs = 0;

  function showCase(info) {
    const parts = info.label_parts ?? caseLabelParts(info.case_name, config.label);
    label.replaceChildren(...parts.map((p, k) => h(k === 0 ? "span.label-main" : "span.label-part", {}, p)));
    label.title = info.case_name;
    showAnswer(answers.get(index) ?? info.review ?? null);
    prev.disabled = index <= 0;
    next.textContent = index >= total - 1 ? "Finish →" : "Next →";
    if (info.progress && !progress) progress = info.progress;
    updateProgress();
    showProblems(info.problems);
  }

  let shownComment = "";
  function showAnswer(previous) {
    for (const b of answerButtons) b.classList.toggle("is-selected", previous?.answer === b.dataset.value);
    if (comment) { comment.value = previous?.comment ?? ""; comment.classList.remove("needs-text"); }
    shownComment = comment ? comment.value : "";
    pendingAnswer = null;
  }

  function showProblems(problems) {
    problemsBox.replaceChildren(...(problems ?? []).map((p) => {
      const li = h("li");
      li.innerHTML = renderInline(p); // escaped by renderInline; shows `volume` names as code
      return li;
    }));
    problemsBox.hidden = !problems?.length;
  }

  // Progress {done, total, seconds_left} as Python last reported it (it also times the cases).
  let progress = ctx.dataset?.progress ?? null;

  function updateProgress() {
    const d = Math.min(total, progress?.done ?? 0);
    const answered = answers.has(index) || Boolean(shownInfo?.review);
    position.replaceChildren(`Case ${index + 1} of ${total}`, answered ? h("span.answered-tag", { title: "You answered this case; answer again to change it" }, " ✓") : "");
    bar.style.width = `${total ? (100 * d) / total : 0}%`;
    bar.parentElement.title = `${d} of ${total} answered`;
    const left = progress?.seconds_left === null || progress?.seconds_left === undefined ? null : progress.seconds_left * 1000;
    eta.textContent = [`${d} answered`, formatRemaining(left)].filter(Boolean).join(" · ");
  }

  async function answer(value) {
    if (index < 0 || busy) return;
    const text = comment ? comment.value.trim() : "";
    if (config.comment === "required" && !text) {
      comment.classList.add("needs-text");
      message.textContent = "This project needs a comment with every answer: type it, then choose the answer.";
      comment.focus();
      for (const b of answerButtons) b.classList.toggle("is-selected", b.dataset.value === value);
      pendingAnswer = value;
      return;
    }
    await submit(value, text);
  }
  let pendingAnswer = null;
  let busy = false;

  async function submit(value, text) {
    busy = true;
    const i = index;
    for (const b of answerButtons) b.classList.toggle("is-selected", b.dataset.value === value);
    try {
      const masks = [];
      for (const ext of extensions) if (ext.masks) masks.push(...(await ext.masks({ index: i, state: viewer.getState() })));
      if (ctx.hooks?.masksForSubmit) masks.push(...(await ctx.hooks.masksForSubmit({ index: i, state: viewer.getState() })));
      const args = { index: i, answer: value, masks };
      if (comment) args.comment = text;
      const res = await bridge.call("submit_review", args);
      for (const ext of extensions) ext.answered?.({ index: i });
      answers.set(i, { answer: value, comment: text });
      if (res.progress) progress = res.progress;
      updateProgress();
      if (res.sync) showSync(res.sync);
      pendingAnswer = null;
      const target = res.next_index ?? i + 1;
      if (target === null || target >= total) showDone();
      else await go(target);
    } catch (e) {
      if (e.code === "signed_out") { ctx.go("signIn"); return; }
      showError(e);
    } finally {
      busy = false;
    }
  }

  function nextCase() {
    if (index < 0 || busy) return;
    const current = answers.get(index) ?? shownInfo?.review;
    const text = comment ? comment.value.trim() : "";
    if (pendingAnswer) { answer(pendingAnswer); return; }
    // A changed comment on an answered case is saved with the same answer.
    if (current && comment && text !== (current.comment ?? "").trim()) { submit(current.answer, text); return; }
    if (index >= total - 1) { showDone(); return; }
    go(index + 1);
  }

  function showError(e) {
    message.textContent = e?.message ?? String(e);
    message.classList.add("is-error");
    setTimeout(() => message.classList.remove("is-error"), 4000);
  }

  function showDone() {
    const d = Math.min(total, progress?.done ?? 0);
    doneOverlay.replaceChildren(h("div.done-card", {},
      h("h2", {}, d >= total ? "All cases reviewed" : "End of the dataset"),
      h("p", {}, d >= total ? `You answered all ${total} cases. Your answers are saved and will be synced.` : `${d} of ${total} cases answered. Go back to the cases you skipped with ←.`),
      h("div.row", {},
        h("button", { type: "button", onclick: () => go(index) }, "Back to the last case"),
        h("button.primary", { type: "button", onclick: () => leaveTo("projects") }, "Back to projects"))));
    doneOverlay.hidden = false;
  }
  function hideDone() { doneOverlay.hidden = true; }

  // ---- leaving a case with unsaved mask edits ------------------------------------------------
  // Edits are saved only with an answer: before the case goes away without one (←, →, Next,
  // go to case, Project, Back to projects, Sign out) the reviewer keeps editing or discards.
  let asking = null;
  const hasUnsavedEdits = () => extensions.some((ext) => ext.unsavedEdits?.());
  const discardAllEdits = () => {
    for (const ext of extensions) if (ext.unsavedEdits?.()) ext.discardEdits?.();
  };
  async function mayLeave() {
    if (!hasUnsavedEdits()) return true;
    asking ??= askKeepOrDiscard().finally(() => { asking = null; });
    if ((await asking) !== "discard") return false;
    discardAllEdits();
    return true;
  }
  async function leaveTo(screen, args) {
    if (await mayLeave()) ctx.go(screen, args);
  }
  if (ctx.hooks) ctx.hooks.mayLeave = mayLeave; // the top bar's Sign out asks too
  // Closing the browser tab: only the browser's own question is possible there.
  const onBeforeUnload = (e) => {
    if (hasUnsavedEdits()) { e.preventDefault(); e.returnValue = ""; }
  };
  window.addEventListener("beforeunload", onBeforeUnload);
  // Closing the desktop window: the shell asks the page, and the page asks the reviewer in-app.
  const closeQuestion = windowCloseQuestion({
    unsaved: hasUnsavedEdits,
    busy: () => asking !== null,
    ask: () => {
      asking = askKeepOrDiscard(document.body, { closing: true }).finally(() => { asking = null; });
      return asking;
    },
    discard: discardAllEdits,
  });
  window.naesviewClose = closeQuestion;

  function showSync(s) {
    sync.textContent = s.label || syncText(s);
    sync.className = `sync ${s.pending ? "is-waiting" : "is-synced"}${s.online === false ? " is-offline" : ""}`;
    sync.title = s.last_error ? `Last sync problem: ${s.last_error}` : "Answers are saved on this computer first, then sent to the server.";
    // Answers waiting and the last send failed: did the server sign this session out (401)?
    if (s.pending > 0 && s.online === false) checkSignedOut();
    else showSignedOut(null);
  }
  // The bridge keeps the server's reason when it refused the session's token (sign_in_notice).
  let checkingSignedOut = false;
  async function checkSignedOut() {
    if (checkingSignedOut) return;
    checkingSignedOut = true;
    try {
      const { message } = await bridge.call("sign_in_notice");
      showSignedOut(message ?? null);
    } catch { /* the next poll asks again */ } finally { checkingSignedOut = false; }
  }
  function showSignedOut(reason) {
    signedOut.hidden = reason === null;
    // The server's reason as a sentence ("account `ann` is disabled; ask …" → "Account … .").
    const text = (reason ?? "").trim();
    signedOutReason.textContent = text ? `${text[0].toUpperCase()}${text.slice(1)}${/[.!?]$/.test(text) ? "" : "."}` : "";
    signedOutReason.hidden = !text;
  }
  const pollSync = async () => {
    try { showSync(await bridge.call("sync_status")); } catch { /* next poll */ }
  };
  const syncTimer = setInterval(pollSync, SYNC_POLL_MS);
  pollSync();

  // ---- window/level helpers ---------------------------------------------------------------
  function activeVolume() {
    const state = viewer.getState();
    return state ? baseVolume(state, viewer.activeViewport()) : null;
  }
  function applyPreset(id) {
    const vol = activeVolume();
    if (!vol) return;
    if (id === "initial") { viewer.dispatch({ type: "windowReset", volume: vol.name }); return; }
    const ct = PRESETS.ct.find((p) => p.id === id);
    if (ct) { viewer.dispatch({ type: "window", volume: vol.name, center: ct.center, width: ct.width }); return; }
    const auto = PRESETS.mr.find((p) => p.id === id);
    if (auto && vol.data) {
      const w = percentileWindow(vol.complete ? vol.data : vol.data.subarray(0, Math.max(1, vol.loaded)), vol.slope, vol.intercept, auto.low, auto.high);
      viewer.dispatch({ type: "window", volume: vol.name, center: w.center, width: w.width });
    }
  }
  function resetAll() {
    viewer.dispatch({ type: "reset", viewport: null });
    for (const name of Object.keys(viewer.getState().windows)) viewer.dispatch({ type: "windowReset", volume: name });
  }

  // ---- keyboard ---------------------------------------------------------------------------
  const keyToAnswer = new Map(config.answers.map((a) => [String(a.key), a.value]));
  function onKey(e) {
    if (e.defaultPrevented || e.altKey) return;
    const typing = e.target instanceof HTMLElement && (e.target.matches("textarea, input, select") || e.target.isContentEditable);
    if (typing) {
      if (e.key === "Escape") e.target.blur();
      else if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) { e.preventDefault(); e.target.blur(); nextCase(); }
      return;
    }
    if (help.isOpen()) {
      if (e.key === "Escape" || e.key === "?") { help.close(); e.preventDefault(); }
      return;
    }
    const vp = viewer.activeViewport();
    const k = e.key;
    if (!e.ctrlKey && !e.metaKey && keyToAnswer.has(k)) { e.preventDefault(); answer(keyToAnswer.get(k)); return; }
    const actions = {
      ArrowUp: () => viewer.dispatch({ type: "sliceBy", viewport: vp, delta: -1 }),
      ArrowDown: () => viewer.dispatch({ type: "sliceBy", viewport: vp, delta: 1 }),
      PageUp: () => viewer.dispatch({ type: "sliceBy", viewport: vp, delta: -10 }),
      PageDown: () => viewer.dispatch({ type: "sliceBy", viewport: vp, delta: 10 }),
      Home: () => viewer.dispatch({ type: "slice", viewport: vp, index: 0 }),
      End: () => viewer.dispatch({ type: "slice", viewport: vp, index: 1e9 }),
      ArrowRight: () => nextCase(),
      Enter: () => nextCase(),
      ArrowLeft: () => go(index - 1),
      "+": () => viewer.dispatch({ type: "zoom", viewport: vp, factor: 1.25 }),
      "=": () => viewer.dispatch({ type: "zoom", viewport: vp, factor: 1.25 }),
      "-": () => viewer.dispatch({ type: "zoom", viewport: vp, factor: 0.8 }),
      r: () => resetAll(),
      a: () => applyPreset("auto-995"),
      w: () => viewer.dispatch({ type: "leftDrag", mode: viewer.getState().leftDrag === "window" ? "pan" : "window" }),
      l: () => viewer.dispatch({ type: "linked", on: !viewer.getState().linked }),
      c: () => comment?.focus(),
      f: () => viewer.toggleMaximized(vp),
      m: () => toggleMasks(),
      g: () => openJump(),
      "?": () => help.open(),
    };
    const action = actions[k];
    if (!action || ((e.ctrlKey || e.metaKey) && k !== "Enter")) return;
    e.preventDefault();
    action();
  }
  document.addEventListener("keydown", onKey);

  // ---- timing -----------------------------------------------------------------------------
  // Python times each case (load_case show -> submit_review); it only needs to know when the
  // page is hidden or the window lost focus. The local timer mirrors it for display and tests.
  const timer = createCaseTimer();
  let visible = true;
  const detachTimer = pauseWhenAway({
    pause() { timer.pause(); if (visible) { visible = false; bridge.call("set_visible", { visible: false }).catch(() => {}); } },
    resume() { timer.resume(); if (!visible) { visible = true; bridge.call("set_visible", { visible: true }).catch(() => {}); } },
  });

  ctx.onLeave(() => {
    if (ctx.hooks?.mayLeave === mayLeave) delete ctx.hooks.mayLeave;
    if (window.naesviewClose === closeQuestion) delete window.naesviewClose;
    window.removeEventListener("beforeunload", onBeforeUnload);
    for (const ext of extensions) { try { ext.leave?.(); } catch (e) { console.error(e); } }
    document.removeEventListener("keydown", onKey);
    clearInterval(syncTimer);
    detachTimer();
    cases.clear();
    generation++;
    index = -1;
  });

  // For tests and diagnostics: what is on screen, without reaching into the DOM.
  ctx.debug.review = {
    viewer,
    get index() { return index; },
    get caseInfo() { return shownInfo; },
    get lastSwitchMs() { return lastSwitchMs; },
    get timing() { return { caseInfoMs: timing.caseInfo, firstDrawMs: timing.firstDraw, allVoxelsMs: timing.allVoxels }; },
    elapsedMs: () => timer.elapsedMs(),
    windowText: (i) => {
      const s = viewer.getState();
      const vol = s && baseVolume(s, i);
      const w = vol && s.windows[vol.name];
      return w ? `W ${formatWindowNumber(w.width)} L ${formatWindowNumber(w.center)}` : "";
    },
    cachedIndices: () => cases.indices(),
  };

  syncTools(initialState(config, []));
  queueMicrotask(() => go(Math.max(0, Math.min(startIndex, total - 1))));
  return screen;
}
