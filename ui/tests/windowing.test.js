import { test } from "node:test";
import assert from "node:assert/strict";
import { makeWindowMap, mapSample, windowValue, percentileWindow, dragWindow, windowsDiffer, PRESETS } from "../src/windowing.js";

test("windowValue maps the window's ends to 0 and 255 and clamps outside", () => {
  assert.equal(windowValue(-160, 40, 400), 0);
  assert.equal(windowValue(240, 40, 400), 255);
  assert.equal(windowValue(40, 40, 400), 128); // 127.5 rounds half up
  assert.equal(windowValue(-5000, 40, 400), 0);
  assert.equal(windowValue(5000, 40, 400), 255);
});

test("int16 lookup table applies slope and intercept (stored = HU + 1024)", () => {
  const map = makeWindowMap("int16", 1, -1024, 40, 400);
  assert.equal(map.rgba.length, 65536);
  for (const stored of [-32768, 0, 500, 1024, 1064, 1264, 32767]) {
    assert.equal(mapSample(map, stored), windowValue(stored - 1024, 40, 400), `stored ${stored}`);
  }
  // The intercept really is used: stored 1064 is HU 40, the centre.
  assert.equal(mapSample(map, 1064), 128);
});

test("every stored value of every integer type maps exactly as the reference (any slope sign)", () => {
  for (const [dtype, lo, hi] of [["uint8", 0, 255], ["int8", -128, 127], ["int16", -32768, 32767], ["uint16", 0, 65535]]) {
    for (const [slope, intercept, center, width] of [[1, 0, 40, 400], [1, -1024, -600, 1500], [0.37, 12.5, 100, 0.9], [-2, 5, 0, 300], [0, 7, 7, 1], [3.3, 0, 1e5, 2e5]]) {
      const map = makeWindowMap(dtype, slope, intercept, center, width);
      for (let s = lo; s <= hi; s++) {
        const want = windowValue(s * slope + intercept, center, width);
        if (mapSample(map, s) !== want) assert.fail(`${dtype} ${slope}/${intercept} W${width} L${center}: stored ${s} -> ${mapSample(map, s)}, want ${want}`);
      }
    }
  }
});

test("uint8, int8 and uint16 tables cover every stored value", () => {
  for (const [dtype, lo, hi] of [["uint8", 0, 255], ["int8", -128, 127], ["uint16", 0, 65535]]) {
    const map = makeWindowMap(dtype, 2, 5, 100, 50);
    for (const s of [lo, hi, Math.round((lo + hi) / 2)]) {
      assert.equal(mapSample(map, s), windowValue(s * 2 + 5, 100, 50), `${dtype} ${s}`);
    }
  }
});

test("float volumes are windowed exactly like the reference definition", () => {
  const map = makeWindowMap("float32", 1.29035, 0.5, 300.25, 611.5);
  assert.equal(map.rgba, undefined);
  const values = new Float32Array([-10, 0, 1.5, 100.3, 231.7, 400, 1e6]);
  for (const s of values) assert.equal(mapSample(map, s), windowValue(s * 1.29035 + 0.5, 300.25, 611.5));
});

test("percentile window ignores outliers and NaN", () => {
  const data = new Float32Array(10000);
  for (let i = 0; i < data.length; i++) data[i] = i % 100;
  data[0] = 1e9;
  data[1] = NaN;
  const w = percentileWindow(data, 1, 0, 1, 99);
  assert.ok(w.center > 40 && w.center < 60, `center ${w.center}`);
  assert.ok(w.width > 90 && w.width < 100, `width ${w.width}`);
});

test("percentile window is in real units (slope and intercept applied)", () => {
  const data = new Int16Array([0, 100, 200, 300, 400]);
  const w = percentileWindow(data, 2, -1000, 0, 100);
  assert.equal(w.center, -600);
  assert.equal(w.width, 800);
});

test("drag right widens the window, drag up raises the level", () => {
  const start = { center: 40, width: 400 };
  assert.ok(dragWindow(start, 10, 0, 2000).width > 400);
  assert.ok(dragWindow(start, 0, -10, 2000).center > 40);
  assert.ok(dragWindow(start, -100000, 0, 2000).width > 0);
});

test("CT presets include the usual windows", () => {
  const lung = PRESETS.ct.find((p) => p.id === "ct-lung");
  assert.deepEqual([lung.center, lung.width], [-600, 1500]);
});

test("a window from the first slices is replaced only when the whole volume's differs clearly", () => {
  const early = { center: -990, width: 40 }; // air at the feet end
  assert.equal(windowsDiffer(early, { center: 40, width: 1400 }), true);
  assert.equal(windowsDiffer({ center: 40, width: 400 }, { center: 50, width: 420 }), false);
  assert.equal(windowsDiffer({ center: 40, width: 400 }, { center: 40, width: 700 }), true);
});
