// The in-app question asked before leaving a case whose mask edits no saved answer carries:
// "Keep editing" (the default: Enter, Esc, a click outside) or "Discard edits". Modal while it is
// open: Tab moves between the two buttons and every other key is kept from the review screen.
// The desktop window's close button asks the same question (`windowCloseQuestion`).

import { h } from "./dom.js";

export const LEAVE_TITLE = "You edited the mask of this case but did not answer.";
export const LEAVE_DETAIL = "Answer the case to save the edited mask with your answer, or discard the edits and go on.";
export const CLOSE_DETAIL = "Answer the case to save the edited mask with your answer, or discard the edits and close naesView.";

/**
 * What a key does while the question is open: "keep" (Esc), "activate" (Enter or Space: the
 * focused button, which is Keep editing until Tab moves on), "next" / "previous" (Tab,
 * Shift+Tab), or "swallow" (any other key: it must not answer, scroll or move the case).
 */
export function dialogKeyAction(e) {
  if (e.key === "Escape") return "keep";
  if (e.key === "Enter" || e.key === " ") return "activate";
  if (e.key === "Tab") return e.shiftKey ? "previous" : "next";
  return "swallow";
}

/**
 * Ask; resolves "keep" or "discard". `parent` is where the overlay goes (document.body); with
 * `closing` the question is about closing the window ("Discard edits and close").
 */
export function askKeepOrDiscard(parent = document.body, { closing = false } = {}) {
  return new Promise((resolve) => {
    const before = document.activeElement;
    const keep = h("button.primary", { type: "button", "data-testid": "leave-keep", onclick: () => done("keep") }, "Keep editing");
    const discard = h("button.danger", { type: "button", "data-testid": "leave-discard", onclick: () => done("discard") },
      closing ? "Discard edits and close" : "Discard edits");
    const buttons = [keep, discard];
    const card = h("div.leave-card", {},
      h("h2", { id: "leave-title" }, LEAVE_TITLE),
      h("p.muted", { id: "leave-detail" }, closing ? CLOSE_DETAIL : LEAVE_DETAIL),
      h("div.row", {}, discard, keep));
    const overlay = h("div.leave-overlay", { role: "alertdialog", "aria-modal": "true", "aria-labelledby": "leave-title",
      "aria-describedby": "leave-detail", "data-testid": "leave-confirm",
      onclick: (e) => { if (e.target === overlay) done("keep"); } }, card);

    function onKey(e) {
      const action = dialogKeyAction(e);
      e.preventDefault();
      e.stopImmediatePropagation();
      const at = buttons.indexOf(document.activeElement);
      if (action === "keep") done("keep");
      else if (action === "activate") done(at === 1 ? "discard" : "keep");
      else if (action === "next" || action === "previous") {
        const step = action === "next" ? 1 : buttons.length - 1;
        buttons[((at < 0 ? 0 : at) + step) % buttons.length].focus();
      }
    }
    function done(choice) {
      document.removeEventListener("keydown", onKey, true);
      overlay.remove();
      if (before instanceof HTMLElement && before.isConnected) before.focus();
      resolve(choice);
    }
    // Capture: the review screen's and the brush's key handlers never see a key meant for this.
    document.addEventListener("keydown", onKey, true);
    parent.append(overlay);
    keep.focus();
  });
}

/**
 * What the desktop window's close button asks the page (naesview_app/shell.py runs
 * `window.naesviewClose.request()`, then polls `answer()`; a page that does not answer in time
 * is closed anyway). `request()` answers at once:
 *   "close"  nothing would be lost: the window closes now;
 *   "asking" the question is on screen: `answer()` is null until the reviewer chose, then
 *            "discard" (the edits are discarded: close) or "keep" (the window stays), once;
 *   "stay"   another question (leaving the case) is already on screen: the window stays.
 * `unsaved()` says whether edits would be lost, `busy()` whether a question is open, `ask()` asks
 * (resolves "keep" or "discard") and `discard()` drops the edits.
 */
export function windowCloseQuestion({ unsaved, busy = () => false, ask, discard }) {
  let open = false;
  let chosen = null;
  return {
    request() {
      if (open) return "asking";
      chosen = null;
      if (!unsaved()) return "close";
      if (busy()) return "stay";
      open = true;
      Promise.resolve()
        .then(ask)
        .then((choice) => {
          if (choice !== "discard") return "keep";
          try { discard(); } catch (e) { console.error(e); } // closing loses them anyway
          return "discard";
        })
        .catch(() => "keep")
        .then((answer) => { chosen = answer; open = false; });
      return "asking";
    },
    answer() {
      const answer = chosen;
      chosen = null;
      return answer;
    },
  };
}
