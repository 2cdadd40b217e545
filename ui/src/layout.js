// The viewport grid of a project (ProjectConfig.viewports) as rectangles in a container.

/** Rectangles {x, y, w, h, row, column} for each viewport, row-major, `gap` pixels apart. */
export function gridRects(grid, width, height, gap = 4) {
  const rows = Math.max(1, grid.rows ?? 1);
  const columns = Math.max(1, grid.columns ?? 1);
  const cellW = Math.max(0, (width - gap * (columns - 1)) / columns);
  const cellH = Math.max(0, (height - gap * (rows - 1)) / rows);
  return grid.viewports.slice(0, rows * columns).map((_, i) => {
    const row = Math.floor(i / columns);
    const column = i % columns;
    return {
      x: Math.round(column * (cellW + gap)), y: Math.round(row * (cellH + gap)),
      w: Math.floor(cellW), h: Math.floor(cellH), row, column,
    };
  });
}

/** CSS grid-template values for the same grid (the DOM uses CSS grid; tests use gridRects). */
export function gridTemplate(grid) {
  return {
    gridTemplateRows: `repeat(${Math.max(1, grid.rows ?? 1)}, minmax(0, 1fr))`,
    gridTemplateColumns: `repeat(${Math.max(1, grid.columns ?? 1)}, minmax(0, 1fr))`,
  };
}

/** A volume's name as a reader says it: without .nii.gz/.nii/.dcm and folder suffixes. */
export function volumeLabel(volume) {
  return String(volume).replace(/\.(nii\.gz|nii|dcm|png|jpe?g)$/i, "");
}

/**
 * Each viewport's corner title: its orientation, led by the first layer's volume when the
 * viewports do not all show the same one (a 2×2 grid of four sequences: "T1 · Axial").
 */
export function viewportTitles(viewports) {
  const orientation = (vp) => `${vp.orientation[0].toUpperCase()}${vp.orientation.slice(1)}`;
  const first = viewports.map((vp) => vp.layers?.[0]?.volume ?? "");
  const differ = new Set(first).size > 1;
  return viewports.map((vp, i) => (differ && first[i] ? `${volumeLabel(first[i])} · ${orientation(vp)}` : orientation(vp)));
}
