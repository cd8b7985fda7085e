"""Which sounds to correct first: the doubtful ones, one from each kind of sound.

    for s in review(["~/Samples/NewPack"], top=20):
        print(s.path, s.label, f"{s.confidence:.0%}", s.reason)

The library's embeddings are grouped by spherical k-means into as many clusters as
suggestions are asked for (at most MAX_CLUSTERS), so twenty suggestions cover twenty kinds of
sound, not twenty velocity layers of one drum. A cluster is worth the doubt it holds: the sum
over its sounds of 1 - (p1 - p2), the margin between their two likeliest classes (after the
corrections already made, `drumnet.library.corrected`), divided by one plus the corrections
already in it. Clusters are taken most valuable first; from each, the sound that is both
doubtful and typical of it (doubt x cosine to the cluster's centre), since a correction
teaches the sounds near it. Asked for more suggestions than clusters, a second round takes
each cluster's next sound, and so on. docs/corrections.md shows it in use.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from contextlib import closing
from dataclasses import dataclass

import numpy as np

from drumnet.inference.classifier import DrumClassifier, load_model
from drumnet.inference.decision import Result
from drumnet.inference.pipeline import classify_paths
from drumnet.library.corrected import corrected_sounds, vectors_for
from drumnet.library.embed import embed_paths
from drumnet.library.index import Index
from drumnet.taxonomy import LOOP

MAX_CLUSTERS = 256  # k-means cost grows with clusters x sounds; more suggestions: more rounds
KMEANS_SAMPLE = 20_000  # centres are fitted on at most this many sounds, then all assigned
KMEANS_ITERATIONS = 12
DOUBT_POWER = 1.0


@dataclass(frozen=True)
class Ranked:
    """The suggestions of `review_order`: indices into the arrays given, most useful first."""

    order: np.ndarray  # (top,) sound indices
    cluster: np.ndarray  # (N,) each sound's cluster
    cluster_size: np.ndarray  # (n_clusters,) sounds per cluster
    doubt: np.ndarray  # (N,) 1 - (p1 - p2), 0..1


def doubt(probs: np.ndarray) -> np.ndarray:
    """probs (N, C) -> (N,) 1 - margin between the two likeliest classes (1: a coin toss)."""
    if probs.shape[1] < 2:
        return np.zeros(len(probs))
    two = -np.partition(-probs, 1, axis=1)[:, :2]  # (N, 2): the two largest
    return 1.0 - (two[:, 0] - two[:, 1])


def kmeans(vectors: np.ndarray, k: int, seed: int = 0) -> np.ndarray:
    """Spherical k-means (cosine) with k-means++ seeding: unit-length centres (k, D)."""
    rng = np.random.default_rng(seed)
    x = vectors
    if len(x) > KMEANS_SAMPLE:
        x = x[rng.choice(len(x), KMEANS_SAMPLE, replace=False)]
    centres = [x[rng.integers(len(x))]]
    far = 1.0 - x @ centres[0]  # (n,) cosine distance to the nearest centre so far
    for _ in range(1, k):
        weights = np.maximum(far, 0.0) ** 2
        pick = rng.choice(len(x), p=weights / weights.sum()) if weights.sum() > 0 else 0
        centres.append(x[pick])
        far = np.minimum(far, 1.0 - x @ x[pick])
    centres = np.stack(centres)  # (k, D)
    for _ in range(KMEANS_ITERATIONS):
        assign = (x @ centres.T).argmax(1)  # (n,)
        sums = np.zeros_like(centres)
        np.add.at(sums, assign, x)
        norms = np.linalg.norm(sums, axis=1, keepdims=True)
        centres = np.where(norms > 0, sums / np.maximum(norms, 1e-12), centres)  # empty: kept
    return centres


def review_order(
    vectors: np.ndarray,
    probs: np.ndarray,
    top: int,
    corrected: np.ndarray | None = None,
    seed: int = 0,
) -> Ranked:
    """The `top` sounds most worth correcting, most useful first.

    vectors (N, D) unit-length embeddings, probs (N, C) the current answers' probabilities,
    corrected (M, D) embeddings of the sounds already corrected (not among the N).
    """
    n = len(vectors)
    top = min(top, n)
    vectors = np.asarray(vectors, np.float32)
    u = doubt(np.asarray(probs, np.float64))
    if top <= 0:
        return Ranked(np.zeros(0, np.intp), np.zeros(n, np.intp), np.zeros(0, np.intp), u)
    centres = kmeans(vectors, min(top, MAX_CLUSTERS), seed)
    sims = vectors @ centres.T  # (N, k)
    cluster = sims.argmax(1)
    typical = np.maximum(sims[np.arange(n), cluster], 0.0)
    size = np.bincount(cluster, minlength=len(centres))
    value = np.bincount(cluster, weights=u, minlength=len(centres))
    if corrected is not None and len(corrected):
        done = (np.asarray(corrected, np.float32) @ centres.T).argmax(1)
        value = value / (1 + np.bincount(done, minlength=len(centres)))
    score = u**DOUBT_POWER * typical
    # Within each cluster by score; clusters by value; round r takes each cluster's r-th.
    by_score = np.lexsort((np.arange(n), -score, cluster))  # grouped by cluster
    starts = np.concatenate([[0], np.cumsum(size)[:-1]])
    rank_in_cluster = np.empty(n, np.intp)
    rank_in_cluster[by_score] = np.arange(n) - np.repeat(starts, size)
    cluster_rank = np.empty(len(centres), np.intp)
    cluster_rank[np.lexsort((np.arange(len(centres)), -value))] = np.arange(len(centres))
    order = np.lexsort((cluster_rank[cluster], rank_in_cluster))[:top]
    return Ranked(order, cluster, size, u)


@dataclass(frozen=True)
class Suggestion:
    """A file worth correcting: its current answer, and why it was chosen."""

    rank: int  # 1 = most useful
    path: str
    label: str  # the current answer (after the corrections already made)
    confidence: float  # its probability
    reason: str
    similar_files: int  # other files of the library in its cluster

    def to_record(self) -> dict:
        """The JSON-lines record: {rank, path, label, confidence, reason, similar_files}."""
        return {
            "rank": self.rank,
            "path": self.path,
            "label": self.label,
            "confidence": round(self.confidence, 6),
            "reason": self.reason,
            "similar_files": self.similar_files,
        }


def reason(scores: dict[str, float], adapted: bool, similar: int) -> str:
    """Why a file is suggested: the doubt in its answer, and how many files it stands for."""
    (c1, p1), (c2, p2) = sorted(scores.items(), key=lambda kv: -kv[1])[:2]
    if p1 - p2 < 0.5:
        why = f"unsure: {c1} {p1:.0%} or {c2} {p2:.0%}"
    else:
        why = f"{c1} {p1:.0%}: picked to cover its kind of sound"
    if adapted:
        why += "; answered from corrections nearby"
    if similar:
        why += f"; stands for {similar} similar file{'' if similar == 1 else 's'}"
    return why


def review(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    model: DrumClassifier | str | os.PathLike | None = None,
    index: Index | None = None,
    top: int = 20,
    adapt: bool = True,
    workers: int = 2,
    threads: int | None = None,
    on_error: Callable[[str, str], None] | None = None,
) -> list[Suggestion]:
    """The `top` files under `paths` whose correction would teach drumnet most, most useful
    first (see the module docstring). Files already corrected, copies of a file met earlier,
    loops and silent files are not suggested. A file that cannot be read is passed to
    `on_error(path, reason)`. index: reuse answers and embeddings (and store them); its
    corrections are taken into account (`adapt`: answers as `classify_paths` gives them)."""
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    clf = model if isinstance(model, DrumClassifier) else load_model(model)
    results = classify_paths(paths, clf, workers=workers, index=index, threads=threads, adapt=adapt)
    kept = []
    with closing(results):
        for r in results:
            if not r.ok and on_error:
                on_error(r.path, r.error)
            elif r.ok and _suggestible(r):
                kept.append(r)
    pairs = [
        (r, v) for r, v in zip(kept, _vectors(kept, clf, index, workers, threads)) if v is not None
    ]
    if not pairs:
        return []
    kept, vectors = map(list, zip(*pairs))
    probs = np.array([[r.scores[c] for c in clf.classes_] for r in kept])
    done = corrected_sounds(clf, index)[1] if index is not None else None
    ranked = review_order(np.stack(vectors), probs, top, corrected=done)
    out = []
    for rank, i in enumerate(ranked.order.tolist(), start=1):
        r, similar = kept[i], int(ranked.cluster_size[ranked.cluster[i]]) - 1
        why = reason(r.scores, r.adapted, similar)
        out.append(Suggestion(rank, r.path, r.label, r.confidence, why, similar))
    return out


def _suggestible(r: Result) -> bool:
    """Not corrected, not a copy or link of a file met earlier, not a loop, not silent."""
    copy = r.duplicate_of or r.same_file_as
    return not (r.corrected or copy or r.label == LOOP or r.warning == "silent")


def _vectors(results, clf, index, workers, threads) -> list[np.ndarray | None]:
    if index is not None:
        return vectors_for(results, clf, index, workers, threads)
    found = {
        e.path: e.vector
        for e in embed_paths([r.path for r in results], clf, workers, threads=threads)
    }
    return [found.get(r.path) for r in results]
