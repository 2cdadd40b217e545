// The signed-in reviewer's account: the "Change password" dialog (opened from the name in the top
// bar, bridge `change_password`) and the sign-in form's notice when the server ended the session
// (bridge `sign_in_notice`, e.g. "account `ann` is disabled; ask an admin …").

import { h } from "./dom.js";

// The sync server's rules for every password (naesview_wire Password: 8 to 256 characters, any
// characters). tests/integration/test_account_bridge.py keeps these equal to the wire type.
export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

export const PASSWORD_RULES = `${PASSWORD_MIN} to ${PASSWORD_MAX} characters; letters, digits, spaces and symbols all count.`;

/** Characters as the server counts them (code points, not UTF-16 units). */
export function passwordLength(text) {
  return [...text].length;
}

/**
 * What stops the form from being sent, as {field, message}, or null (pure; tested in node).
 * field: "current", "next" or "repeat", the input to put the cursor in.
 */
export function passwordFormProblem({ current, next, repeat }) {
  if (!current) return { field: "current", message: "Type your current password." };
  const n = passwordLength(next);
  if (n === 0) return { field: "next", message: "Type a new password." };
  if (n < PASSWORD_MIN) return { field: "next", message: `The new password is too short (${n} characters); use at least ${PASSWORD_MIN}.` };
  if (n > PASSWORD_MAX) return { field: "next", message: `The new password is too long (${n} characters); use at most ${PASSWORD_MAX}.` };
  if (next !== repeat) return { field: "repeat", message: "The two new passwords differ; type the same new password twice." };
  return null;
}

/**
 * How a failed `change_password` is shown, as {field, message} (pure; tested in node): the
 * bridge's one-line message, with the input it concerns.
 */
export function passwordErrorView(error) {
  const message = sentence(error?.message ?? String(error));
  const field = { wrong_password: "current", too_many_attempts: "current", password_rules: "next" }[error?.code] ?? null;
  return { field, message };
}

function sentence(text) {
  const t = String(text).trim();
  if (!t) return "Something went wrong; try again.";
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * Open the dialog. `opener` gets the focus back when it closes. Resolves when it is closed.
 * Keys inside it never reach the screen below (the review's answer keys, the brush).
 */
export function openChangePassword(ctx, opener = null) {
  const user = ctx.info.signed_in;
  const field = (id, label, autocomplete, extra = {}) => {
    const input = h("input", { id, name: id, type: "password", autocomplete, ...extra });
    return { input, nodes: [h("label", { for: id }, label), input] };
  };
  const current = field("current-password", "Current password", "current-password");
  const next = field("new-password", "New password", "new-password", { "aria-describedby": "password-rules" });
  const repeat = field("new-password-again", "New password again", "new-password");
  const inputs = { current: current.input, next: next.input, repeat: repeat.input };
  const error = h("p.error-line", { role: "alert", hidden: true, "data-testid": "password-error" });
  const submit = h("button.primary", { type: "submit", "data-testid": "password-submit" }, "Change password");
  const cancel = h("button", { type: "button", onclick: () => close() }, "Cancel");
  const showError = ({ field: which, message }) => {
    error.textContent = message;
    error.hidden = false;
    const input = which ? inputs[which] : null;
    if (input) { input.focus(); input.select(); }
  };
  const form = h("form.account-form", {
    novalidate: true,
    onsubmit: async (e) => {
      e.preventDefault();
      if (submit.disabled) return;
      error.hidden = true;
      const values = { current: inputs.current.value, next: inputs.next.value, repeat: inputs.repeat.value };
      const problem = passwordFormProblem(values);
      if (problem) { showError(problem); return; }
      submit.disabled = true;
      submit.classList.add("is-busy");
      try {
        await ctx.bridge.call("change_password", { old_password: values.current, new_password: values.next });
      } catch (e2) {
        // A refused session (e.g. the account was disabled) brings back the sign-in form.
        if (e2?.code === "signed_out") { close(); return; }
        showError(passwordErrorView(e2));
        return;
      } finally {
        submit.disabled = false;
        submit.classList.remove("is-busy");
      }
      done();
    },
  },
  ...current.nodes, ...next.nodes,
  h("p.muted.account-rules", { id: "password-rules" }, PASSWORD_RULES),
  ...repeat.nodes,
  error,
  h("div.row.account-actions", {}, cancel, submit));
  const body = h("div.account-body", {},
    h("p.muted.account-who", {}, `Signed in as ${user?.username ?? "?"} on ${hostOf(user?.server ?? "")}. `
      + "Your other computers will be signed out; this one stays signed in."),
    form);
  const closeX = h("button.ghost.icon", { type: "button", "aria-label": "Close", onclick: () => close() }, "×");
  const card = h("div.help-card.account-card", {},
    h("div.help-head", {}, h("h2", { id: "account-title" }, "Change password"), closeX),
    body);
  const node = h("div.help-overlay", { role: "dialog", "aria-modal": "true", "aria-labelledby": "account-title", "data-testid": "change-password",
    onkeydown: (e) => { keyInside(e); e.stopPropagation(); } }, card);

  function done() {
    const ok = h("button.primary", { type: "button", "data-testid": "password-done", onclick: () => close() }, "Close");
    body.replaceChildren(
      h("p.ok", { role: "status", "data-testid": "password-changed" }, "✓ Your password was changed."),
      h("p.muted", {}, "Use the new password the next time you sign in. Your other computers were signed out; this one stays signed in."),
      h("div.row.account-actions", {}, ok));
    ok.focus();
  }

  function keyInside(e) {
    if (e.key === "Escape") { e.preventDefault(); close(); return; }
    if (e.key !== "Tab") return;
    // Keep the focus in the dialog (aria-modal).
    const focusable = [...card.querySelectorAll("button, input")].filter((x) => !x.disabled && x.offsetParent !== null);
    if (!focusable.length) return;
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    if (e.shiftKey && document.activeElement === first) { e.preventDefault(); last.focus(); }
    else if (!e.shiftKey && document.activeElement === last) { e.preventDefault(); first.focus(); }
  }

  let resolveClosed;
  const closed = new Promise((resolve) => { resolveClosed = resolve; });
  let open = true;
  function close() {
    if (!open) return;
    open = false;
    node.remove();
    if (opener?.isConnected) opener.focus();
    resolveClosed();
  }
  ctx.onLeave?.(close); // a screen change (e.g. to the sign-in form) closes it
  document.body.append(node);
  inputs.current.focus();
  return closed;
}

/** The top bar's account area: the user name (opens "Change password") and the server. */
export function accountButton(ctx) {
  const user = ctx.info.signed_in;
  const button = h("button.who", { type: "button", title: `${user.display_name || user.username} on ${user.server}: change your password`,
    "aria-haspopup": "dialog", "data-testid": "account",
    onclick: () => { openChangePassword(ctx, button); } },
  h("span.who-name", {}, user.username, h("span.who-caret", { "aria-hidden": "true" }, " ▾")),
  h("span.who-server", {}, hostOf(user.server)));
  return button;
}

/**
 * The sign-in form's notice: why the server ended the last session (disabled account, expired or
 * revoked token), or nothing. Filled in when the bridge answers.
 */
export function signInNotice(ctx) {
  const node = h("div.warning.signin-notice", { role: "alert", hidden: true, "data-testid": "sign-in-notice" });
  ctx.bridge.call("sign_in_notice").then((r) => {
    if (!r?.message) return;
    node.replaceChildren(h("strong", {}, "The server signed you out"), h("p", {}, sentence(r.message)));
    node.hidden = false;
  }).catch(() => { /* no notice: the form works without it */ });
  return node;
}

export function hostOf(url) {
  try { return new URL(url).host; } catch { return url; }
}
