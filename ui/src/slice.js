// Slices of a canonical LPS `[z, y, x]` volume as the viewer shows them (DESIGN.md, radiological):
//   axial    slice z; columns u = x (patient right on the left), rows v = y (anterior at the top)
//   coronal  slice y; u = x, v = nz - 1 - z (superior at the top)
//   sagittal slice x; u = y (anterior at the left), v = nz - 1 - z (superior at the top)
// Voxel (u, v) of a slice is `data[base + u * strideU + v * strideV]`; `su`, `sv` are the pixel
// spacings in mm, so the displayed aspect ratio is (width * su) : (height * sv).
// brush.js uses the same convention for editing masks.

export const ORIENTATION_NAMES = Object.freeze(["axial", "coronal", "sagittal"]);

/** Patient-direction letters at the left, right, top and bottom edge of each orientation. */
export const EDGE_LETTERS = Object.freeze({
  axial: { left: "R", right: "L", top: "A", bottom: "P" },
  coronal: { left: "R", right: "L", top: "S", bottom: "I" },
  sagittal: { left: "A", right: "P", top: "S", bottom: "I" },
});

/** Number of slices of `orientation` in a volume of `dims` = [nz, ny, nx]. */
export function sliceCount(dims, orientation) {
  const [nz, ny, nx] = dims;
  if (orientation === "axial") return nz;
  if (orientation === "coronal") return ny;
  if (orientation === "sagittal") return nx;
  throw new Error(`unknown orientation "${orientation}": use axial, coronal or sagittal`);
}

/** Where slice `index` of `orientation` lies in the flat volume, and its pixel size in mm. */
export function sliceGeometry(dims, spacing, orientation, index) {
  const [nz, ny, nx] = dims;
  const [sz, sy, sx] = spacing;
  const plane = ny * nx;
  const count = sliceCount(dims, orientation);
  if (!Number.isInteger(index) || index < 0 || index >= count) {
    throw new Error(`${orientation} slice ${index} is outside the volume (0..${count - 1})`);
  }
  if (orientation === "axial") {
    return { orientation, index, count, width: nx, height: ny, su: sx, sv: sy,
      base: index * plane, strideU: 1, strideV: nx };
  }
  if (orientation === "coronal") {
    return { orientation, index, count, width: nx, height: nz, su: sx, sv: sz,
      base: (nz - 1) * plane + index * nx, strideU: 1, strideV: -plane };
  }
  return { orientation, index, count, width: ny, height: nz, su: sy, sv: sz,
    base: (nz - 1) * plane + index, strideU: nx, strideV: -plane };
}

/** Copy a slice into a new array of the volume's type, rows top to bottom (for tests, analysis). */
export function extractSlice(data, geom) {
  const out = new data.constructor(geom.width * geom.height);
  let k = 0;
  for (let v = 0; v < geom.height; v++) {
    const row = geom.base + v * geom.strideV;
    for (let u = 0; u < geom.width; u++) out[k++] = data[row + u * geom.strideU];
  }
  return out;
}

/** The highest flat offset a slice reads, plus one: the bytes a streamed volume needs first. */
export function sliceEndOffset(dims, geom) {
  if (geom.orientation === "axial") return geom.base + dims[1] * dims[2];
  return dims[0] * dims[1] * dims[2];
}

/**
 * Where a slice lands in a `boxW` x `boxH` viewport: scaled to fit (keeping the mm aspect),
 * times `zoom`, centred, then moved by `pan` (in viewport pixels). Pixel u covers
 * [left + u * pxW, left + (u + 1) * pxW) horizontally; likewise v with top and pxH.
 */
export function fitSlice(geom, boxW, boxH, zoom = 1, panX = 0, panY = 0) {
  const mmW = geom.width * geom.su;
  const mmH = geom.height * geom.sv;
  const scale = Math.min(boxW / mmW, boxH / mmH) * zoom;
  const pxW = geom.su * scale;
  const pxH = geom.sv * scale;
  const drawW = geom.width * pxW;
  const drawH = geom.height * pxH;
  return { left: (boxW - drawW) / 2 + panX, top: (boxH - drawH) / 2 + panY, pxW, pxH, drawW, drawH };
}

/** The slice position (u, v), continuous with voxel centres at integers, under viewport point (x, y). */
export function pointToSlice(fit, x, y) {
  return { u: (x - fit.left) / fit.pxW - 0.5, v: (y - fit.top) / fit.pxH - 0.5 };
}

/** The canonical `[z, y, x]` voxel of integer slice position (u, v). */
export function sliceToVoxel(dims, geom, u, v) {
  const nz = dims[0];
  if (geom.orientation === "axial") return [geom.index, v, u];
  if (geom.orientation === "coronal") return [nz - 1 - v, geom.index, u];
  return [nz - 1 - v, u, geom.index];
}

/** Where voxel [z, y, x] appears in `orientation`: slice index and position (u, v). */
export function voxelToSlice(dims, orientation, z, y, x) {
  const nz = dims[0];
  if (orientation === "axial") return { index: z, u: x, v: y };
  if (orientation === "coronal") return { index: y, u: x, v: nz - 1 - z };
  return { index: x, u: y, v: nz - 1 - z };
}
