"""Plain helpers shared by the end-to-end tests (the fixtures are in `conftest.py`).

- pages: `new_page` (a Chromium page that records page errors), `app_page` (a fresh app and a page
  on it), `sign_in`, `choose_dataset`, `wait_case`, `shot`;
- the sync server side: `publish` (an owner's project and a reviewer who joined it),
  `review_stack` (the prostate review of `mini.zip`), `wait_reviews`;
- expected pixels, computed here independently of the UI: `canonical_volume`, `expected_view`,
  and `read_viewport` / `assert_shows` to compare them with what a viewport draws.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from naesview_wire import (
    AnswerOption,
    CaseLabel,
    Layer,
    ProjectConfig,
    ProjectCreate,
    ProjectPrivate,
    ProjectPublic,
    Viewport,
    ViewportGrid,
)
from tests.e2e.conftest import BrowserApp, start_browser_app
from tests.sync_server import SignedInUser, SyncServer, sqlite_url, start_sync_server

ROOT = Path(__file__).resolve().parents[2]
SHARED = ROOT.parent / "shared" / "data"
MINI = SHARED / "mini.zip"
EXAMPLES = ROOT / "examples"
SCREENSHOTS = ROOT / "docs" / "screenshots"
VIEW = {"width": 1280, "height": 800}


# -- pages --------------------------------------------------------------------------------------


@contextmanager
def new_page(
    browser,
    errors: list[str],
    *,
    viewport: dict[str, int] = VIEW,
    bypass_csp: bool = True,
    console_errors: bool = True,
) -> Iterator:
    """A page in a context of its own (closed afterwards); page errors, and with
    `console_errors` the console's errors, are appended to `errors`.

    bypass_csp: Playwright's wait_for_function evaluates strings, which the app's CSP forbids."""
    context = browser.new_context(viewport=viewport, bypass_csp=bypass_csp)
    page = context.new_page()
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    if console_errors:
        page.on(
            "console",
            lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None,
        )
    try:
        yield page
    finally:
        context.close()


@contextmanager
def app_page(
    browser, home: Path, errors: list[str], **page_options
) -> Iterator[tuple[BrowserApp, object]]:
    """A fresh `naesview app --browser` on the folders under `home`, and a page (see `new_page`)
    that has loaded it."""
    with start_browser_app(home) as app, new_page(browser, errors, **page_options) as page:
        page.goto(app.url)
        yield app, page


def sign_in(page, server: SyncServer, who: SignedInUser) -> None:
    """Sign in (signing out first if the app still has a session); wait for the project list.
    Waits are generous: a loaded CI machine can take many seconds for a cold first page."""
    page.wait_for_selector("#server, [data-testid=sign-out]", timeout=45000)
    if page.locator("[data-testid=sign-out]").count():
        page.click("[data-testid=sign-out]")
    page.fill("#server", server.base_url)
    page.fill("#username", who.user.username)
    page.fill("#password", who.password)
    page.click("form.signin button[type=submit]")
    page.wait_for_selector("[data-testid=project-list]", timeout=45000)


def choose_dataset(
    page, dataset: Path, *, until: str = "[data-testid=start-review]", timeout: float = 30000
) -> None:
    """Open the (first) project card and give it `dataset`; wait for the `until` selector."""
    page.wait_for_selector("[data-testid=project-card]", timeout=45000).click()
    page.fill("#dataset-path", str(dataset))
    page.click(".path-form button[type=submit]")
    page.wait_for_selector(until, timeout=timeout)


def wait_case(
    page,
    index: int,
    viewports: Sequence[int] = (0, 1, 2),
    *,
    next_cached: bool = False,
    timeout: float = 45000,
) -> None:
    """Wait until the review shows case `index` with every one of `viewports` drawn ("ok"), and
    with `next_cached` until the next case's voxels have arrived ahead too."""
    page.wait_for_function(
        """({ index, viewports, nextCached }) => { const r = window.naesview.review;
           if (!r || r.index !== index) return false;
           r.viewer.renderNow();
           return viewports.every((k) => r.viewer.viewportInfo(k)?.status === "ok")
             && (!nextCached || r.cachedIndices().includes(index + 1)); }""",
        arg={"index": index, "viewports": list(viewports), "nextCached": next_cached},
        timeout=timeout,
    )


def shot(page, name: str, folder: Path) -> Path:
    """A screenshot into `folder`, taken once the page has painted twice; with
    NAESVIEW_UPDATE_SCREENSHOTS set, also into docs/screenshots."""
    page.evaluate("() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    path = folder / name
    page.screenshot(path=str(path))
    if os.environ.get("NAESVIEW_UPDATE_SCREENSHOTS"):  # refresh the documentation's pictures
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / name))
    return path


# -- the sync server side -----------------------------------------------------------------------


@dataclass
class Stack:
    server: SyncServer
    owner: SignedInUser
    reviewer: SignedInUser
    project_id: int


def fingerprint_of(dataset: Path) -> str:
    from naesview_app.datasets.dataset import open_dataset

    with open_dataset(dataset) as opened:
        return opened.fingerprint


def publish(
    server: SyncServer,
    config: ProjectConfig,
    *,
    fingerprint: str,
    case_count: int,
    public: ProjectPublic,
    private: ProjectPrivate | None = None,
) -> Stack:
    """An owner's open project on `server`, and a reviewer who joined it with an invitation."""
    owner = server.new_user("owner")
    detail = owner.client.create_project(
        ProjectCreate(
            public=public,
            private=private or ProjectPrivate(),
            config=config,
            fingerprint=fingerprint,
            case_count=case_count,
            status="open",
        )
    )
    reviewer = server.new_user("reviewer")
    reviewer.client.accept_invitation(owner.client.create_invitation(detail.id).code)
    return Stack(server, owner, reviewer, detail.id)


def wait_reviews(stack: Stack, count: int, timeout: float = 20, project_id=None) -> list:
    """The owner's view of the project's reviews once there are at least `count`."""
    deadline = time.monotonic() + timeout
    records: list = []
    while time.monotonic() < deadline:
        records = stack.owner.client.list_reviews(project_id or stack.project_id)
        if len(records) >= count:
            return records
        time.sleep(0.2)
    raise AssertionError(f"{len(records)} reviews on the server after {timeout} s, wanted {count}")


# -- the prostate review of mini.zip ------------------------------------------------------------

INSTRUCTIONS = """# How to review

Check the **prostate mask** on every slice.

- Press `1` when the mask is good
- Press `2` when it leaks or misses tissue

<script>window.__injected = true</script>
[guide](javascript:alert(1))
"""


def review_config() -> ProjectConfig:
    """Three views of the image: axial with the mask overlaid, coronal, sagittal."""
    return ProjectConfig(
        question="Is the mask acceptable?",
        viewports=ViewportGrid(
            rows=1,
            columns=3,
            viewports=(
                Viewport(
                    orientation="axial",
                    layers=(
                        Layer(volume="image.nii.gz"),
                        Layer(volume="mask.nii.gz", is_mask=True, colour="#ff3030", opacity=0.4),
                    ),
                ),
                Viewport(orientation="coronal", layers=(Layer(volume="image.nii.gz"),)),
                Viewport(orientation="sagittal", layers=(Layer(volume="image.nii.gz"),)),
            ),
        ),
        answers=(
            AnswerOption(value="good", label="Mask is good", key=1),
            AnswerOption(value="bad", label="Mask needs work", key=2),
        ),
        label=CaseLabel(),
        comment="optional",
        timing=True,
    )


def thumbnail_png() -> bytes:
    """A 96×96 PNG: the middle axial slice of mini.zip's case3 (the MNI template)."""
    import io

    from PIL import Image

    array = canonical_volume("case3", "image.nii.gz")
    middle = np.ascontiguousarray(array[array.shape[0] // 2], dtype=np.uint8)
    out = io.BytesIO()
    Image.fromarray(middle).resize((96, 96)).save(out, format="PNG")
    return out.getvalue()


@contextmanager
def review_stack(folder: Path, *, config: ProjectConfig | None = None) -> Iterator[Stack]:
    """A sync server (SQLite) with an owner's project on mini.zip and a reviewer who joined it."""
    with start_sync_server(sqlite_url(folder)) as server:
        yield publish(
            server,
            config or review_config(),
            fingerprint=fingerprint_of(MINI),
            case_count=4,
            public=ProjectPublic(
                title="Prostate masks",
                short_description="Check the automatic prostate segmentation, case by case.",
                thumbnail=thumbnail_png(),
            ),
            private=ProjectPrivate(instructions_md=INSTRUCTIONS),
        )


# -- expected pixels, computed independently of the UI ------------------------------------------


def manifest_volume(dataset: str, case: str, volume: str) -> dict:
    """What `../shared/data/manifest.json` says of a volume (its shape, sha256 of its voxels...)."""
    manifest = json.loads((SHARED / "manifest.json").read_text())
    listed = next(d for d in manifest["datasets"] if d["dataset"] == dataset)
    return next(
        v for c in listed["cases"] if c["name"] == case for v in c["volumes"] if v["name"] == volume
    )


def canonical_volume(case: str, volume: str) -> np.ndarray:
    """The canonical LPS [z, y, x] array of a mini.zip volume, checked against manifest.json."""
    import zipfile

    import SimpleITK as sitk

    expected = manifest_volume("mini.zip", case, volume)
    with zipfile.ZipFile(MINI) as archive, _temp_file(volume) as path:
        path.write_bytes(archive.read(f"{case}/{volume}"))
        image = sitk.DICOMOrient(sitk.ReadImage(str(path)), "LPS")
    array = sitk.GetArrayFromImage(image)
    check = np.ascontiguousarray(array, "<f4")
    assert hashlib.sha256(check.tobytes()).hexdigest() == expected["sha256"]
    assert list(array.shape) == expected["shape"]
    return array


@contextmanager
def _temp_file(name: str) -> Iterator[Path]:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        yield Path(folder) / Path(name).name


def displayed_slice(array: np.ndarray, orientation: str, index: int) -> np.ndarray:
    """The slice as DESIGN.md says it is displayed: rows top to bottom, columns left to right."""
    if orientation == "axial":
        return array[index]
    if orientation == "coronal":
        return array[:, index, :][::-1]
    return array[:, :, index][::-1]


def windowed(values: np.ndarray, center: float, width: float) -> np.ndarray:
    """Grey levels by the UI's definition (ui/src/windowing.js), in float64."""
    grey = np.floor((values.astype(np.float64) - (center - width / 2)) * 255 / width + 0.5)
    return np.clip(grey, 0, 255)


def with_mask(grey: np.ndarray, mask: np.ndarray, colour: tuple[int, int, int], opacity: float):
    rgb = np.repeat(grey[..., None], 3, axis=2)
    inside = mask > 0
    for channel, value in enumerate(colour):
        blended = np.floor(rgb[..., channel] * (1 - opacity) + value * opacity + 0.5)
        rgb[..., channel] = np.where(inside, blended, rgb[..., channel])
    return rgb


def outline_of(mask_slice: np.ndarray) -> np.ndarray:
    """Inside voxels with an outside 4-neighbour in the slice, or on its border."""
    inside = mask_slice > 0
    padded = np.pad(inside, 1, constant_values=False)
    interior = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    interior &= inside
    interior[0, :] = interior[-1, :] = interior[:, 0] = interior[:, -1] = False
    return inside & ~interior


def expected_view(
    array, shown, mask=None, colour=(255, 48, 48), opacity=0.4, outline=False
) -> np.ndarray:
    values = displayed_slice(array, shown["orientation"], shown["index"])
    grey = windowed(values, shown["window"]["center"], shown["window"]["width"])
    if mask is None:
        return np.repeat(grey[..., None], 3, axis=2)
    drawn = displayed_slice(mask, shown["orientation"], shown["index"])
    return with_mask(grey, outline_of(drawn) if outline else drawn, colour, opacity)


READ_VIEWPORT = """(i) => {
  const viewer = window.naesview.review.viewer;
  viewer.renderNow();
  const info = viewer.viewportInfo(i);
  const canvas = viewer.canvas(i);
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const { fit, geom } = info;
  const rgb = [];
  for (let v = 0; v < geom.height; v++) {
    for (let u = 0; u < geom.width; u++) {
      const x = Math.floor(fit.left + (u + 0.5) * fit.pxW);
      const y = Math.floor(fit.top + (v + 0.5) * fit.pxH);
      const outside = x < 0 || y < 0 || x >= canvas.width || y >= canvas.height;
      if (outside) { rgb.push(-1, -1, -1); continue; }
      const o = (y * canvas.width + x) * 4;
      rgb.push(pixels[o], pixels[o + 1], pixels[o + 2]);
    }
  }
  const state = viewer.getState();
  const volume = state.viewports[i].layers[0].volume;
  return { status: info.status, orientation: geom.orientation, index: geom.index,
    width: geom.width, height: geom.height, pxW: fit.pxW, pxH: fit.pxH, rgb,
    window: { center: state.windows[volume].center, width: state.windows[volume].width } };
}"""


def read_viewport(page, index: int) -> dict:
    shown = page.evaluate(READ_VIEWPORT, index)
    shown["rgb"] = np.array(shown["rgb"], dtype=np.int64).reshape(
        shown["height"], shown["width"], 3
    )
    return shown


def assert_shows(shown: dict, expected_rgb: np.ndarray, what: str) -> None:
    """Every voxel on screen within one grey level of the expected colour (voxels zoomed or
    panned off the canvas are read as -1 and skipped)."""
    assert shown["status"] == "ok", what
    assert shown["rgb"].shape == expected_rgb.shape, what
    visible = shown["rgb"][..., 0] >= 0
    assert visible.mean() > 0.2, f"{what}: only {visible.mean():.0%} of the slice is on screen"
    diff = np.abs(shown["rgb"] - expected_rgb)[visible]
    bad = int((diff > 1).sum())
    assert bad == 0, f"{what}: {bad} channel values differ by more than 1 (max {diff.max()})"
