// The sign-in screen's other form: a reviewer creates their account with the invitation code a
// project owner sent them (bridge `register`), is signed in and lands on their projects, the
// invited one listed. The rules are the sync server's (naesview_wire Username, InvitationCode,
// Name, Password); tests/integration/test_register_bridge.py keeps these equal to the wire types.

import { h } from "./dom.js";
import { PASSWORD_MAX, PASSWORD_MIN, PASSWORD_RULES, passwordLength } from "./account.js";

export const USERNAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/;
export const USERNAME_MIN = 2;
export const USERNAME_MAX = 64;
export const CODE_PATTERN = /^[A-Za-z0-9_-]+$/;
export const CODE_MIN = 8;
export const CODE_MAX = 64;
export const DISPLAY_NAME_MAX = 200;

export const USERNAME_RULES = `${USERNAME_MIN} to ${USERNAME_MAX} letters, digits and _ . @ -, starting with a letter or digit`;
const CODE_RULES = `An invitation code is ${CODE_MIN} to ${CODE_MAX} letters, digits, - or _; check the code you were sent.`;

/**
 * What stops the form from being sent, as {field, message}, or null (pure; tested in node).
 * field: the input to put the cursor in ("server", "code", "username", "displayName",
 * "password", "repeat"). Values as typed; spaces around the code and names do not count.
 */
export function registerFormProblem({ server, code, username, displayName = "", password, repeat }) {
  const c = code.trim();
  const u = username.trim();
  if (!server.trim()) return { field: "server", message: "Type the address of the review server (the project owner can tell you)." };
  if (!c) return { field: "code", message: "Type the invitation code the project owner sent you." };
  if (c.length < CODE_MIN || c.length > CODE_MAX || !CODE_PATTERN.test(c)) return { field: "code", message: CODE_RULES };
  if (!u) return { field: "username", message: `Choose a user name: ${USERNAME_RULES}.` };
  if (u.length < USERNAME_MIN || u.length > USERNAME_MAX || !USERNAME_PATTERN.test(u)) {
    return { field: "username", message: `The user name “${u}” is not allowed; use ${USERNAME_RULES}.` };
  }
  const d = passwordLength(displayName.trim());
  if (d > DISPLAY_NAME_MAX) return { field: "displayName", message: `The display name is too long (${d} characters); use at most ${DISPLAY_NAME_MAX}.` };
  const n = passwordLength(password);
  if (n === 0) return { field: "password", message: "Choose a password." };
  if (n < PASSWORD_MIN) return { field: "password", message: `The password is too short (${n} characters); use at least ${PASSWORD_MIN}.` };
  if (n > PASSWORD_MAX) return { field: "password", message: `The password is too long (${n} characters); use at most ${PASSWORD_MAX}.` };
  if (password !== repeat) return { field: "repeat", message: "The two passwords differ; type the same password twice." };
  return null;
}

const ERROR_FIELDS = {
  invitation_code: "code", not_found: "code", gone: "code",
  username_rules: "username", username_taken: "username",
  password_rules: "password",
  server_unreachable: "server", bad_response: "server",
};

/** How a failed `register` is shown, as {field, message} (pure; tested in node). */
export function registerErrorView(error) {
  const message = sentence(error?.message ?? String(error));
  return { field: ERROR_FIELDS[error?.code] ?? null, message };
}

function sentence(text) {
  const t = String(text).trim();
  if (!t) return "Something went wrong; try again.";
  const first = t[0].toUpperCase() + t.slice(1);
  return /[.!?]$/.test(first) ? first : `${first}.`;
}

/**
 * The form. `server`: the address to start with. `onBack(server)` returns to the sign-in form;
 * `onSignedIn(account, server)` once the new account is signed in; `onRegistered(username,
 * message, server)` when the account exists but the sign-in right after failed (sign in by hand).
 */
export function registerForm(ctx, { server = "", onBack, onSignedIn, onRegistered }) {
  const field = (id, label, attrs = {}, hint = null) => {
    const input = h("input", { id, name: id, ...attrs, ...(hint ? { "aria-describedby": `${id}-rules` } : {}) });
    const nodes = [h("label", { for: id }, label), input];
    if (hint) nodes.push(h("p.muted.account-rules", { id: `${id}-rules` }, hint));
    return { input, nodes };
  };
  const fields = {
    server: field("reg-server", "Server", { type: "url", autocomplete: "url", placeholder: "https://review.example.org", value: server }),
    code: field("reg-code", "Invitation code", { autocomplete: "off", spellcheck: false }),
    username: field("reg-username", "User name", { autocomplete: "username", spellcheck: false }, `${USERNAME_RULES}.`),
    displayName: field("reg-display-name", "Display name (optional)", { autocomplete: "name", placeholder: "Shown to the project owner; your user name if empty" }),
    password: field("reg-password", "Password", { type: "password", autocomplete: "new-password" }, PASSWORD_RULES),
    repeat: field("reg-password-again", "Password again", { type: "password", autocomplete: "new-password" }),
  };
  const input = (which) => fields[which]?.input ?? null;
  const error = h("p.error-line", { role: "alert", hidden: true, "data-testid": "register-error" });
  const submit = h("button.primary", { type: "submit", "data-testid": "register-submit" }, "Create account");
  const showError = ({ field: which, message }) => {
    error.textContent = message;
    error.hidden = false;
    const target = input(which);
    if (target) { target.focus(); target.select(); }
  };
  const values = () => ({
    server: fields.server.input.value, code: fields.code.input.value, username: fields.username.input.value,
    displayName: fields.displayName.input.value, password: fields.password.input.value, repeat: fields.repeat.input.value,
  });
  const form = h("form.card.signin.register", {
    novalidate: true, "data-testid": "register",
    onsubmit: async (e) => {
      e.preventDefault();
      if (submit.disabled) return;
      error.hidden = true;
      const v = values();
      const problem = registerFormProblem(v);
      if (problem) { showError(problem); return; }
      submit.disabled = true;
      submit.classList.add("is-busy");
      let account;
      try {
        account = await ctx.bridge.call("register", {
          server: v.server.trim(), code: v.code.trim(), username: v.username.trim(),
          display_name: v.displayName.trim(), password: v.password,
        });
      } catch (e2) {
        if (e2?.code === "registered") { onRegistered(v.username.trim(), registerErrorView(e2).message, v.server.trim()); return; }
        showError(registerErrorView(e2));
        return;
      } finally {
        submit.disabled = false;
        submit.classList.remove("is-busy");
      }
      onSignedIn(account, v.server.trim());
    },
  },
  h("div.signin-brand", {}, h("span.brand-mark.large", { "aria-hidden": "true" }), h("h1", {}, "Create your account")),
  h("p.muted", {}, "With the invitation code a project owner sent you. You join their project at once."),
  ...Object.values(fields).flatMap((f) => f.nodes),
  error,
  submit,
  h("p.register-switch", {}, "Already have an account? ",
    h("button.link", { type: "button", "data-testid": "register-back", onclick: () => onBack(fields.server.input.value.trim()) }, "Sign in")));
  queueMicrotask(() => (fields.server.input.value ? fields.code.input : fields.server.input).focus());
  return form;
}
