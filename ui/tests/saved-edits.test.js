// Unit tests of a saved mask edit coming back (brush-tool.js) and of the leave question's keys
// (leave-confirm.js). Run: node --test ui/tests/
import { test } from "node:test";
import assert from "node:assert/strict";

import { differsFromSaved, restoredHistory } from "../src/brush-tool.js";
import { rleEncode } from "../src/brush.js";
import { dialogKeyAction } from "../src/leave-confirm.js";

const dims = [2, 3, 4];
const spacing = [1, 1, 1];

function masks() {
  const original = new Uint8Array(24);
  original.set([1, 1, 1], 5); // three voxels inside
  const saved = original.slice();
  saved[5] = 0; // one removed
  saved.set([1, 1], 20); // two added
  return { original, saved };
}

test("a restored history shows the saved edit, measured against the project's mask", () => {
  const { original, saved } = masks();
  const history = restoredHistory(original, saved, dims, spacing);
  assert.equal(history.mask, saved);
  assert.deepEqual([...history.original], [...original]);
  assert.equal(history.canUndo, false); // the saved edit is where this sitting starts
  const m = history.metrics();
  assert.deepEqual([m.added, m.removed], [2, 1]);
  assert.equal(m.dice, (2 * 2) / (3 + 4));
  // Reset to original puts the project's mask back, and can be undone to the saved edit.
  assert.ok(history.resetToOriginal());
  assert.deepEqual([...history.mask], [...original]);
  assert.deepEqual([history.metrics().added, history.metrics().removed], [0, 0]);
  history.undo();
  assert.deepEqual([...history.mask], [...saved]);
  assert.deepEqual([history.metrics().added, history.metrics().removed], [2, 1]);
  assert.throws(() => restoredHistory(original, new Uint8Array(5), dims, spacing), /saved edit has 5 voxels/);
});

test("unsaved edits: the mask differs from the saved state, whatever undo did in between", () => {
  const { original, saved } = masks();
  const history = restoredHistory(original, saved.slice(), dims, spacing);
  const state = rleEncode(history.mask);
  assert.equal(differsFromSaved(history.mask, state), false);
  history.beginStroke("axial", 0);
  history.stroke({ u: 0, v: 0 }, { u: 0, v: 0 }, 0.4, 1);
  history.endStroke();
  assert.equal(differsFromSaved(history.mask, state), true);
  history.undo(); // back where it was saved: nothing to ask about
  assert.equal(differsFromSaved(history.mask, state), false);
  history.resetToOriginal();
  assert.equal(differsFromSaved(history.mask, state), true);
  assert.equal(differsFromSaved(history.mask, null), true);
  assert.equal(differsFromSaved(history.mask, rleEncode(new Uint8Array(3))), true);
});

test("the leave question: Esc keeps editing, Enter and Space press the focused button, Tab cycles, other keys are held", () => {
  const key = (k, shiftKey = false) => ({ key: k, shiftKey });
  assert.equal(dialogKeyAction(key("Escape")), "keep");
  assert.equal(dialogKeyAction(key("Enter")), "activate");
  assert.equal(dialogKeyAction(key(" ")), "activate");
  assert.equal(dialogKeyAction(key("Tab")), "next");
  assert.equal(dialogKeyAction(key("Tab", true)), "previous");
  for (const k of ["1", "2", "ArrowRight", "ArrowLeft", "g", "b", "z"]) assert.equal(dialogKeyAction(key(k)), "swallow", k);
});
