// The case label a reviewer sees: the folder name, or some of its parts split at a delimiter
// (ProjectConfig.label). The name never leaves the machine.

/**
 * `label` is `{delimiter, parts}` (both may be null). Parts are 0-based; indices past the end
 * are skipped, and if none is left the whole name is shown rather than an empty label.
 */
export function caseLabelParts(name, label) {
  const delimiter = label?.delimiter;
  if (!delimiter) return [name];
  const all = name.split(delimiter);
  if (!label.parts || label.parts.length === 0) return all;
  const chosen = label.parts.filter((i) => i >= 0 && i < all.length).map((i) => all[i]);
  return chosen.length ? chosen : [name];
}

/** The label as one line of text (parts joined with a thin separator). */
export function caseLabelText(name, label) {
  return caseLabelParts(name, label).join(" · ");
}
