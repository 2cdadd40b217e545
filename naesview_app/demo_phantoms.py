"""Synthetic but plausible-looking images for the demo (numpy only, seeded, deterministic).

- `chest_ct_cases`: contrast-enhanced chest / upper-abdomen CTs in int16 HU (slope 1), each with
  one lesion (a lung nodule or a liver lesion, 8–25 mm) and a lesion mask; every third mask is
  deliberately wrong (shifted, too small or leaking), so both answers of the demo question make
  sense.
- `head_mr_sequences`: one head in four MR contrasts (T1, T1 with gadolinium, T2, FLAIR) with a
  ring-enhancing tumour and oedema.

Speed: the anatomy of two "patients" is built once on a fine grid (`_ChestAnatomy`), and each
case is a nearest-neighbour resampling of one of them (its own pixel size, body size, slice
thickness and extent), plus its own lesion and noise from a shared noise bank. Arrays are
canonical `[z, y, x]` LPS: z runs to the head, y to the back, x to the patient's left.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

# Hounsfield units of the tissues (contrast-enhanced, portal venous phase).
HU_AIR = -1000
HU_FAT = -100
HU_LUNG = -860
HU_MUSCLE = 50
HU_LIVER = 105
HU_SPLEEN = 115
HU_KIDNEY = 165
HU_BLOOD = 160  # aorta, heart chambers, pulmonary and portal vessels
HU_MYOCARDIUM = 95
HU_CANCELLOUS = 260
HU_CORTICAL = 850

# Labels of the base anatomy: where the body is, what organs may overwrite, where a lesion goes.
AIR, WALL, CAVITY, LUNG, LIVER, ORGAN, TABLE = 0, 1, 2, 3, 4, 5, 6
INNER = (CAVITY, LUNG, LIVER, ORGAN)

BASE_PIXEL_MM = 1.25
BASE_SIZE = 288  # 360 mm field of view for the base anatomy
BASE_SLICE_MM = 2.5
BASE_U = np.arange(-160.0, 180.0 + 1e-6, BASE_SLICE_MM)  # u: mm along the body, head up
CT_SIZE = 256
MASK_FLAWS = ("shifted", "too small", "leaking")


@dataclass(frozen=True)
class CtCase:
    image: np.ndarray
    """int16 HU, canonical [z, y, x]."""
    mask: np.ndarray
    """uint8 0/1: the segmentation shown to the reviewer."""
    lesion: np.ndarray
    """bool: where the lesion really is (the mask would be this if it were perfect)."""
    spacing: tuple[float, float, float]
    site: str
    """"lung" or "liver"."""
    diameter_mm: float
    flaw: str | None
    """None for a good mask, else one of MASK_FLAWS."""


def chest_ct_cases(count: int, *, seed: int = 0) -> Iterator[CtCase]:
    """`count` CT cases (case i uses seed + i); lazily, each case built when asked for."""
    anatomies: dict[int, _ChestAnatomy] = {}
    bank = _noise_bank(np.random.default_rng(seed), (64, CT_SIZE + 32, CT_SIZE + 32))
    for i in range(1, count + 1):
        which = (i - 1) % 2
        if which not in anatomies:
            anatomies[which] = _ChestAnatomy(np.random.default_rng(seed + 1000 + which), which)
        yield _ct_case(i, anatomies[which], bank, np.random.default_rng(seed + i))


def ct_case_plan(i: int) -> tuple[str, str | None]:
    """(site, flaw) of case i (1-based): a liver lesion in every fourth case, a wrong mask in
    every third, the flaws taken in turn."""
    site = "liver" if i % 4 == 0 else "lung"
    flaw = MASK_FLAWS[(i // 3 - 1) % len(MASK_FLAWS)] if i % 3 == 0 else None
    return site, flaw


# -- the base anatomy ---------------------------------------------------------------------


def _smooth_bump(u: np.ndarray, lo: float, hi: float, ramp: float) -> np.ndarray:
    """0 outside [lo, hi], 1 inside, with smooth (half-ellipse) ends `ramp` mm long."""
    a = np.clip((u - lo) / ramp, 0, 1)
    b = np.clip((hi - u) / ramp, 0, 1)
    return np.sqrt(np.clip(a * (2 - a), 0, 1) * np.clip(b * (2 - b), 0, 1))


class _ChestAnatomy:
    """One patient's HU and labels on the base grid (BASE_U slices, BASE_SIZE² pixels)."""

    def __init__(self, rng: np.random.Generator, variant: int) -> None:
        self.rng = rng
        n = BASE_SIZE
        self.coord = (np.arange(n, dtype=np.float32) - (n - 1) / 2) * BASE_PIXEL_MM
        shape = (BASE_U.size, n, n)
        self.hu = np.full(shape, HU_AIR, dtype=np.float32)
        self.label = np.zeros(shape, dtype=np.uint8)
        self.width = 158.0 + 10 * variant + rng.uniform(-4, 4)  # half width of the body, mm
        self.depth = 108.0 + 6 * variant + rng.uniform(-4, 4)  # half depth (front to back)
        self._body()
        self._thorax()
        self._abdomen()
        self._mediastinum()
        self._bones()
        self._vessel_trees()
        _blur_inplane(self.hu)
        _blur_inplane(self.hu)  # twice: edges survive the resampling to each case's pixels

    # painting helpers --------------------------------------------------------------------

    def _region(
        self,
        present: np.ndarray,
        cx: np.ndarray | float,
        cy: np.ndarray | float,
        ax: np.ndarray | float,
        ay: np.ndarray | float,
        angle: float = 0.0,
    ) -> tuple[tuple[slice, slice, slice], np.ndarray] | None:
        """An ellipse per slice (centre, semi-axes scaled by `present` ∈ [0, 1]): its bounding
        box on the base grid and the inside mask there."""
        zs = np.flatnonzero(present > 0.02)
        if zs.size == 0:
            return None
        z0, z1 = int(zs[0]), int(zs[-1]) + 1
        u = present[z0:z1]
        cx = np.broadcast_to(np.asarray(cx, dtype=np.float32), present.shape)[z0:z1]
        cy = np.broadcast_to(np.asarray(cy, dtype=np.float32), present.shape)[z0:z1]
        ax = np.broadcast_to(np.asarray(ax, dtype=np.float32), present.shape)[z0:z1] * u
        ay = np.broadcast_to(np.asarray(ay, dtype=np.float32), present.shape)[z0:z1] * u
        reach = np.maximum(ax, ay) if angle else None
        rx = reach if reach is not None else ax
        ry = reach if reach is not None else ay
        c = self.coord
        x0, x1 = np.searchsorted(c, (cx - rx).min()), np.searchsorted(c, (cx + rx).max())
        y0, y1 = np.searchsorted(c, (cy - ry).min()), np.searchsorted(c, (cy + ry).max())
        if x1 <= x0 or y1 <= y0:
            return None
        X = c[x0:x1][None, None, :] - cx[:, None, None]
        Y = c[y0:y1][None, :, None] - cy[:, None, None]
        if angle:
            cos, sin = np.float32(np.cos(angle)), np.float32(np.sin(angle))
            X, Y = X * cos + Y * sin, Y * cos - X * sin
        a2 = np.maximum(ax, 1e-3)[:, None, None] ** 2
        b2 = np.maximum(ay, 1e-3)[:, None, None] ** 2
        inside = X * X / a2 + Y * Y / b2 <= 1
        return (slice(z0, z1), slice(y0, y1), slice(x0, x1)), inside

    def _paint(
        self,
        hu: float,
        label: int,
        present: np.ndarray,
        cx: np.ndarray | float,
        cy: np.ndarray | float,
        ax: np.ndarray | float,
        ay: np.ndarray | float,
        *,
        angle: float = 0.0,
        only: tuple[int, ...] | None = INNER,
    ) -> None:
        found = self._region(present, cx, cy, ax, ay, angle)
        if found is None:
            return
        box, inside = found
        if only is not None:
            inside &= np.isin(self.label[box], only)
        self.hu[box][inside] = hu
        self.label[box][inside] = label

    # the anatomy --------------------------------------------------------------------------

    def _body(self) -> None:
        """Skin outline with subcutaneous fat, a muscle wall, the body cavity; the table."""
        c = self.coord
        x, y = c[None, :], c[:, None]
        # A rounded rectangle, flatter at the back (the patient lies on the table).
        back = y > 0
        py = np.where(back, 3.2, 2.3)
        shape = (np.abs(x / self.width) ** 2.3 + np.abs(y / self.depth) ** py) ** (1 / 2.3)
        u = BASE_U
        scale = 1 + 0.025 * np.sin(u / 45) - 0.05 * _smooth_bump(u, 120, 400, 60)
        fat_mm = 14 + 8 * _smooth_bump(u, -400, -20, 60)  # more fat round the belly
        layers = (
            (scale, HU_FAT),
            (scale - fat_mm / self.width, HU_MUSCLE),
            (scale - (fat_mm + 12) / self.width, HU_FAT - 10),  # cavity: mediastinal fat
        )
        for (level, value), label in zip(layers, (WALL, WALL, CAVITY), strict=True):
            inside = shape[None] <= level[:, None, None].astype(np.float32)
            self.hu[inside] = value
            self.label[inside] = label
        self.cavity = scale - (fat_mm + 12) / self.width
        self.outline = shape
        # The table: a thin curved carbon plate under the patient.
        bottom = self.depth * scale.max() + 3
        arc = bottom - 0.0007 * x**2  # a cradle, higher at the sides
        plate = (np.abs(y - arc) < 2.2) & (np.abs(x) < 170) & (shape > 1.06)
        self.hu[:, plate] = 180
        self.label[:, plate] = TABLE
        # Paraspinal muscles, all the way down.
        for side in (-1, 1):
            self._paint(
                HU_MUSCLE, WALL, np.ones_like(u), side * 34, self.depth * 0.76, 26, 22, only=None
            )

    def _thorax(self) -> None:
        u = BASE_U
        rng = self.rng
        lung = _smooth_bump(u, -55, 250, 85) * (1 - 0.45 * _smooth_bump(u, 140, 400, 60))
        for side in (-1, 1):
            cx = side * (self.width * 0.47 + rng.uniform(-3, 3))
            cy = 6 + 22 * (1 - _smooth_bump(u, -55, 400, 80))  # the bases reach down at the back
            self._paint(
                HU_LUNG, LUNG, lung, cx, cy, self.width * 0.38, self.depth * 0.78, only=(CAVITY,)
            )
        # Gravity: the dependent (back) lung is a little denser.
        grad = (self.coord[None, :, None] / self.depth).clip(-1, 1) * 30
        self.hu += np.where(self.label == LUNG, grad.astype(np.float32), np.float32(0))
        # Heart with its chambers, in the front left, above the diaphragm.
        heart = _smooth_bump(u, -15, 95, 35)
        ventricles = _smooth_bump(u, -15, 70, 30)
        atria = _smooth_bump(u, 35, 95, 20)
        hx, hy = 22.0, -32.0
        self._paint(HU_FAT - 10, ORGAN, heart, hx, hy, 66, 53, angle=0.6)
        self._paint(HU_MYOCARDIUM, ORGAN, heart, hx, hy, 60, 47, angle=0.6)
        self._paint(HU_BLOOD, ORGAN, ventricles, hx + 18, hy + 9, 22, 17, angle=0.6)  # LV
        self._paint(HU_BLOOD - 10, ORGAN, ventricles, hx - 13, hy - 20, 31, 12, angle=0.6)  # RV
        self._paint(HU_BLOOD - 10, ORGAN, heart * atria, hx - 38, hy + 8, 19, 22)  # RA
        self._paint(HU_BLOOD, ORGAN, heart * atria, hx + 4, hy + 32, 30, 15)  # LA

    def _abdomen(self) -> None:
        u, rng, w, d = BASE_U, self.rng, self.width, self.depth
        # Liver: right upper quadrant, dome under the right lung.
        liver = _smooth_bump(u, -150, 28, 70)
        self._paint(HU_LIVER, LIVER, liver, -w * 0.3, -d * 0.05, w * 0.62, d * 0.78)
        self._paint(HU_LIVER, LIVER, liver * 0.7, w * 0.05, -d * 0.35, w * 0.35, d * 0.35)
        # Spleen, left and back; the stomach in front of it with an air-fluid level.
        self._paint(HU_SPLEEN, ORGAN, _smooth_bump(u, -110, -5, 40), w * 0.6, d * 0.35, 30, 48)
        stomach = _smooth_bump(u, -95, -10, 40)
        self._paint(HU_MUSCLE, ORGAN, stomach, w * 0.35, -d * 0.25, 45, 38)
        self._paint(10, ORGAN, stomach, w * 0.35, -d * 0.25, 40, 33)
        self._paint(HU_AIR, ORGAN, stomach, w * 0.35, -d * 0.25 - 22, 28, 12)
        # Kidneys (the right one lower), with renal sinus fat.
        for side, top in ((-1, -75), (1, -62)):
            k = _smooth_bump(u, top - 110, top, 45)
            cx, cy = side * w * 0.42, d * 0.5
            self._paint(HU_KIDNEY, ORGAN, k, cx, cy, 26, 34, angle=-side * 0.5)
            self._paint(-60, ORGAN, k * 0.8, cx - side * 4, cy - 4, 9, 14, angle=-side * 0.5)
        # Bowel loops low in the front, some with a little gas.
        for _ in range(10):
            end = rng.uniform(-150, -80)
            loop = _smooth_bump(u, end - 60, end, 25)
            bx, by = rng.uniform(-0.2, 0.55) * w, rng.uniform(-0.7, -0.1) * d
            self._paint(35, ORGAN, loop, bx, by, rng.uniform(12, 22), rng.uniform(10, 18))
            if rng.uniform() < 0.5:
                self._paint(HU_AIR, ORGAN, loop, bx, by - 4, 6, 4)

    def _mediastinum(self) -> None:
        u, d = BASE_U, self.depth
        every = np.ones_like(u)
        fat = _smooth_bump(u, 60, 400, 20)
        self._paint(HU_FAT - 10, CAVITY, fat, 0, -d * 0.2, 34, d * 0.55, only=(LUNG, CAVITY))
        # Aorta: descending left of the spine, arch at the top, ascending in front.
        cx = np.where(u > -40, 24.0, 12.0 + 12 * np.clip((u + 80) / 40, 0, 1))
        cy = d * 0.42 - np.where(u < -40, 6, 0)
        self._paint(HU_BLOOD, ORGAN, every * _smooth_bump(u, -400, 128, 8), cx, cy, 12, 12)
        self._paint(HU_BLOOD, ORGAN, _smooth_bump(u, 85, 126, 6), 6, -30, 15, 15)
        arch = _smooth_bump(u, 118, 134, 6)
        self._paint(HU_BLOOD, ORGAN, arch, 14, 0.5 * (d * 0.42 - 30), 14, 0.5 * (d * 0.42 + 30) + 6)
        self._paint(HU_BLOOD, ORGAN, _smooth_bump(u, 75, 104, 8), 26, -26, 14, 13)  # pulmonary
        self._paint(HU_BLOOD - 20, ORGAN, _smooth_bump(u, 90, 175, 6), -24, -22, 9, 9)  # SVC
        self._paint(130, ORGAN, _smooth_bump(u, -400, -5, 10), -24, d * 0.22, 11, 13)  # IVC
        # Trachea and main bronchi, the oesophagus behind them.
        trachea = _smooth_bump(u, 108, 400, 4)
        self._paint(30, ORGAN, trachea, 0, d * 0.14, 12, 11)
        self._paint(HU_AIR, ORGAN, trachea, 0, d * 0.14, 9.5, 8.5)
        for side in (-1, 1):
            bronchus = _smooth_bump(u, 80, 110, 4)
            self._paint(HU_AIR, ORGAN, bronchus, side * 17, d * 0.2, 6, 6)
        self._paint(35, ORGAN, _smooth_bump(u, -60, 400, 8), 8, d * 0.33, 7, 6)

    def _bones(self) -> None:
        u, rng, w, d = BASE_U, self.rng, self.width, self.depth
        every = np.ones_like(u)
        # Vertebrae: a body with a cortical rim, discs every ~28 mm, the posterior arch.
        phase = rng.uniform(0, 28)
        disc = ((u + phase) % 28) < 6
        bone = np.where(disc, 0.0, 1.0)
        vy = d * 0.58
        self._paint(HU_CORTICAL, WALL, every, 0, vy, 20, 17, only=None)
        self._paint(HU_CANCELLOUS, WALL, bone, 0, vy, 17, 14, only=None)
        self._paint(80, WALL, 1 - bone, 0, vy, 20.5, 17.5, only=None)  # disc
        self._paint(HU_CORTICAL - 200, WALL, every, 0, vy + 26, 15, 12, only=None)  # arch
        self._paint(20, WALL, every, 0, vy + 24, 8, 7.5, only=None)  # spinal canal
        self._paint(HU_CORTICAL - 300, WALL, every, 0, vy + 38, 4, 9, only=None)  # spinous process
        for side in (-1, 1):
            self._paint(
                HU_CORTICAL - 300, WALL, bone, side * 24, vy + 14, 12, 5, only=None
            )  # transverse
        # Sternum in front of the heart.
        sternum = _smooth_bump(u, 20, 400, 10)
        front = -d * self.cavity.mean() - 3
        self._paint(HU_CORTICAL - 150, WALL, sternum, 0, front, 15, 6, only=None)
        self._paint(HU_CANCELLOUS, WALL, sternum, 0, front, 12, 3.5, only=None)
        # Ribs: pieces of the cage ring, their pattern moving along the body as ribs slope.
        c = self.coord
        x, y = c[None, :], c[:, None]
        theta = np.arctan2(y / d, np.abs(x) / w)  # the same on both sides
        ring = self.outline
        ribs_at = np.flatnonzero(_smooth_bump(u, -70, 400, 20) > 0)
        # Not in front (costal cartilage there) nor behind the spine (the ribs start beside it).
        lateral = np.where(y > 0, np.abs(x) > 42, np.abs(x) > 0.3 * w)
        r = self.cavity[ribs_at, None] + 0.04
        near = lateral & (ring > r.min() - 0.03) & (ring < r.max() + 0.03)
        where = np.flatnonzero(near)
        ring_at, theta_at = ring.ravel()[where][None, :], theta.ravel()[where][None, :]
        off = np.abs(ring_at - r)
        stripes = np.cos(8 * theta_at + u[ribs_at, None] / 8.0) > 0.75
        keep = (off < 0.03) & stripes
        value = np.where(off < 0.016, np.float32(330), np.float32(HU_CORTICAL - 100))
        plane = self.hu.reshape(self.hu.shape[0], -1)
        rows = plane[ribs_at[:, None], where[None, :]]
        plane[ribs_at[:, None], where[None, :]] = np.where(keep, value, rows)

    def _vessel_trees(self) -> None:
        """Branching vessels in the lungs (from each hilum) and in the liver (from the porta):
        short tubes sampled every millimetre, stamped as discs into the slices they cross."""
        rng, w, d = self.rng, self.width, self.depth
        points: list[np.ndarray] = []
        for side in (-1, 1):
            hilum = np.array([side * 42, 4, 70], dtype=np.float64)
            for _ in range(18):
                direction = np.array(
                    [side * rng.uniform(0.3, 1), rng.uniform(-0.8, 0.9), rng.uniform(-1.1, 1.3)]
                )
                points += _branch(rng, hilum, direction / np.linalg.norm(direction), 50, 5.0, 3)
        lung_points = np.concatenate(points)
        porta = np.array([-w * 0.18, d * 0.05, -60], dtype=np.float64)
        points = []
        for _ in range(5):
            direction = np.array(
                [-rng.uniform(0.2, 1), rng.uniform(-0.8, 0.6), rng.uniform(-0.3, 0.8)]
            )
            points += _branch(rng, porta, direction / np.linalg.norm(direction), 45, 5.0, 2)
        liver_points = np.concatenate(points)
        for pts, where, value in ((lung_points, LUNG, 110.0), (liver_points, LIVER, 175.0)):
            hit = self._stamp(pts)
            hit &= self.label == where
            self.hu[hit] = value

    def _stamp(self, pts: np.ndarray) -> np.ndarray:
        """Discs of radius pts[:, 3] (mm) around pts[:, :3] = (x, y, u) mm, in their slice."""
        hit = np.zeros(self.hu.shape, dtype=bool)
        n = BASE_SIZE
        zi = np.rint((pts[:, 2] - BASE_U[0]) / BASE_SLICE_MM).astype(np.int64)
        yi = np.rint(pts[:, 1] / BASE_PIXEL_MM + (n - 1) / 2).astype(np.int64)
        xi = np.rint(pts[:, 0] / BASE_PIXEL_MM + (n - 1) / 2).astype(np.int64)
        r = pts[:, 3] / BASE_PIXEL_MM
        ok = (zi >= 0) & (zi < BASE_U.size)
        reach = int(np.ceil(r.max()))
        for dy in range(-reach, reach + 1):
            for dx in range(-reach, reach + 1):
                on = ok & (dy * dy + dx * dx <= r * r)
                hit[zi[on], np.clip(yi[on] + dy, 0, n - 1), np.clip(xi[on] + dx, 0, n - 1)] = True
        return hit


def _branch(
    rng: np.random.Generator,
    start: np.ndarray,
    direction: np.ndarray,
    length: float,
    radius: float,
    depth: int,
) -> list[np.ndarray]:
    """Points (x, y, u, radius) every 1 mm along a vessel and its branches."""
    steps = np.arange(0, length, 1.0)[:, None]
    end_radius = radius * 0.7
    r = radius + (end_radius - radius) * steps[:, 0] / length
    line = start[None, :] + steps * direction[None, :]
    out = [np.column_stack([line, r])]
    if depth > 0:
        end = start + length * direction
        for _ in range(2):
            turn = direction + rng.normal(0, 0.55, 3)
            turn /= np.linalg.norm(turn)
            out += _branch(rng, end, turn, length * 0.62, end_radius * 0.8, depth - 1)
    return out


def _blur_inplane(a: np.ndarray) -> None:
    """A [1, 2, 1]/4 blur along y and x, in place: partial-volume edges, not pixel steps."""
    for axis in (1, 2):
        lo = [slice(None)] * 3
        mid = [slice(None)] * 3
        hi = [slice(None)] * 3
        lo[axis], mid[axis], hi[axis] = slice(0, -2), slice(1, -1), slice(2, None)
        inner = np.add(a[tuple(lo)], a[tuple(hi)])
        inner += a[tuple(mid)]
        inner += a[tuple(mid)]
        np.multiply(inner, np.float32(0.25), out=a[tuple(mid)])


def _noise_bank(rng: np.random.Generator, shape: tuple[int, int, int]) -> np.ndarray:
    """Unit-σ noise with a little in-plane correlation (CT noise is not white)."""
    noise = rng.standard_normal(size=shape, dtype=np.float32)
    _blur_inplane(noise)
    noise /= noise.std()
    return noise


# -- one case -------------------------------------------------------------------------------


def _ct_case(i: int, anatomy: _ChestAnatomy, bank: np.ndarray, rng: np.random.Generator) -> CtCase:
    site, flaw = ct_case_plan(i)
    slices = int(rng.integers(40, 65))
    dz = float(rng.choice([2.5, 3.0]))
    pixel = round(float(rng.uniform(1.2, 1.5)), 3)
    size = rng.uniform(0.9, 1.04) * np.array([1.0, rng.uniform(0.96, 1.04)])  # body x, y scale
    diameter = float(rng.uniform(8, 22) if site == "lung" else rng.uniform(12, 25))
    centre = _place_lesion(anatomy, rng, site, diameter, half_extent=slices // 2 * dz + dz)
    # The case's grid in base coordinates (nearest neighbour): the lesion on the middle slice.
    u = centre[2] + (np.arange(slices) - slices // 2) * dz
    zi = np.clip(np.rint((u - BASE_U[0]) / BASE_SLICE_MM), 0, BASE_U.size - 1).astype(np.intp)
    offset = np.array([rng.uniform(-8, 8), rng.uniform(-4, 10)])  # patient off-centre, mm
    room = (CT_SIZE / 2 * pixel - 6 - np.abs(offset)) / (
        np.array([anatomy.width, anatomy.depth + 8]) * 1.03
    )
    size = np.minimum(size, room)  # the whole body in the field of view
    mm = (np.arange(CT_SIZE) - (CT_SIZE - 1) / 2) * pixel
    n = BASE_SIZE
    xi = np.rint(((mm - offset[0]) / size[0]) / BASE_PIXEL_MM + (n - 1) / 2)
    yi = np.rint(((mm - offset[1]) / size[1]) / BASE_PIXEL_MM + (n - 1) / 2)
    xi = np.clip(xi, 0, n - 1).astype(np.intp)
    yi = np.clip(yi, 0, n - 1).astype(np.intp)
    pixels = (yi[:, None] * n + xi[None, :]).ravel()  # one take per slice: 3× faster than ix_
    image = anatomy.hu.reshape(BASE_U.size, -1)[zi].take(pixels, axis=1)
    image = image.reshape(slices, CT_SIZE, CT_SIZE)
    outside = anatomy.label.reshape(BASE_U.size, -1)[zi].take(pixels, axis=1) == AIR
    outside = outside.reshape(image.shape) & (image <= HU_AIR + 0.5)  # keep the blurred skin
    # The lesion, in case millimetres (its centre mapped through the same scale and offset).
    half = (CT_SIZE - 1) / 2 * pixel
    lx = centre[0] * size[0] + offset[0] + half
    ly = centre[1] * size[1] + offset[1] + half
    lz = (slices // 2) * dz
    box, soft = _lesion(rng, image.shape, (dz, pixel, pixel), (lz, ly, lx), diameter, site)
    value = np.float32(rng.uniform(25, 50) if site == "lung" else rng.uniform(0, 25))
    image[box] += soft * (value - image[box])
    truth = np.zeros(image.shape, dtype=bool)
    truth[box] = soft >= 0.5
    # Noise from the bank: a window at a case-dependent offset; none in the air around.
    sigma = np.float32(rng.uniform(10, 15))
    oy, ox = (int(v) for v in rng.integers(0, bank.shape[1] - CT_SIZE, 2))
    oz = int(rng.integers(0, bank.shape[0] - slices + 1))
    image += sigma * bank[oz : oz + slices, oy : oy + CT_SIZE, ox : ox + CT_SIZE]
    np.copyto(image, np.float32(HU_AIR), where=outside)
    np.rint(image, out=image)
    ct = np.clip(image, -1024, 3071, out=image).astype(np.int16)
    mask = _flawed_mask(rng, truth, flaw, diameter / pixel)
    return CtCase(ct, mask, truth, (dz, pixel, pixel), site, diameter, flaw)


def _place_lesion(
    anatomy: _ChestAnatomy,
    rng: np.random.Generator,
    site: str,
    diameter: float,
    half_extent: float,
) -> np.ndarray:
    """A centre (x, y, u) mm where a ball of `diameter` lies inside the lung (or liver)."""
    want = LUNG if site == "lung" else LIVER
    lo_u, hi_u = (5.0, 90.0) if site == "lung" else (-95.0, -5.0)
    lo_u = max(lo_u, BASE_U[0] + half_extent)
    hi_u = min(hi_u, BASE_U[-1] - half_extent)
    r = diameter / 2
    ball = rng.normal(size=(40, 3))
    ball *= (r * rng.uniform(0.3, 1.15, 40) / np.linalg.norm(ball, axis=1))[:, None]
    n = BASE_SIZE
    best, best_score = None, -1.0
    for _ in range(400):
        c = np.array(
            [
                rng.uniform(-0.8, 0.8) * anatomy.width,
                rng.uniform(-0.8, 0.8) * anatomy.depth,
                rng.uniform(lo_u, hi_u),
            ]
        )
        p = c[None, :] + ball
        zi = np.clip(np.rint((p[:, 2] - BASE_U[0]) / BASE_SLICE_MM), 0, BASE_U.size - 1)
        yi = np.clip(np.rint(p[:, 1] / BASE_PIXEL_MM + (n - 1) / 2), 0, n - 1)
        xi = np.clip(np.rint(p[:, 0] / BASE_PIXEL_MM + (n - 1) / 2), 0, n - 1)
        inside = anatomy.label[zi.astype(np.intp), yi.astype(np.intp), xi.astype(np.intp)]
        score = float(np.mean(inside == want))
        if score > best_score:
            best, best_score = c, score
        if score == 1.0:
            break
    assert best is not None
    return best


def _lesion(
    rng: np.random.Generator,
    shape: tuple[int, ...],
    spacing: tuple[float, float, float],
    centre: tuple[float, float, float],
    diameter: float,
    site: str,
) -> tuple[tuple[slice, ...], np.ndarray]:
    """A lobulated ball: its bounding box in the image and, there, its 0..1 membership with a
    partial-volume edge (the lesion itself is where that is ≥ 0.5)."""
    r = diameter / 2
    grids = []
    box = []
    for axis in range(3):
        n, s, c = shape[axis], spacing[axis], centre[axis]
        lo = max(0, int(np.floor((c - r * 1.4) / s)))
        hi = min(n, int(np.ceil((c + r * 1.4) / s)) + 1)
        box.append(slice(lo, hi))
        grids.append(np.arange(lo, hi, dtype=np.float32) * s - np.float32(c))
    z, y, x = grids[0][:, None, None], grids[1][None, :, None], grids[2][None, None, :]
    stretch = rng.uniform(0.85, 1.15, 3).astype(np.float32)
    dist = np.sqrt((z / stretch[0]) ** 2 + (y / stretch[1]) ** 2 + (x / stretch[2]) ** 2)
    theta = np.arctan2(y, x)
    wobble = 1 + (0.12 if site == "lung" else 0.06) * np.sin(
        3 * theta + rng.uniform(0, 6.3)
    ) * np.cos(z / max(r, 1) * 1.5)
    edge = 0.8  # mm of partial volume
    return tuple(box), np.clip((r * wobble - dist) / edge + 0.5, 0, 1)


def _flawed_mask(
    rng: np.random.Generator,
    truth: np.ndarray,
    flaw: str | None,
    diameter_px: float,
) -> np.ndarray:
    """The segmentation: the truth, or the truth shifted, shrunk, or leaking outward."""
    if flaw is None:
        return truth.astype(np.uint8)
    if flaw == "shifted":
        step = max(2, round(0.55 * diameter_px))
        angle = rng.uniform(0, 2 * np.pi)
        dy, dx = round(step * np.sin(angle)), round(step * np.cos(angle))
        return np.roll(truth, (dy, dx), axis=(1, 2)).astype(np.uint8)
    zs, ys, xs = np.nonzero(truth)
    cz, cy, cx = zs.mean(), ys.mean(), xs.mean()
    zz, yy, xx = np.ogrid[: truth.shape[0], : truth.shape[1], : truth.shape[2]]
    if flaw == "too small":
        rz = max(0.6, (np.ptp(zs) + 1) / 2 * 0.45)
        ry = (np.ptp(ys) + 1) / 2 * 0.5
        rx = (np.ptp(xs) + 1) / 2 * 0.5
        core = ((zz - cz) / rz) ** 2 + ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 <= 1
        return (core & truth).astype(np.uint8)
    # leaking: a tongue out of the lesion into the tissue next to it.
    angle = rng.uniform(0, 2 * np.pi)
    r = diameter_px / 2
    ty, tx = cy + 1.4 * r * np.sin(angle), cx + 1.4 * r * np.cos(angle)
    rz = max(1.0, (np.ptp(zs) + 1) / 2)
    tongue = ((zz - cz) / rz) ** 2 + ((yy - ty) / r) ** 2 + ((xx - tx) / r) ** 2 <= 1
    return (truth | tongue).astype(np.uint8)


# -- MR ---------------------------------------------------------------------------------------

# Tissue labels of the head, and their intensity in each sequence (arbitrary units, as in MR).
_MR_TISSUES = (
    "background", "skin", "bone", "marrow", "csf", "gm", "wm", "deep", "eye", "fat", "muscle",
    "rim", "necrosis", "oedema", "sinus",
)  # fmt: skip
_MR_CONTRAST = {
    "T1": (0, 750, 40, 700, 180, 560, 820, 640, 160, 1000, 430, 520, 300, 500, 10),
    "T1GD": (0, 760, 40, 720, 190, 570, 820, 650, 170, 1000, 470, 1350, 320, 520, 10),
    "T2": (0, 600, 30, 500, 1500, 700, 450, 600, 1550, 800, 380, 820, 1350, 1100, 10),
    "FLAIR": (0, 600, 30, 450, 60, 640, 430, 580, 80, 650, 320, 850, 420, 1050, 10),
}
_T = {name: k for k, name in enumerate(_MR_TISSUES)}


def head_mr_sequences(
    shape: tuple[int, int, int],
    spacing: tuple[float, float, float],
    *,
    seed: int = 0,
) -> dict[str, np.ndarray]:
    """T1, T1GD, T2 and FLAIR int16 images of one head (same grid), keyed by sequence: scalp,
    skull with marrow, folded cortex, white matter, ventricles, deep grey matter, eyes, and a
    ring-enhancing tumour with a necrotic core and oedema round it."""
    rng = np.random.default_rng(seed)
    nz, ny, nx = shape
    sz, sy, sx = spacing
    k = np.float32(rng.uniform(0.9, 1.0))  # head size
    z = ((np.arange(nz, dtype=np.float32) - nz * 0.45) * sz / k)[:, None, None]
    y = ((np.arange(ny, dtype=np.float32) - (ny - 1) / 2) * sy / k + 4)[None, :, None]
    x = ((np.arange(nx, dtype=np.float32) - (nx - 1) / 2) * sx / k)[None, None, :]
    label = np.zeros(shape, dtype=np.uint8)

    def ellipsoid(cz: float, cy: float, cx: float, rz: float, ry: float, rx: float) -> np.ndarray:
        return ((z - cz) / rz) ** 2 + ((y - cy) / ry) ** 2 + ((x - cx) / rx) ** 2

    head = ellipsoid(0, 0, 0, 82, 92, 72)
    # The brain sits higher in front (the orbits are under the frontal lobes).
    brain = ((z - 6 + 0.3 * np.minimum(y, 0)) / 70) ** 2 + (y / 82) ** 2 + (x / 63) ** 2
    label[head <= 1] = _T["skin"]
    label[head <= 0.93**2] = _T["bone"]
    label[(head <= 0.91**2) & (head > 0.87**2)] = _T["marrow"]
    label[head <= 0.85**2] = _T["muscle"]  # below the brain: face and skull base
    label[(head <= 0.85**2) & (z > -25)] = _T["csf"]
    label[brain <= 1] = _T["gm"]
    # Cortex: sulci run in from the surface; grey matter lines them, white matter fills the rest.
    plane_y, plane_x = np.broadcast_arrays(y[0], x[0])
    theta = np.arctan2(plane_y / 82, plane_x / 63)
    rho = np.hypot(plane_y, plane_x)
    theta = theta + 0.05 * np.sin(rho / 9 + rng.uniform(0, 6.3))
    zz = z[:, 0, 0]
    depth_mm = (1 - np.sqrt(brain)) * 66
    bend = 0.7 * np.sin(depth_mm / 6 + rng.uniform(0, 6.3))  # sulci curve as they go in
    field = np.zeros(shape, dtype=np.float32)
    for kt, kz in ((11, 0.05), (7, -0.08), (16, 0.11), (23, -0.04)):
        along = (kz * zz + rng.uniform(0, 6.3)).astype(np.float32)
        field += np.sin(kt * theta[None] + along[:, None, None] + bend)
    sulcus_mm = np.abs(field) * (rho[None] + 10) / 20
    reach = 12 + 5 * np.sin(6 * theta[None] + 0.07 * z + rng.uniform(0, 6.3))  # sulcal depth
    to_csf = np.where(depth_mm < reach, np.minimum(depth_mm, sulcus_mm), depth_mm)
    in_brain = brain <= 1
    label[in_brain & (to_csf > 3.2)] = _T["wm"]
    label[in_brain & ((to_csf < 0.7) | (depth_mm < 1.0))] = _T["csf"]
    # Interhemispheric fissure (above the ventricles), lateral ventricles, deep grey nuclei.
    label[in_brain & (np.abs(x) < 1.5) & ((z > 18) | (y < -30) | (y > 40))] = _T["csf"]
    for side in (-1, 1):
        label[in_brain & (ellipsoid(-2, 2, side * 20, 13, 17, 10) <= 1)] = _T["deep"]
    for side in (-1, 1):
        cx = side * (4 + 0.006 * (y + 2) ** 2)
        horn = ((x - cx) / (3 + 0.09 * np.abs(y + 2))) ** 2 + ((y + 2) / 36) ** 2
        label[horn + ((z - 14) / 10) ** 2 <= 1] = _T["csf"]
    # Eyes and orbital fat in front, low; the sinus between them.
    for side in (-1, 1):
        orbit = ellipsoid(-34, -58, side * 30, 15, 19, 17)
        label[(orbit <= 1) & (head <= 1)] = _T["fat"]
        label[ellipsoid(-34, -62, side * 30, 11, 11, 11) <= 1] = _T["eye"]
    label[(ellipsoid(-38, -52, 0, 16, 18, 9) <= 1) & (brain > 1)] = _T["sinus"]
    # Tumour: enhancing rim, necrotic core, oedema spreading into the white matter round it.
    side = 1 if rng.uniform() < 0.5 else -1
    tc = (rng.uniform(2, 12), rng.uniform(-30, 25), side * rng.uniform(25, 34))
    tr = rng.uniform(10, 15)
    tumour = ellipsoid(*tc, tr, tr * 1.1, tr * 0.95)
    wobble = (1 + 0.25 * field).clip(0.6, 1.6)
    oedema = (tumour * wobble <= 2.0**2) & (label == _T["wm"])
    label[oedema] = _T["oedema"]
    label[tumour <= 1] = _T["rim"]
    label[tumour <= 0.6**2] = _T["necrosis"]
    air = head > 1.1**2  # beyond a rim of noise round the head: 0 (as many scanners store it)
    del field, depth_mm, sulcus_mm, to_csf, tumour, oedema, brain, head
    # Per sequence: intensities by tissue, partial-volume blur, coil shading, Rician noise.
    bias = (1 + 0.07 * (x / 80) - 0.05 * (y / 90) + 0.05 * (z / 80)).astype(np.float32)
    pad = 24
    bank = rng.standard_normal(size=(2, nz, ny + pad, nx + pad), dtype=np.float32)
    out: dict[str, np.ndarray] = {}
    for name, values in _MR_CONTRAST.items():
        signal = np.asarray(values, dtype=np.float32)[label]
        _blur_inplane(signal)
        signal *= bias
        oy, ox = (int(v) for v in rng.integers(0, pad, 2))
        sigma = np.float32(14)
        signal += sigma * bank[0, :, oy : oy + ny, ox : ox + nx]
        imag = sigma * bank[1, :, ox : ox + ny, oy : oy + nx]
        magnitude = np.sqrt(signal * signal + imag * imag)
        magnitude[air] = 0
        out[name] = np.clip(np.rint(magnitude), 0, 32767).astype(np.int16)
    return out
