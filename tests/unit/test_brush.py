"""The brush maths, packing and metrics of naesview_app.imaging.brush."""

from __future__ import annotations

import math
import zlib

import msgspec
import numpy as np
import pytest

from naesview_app.imaging.brush import (
    ORIENTATIONS,
    MaskError,
    MaskMetrics,
    PackedMask,
    Rect,
    mask_from_raw,
    mask_metrics,
    pack_mask,
    packed_size,
    paint_stroke,
    review_mask,
    slice_spacing,
    slice_to_voxel,
    slice_view,
    stroke_footprint,
    unpack_mask,
)
from naesview_wire import EditedMask
from naesview_wire.review import mask_problem


def brute_disc(width, height, su, sv, cu, cv, r):
    """Reference: voxel centres within r mm, plus the voxel nearest the centre."""
    out = np.zeros((height, width), bool)
    for v in range(height):
        for u in range(width):
            out[v, u] = math.hypot((u - cu) * su, (v - cv) * sv) <= r
    iu, iv = math.floor(cu + 0.5), math.floor(cv + 0.5)
    if 0 <= iu < width and 0 <= iv < height:
        out[iv, iu] = True
    return out


def full_footprint(width, height, su, sv, p0, p1, r):
    out = np.zeros((height, width), bool)
    hit = stroke_footprint(width, height, su, sv, p0, p1, r)
    if hit is not None:
        rect, covered = hit
        out[rect.v0 : rect.v1, rect.u0 : rect.u1] = covered
    return out


@pytest.mark.parametrize(
    ("su", "sv", "cu", "cv", "r"),
    [
        (1.0, 1.0, 10.0, 10.0, 3.0),
        (0.5, 2.5, 12.3, 7.8, 4.0),  # anisotropic: 8 voxels wide, 1.6 high
        (0.7, 0.7, 0.2, 19.9, 5.0),  # clipped by the slice edge
        (1.0, 1.0, 6.5, 6.5, 0.2),  # smaller than a voxel: the nearest voxel only
    ],
)
def test_disc_is_the_set_of_voxel_centres_within_radius_mm(su, sv, cu, cv, r):
    got = full_footprint(25, 20, su, sv, (cu, cv), (cu, cv), r)
    assert np.array_equal(got, brute_disc(25, 20, su, sv, cu, cv, r))


def test_disc_on_anisotropic_voxels_is_round_in_millimetres():
    # 0.5 mm columns, 2 mm rows, radius 4 mm: 17 voxels across, 5 down.
    got = full_footprint(40, 40, 0.5, 2.0, (20, 20), (20, 20), 4.0)
    cols = np.nonzero(got.any(axis=0))[0]
    rows = np.nonzero(got.any(axis=1))[0]
    assert (cols.min(), cols.max()) == (12, 28)
    assert (rows.min(), rows.max()) == (18, 22)
    # Area close to pi r^2 in mm^2 (voxel area 1 mm^2).
    assert abs(got.sum() * 0.5 * 2.0 - math.pi * 16) < 0.15 * math.pi * 16


def test_stroke_is_the_union_of_discs_along_the_segment():
    p0, p1, r = (3.2, 4.1), (40.7, 22.5), 2.5
    got = full_footprint(50, 30, 1.0, 1.5, p0, p1, r)
    dense = np.zeros_like(got)
    for t in np.linspace(0, 1, 2001):
        c = (p0[0] + t * (p1[0] - p0[0]), p0[1] + t * (p1[1] - p0[1]))
        dense |= brute_disc(50, 30, 1.0, 1.5, c[0], c[1], r)
    # The sampled union may miss voxels that only the exact sweep reaches, never the reverse.
    assert not (dense & ~got).any()
    assert (got & ~dense).sum() <= 2


def test_fast_stroke_leaves_no_gap():
    got = full_footprint(200, 20, 1.0, 1.0, (2.0, 10.0), (197.0, 10.0), 1.0)
    assert got[10, 2:198].all()


def test_a_stroke_with_a_missing_position_paints_nothing():
    nan, inf = float("nan"), float("inf")
    assert stroke_footprint(8, 8, 1.0, 1.0, (nan, 2.0), (3.0, 3.0), 2.0) is None
    assert stroke_footprint(8, 8, 1.0, 1.0, (2.0, 2.0), (3.0, 3.0), inf) is None


def test_stroke_far_outside_the_slice_paints_nothing():
    assert stroke_footprint(10, 10, 1.0, 1.0, (-50.0, -50.0), (-40.0, -45.0), 3.0) is None


def test_slice_views_follow_the_display_rules():
    shape = (4, 5, 6)
    vol = np.arange(math.prod(shape)).reshape(shape)
    nz = shape[0]
    # axial z=2: row v is y, column u is x
    assert slice_view(vol, "axial", 2)[3, 1] == vol[2, 3, 1]
    # coronal y=1: superior (high z) at the top
    assert slice_view(vol, "coronal", 1)[0, 4] == vol[nz - 1, 1, 4]
    # sagittal x=5: column u is y (anterior = low y on the left), superior at the top
    assert slice_view(vol, "sagittal", 5)[1, 2] == vol[nz - 2, 2, 5]
    for orientation in ORIENTATIONS:
        view = slice_view(vol, orientation, 1)
        for v, u in [(0, 0), (view.shape[0] - 1, view.shape[1] - 1), (1, 2)]:
            assert view[v, u] == vol[slice_to_voxel(shape, orientation, 1, u, v)]
    assert slice_spacing((3.0, 2.0, 1.0), "axial") == (1.0, 2.0)
    assert slice_spacing((3.0, 2.0, 1.0), "coronal") == (1.0, 3.0)
    assert slice_spacing((3.0, 2.0, 1.0), "sagittal") == (2.0, 3.0)


@pytest.mark.parametrize("orientation", ORIENTATIONS)
def test_paint_then_erase_in_every_orientation(orientation):
    mask = np.zeros((12, 14, 16), np.uint8)
    spacing = (2.0, 1.0, 0.5)
    first = paint_stroke(mask, spacing, orientation, 3, (4.0, 4.0), (9.0, 6.0), 2.0, 1)
    assert first.changed == int(mask.sum()) > 0
    view = slice_view(mask, orientation, 3)
    assert view.sum() == mask.sum()  # nothing leaked off the slice
    vs, us = np.nonzero(view)
    assert first.rect == Rect(us.min(), vs.min(), us.max() + 1, vs.max() + 1)
    again = paint_stroke(mask, spacing, orientation, 3, (4.0, 4.0), (9.0, 6.0), 2.0, 1)
    assert again == (0, None)
    erased = paint_stroke(mask, spacing, orientation, 3, (4.0, 4.0), (4.0, 4.0), 1.0, 0)
    assert erased.changed > 0
    assert mask.sum() == first.changed - erased.changed


def test_pack_roundtrip_and_exact_eighth_before_compression():
    rng = np.random.default_rng(7)
    mask = (rng.random((7, 9, 11)) < 0.3).astype(np.uint8)  # 693 voxels: not a multiple of 8
    packed = pack_mask(mask)
    assert packed.shape == (7, 9, 11)
    assert len(zlib.decompress(packed.data)) == packed_size(mask.shape) == 87
    out = unpack_mask(packed)
    assert out.dtype == np.uint8
    assert out.shape == mask.shape
    assert np.array_equal(out, mask)
    # Non-zero is inside, whatever the label value.
    assert np.array_equal(unpack_mask(pack_mask(mask * 7)), mask)


def test_big_mask_packs_to_one_eighth_of_raw():
    mask = np.zeros((300, 512, 512), np.uint8)
    mask[100:180, 200:300, 220:290] = 1
    packed = pack_mask(mask)
    before_compression = len(zlib.decompress(packed.data))
    assert before_compression * 8 == mask.nbytes
    assert len(packed.data) < before_compression / 100  # a compact blob compresses very well
    assert np.array_equal(unpack_mask(packed), mask)


def test_packed_mask_travels_as_the_reviews_edited_mask():
    original = np.zeros((5, 8, 8), np.uint8)
    original[2, 2:6, 2:6] = 1
    edited = original.copy()
    paint_stroke(edited, (2.0, 1.0, 1.0), "axial", 2, (5.0, 5.0), (7.0, 5.0), 1.0, 1)
    metrics = mask_metrics(original, edited)
    wire = pack_mask(edited).to_wire("mask.nii.gz", metrics)
    assert isinstance(wire, EditedMask)
    assert (wire.volume, wire.shape) == ("mask.nii.gz", (5, 8, 8))
    assert (wire.added, wire.removed, wire.dice) == metrics
    assert mask_problem(wire) is None  # what the server checks
    received = msgspec.json.decode(msgspec.json.encode(wire), type=EditedMask)
    assert np.array_equal(unpack_mask(PackedMask.from_wire(received)), edited)


def test_a_mask_too_big_for_a_review_is_refused_with_advice():
    noise = (np.random.default_rng(1).random((260, 256, 256)) < 0.5).astype(np.uint8)
    with pytest.raises(MaskError, match="more than a review may carry"):
        pack_mask(noise).to_wire("mask.nii.gz", MaskMetrics(0, 0, 1.0))


@pytest.mark.parametrize(
    ("shape", "data", "message"),
    [
        ((2, 2, 2), b"not zlib", "not a zlib stream"),
        ((2, 2, 2), zlib.compress(b"\x00\x00"), "does not fit shape"),  # 2 bytes, 1 expected
        ((4, 4, 4), zlib.compress(b"\x00"), "does not fit shape"),  # too short
        ((2, 0, 2), zlib.compress(b""), "positive sizes"),
        ((2048, 2048, 2048), zlib.compress(b""), "more than"),
        ((100, 100, 100), zlib.compress(bytes(10**7)), "does not fit shape"),  # bomb: inflates 10x
    ],
)
def test_unpack_refuses_data_that_does_not_fit(shape, data, message):
    with pytest.raises(MaskError, match=message):
        unpack_mask(PackedMask(shape=shape, data=data))


def test_metrics_count_added_removed_and_dice():
    original = np.zeros((2, 4, 4), np.uint8)
    original[0, :2] = 1  # 8 voxels
    edited = original.copy()
    edited[0, 0] = 0  # remove 4
    edited[1, 3, :3] = 1  # add 3
    assert mask_metrics(original, edited) == MaskMetrics(added=3, removed=4, dice=2 * 4 / (8 + 7))
    assert mask_metrics(original, original) == (0, 0, 1.0)
    empty = np.zeros_like(original)
    assert mask_metrics(empty, empty) == (0, 0, 1.0)
    assert mask_metrics(empty, original) == (8, 0, 0.0)
    with pytest.raises(MaskError, match="differ in shape"):
        mask_metrics(original, original[0])


def test_an_uploaded_edit_becomes_the_reviews_mask():
    original = np.zeros((4, 6, 6), np.uint8)
    original[1:3, 1:5, 1:5] = 1
    edited = original.copy()
    edited[1, 1, 1] = 0
    edited[3, 0, :2] = 1
    wire = review_mask("mask.nii.gz", original, mask_from_raw(edited.tobytes(), (4, 6, 6)))
    assert (wire.added, wire.removed) == (2, 1)
    assert wire.dice == pytest.approx(2 * 31 / (32 + 33))
    assert np.array_equal(unpack_mask(PackedMask.from_wire(wire)), edited)
    with pytest.raises(MaskError, match="uploaded mask has 143 bytes, shape"):
        mask_from_raw(edited.tobytes()[:-1], (4, 6, 6))
    with pytest.raises(MaskError, match=r"mask `mask\.nii\.gz`: edited shape"):
        review_mask("mask.nii.gz", original, edited[:2])
