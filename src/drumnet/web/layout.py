"""The map: every sound placed in 2-D by its embedding (PCA), cached beside the index.

PCA was chosen over t-SNE and UMAP for its cost: 50,000 embeddings of 414 values are laid
out in about a second on two cores (docs/browser.md), where t-SNE takes minutes and UMAP is
another dependency. The first two principal axes of the joined network and descriptor
embedding separate the drum classes and keep similar sounds together, which is what the map is
for. A layout is cached in `cache_dir("maps")` under a digest of the model and the vectors, so
a second launch on the same library does not compute it again.
"""

from __future__ import annotations

import hashlib

import numpy as np

from drumnet.cache import cache_dir

MAX_FIT = 20_000  # sounds the axes are fitted on (a seeded random subset beyond that)
KEEP = 16  # layouts kept in the cache, the most recently made


def principal_axes(x: np.ndarray, k: int = 2, iterations: int = 100, seed: int = 0) -> np.ndarray:
    """The top-k principal axes (k, D) of centred data x (N, D), strongest first.

    Subspace iteration on the (D, D) covariance, then Rayleigh-Ritz for the order: a few
    hundred small products instead of a full eigendecomposition, which a multi-threaded LAPACK
    on a busy machine turned into seconds."""
    fit = x if len(x) <= MAX_FIT else x[np.random.default_rng(seed).choice(len(x), MAX_FIT, False)]
    cov = (fit.T @ fit).astype(np.float64)  # (D, D)
    k = min(k, cov.shape[0])
    basis = np.linalg.qr(np.random.default_rng(seed).normal(size=(cov.shape[0], k)))[0]
    for _ in range(iterations):
        basis = np.linalg.qr(cov @ basis)[0]  # (D, k)
    _, rotation = np.linalg.eigh(basis.T @ cov @ basis)  # (k, k), ascending eigenvalues
    return (basis @ rotation[:, ::-1]).T  # (k, D)


def pca_layout(vectors: np.ndarray) -> np.ndarray:
    """(N, D) float -> (N, 2) float32 in [0, 1]: the first two principal components, scaled
    together (so distances keep their proportions) and centred. N may be 0, 1 or 2."""
    n = len(vectors)
    if n == 0:
        return np.zeros((0, 2), np.float32)
    x = np.asarray(vectors, np.float32)
    centred = x - x.mean(axis=0, dtype=np.float64).astype(np.float32)  # (N, D)
    axes = principal_axes(centred)
    if axes.shape[0] < 2:
        axes = np.vstack([axes, np.zeros((2 - axes.shape[0], x.shape[1]))])
    xy = (centred @ axes.T.astype(np.float32)).astype(np.float64)  # (N, 2)
    # A sign per axis so that the picture does not flip between runs: largest loading positive.
    xy *= np.where(axes[np.arange(2), np.abs(axes).argmax(axis=1)] < 0, -1.0, 1.0)
    lo, hi = xy.min(axis=0), xy.max(axis=0)
    span = float((hi - lo).max()) or 1.0
    out = (xy - (lo + hi) / 2) / span + 0.5  # the longer axis fills [0, 1]
    return out.astype(np.float32)


def cached_layout(
    vectors: np.ndarray | None, placed: np.ndarray | None, model_id: str
) -> np.ndarray:
    """(N, 2) float32 positions for the rows of `vectors` where `placed` (N,) is true, NaN for
    the others (no embedding: a silent file); read from the cache when it holds this layout."""
    if vectors is None or placed is None:
        return np.zeros((0, 2), np.float32)
    digest = hashlib.blake2b(digest_size=16)
    digest.update(model_id.encode())
    digest.update(np.ascontiguousarray(placed).tobytes())
    digest.update(np.ascontiguousarray(vectors, np.float32).tobytes())
    path = cache_dir("maps") / f"{digest.hexdigest()}.npy"
    try:
        layout = np.load(path)
        if layout.shape == (len(vectors), 2):
            return layout
    except (OSError, ValueError):
        pass
    layout = np.full((len(vectors), 2), np.nan, np.float32)
    layout[placed] = pca_layout(vectors[placed])
    tmp = path.with_suffix(".tmp.npy")
    try:
        np.save(tmp, layout)
        tmp.replace(path)
        for old in sorted(path.parent.glob("*.npy"), key=lambda p: p.stat().st_mtime)[:-KEEP]:
            old.unlink(missing_ok=True)
    except OSError:  # a full or read-only cache: the map still shows, it is made again next time
        tmp.unlink(missing_ok=True)
    return layout
