import { test } from "node:test";
import assert from "node:assert/strict";
import http from "node:http";
import { fetchVolume, SLAB_FIRST_BYTES, bytesPerSample, readChunks, READ_BYTES } from "../src/volumes.js";

// A loopback server like naesview's: raw bytes of a volume, whole (streamed slowly in chunks)
// or as a slab of slices (?z0=&z1=); it checks the token header.
async function serve(volume, { nz, plane, chunk = 1 << 20, delayMs = 5, truncate = 0 }) {
  const bytes = new Uint8Array(volume.buffer);
  const server = http.createServer(async (req, res) => {
    if (req.headers["x-naesview-token"] !== "secret") { res.writeHead(403).end(); return; }
    const url = new URL(req.url, "http://x");
    if (url.searchParams.has("z0")) {
      const z0 = Number(url.searchParams.get("z0"));
      const z1 = Number(url.searchParams.get("z1"));
      res.writeHead(200, { "Content-Type": "application/octet-stream" });
      res.end(Buffer.from(bytes.subarray(z0 * plane, z1 * plane)));
      return;
    }
    res.writeHead(200, { "Content-Type": "application/octet-stream" });
    const end = bytes.length - truncate;
    for (let pos = 0; pos < end; pos += chunk) {
      res.write(Buffer.from(bytes.subarray(pos, Math.min(end, pos + chunk))));
      await new Promise((r) => setTimeout(r, delayMs));
    }
    res.end();
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { url: `http://127.0.0.1:${server.address().port}/voxels/h1`, close: () => new Promise((r) => server.close(r)) };
}

test("a streamed volume arrives whole, in its typed array, with every slice marked ready", async () => {
  const shape = [6, 5, 4];
  const volume = new Int16Array(120).map((_, i) => i * 37 - 2000);
  const srv = await serve(volume, { nz: 6, plane: 40, chunk: 64 });
  try {
    const seen = [];
    const handle = fetchVolume({ name: "ct", url: srv.url, shape, dtype: "int16" },
      { headers: { "X-Naesview-Token": "secret" }, onProgress: (h) => seen.push(h.loaded) });
    await handle.done;
    assert.ok(handle.data instanceof Int16Array);
    assert.deepEqual(Array.from(handle.data), Array.from(volume));
    assert.equal(handle.complete, true);
    assert.deepEqual(Array.from(handle.readyZ), [1, 1, 1, 1, 1, 1]);
    assert.ok(seen.length > 2, "progress is reported while bytes arrive");
    assert.ok(seen.every((x, i) => i === 0 || x >= seen[i - 1]));
  } finally { await srv.close(); }
});

test("a large volume gets the first slice as a slab before the stream reaches it", async () => {
  const [nz, ny, nx] = [80, 128, 128]; // 5 MiB of float32: above the slab threshold
  const shape = [nz, ny, nx];
  assert.ok(nz * ny * nx * 4 >= SLAB_FIRST_BYTES);
  const volume = new Float32Array(nz * ny * nx).map((_, i) => i / 7);
  const plane = ny * nx * 4;
  const srv = await serve(volume, { nz, plane, chunk: plane, delayMs: 8 });
  try {
    let firstReadyAt = null;
    const handle = fetchVolume({ name: "t1", url: srv.url, shape, dtype: "float32" }, {
      headers: { "X-Naesview-Token": "secret" }, firstZ: 30,
      onProgress: (h) => { if (firstReadyAt === null && h.readyZ[30]) firstReadyAt = h.loaded; },
    });
    await handle.done;
    // Slice 30 was ready while less than 30 slices had streamed in.
    assert.ok(firstReadyAt !== null && firstReadyAt < 30 * ny * nx, `ready at ${firstReadyAt}`);
    assert.equal(handle.data[30 * ny * nx + 5], volume[30 * ny * nx + 5]);
    assert.deepEqual(handle.data.subarray(-3), volume.subarray(-3));
  } finally { await srv.close(); }
});

test("a short answer or a refused token is an error naming the volume", async () => {
  const volume = new Uint8Array(1000);
  const srv = await serve(volume, { nz: 10, plane: 100, truncate: 10 });
  try {
    const short = fetchVolume({ name: "mask.nii.gz", url: srv.url, shape: [10, 10, 10], dtype: "uint8" },
      { headers: { "X-Naesview-Token": "secret" } });
    await assert.rejects(short.done, /volume mask\.nii\.gz: only 990 of 1000 bytes arrived/);
    assert.equal(short.complete, false);
    const refused = fetchVolume({ name: "mask.nii.gz", url: srv.url, shape: [10, 10, 10], dtype: "uint8" }, { headers: {} });
    await assert.rejects(refused.done, /volume mask\.nii\.gz: the app answered 403/);
  } finally { await srv.close(); }
});

test("dtype sizes; unknown types are refused", () => {
  assert.equal(bytesPerSample("int16"), 2);
  assert.equal(bytesPerSample("float32"), 4);
  assert.throws(() => bytesPerSample("complex64"), /unsupported voxel type complex64/);
});

test("an aborted download stops and never claims to be complete", async () => {
  const volume = new Uint8Array(64 * 64 * 64);
  const srv = await serve(volume, { nz: 64, plane: 4096, chunk: 4096, delayMs: 20 });
  try {
    const controller = new AbortController();
    const handle = fetchVolume({ name: "big", url: srv.url, shape: [64, 64, 64], dtype: "uint8" },
      { headers: { "X-Naesview-Token": "secret" }, signal: controller.signal });
    setTimeout(() => controller.abort(), 60);
    await assert.rejects(handle.done, (e) => e.name === "AbortError");
    assert.equal(handle.complete, false);
    assert.ok(handle.loaded < 64 * 64 * 64);
  } finally { await srv.close(); }
});

test("slices asked for first come as slabs even for a small volume that is still decoding", async () => {
  const volume = new Uint8Array(10 * 10 * 10).map((_, i) => i % 251);
  const requests = [];
  const srv = await serve(volume, { nz: 10, plane: 100, chunk: 100, delayMs: 30 });
  const original = globalThis.fetch;
  globalThis.fetch = (url, init) => { requests.push(String(url)); return original(url, init); };
  try {
    const readyOrder = [];
    const handle = fetchVolume({ name: "t2", url: srv.url, shape: [10, 10, 10], dtype: "uint8" }, {
      headers: { "X-Naesview-Token": "secret" }, firstZ: [9, 5], slabs: true,
      onProgress: (h) => { for (const z of [9, 5]) if (h.readyZ[z] && !readyOrder.includes(z)) readyOrder.push(z); },
    });
    await handle.done;
    assert.ok(requests.some((u) => u.includes("z0=9&z1=10")));
    assert.ok(requests.some((u) => u.includes("z0=5&z1=6")));
    assert.deepEqual(readyOrder.sort(), [5, 9]);
    assert.ok(handle.readyZ[9] && handle.complete);
    assert.deepEqual(Array.from(handle.data), Array.from(volume));
  } finally {
    globalThis.fetch = original;
    await srv.close();
  }
});

// A body made of `pieces`, as a byte stream (BYOB-capable) or a plain stream of Uint8Arrays.
function bodyOf(pieces, { bytes }) {
  let i = 0;
  return new ReadableStream(bytes ? {
    type: "bytes",
    pull(controller) {
      if (i < pieces.length) controller.enqueue(pieces[i++].slice());
      else { controller.close(); controller.byobRequest?.respond(0); }
    },
  } : {
    pull(controller) {
      if (i < pieces.length) controller.enqueue(pieces[i++].slice());
      else controller.close();
    },
  });
}

function collect() {
  const parts = [];
  return { onChunk: (v) => parts.push(Uint8Array.from(v)), joined: () => Uint8Array.from(parts.flatMap((p) => Array.from(p))), parts };
}

test("readChunks reads a byte stream through one reused buffer, in order, whatever the piece sizes", async () => {
  const pieces = [new Uint8Array(10).fill(1), new Uint8Array(READ_BYTES * 2 + 3).map((_, i) => i % 251), new Uint8Array(1).fill(9)];
  const expected = Uint8Array.from(pieces.flatMap((p) => Array.from(p)));
  const body = bodyOf(pieces, { bytes: true });
  const modes = [];
  const getReader = body.getReader.bind(body);
  body.getReader = (options) => { modes.push(options?.mode ?? "default"); return getReader(options); };
  const out = collect();
  await readChunks(body, out.onChunk);
  assert.deepEqual(modes, ["byob"]);
  assert.ok(out.parts.every((p) => p.length <= READ_BYTES), "no piece larger than the reused buffer");
  assert.ok(out.parts.length >= 4, "the 2 MiB piece came in several reads");
  assert.deepEqual(out.joined(), expected);
});

test("readChunks falls back to the default reader where the body is not a byte stream", async () => {
  const pieces = [new Uint8Array([1, 2, 3]), new Uint8Array([4]), new Uint8Array([5, 6])];
  for (const [body, options] of [[bodyOf(pieces, { bytes: false }), {}], [bodyOf(pieces, { bytes: true }), { byob: false }]]) {
    const out = collect();
    await readChunks(body, out.onChunk, options);
    assert.deepEqual(Array.from(out.joined()), [1, 2, 3, 4, 5, 6]);
    assert.equal(out.parts.length, 3);
  }
});
