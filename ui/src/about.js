// The About box: the app's version and the licences of the third-party code it carries
// (bridge method `about`). Opened from the brand in the top bar and from the sign-in screen.

import { h } from "./dom.js";

/** Rows [name, version, licence] sorted by name, case-insensitively (pure; tested in node). */
export function licenceRows(info) {
  return [...(info?.third_party ?? [])]
    .map((p) => [p.name, p.version, p.licence || "see its distribution"])
    .sort((a, b) => a[0].localeCompare(b[0], undefined, { sensitivity: "base" }));
}

/** One line under the title: version, Python, and where the licence texts are. */
export function aboutSummary(info) {
  const where = info.bundled ? "bundled app" : "Python environment";
  const texts = info.licence_texts ? ` · full licence texts: ${info.licence_texts}` : "";
  return `Version ${info.version} · Python ${info.python} · ${where}${texts}`;
}

export async function openAbout(bridge) {
  const info = await bridge.call("about");
  const close = h("button.ghost.icon", { type: "button", "aria-label": "Close", onclick: () => done() }, "×");
  const node = h("div.help-overlay", { role: "dialog", "aria-modal": "true", "aria-label": "About naesView", "data-testid": "about",
    onclick: (e) => { if (e.target === node) done(); } },
  h("div.help-card", {},
    h("div.help-head", {}, h("h2", {}, "About naesView"), close),
    h("p", { "data-testid": "about-version" }, aboutSummary(info)),
    h("p.muted", {}, "Structured review of medical images that never leave this computer. It includes the open-source software below, under the licences named."),
    h("table.help-table", { "data-testid": "about-licences" }, h("tbody", {},
      licenceRows(info).map(([name, version, licence]) => h("tr", {}, h("th", {}, name), h("td", {}, `${version} · ${licence}`)))))));
  const onKey = (e) => { if (e.key === "Escape") { e.stopPropagation(); done(); } };
  function done() { node.remove(); document.removeEventListener("keydown", onKey, true); }
  document.addEventListener("keydown", onKey, true);
  document.body.append(node);
  close.focus();
}
