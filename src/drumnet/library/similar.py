"""Search by sound: the candidates whose embeddings are nearest a query's (cosine).

clf = load_model()  # the shipped default net
query = embed_query("kick.wav", clf)
for m in nearest(query, embed_paths(["~/Samples"], clf), top=5):
    print(m.rank, f"{m.similarity:.3f}", m.label, m.path)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from drumnet.inference.classifier import class_names
from drumnet.library.embed import Embedded


@dataclass(frozen=True)
class Match:
    """One search result. similarity: cosine of the two embeddings, -1..1 (1: same sound)."""

    rank: int  # 1 = most similar
    path: str
    similarity: float
    label: str
    copies: tuple[str, ...] = ()  # other files with the same bytes, not ranked apart

    def to_record(self) -> dict:
        """The JSON-lines record: {rank, path, similarity, label[, copies]}."""
        record = {
            "rank": self.rank,
            "path": self.path,
            "similarity": round(self.similarity, 6),
            "label": self.label,
        }
        return {**record, "copies": list(self.copies)} if self.copies else record


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the k highest of scores (N,), best first; equal scores keep their order."""
    n = len(scores)
    k = min(k, n)
    if k <= 0:
        return np.zeros(0, dtype=np.intp)
    kth = scores[np.argpartition(scores, n - k)[n - k]]  # the k-th highest value, O(N)
    above = np.flatnonzero(scores > kth)
    tied = np.flatnonzero(scores == kth)[: k - len(above)]  # the first ones reach the cut
    chosen = np.concatenate([above, tied])
    return chosen[np.lexsort((chosen, -scores[chosen]))]  # by score, then by position


def nearest(
    query: Embedded,
    candidates: Iterable[Embedded],
    top: int = 10,
    classes: str | Sequence[str] | None = None,
) -> list[Match]:
    """The `top` candidates that sound most like `query`, most similar first (ties in the
    candidates' order). Skipped: candidates that failed, the query itself (same absolute
    path or same bytes), loops for a one-shot query and one-shots for a loop query (a loop
    that starts with a kick is not what a kick query wants), and with `classes`, candidates
    whose label is not among them. Files with the same bytes are one match, named by the first
    of them, the others in its `copies`: six copies of one sample are not six answers.
    Candidates are consumed as they come, so a stream's errors can be reported meanwhile.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    keep = set(class_names(classes)) if classes else None  # 'kick,snare' is two classes
    itself = os.path.abspath(query.path)
    kept: list[Embedded] = []
    copies: dict[str, list[str]] = {}  # content hash -> the paths of its later copies
    for c in candidates:
        if not (
            c.ok
            and (query.hash is None or c.hash != query.hash)
            and os.path.abspath(c.path) != itself
            and (query.loop is None or c.loop is None or c.loop == query.loop)
            and (keep is None or c.label in keep)
        ):
            continue
        if c.hash is not None and c.hash in copies:
            copies[c.hash].append(c.path)
            continue
        if c.hash is not None:
            copies[c.hash] = []
        kept.append(c)
    if not kept:
        return []
    similarity = np.stack([c.vector for c in kept]) @ query.vector  # (N,) cosines
    return [
        Match(
            rank,
            kept[i].path,
            float(np.clip(similarity[i], -1.0, 1.0)),
            kept[i].label,
            tuple(copies.get(kept[i].hash, ())) if kept[i].hash is not None else (),
        )
        for rank, i in enumerate(top_k(similarity, top).tolist(), start=1)
    ]
