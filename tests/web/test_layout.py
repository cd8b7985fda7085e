"""The map's layout: PCA (checked against scikit-learn's), scaled into [0, 1], cached."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from drumnet.web import layout
from drumnet.web.layout import cached_layout, pca_layout


def clusters(n: int = 600, dim: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    centres = 3 * rng.normal(size=(5, dim))
    return (centres[rng.integers(0, 5, n)] + rng.normal(size=(n, dim))).astype(np.float32)


def test_pca_layout_is_scikit_learns_pca_scaled_into_the_unit_square():
    x = clusters()
    xy = pca_layout(x)
    reference = PCA(2).fit_transform(x)
    for axis in range(2):
        assert abs(np.corrcoef(xy[:, axis], reference[:, axis])[0, 1]) > 0.999
    assert xy.dtype == np.float32 and xy.min() >= 0 and xy.max() <= 1
    assert np.isclose(max(xy.max(0) - xy.min(0)), 1.0)  # the longer axis fills [0, 1]
    assert np.array_equal(pca_layout(x), xy)  # the same picture every launch


def test_pca_layout_fits_a_subset_beyond_max_fit(monkeypatch):
    x = clusters(n=900)
    monkeypatch.setattr(layout, "MAX_FIT", 300)
    reference = PCA(2).fit_transform(x)
    xy = pca_layout(x)
    assert abs(np.corrcoef(xy[:, 0], reference[:, 0])[0, 1]) > 0.95  # axes from 300 of 900


@pytest.mark.parametrize("n", [0, 1, 2])
def test_pca_layout_of_tiny_libraries(n):
    xy = pca_layout(clusters(n=max(n, 1))[:n])
    assert xy.shape == (n, 2) and np.all(np.isfinite(xy)) and np.all((xy >= 0) & (xy <= 1))


def test_the_layout_is_cached_and_unplaced_sounds_get_nan(isolated_cache, monkeypatch):
    x = clusters(n=50)
    placed = np.ones(50, bool)
    placed[7] = False
    first = cached_layout(x, placed, "model-a")
    assert np.isnan(first[7]).all() and np.isfinite(np.delete(first, 7, axis=0)).all()
    assert len(list((isolated_cache / "maps").glob("*.npy"))) == 1

    def no_pca(_):
        raise AssertionError("computed again instead of read from the cache")

    monkeypatch.setattr(layout, "pca_layout", no_pca)
    assert np.array_equal(cached_layout(x, placed, "model-a"), first, equal_nan=True)
    with pytest.raises(AssertionError):
        cached_layout(x, placed, "model-b")  # another model: another layout
