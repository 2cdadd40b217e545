import { test } from "node:test";
import assert from "node:assert/strict";

import { aboutSummary, licenceRows } from "../src/about.js";

test("licences are listed by name, case-insensitively, with a fallback for a missing licence", () => {
  const rows = licenceRows({ third_party: [
    { name: "numpy", version: "2.4.6", licence: "BSD-3-Clause" },
    { name: "Pillow", version: "13.0.0", licence: "MIT-CMU" },
    { name: "httpx", version: "0.28.1", licence: "" },
  ] });
  assert.deepEqual(rows, [
    ["httpx", "0.28.1", "see its distribution"],
    ["numpy", "2.4.6", "BSD-3-Clause"],
    ["Pillow", "13.0.0", "MIT-CMU"],
  ]);
  assert.deepEqual(licenceRows({}), []);
});

test("the summary names the version, Python and where the licence texts are", () => {
  assert.equal(aboutSummary({ version: "0.1.0", python: "3.11.7", bundled: false, licence_texts: null }),
    "Version 0.1.0 · Python 3.11.7 · Python environment");
  assert.equal(aboutSummary({ version: "0.1.0", python: "3.11.7", bundled: true, licence_texts: "/opt/naesview/THIRD_PARTY_LICENSES.txt" }),
    "Version 0.1.0 · Python 3.11.7 · bundled app · full licence texts: /opt/naesview/THIRD_PARTY_LICENSES.txt");
});
