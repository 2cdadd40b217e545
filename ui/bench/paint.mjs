// Median time of the pixel pass for a 512x512 slice (int16 CT, with and without a mask overlay).
// Run: node ui/bench/paint.mjs   (a measurement, not a test: shared machines are noisy)
import { paintSlice } from "../src/render.js";
import { makeWindowMap } from "../src/windowing.js";
import { sliceGeometry } from "../src/slice.js";

const n = 512;
const image = new Int16Array(64 * n * n).map((_, i) => (i % 4096) - 1024);
const mask = new Uint8Array(64 * n * n).map((_, i) => (((i >> 9) & 511) % 7 === 0 ? 1 : 0));
const map = makeWindowMap("int16", 1, 0, 40, 400);
const pixels = new Uint32Array(n * n);
const results = {};
for (const orientation of ["axial", "coronal"]) {
  const index = orientation === "axial" ? 32 : 256;
  const geom = sliceGeometry([64, n, n], [1, 1, 1], orientation, index);
  const w = geom.width * geom.height;
  for (const [name, masks] of [["image", []], ["image+mask", [{ data: mask, rgb: [255, 0, 0], opacity: 0.4, outline: false }]], ["image+outline", [{ data: mask, rgb: [255, 0, 0], opacity: 1, outline: true }]]]) {
    for (let i = 0; i < 20; i++) paintSlice(pixels, geom, image, map, masks);
    const times = [];
    for (let i = 0; i < 41; i++) {
      const t0 = performance.now();
      paintSlice(pixels, geom, image, map, masks);
      times.push(performance.now() - t0);
    }
    times.sort((a, b) => a - b);
    results[`${orientation} ${geom.width}x${geom.height} ${name}`] = `${times[20].toFixed(2)} ms (${(w / 1e6).toFixed(2)} Mpx)`;
  }
}
console.log(JSON.stringify(results, null, 1));
