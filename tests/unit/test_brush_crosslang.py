"""ui/src/brush.js and naesview_app/imaging/brush.py paint exactly the same voxels.

The UI paints with brush.js; the app checks, packs and exports with brush.py. Node runs brush.js on
the same strokes (a subprocess with a timeout) and both results are compared voxel for voxel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from naesview_app.imaging.brush import ORIENTATIONS, paint_stroke, stroke_footprint

BRUSH_JS = Path(__file__).resolve().parents[2] / "ui" / "src" / "brush.js"

NODE_SCRIPT = """
import { paintStroke, sliceGeometry, strokeFootprint } from %s;
let input = "";
for await (const chunk of process.stdin) input += chunk;
const { footprints, volumes } = JSON.parse(input);
const on = (a) => { const out = []; a.forEach((x, i) => { if (x) out.push(i); }); return out; };
const result = {
  footprints: footprints.map((c) => on(strokeFootprint(c.width, c.height, c.su, c.sv,
    { u: c.p0[0], v: c.p0[1] }, { u: c.p1[0], v: c.p1[1] }, c.r))),
  volumes: volumes.map((c) => {
    const mask = new Uint8Array(c.dims[0] * c.dims[1] * c.dims[2]);
    const changes = c.strokes.map((s) => paintStroke(mask,
      sliceGeometry(c.dims, c.spacing, s.orientation, s.index),
      { u: s.p0[0], v: s.p0[1] }, { u: s.p1[0], v: s.p1[1] }, s.r, s.value));
    return { on: on(mask), changes };
  }),
};
process.stdout.write(JSON.stringify(result));
"""


def run_node(payload: dict) -> dict:
    node = shutil.which("node")
    if node is None:
        pytest.fail("node is not installed; the UI tests need Node 20 (apt-get install nodejs)")
    script = NODE_SCRIPT % json.dumps(BRUSH_JS.as_uri())
    done = subprocess.run(
        [node, "--input-type=module", "-e", script],
        input=json.dumps(payload),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def footprint_cases() -> list[dict]:
    rng = np.random.default_rng(2026)
    cases = [
        # Exact ties: voxel centres exactly on the circle must agree too.
        {"width": 21, "height": 21, "su": 1.0, "sv": 1.0, "p0": [10, 10], "p1": [10, 10], "r": 5.0},
        {"width": 21, "height": 21, "su": 0.5, "sv": 2.0, "p0": [10, 10], "p1": [10, 10], "r": 4.0},
        {"width": 30, "height": 9, "su": 1.0, "sv": 1.0, "p0": [2, 4], "p1": [27, 4], "r": 2.0},
        # Sub-voxel brush, a stroke leaving the slice, a zero radius.
        {
            "width": 16,
            "height": 16,
            "su": 1.0,
            "sv": 1.0,
            "p0": [3.5, 3.5],
            "p1": [3.5, 3.5],
            "r": 0.1,
        },
        {"width": 16, "height": 16, "su": 0.8, "sv": 0.8, "p0": [8, 8], "p1": [40, -9], "r": 3.0},
        {
            "width": 16,
            "height": 16,
            "su": 1.0,
            "sv": 1.0,
            "p0": [5.2, 7.9],
            "p1": [9.1, 2.2],
            "r": 0.0,
        },
    ]
    for _ in range(60):
        su, sv = (float(s) for s in rng.choice([0.5, 0.7, 0.8, 1.0, 1.25, 2.5, 3.3], size=2))
        w, h = int(rng.integers(8, 70)), int(rng.integers(8, 70))
        p0 = [float(rng.uniform(-5, w + 5)), float(rng.uniform(-5, h + 5))]
        p1 = (
            p0
            if rng.random() < 0.3
            else [float(rng.uniform(-5, w + 5)), float(rng.uniform(-5, h + 5))]
        )
        r = float(rng.choice([0.3, 1.0, 2.0, 2.5, 3.0, 5.0, float(rng.uniform(0.2, 12))]))
        cases.append({"width": w, "height": h, "su": su, "sv": sv, "p0": p0, "p1": p1, "r": r})
    return cases


def volume_cases() -> list[dict]:
    rng = np.random.default_rng(7)
    cases = []
    for dims, spacing in [([9, 11, 13], [2.5, 0.8, 0.8]), ([17, 6, 10], [1.0, 1.0, 1.0])]:
        strokes = []
        for k in range(24):
            orientation = ORIENTATIONS[k % 3]
            count = {"axial": dims[0], "coronal": dims[1], "sagittal": dims[2]}[orientation]
            size = {"axial": (dims[2], dims[1]), "coronal": (dims[2], dims[0])}.get(
                orientation, (dims[1], dims[0])
            )
            p0 = [float(rng.uniform(0, size[0])), float(rng.uniform(0, size[1]))]
            p1 = [float(rng.uniform(0, size[0])), float(rng.uniform(0, size[1]))]
            strokes.append(
                {
                    "orientation": orientation,
                    "index": int(rng.integers(0, count)),
                    "p0": p0,
                    "p1": p1,
                    "r": float(rng.uniform(0.5, 4)),
                    "value": 0 if k % 5 == 4 else 1,
                }
            )
        cases.append({"dims": dims, "spacing": spacing, "strokes": strokes})
    return cases


def test_js_and_python_paint_the_same_voxels():
    footprints, volumes = footprint_cases(), volume_cases()
    js = run_node({"footprints": footprints, "volumes": volumes})

    for case, js_on in zip(footprints, js["footprints"], strict=True):
        full = np.zeros((case["height"], case["width"]), bool)
        hit = stroke_footprint(
            case["width"], case["height"], case["su"], case["sv"],
            tuple(case["p0"]), tuple(case["p1"]), case["r"],
        )  # fmt: skip
        if hit is not None:
            rect, covered = hit
            full[rect.v0 : rect.v1, rect.u0 : rect.u1] = covered
        assert np.flatnonzero(full).tolist() == js_on, case
    assert sum(len(on) for on in js["footprints"]) > 1000  # the cases really paint

    for case, js_result in zip(volumes, js["volumes"], strict=True):
        mask = np.zeros(case["dims"], np.uint8)
        spacing = tuple(case["spacing"])
        for stroke, js_change in zip(case["strokes"], js_result["changes"], strict=True):
            got = paint_stroke(
                mask, spacing, stroke["orientation"], stroke["index"],
                tuple(stroke["p0"]), tuple(stroke["p1"]), stroke["r"], stroke["value"],
            )  # fmt: skip
            assert got.changed == js_change["changed"], stroke
            js_rect = js_change["rect"]
            assert (got.rect and got.rect._asdict()) == (js_rect and js_rect), stroke
        assert np.flatnonzero(mask).tolist() == js_result["on"]
        assert 0 < mask.sum() < mask.size
