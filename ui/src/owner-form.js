// The "New project" / "Edit project" form. It edits one plain draft object
// {title, short_description, instructions_md, thumbnail, config: ProjectConfig} and calls
// onChange(draft, {structural}) after every edit; Python validates it (owner_check, publish).

import { h } from "./dom.js";
import { renderMarkdown } from "./markdown.js";

const ORIENTATIONS = ["axial", "sagittal", "coronal"];
const MAX_VIEWPORTS = 16;
const MAX_LAYERS = 8;
const MAX_ANSWERS = 9;

export function newLayer(volume = "", isMask = false) {
  return { volume, is_mask: isMask, colour: isMask ? "#ff3030" : "#ff0000", opacity: isMask ? 0.5 : 1.0, outline: false };
}

/** A draft to start from: one axial viewport, two answers. */
export function emptyDraft(volume = "") {
  return {
    title: "",
    short_description: "",
    instructions_md: "",
    thumbnail: null,
    config: {
      format: "naesview-project/1",
      question: "",
      viewports: { rows: 1, columns: 1, viewports: [{ orientation: "axial", layers: [newLayer(volume)] }] },
      answers: [{ value: "yes", label: "Yes", key: 1 }, { value: "no", label: "No", key: 2 }],
      label: { delimiter: null, parts: null },
      comment: "optional",
      timing: true,
      brush: null,
      order: "dataset",
    },
  };
}

/** The stored value of an answer from its label: "Head & Neck" -> "head-and-neck". */
export function answerValue(label) {
  const slug = label.toLowerCase().replace(/&/g, " and ").replace(/[^a-z0-9_.]+/g, "-").replace(/^-+|-+$/g, "");
  return slug.slice(0, 64) || "answer";
}

/** "1" or "0, 2" -> [1] / [0, 2]; "" -> null (all parts). */
export function parseParts(text) {
  const items = text.split(/[\s,]+/).filter(Boolean);
  if (!items.length) return null;
  return items.map((x) => Number.parseInt(x, 10)).filter((n) => Number.isInteger(n) && n >= 0 && n <= 31);
}

function freeKey(answers) {
  for (let k = 1; k <= 9; k++) if (!answers.some((a) => a.key === k)) return k;
  return 9;
}

export function ownerForm(start, { onChange = () => {} } = {}) {
  const draft = structuredClone(start);
  for (const a of draft.config.answers) a.autoValue = false; // keep given values when relabelled
  let volumes = [];
  const root = h("div.owner-form", { "data-testid": "owner-form" });
  const volumeList = h("datalist", { id: "owner-volume-names" });

  const changed = (structural = false) => {
    if (structural) render();
    onChange(draft, { structural });
  };
  const field = (id, labelText, input, hint = null) => h("div.owner-field", {},
    h("label", { for: id }, labelText), input, hint ? h("p.hint.muted", {}, hint) : null);
  const text = (id, value, set, props = {}) => {
    const node = h(props.multiline ? "textarea" : "input", {
      id, name: id, spellcheck: props.multiline ? true : false, "data-testid": id,
      rows: props.rows, placeholder: props.placeholder, maxlength: props.maxlength,
      oninput: (e) => { set(e.target.value); changed(props.structural); },
    });
    node.value = value ?? ""; // a property: a textarea has no value attribute
    return node;
  };

  function render() {
    const c = draft.config;
    root.replaceChildren(volumeList,
      section("About the project", [
        field("owner-title", "Public title", text("owner-title", draft.title, (v) => { draft.title = v; }, { maxlength: 200 })),
        field("owner-short", "Short description (public)", text("owner-short", draft.short_description, (v) => { draft.short_description = v; }, { maxlength: 500 })),
        instructionsField(),
      ]),
      section("What reviewers answer", [
        field("owner-question", "Question", text("owner-question", c.question, (v) => { c.question = v; }, { maxlength: 500, placeholder: "e.g. Is the segmentation acceptable?" })),
        answersEditor(),
        commentAndTiming(),
      ]),
      section("Viewports", [gridEditor(), ...c.viewports.viewports.map(viewportEditor), addViewportButton()]),
      section("Cases", [labelEditor(), orderEditor(), brushEditor()]),
    );
    volumeList.replaceChildren(...volumes.map((v) => h("option", { value: v.name }, `${v.cases} cases`)));
  }

  function section(title, children) {
    return h("section.owner-section.card", {}, h("h2", {}, title), ...children);
  }

  function instructionsField() {
    const preview = h("div.markdown.owner-md-preview", { "data-testid": "owner-instructions-preview" });
    const show = () => {
      // Safe: renderMarkdown escapes every source character and emits only its own tags.
      preview.innerHTML = draft.instructions_md.trim() ? renderMarkdown(draft.instructions_md) : "<p class=\"muted\">Rendered instructions appear here.</p>";
    };
    show();
    const input = text("owner-instructions", draft.instructions_md, (v) => { draft.instructions_md = v; show(); }, { multiline: true, rows: 8 });
    return h("div.owner-field", {},
      h("label", { for: "owner-instructions" }, "Instructions for reviewers (private, Markdown)"),
      h("div.owner-md", {}, input, preview));
  }

  function answersEditor() {
    const answers = draft.config.answers;
    const rows = answers.map((a, i) => {
      const value = h("input.owner-answer-value", { value: a.value, "aria-label": `Stored value of answer ${i + 1}`, "data-testid": `owner-answer-value-${i}`,
        oninput: (e) => { a.value = e.target.value.trim(); a.autoValue = false; changed(); } });
      const label = h("input.owner-answer-label", { value: a.label, "aria-label": `Label of answer ${i + 1}`, "data-testid": `owner-answer-label-${i}`,
        oninput: (e) => {
          a.label = e.target.value;
          if (a.autoValue !== false) { a.value = answerValue(a.label); value.value = a.value; }
          changed();
        } });
      const key = h("select", { "aria-label": `Key of answer ${i + 1}`, "data-testid": `owner-answer-key-${i}`,
        onchange: (e) => { a.key = Number(e.target.value); changed(true); } },
      [1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => h("option", { value: String(k), selected: k === a.key }, `key ${k}`)));
      const move = (d) => { const j = i + d; [answers[i], answers[j]] = [answers[j], answers[i]]; changed(true); };
      return h("div.owner-answer", { "data-testid": "owner-answer" },
        label, value, key,
        h("button.ghost.icon", { type: "button", title: "Move up", "aria-label": `Move answer ${i + 1} up`, disabled: i === 0, onclick: () => move(-1) }, "↑"),
        h("button.ghost.icon", { type: "button", title: "Move down", "aria-label": `Move answer ${i + 1} down`, disabled: i === answers.length - 1, onclick: () => move(1) }, "↓"),
        h("button.ghost.icon", { type: "button", title: "Remove", "aria-label": `Remove answer ${i + 1}`, disabled: answers.length <= 1,
          "data-testid": `owner-answer-remove-${i}`, onclick: () => { answers.splice(i, 1); changed(true); } }, "×"));
    });
    const add = h("button", { type: "button", "data-testid": "owner-answer-add", disabled: answers.length >= MAX_ANSWERS,
      onclick: () => { answers.push({ value: `answer-${answers.length + 1}`, label: `Answer ${answers.length + 1}`, key: freeKey(answers), autoValue: true }); changed(true); } }, "+ Add answer");
    return h("div.owner-field", {}, h("span.owner-label", {}, "Answer options (label, stored value, key)"), h("div.owner-answers", {}, rows), add);
  }

  function commentAndTiming() {
    const c = draft.config;
    const comment = h("select", { id: "owner-comment", "data-testid": "owner-comment", onchange: (e) => { c.comment = e.target.value; changed(); } },
      ["off", "optional", "required"].map((v) => h("option", { value: v, selected: c.comment === v }, `comment ${v}`)));
    const timing = h("input", { id: "owner-timing", type: "checkbox", checked: c.timing, "data-testid": "owner-timing",
      onchange: (e) => { c.timing = e.target.checked; changed(); } });
    return h("div.owner-inline", {},
      h("label.sr-only", { for: "owner-comment" }, "Comment"), comment,
      h("label.owner-check", { for: "owner-timing" }, timing, " record time per case"));
  }

  function gridEditor() {
    const g = draft.config.viewports;
    const num = (id, key, labelText) => h("label.owner-check", { for: id }, `${labelText} `,
      h("input.owner-num", { id, type: "number", min: "1", max: "4", value: String(g[key]), "data-testid": id,
        onchange: (e) => { g[key] = Math.max(1, Math.min(4, Number(e.target.value) || 1)); changed(true); } }));
    const fits = g.viewports.length <= g.rows * g.columns;
    return h("div.owner-inline", {}, num("owner-rows", "rows", "Rows"), num("owner-columns", "columns", "Columns"),
      fits ? null : h("span.error-line", {}, `${g.viewports.length} viewports do not fit ${g.rows}×${g.columns}`));
  }

  function viewportEditor(vp, i) {
    const g = draft.config.viewports;
    const orientation = h("select", { "aria-label": `Orientation of viewport ${i + 1}`, "data-testid": `owner-vp-orientation-${i}`,
      onchange: (e) => { vp.orientation = e.target.value; changed(true); } },
    ORIENTATIONS.map((o) => h("option", { value: o, selected: vp.orientation === o }, o)));
    const layers = vp.layers.map((layer, j) => layerEditor(vp, i, layer, j));
    return h("div.owner-viewport", { "data-testid": "owner-viewport" },
      h("div.owner-inline", {}, h("strong", {}, `Viewport ${i + 1}`), orientation,
        h("span.muted.owner-hint", {}, vp.layers.length > 1 ? "the first layer is drawn at the bottom" : ""),
        h("button.ghost.owner-vp-remove", { type: "button", disabled: g.viewports.length <= 1, "data-testid": `owner-vp-remove-${i}`,
          onclick: () => { g.viewports.splice(i, 1); changed(true); } }, "Remove viewport")),
      h("div.owner-layers", {}, layers),
      h("button.ghost", { type: "button", disabled: vp.layers.length >= MAX_LAYERS, "data-testid": `owner-layer-add-${i}`,
        onclick: () => { vp.layers.push(newLayer("", true)); changed(true); } }, "+ Add layer"));
  }

  function layerEditor(vp, i, layer, j) {
    const id = `owner-layer-${i}-${j}`;
    const volume = h("input.owner-volume", { id: `${id}-volume`, list: "owner-volume-names", value: layer.volume, spellcheck: false,
      placeholder: "volume, e.g. image.nii.gz", "data-testid": `${id}-volume`,
      oninput: (e) => { layer.volume = e.target.value.trim(); changed(); },
      onchange: () => changed(true) });
    const mask = h("input", { id: `${id}-mask`, type: "checkbox", checked: layer.is_mask, "data-testid": `${id}-mask`,
      onchange: (e) => { layer.is_mask = e.target.checked; changed(true); } });
    const colour = h("input.owner-colour", { type: "color", value: layer.colour, "aria-label": `Colour of layer ${j + 1}`, "data-testid": `${id}-colour`,
      disabled: !layer.is_mask, onchange: (e) => { layer.colour = e.target.value; changed(); } });
    const opacity = h("input.owner-num", { type: "number", min: "0", max: "1", step: "0.05", value: String(layer.opacity),
      "aria-label": `Opacity of layer ${j + 1}`, "data-testid": `${id}-opacity`,
      onchange: (e) => { layer.opacity = Math.max(0, Math.min(1, Number(e.target.value))); changed(); } });
    return h("div.owner-layer", { "data-testid": "owner-layer" },
      h("label.sr-only", { for: `${id}-volume` }, `Volume of layer ${j + 1}`), volume,
      h("label.owner-check", { for: `${id}-mask` }, mask, " convert to mask"), colour,
      h("span.muted", {}, "opacity"), opacity,
      h("button.ghost.icon", { type: "button", title: "Remove layer", "aria-label": `Remove layer ${j + 1}`, disabled: vp.layers.length <= 1,
        onclick: () => { vp.layers.splice(j, 1); changed(true); } }, "×"));
  }

  function addViewportButton() {
    const g = draft.config.viewports;
    return h("button", { type: "button", "data-testid": "owner-vp-add", disabled: g.viewports.length >= MAX_VIEWPORTS, onclick: () => {
      const first = g.viewports[0]?.layers[0]?.volume ?? "";
      g.viewports.push({ orientation: ORIENTATIONS[g.viewports.length % 3], layers: [newLayer(first)] });
      if (g.viewports.length > g.rows * g.columns) {
        if (g.columns < 4) g.columns += 1; else if (g.rows < 4) g.rows += 1;
      }
      changed(true);
    } }, "+ Add viewport");
  }

  function labelEditor() {
    const l = draft.config.label;
    const delimiter = h("input.owner-short-input", { id: "owner-delimiter", value: l.delimiter ?? "", maxlength: 4, "data-testid": "owner-delimiter",
      oninput: (e) => { l.delimiter = e.target.value || null; if (!l.delimiter) l.parts = null; changed(); } });
    const parts = h("input.owner-short-input", { id: "owner-parts", value: (l.parts ?? []).join(", "), placeholder: "all", "data-testid": "owner-parts",
      oninput: (e) => { l.parts = l.delimiter ? parseParts(e.target.value) : null; changed(); } });
    return h("div.owner-inline", {},
      h("label", { for: "owner-delimiter" }, "Case label: split the folder name at"), delimiter,
      h("label", { for: "owner-parts" }, "and show parts (0-based)"), parts);
  }

  function orderEditor() {
    const c = draft.config;
    return h("div.owner-inline", {}, h("label", { for: "owner-order" }, "Case order"),
      h("select", { id: "owner-order", "data-testid": "owner-order", onchange: (e) => { c.order = e.target.value; changed(); } },
        h("option", { value: "dataset", selected: c.order === "dataset" }, "dataset order"),
        h("option", { value: "shuffle", selected: c.order === "shuffle" }, "shuffled per reviewer")));
  }

  function brushEditor() {
    const c = draft.config;
    const masks = [...new Set(c.viewports.viewports.flatMap((vp) => vp.layers.filter((l) => l.is_mask && l.volume).map((l) => l.volume)))];
    const on = h("input", { id: "owner-brush", type: "checkbox", checked: Boolean(c.brush), disabled: !masks.length && !c.brush, "data-testid": "owner-brush",
      onchange: (e) => { c.brush = e.target.checked ? { volume: masks[0] ?? "", radius_mm: 3.0 } : null; changed(true); } });
    const which = h("select", { "aria-label": "Mask reviewers may edit", disabled: !c.brush, "data-testid": "owner-brush-volume",
      onchange: (e) => { c.brush.volume = e.target.value; changed(); } },
    masks.map((v) => h("option", { value: v, selected: c.brush?.volume === v }, v)));
    const radius = h("input.owner-num", { type: "number", min: "0.5", max: "100", step: "0.5", value: String(c.brush?.radius_mm ?? 3),
      disabled: !c.brush, "aria-label": "Brush radius in mm", onchange: (e) => { c.brush.radius_mm = Number(e.target.value) || 3; changed(); } });
    // Without a mask layer there is nothing to pick: the choices appear once a layer is a mask.
    const ready = masks.length > 0 || Boolean(c.brush);
    return h("div.owner-inline", {}, h("label.owner-check", { for: "owner-brush" }, on, ready ? " brush editing of" : " brush editing"),
      ready ? [which, radius, h("span.muted", {}, "mm radius")] : h("span.muted", {}, "(tick “convert to mask” on a layer first)"));
  }

  render();
  return {
    node: root,
    /** The draft as the bridge wants it (helper fields dropped). */
    value() {
      const out = structuredClone(draft);
      for (const a of out.config.answers) delete a.autoValue;
      return out;
    },
    setVolumes(list) { volumes = list; render(); },
    setThumbnail(url) { draft.thumbnail = url; },
    render,
  };
}
