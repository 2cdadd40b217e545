import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { caseBytes, createCaseCache, firstSlices } from "../src/case-cache.js";
import { caseState, ensureWindow, refineStreamedWindow, withArrived } from "../src/case-state.js";
import { initialState } from "../src/viewer-state.js";

const config = { viewports: { rows: 1, columns: 1, viewports: [{ orientation: "axial", layers: [{ volume: "ct" }] }] } };

// Cases of one 4x8x8 int16 volume each; case k's voxels all equal k. The server counts requests.
async function caseServer() {
  const hits = [];
  const server = http.createServer((req, res) => {
    const k = Number(/\/voxels\/case(\d+)/.exec(req.url)[1]);
    hits.push(req.url);
    const body = Buffer.from(new Int16Array(4 * 8 * 8).fill(k).buffer);
    res.writeHead(200).end(url(req).searchParams.has("z0") ? body.subarray(0, 128) : body);
  });
  const url = (req) => new URL(req.url, "http://x");
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${server.address().port}`;
  const info = (k) => ({ index: k, case_name: `case${k}`, volumes: [{ name: "ct", url: `${base}/voxels/case${k}`, shape: [4, 8, 8], spacing: [1, 1, 1], dtype: "int16", slope: 1, intercept: 0, is_mask: false, window: { center: 0, width: 10 } }] });
  return { hits, info, close: () => new Promise((r) => server.close(r)) };
}

test("case bytes and the slices fetched first", () => {
  assert.equal(caseBytes({ volumes: [{ shape: [2, 3, 4], dtype: "int16" }, { shape: [2, 3, 4], dtype: "uint8" }] }), 72);
  assert.deepEqual(firstSlices({ shape: [9, 1, 1] }), [4]);
  assert.deepEqual(firstSlices({ shape: [9, 1, 1], streaming: true, first_z: 8 }), [8, 4]);
  assert.deepEqual(firstSlices({ shape: [9, 1, 1], streaming: true, first_z: 4 }), [4]);
});

test("the next cases are loaded and fetched ahead; far ones are dropped", async () => {
  const srv = await caseServer();
  try {
    const loads = [];
    const cache = createCaseCache({ loadCase: async (k) => { loads.push(k); return srv.info(k); }, ahead: 2, behind: 1 });
    const info0 = await cache.entry(0).info;
    await Promise.all([...cache.voxels(0, info0).values()].map((h) => h.done));
    const ready = [];
    await cache.prefetchAfter(0, 10, () => true, (k, info, handles) => ready.push([k, handles.get("ct").data[5]]));
    assert.deepEqual(ready, [[1, 1], [2, 2]]);
    assert.deepEqual(loads, [0, 1, 2]);
    assert.deepEqual(cache.indices().sort(), [0, 1, 2]);
    cache.keepAround(3); // the reviewer moved to case 3: keep 2..5, drop 0 and 1
    assert.deepEqual(cache.indices().sort(), [2]);
    assert.equal(cache.handles(2).get("ct").complete, true);
    // The same case is not fetched twice.
    const before = srv.hits.length;
    cache.voxels(2, srv.info(2));
    assert.equal(srv.hits.length, before);
  } finally { await srv.close(); }
});

test("prefetching stops at the byte budget and when the reviewer has moved on", async () => {
  const srv = await caseServer();
  try {
    const small = createCaseCache({ loadCase: async (k) => srv.info(k), budgetBytes: 2 * 512 });
    await Promise.all([...small.voxels(0, await small.entry(0).info).values()].map((h) => h.done));
    const ready = [];
    await small.prefetchAfter(0, 10, () => true, (k) => ready.push(k));
    assert.deepEqual(ready, [1]); // case 0 + case 1 = 1024 bytes; case 2 would exceed it
    const moved = createCaseCache({ loadCase: async (k) => srv.info(k) });
    const none = [];
    await moved.prefetchAfter(0, 10, () => false, (k) => none.push(k));
    assert.deepEqual(none, []);
  } finally { await srv.close(); }
});

test("a failed load_case is forgotten so it can be tried again", async () => {
  let calls = 0;
  const cache = createCaseCache({ loadCase: async () => { calls++; throw new Error("dataset moved"); } });
  await assert.rejects(cache.entry(4).info, /dataset moved/);
  await new Promise((r) => setTimeout(r, 0));
  assert.deepEqual(cache.indices(), []);
  await assert.rejects(cache.entry(4).info);
  assert.equal(calls, 2);
});

const ctInfo = (streaming, window) => ({ volumes: [{ name: "ct", shape: [4, 8, 8], spacing: [1, 1, 1], dtype: "int16", slope: 1, intercept: 0, is_mask: false, window, streaming }] });

function handleOf(data, readyZ, complete) {
  return { name: "ct", data, readyZ: Uint8Array.from(readyZ), loaded: complete ? data.length : 0, complete, error: null };
}

test("a volume without a window gets one from the first slice that has arrived", () => {
  const data = new Int16Array(256).map((_, i) => (i < 64 ? 100 + (i % 10) : 0));
  let state = initialState(config, ctInfo(false, null).volumes);
  state = withArrived(state, ctInfo(false, null), new Map([["ct", handleOf(data, [1, 0, 0, 0], false)]]));
  assert.ok(state.windows.ct.center > 100 && state.windows.ct.center < 110);
  assert.equal(ensureWindow(state, "ct"), state); // once set, kept
});

test("a streamed volume's window is refined once, when complete and untouched", () => {
  const data = new Int16Array(256).map((_, i) => (i < 64 ? -1000 : (i % 400) - 100)); // air first
  const info = ctInfo(true, { center: -1000, width: 20 });
  const handle = handleOf(data, [1, 1, 1, 1], true);
  const state = caseState(config, info, new Map([["ct", handle]]), null);
  assert.ok(state.windows.ct.width > 100, JSON.stringify(state.windows.ct));
  assert.deepEqual([state.windows.ct.initial.center, state.windows.ct.initial.width], [state.windows.ct.center, state.windows.ct.width]);
  // Not again for the same handle, and never over a window the reviewer chose.
  const touched = { ...state, windows: { ct: { center: 5, width: 7, initial: { center: -1000, width: 20 } } } };
  handle.refined = false;
  assert.equal(refineStreamedWindow(touched, info.volumes[0], handle).windows.ct.center, 5);
  // A volume that did not stream keeps the bridge's window.
  const plain = caseState(config, ctInfo(false, { center: -1000, width: 20 }), new Map([["ct", handleOf(data, [1, 1, 1, 1], true)]]), null);
  assert.equal(plain.windows.ct.center, -1000);
});

test("a download error reaches the state without changing the old one", () => {
  const info = ctInfo(false, { center: 0, width: 10 });
  const handle = { ...handleOf(new Int16Array(256), [0, 0, 0, 0], false), error: "volume ct: only 10 of 512 bytes arrived; reopen the case" };
  const before = initialState(config, info.volumes);
  const after = withArrived(before, info, new Map([["ct", handle]]));
  assert.match(after.volumes.ct.error, /only 10 of 512 bytes/);
  assert.equal(before.volumes.ct.error, undefined);
});
