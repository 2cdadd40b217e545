"""Synthetic datasets: same arguments give the same bytes, and they read back as generated."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from naesview_app.datasets import open_dataset
from naesview_app.datasets.synthetic import (
    MR_SEQUENCES,
    ct_phantom,
    write_ct_dataset,
    write_mr_dataset,
    write_tiny_cases,
)


def test_same_arguments_same_bytes(tmp_path: Path) -> None:
    a = write_ct_dataset(tmp_path / "a.zip", cases=2, shape=(6, 16, 20), seed=3)
    b = write_ct_dataset(tmp_path / "b.zip", cases=2, shape=(6, 16, 20), seed=3)
    c = write_ct_dataset(tmp_path / "c.zip", cases=2, shape=(6, 16, 20), seed=4)
    assert a.read_bytes() == b.read_bytes()
    assert a.read_bytes() != c.read_bytes()


@pytest.mark.parametrize("layout", ["LPS", "RAS"])
def test_ct_reads_back_as_generated(layout: str, tmp_path: Path) -> None:
    shape, spacing = (10, 24, 32), (2.5, 0.8, 0.7)
    path = write_ct_dataset(
        tmp_path / "ct.zip", cases=2, shape=shape, spacing=spacing, layout=layout, seed=7
    )
    with open_dataset(path) as ds:
        assert [c.name for c in ds.cases] == ["case1", "case2"]
        for case in ds.cases:
            image, mask = ct_phantom(shape, seed=7 + case.id + 1)
            got = ds.read_volume(case.id, "image.nii.gz")
            assert got.array.dtype == np.int16
            np.testing.assert_array_equal(got.array, image)
            np.testing.assert_allclose(got.spacing, spacing, rtol=1e-6)
            got_mask = ds.read_volume(case.id, "mask.nii.gz")
            assert got_mask.array.dtype == np.uint8
            np.testing.assert_array_equal(got_mask.array, mask)
            assert got_mask.origin == got.origin
            assert 0 < int(mask.sum()) < mask.size


def test_ct_phantom_looks_like_a_ct() -> None:
    image, mask = ct_phantom((8, 64, 64), seed=1)
    assert image.min() < -900
    assert image.max() > 600
    assert set(np.unique(mask)) == {0, 1}


def test_tiny_cases_in_natural_order(tmp_path: Path) -> None:
    path = write_tiny_cases(tmp_path / "tiny.zip", cases=120, size=8, variants=5)
    with open_dataset(path) as ds:
        assert [c.name for c in ds.cases[:3]] == ["case1", "case2", "case3"]
        assert ds.cases[119].name == "case120"
        assert ds.read_volume(119, "ct.nii.gz").shape == (8, 8, 8)


def test_mr_sequences_share_one_grid(tmp_path: Path) -> None:
    path = write_mr_dataset(tmp_path / "mr.zip", shape=(12, 32, 28), spacing=(3.0, 1.0, 1.0))
    with open_dataset(path) as ds:
        (case,) = ds.cases
        assert sorted(v.name for v in case.volumes) == sorted(f"{s}.nii.gz" for s in MR_SEQUENCES)
        volumes = [ds.read_volume(0, f"{s}.nii.gz") for s in MR_SEQUENCES]
        assert {(v.shape, v.spacing, v.origin, v.direction) for v in volumes} == {
            ((12, 32, 28), (3.0, 1.0, 1.0), volumes[0].origin, volumes[0].direction)
        }
        means = [float(v.array.mean()) for v in volumes]
        assert len(set(means)) == 4  # four different contrasts
