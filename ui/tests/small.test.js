import { test } from "node:test";
import assert from "node:assert/strict";
import { caseLabelParts, caseLabelText } from "../src/caselabel.js";
import { gridRects, gridTemplate, viewportTitles, volumeLabel } from "../src/layout.js";
import { createCaseTimer } from "../src/timing.js";
import { estimateRemainingMs, formatRemaining, syncText, typicalCaseMs } from "../src/progress.js";

test("case label: whole name, all parts, or chosen parts in the chosen order", () => {
  assert.deepEqual(caseLabelParts("case0012_Thorax_v2", null), ["case0012_Thorax_v2"]);
  assert.deepEqual(caseLabelParts("case0012_Thorax_v2", { delimiter: null, parts: [1] }), ["case0012_Thorax_v2"]);
  assert.deepEqual(caseLabelParts("case0012_Thorax_v2", { delimiter: "_", parts: null }), ["case0012", "Thorax", "v2"]);
  assert.deepEqual(caseLabelParts("case0012_Thorax_v2", { delimiter: "_", parts: [2, 1] }), ["v2", "Thorax"]);
  assert.deepEqual(caseLabelParts("case0012_Thorax_v2", { delimiter: "_", parts: [1, 7] }), ["Thorax"]);
  assert.deepEqual(caseLabelParts("plain", { delimiter: "_", parts: [3] }), ["plain"]);
  assert.equal(caseLabelText("a--b--c", { delimiter: "--", parts: [0, 2] }), "a · c");
});

test("grid layout: row-major cells that fill the container", () => {
  const rects = gridRects({ rows: 2, columns: 2, viewports: [{}, {}, {}] }, 804, 604, 4);
  assert.equal(rects.length, 3);
  assert.deepEqual(rects[0], { x: 0, y: 0, w: 400, h: 300, row: 0, column: 0 });
  assert.deepEqual(rects[1], { x: 404, y: 0, w: 400, h: 300, row: 0, column: 1 });
  assert.deepEqual(rects[2], { x: 0, y: 304, w: 400, h: 300, row: 1, column: 0 });
  // Extra viewports beyond rows x columns are not placed on top of others.
  assert.equal(gridRects({ rows: 1, columns: 1, viewports: [{}, {}] }, 100, 100).length, 1);
  assert.deepEqual(gridTemplate({ rows: 1, columns: 3 }), {
    gridTemplateRows: "repeat(1, minmax(0, 1fr))", gridTemplateColumns: "repeat(3, minmax(0, 1fr))",
  });
});

test("case timer counts only running stretches", () => {
  let t = 1000;
  const timer = createCaseTimer(() => t);
  timer.start();
  t += 500;
  timer.pause();
  t += 10000; // page hidden
  timer.resume();
  t += 250;
  assert.equal(timer.elapsedMs(), 750);
  timer.pause();
  timer.pause(); // twice is harmless
  assert.equal(timer.elapsedMs(), 750);
  timer.start();
  assert.equal(timer.elapsedMs(), 0);
});

test("time left uses the median pace of recent cases", () => {
  assert.equal(typicalCaseMs([]), null);
  assert.equal(typicalCaseMs([2000, 3000, 600000]), 3000);
  assert.equal(estimateRemainingMs([2000, 4000], 10), 30000);
  assert.equal(formatRemaining(null), "");
  assert.equal(formatRemaining(30000), "< 1 min left");
  assert.equal(formatRemaining(5 * 60000), "~5 min left");
  assert.equal(formatRemaining(80 * 60000), "~1 h 20 min left");
});

test("sync status text", () => {
  assert.equal(syncText({ pending: 0, synced: 3, online: true }), "synced");
  assert.equal(syncText({ pending: 2, online: true }), "2 waiting");
  assert.equal(syncText({ pending: 2, online: false }), "saved locally · 2 waiting");
});

test("pauseWhenAway stops the clock while hidden or blurred", async () => {
  const { pauseWhenAway } = await import("../src/timing.js");
  let t = 0;
  const timer = createCaseTimer(() => t);
  const win = new EventTarget();
  const doc = new EventTarget();
  doc.visibilityState = "visible";
  const detach = pauseWhenAway(timer, win, doc);
  timer.start();
  t = 100;
  win.dispatchEvent(new Event("blur"));
  t = 5000;
  win.dispatchEvent(new Event("focus"));
  t = 5100;
  doc.visibilityState = "hidden";
  doc.dispatchEvent(new Event("visibilitychange"));
  t = 9000;
  doc.visibilityState = "visible";
  doc.dispatchEvent(new Event("visibilitychange"));
  t = 9050;
  assert.equal(timer.elapsedMs(), 250);
  detach();
  win.dispatchEvent(new Event("blur"));
  t = 9100;
  assert.equal(timer.elapsedMs(), 300); // detached: no longer paused by events
});

test("viewport titles name the volume when the viewports show different ones", () => {
  const vp = (volume, orientation = "axial") => ({ orientation, layers: [{ volume }, { volume: "mask.nii.gz" }] });
  assert.deepEqual(viewportTitles([vp("T1.nii.gz"), vp("T1GD.nii.gz"), vp("T2.nii"), vp("FLAIR", "coronal")]),
    ["T1 · Axial", "T1GD · Axial", "T2 · Axial", "FLAIR · Coronal"]);
  // One volume in three planes (or one viewport): the orientation says it all.
  assert.deepEqual(viewportTitles([vp("image.nii.gz"), vp("image.nii.gz", "coronal"), vp("image.nii.gz", "sagittal")]),
    ["Axial", "Coronal", "Sagittal"]);
  assert.deepEqual(viewportTitles([vp("image.nii.gz")]), ["Axial"]);
  assert.equal(volumeLabel("CT"), "CT");
});
