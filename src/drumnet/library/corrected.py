"""Classify with corrections: the index's corrections teach the answers for every other file.

`classify_paths(..., index=index)` passes its results through `adapt_results` (unless
`adapt=False`): the corrections in the index (all of them: a person's taste holds across
their libraries) fit a `CorrectionAdapter` on the embeddings of the corrected sounds, and
each result is answered again from its own embedding. The stored answers are not touched:
adaptation is applied on top, each time, and `Result.adapted` says where it changed one.

Embeddings are the ones `drumnet similar` stores (`similar.embedding_key`). Once corrections
exist, `classify_paths` stores them for the files it decodes, from the same forward pass
(`embedding_infer`, `store_embeddings`); a file answered from the index without one is
embedded when it is first met (decoded once more; stored, so later runs read it). While there
are no corrections none of this is done. docs/corrections.md.
"""

from __future__ import annotations

import dataclasses
import functools
import itertools
import os
from collections.abc import Callable, Iterator
from contextlib import closing
from typing import TypeVar

import numpy as np

from drumnet.inference.classifier import DrumClassifier
from drumnet.inference.decision import Decision, Result
from drumnet.inference.pipeline import classify_paths
from drumnet.library.adapt import AdaptConfig, CorrectionAdapter
from drumnet.library.embed import (
    Embedded,
    embed_and_classify,
    embed_chunk,
    embed_paths,
    embedding_key,
)
from drumnet.library.hashing import file_hash
from drumnet.library.index import Index
from drumnet.taxonomy import LOOP

BATCH = 256  # results adapted together (one similarity block)
T = TypeVar("T")


def embedding_infer(clf: DrumClassifier) -> Callable[[np.ndarray], tuple]:
    """The classify pipeline's function on windows when embeddings are wanted too: windows
    (B, n_samples) -> (embeddings (B, D), probabilities (B, C)) from one forward pass."""
    return functools.partial(embed_and_classify, clf)


def store_embeddings(chunk: tuple, clf: DrumClassifier, index: Index) -> tuple:
    """(infos, (embeddings, probs)) of `embedding_infer` -> (infos, probs), the embeddings
    stored in the index as `drumnet similar` stores them."""
    embed_chunk(chunk, clf, embedding_key(clf), index)
    infos, (_, probs) = chunk
    return infos, probs


def _holder(index: Index, path: str, digest: str) -> str | None:
    """A file that holds exactly the labelled bytes: its own path, or a copy the index knows."""
    for candidate in (path, *index.paths_with_hash(digest)):
        try:
            if os.path.isfile(candidate) and file_hash(candidate) == digest:
                return candidate
        except OSError:
            continue
    return None


def _complete(index: Index, clf: DrumClassifier, missing: list[str]) -> None:
    """Classify and embed these files into the index (once: later runs find them there)."""
    results = classify_paths(missing, clf, workers=0, index=index, adapt=False)
    with closing(results):
        for _ in results:
            pass
    found = embed_paths(missing, clf, workers=0, index=index)
    with closing(found):
        for _ in found:
            pass


def corrected_sounds(
    clf: DrumClassifier, index: Index
) -> tuple[list[str], np.ndarray, list[dict[str, float]], list[str]]:
    """(labels, vectors (M, D), the model's scores, content hashes) of the corrected sounds
    the index holds or can still find on disk; one per sound, however many copies it has."""
    key = embedding_key(clf)
    rows = index.corrected_sounds(clf.model_id, key)
    missing = [
        path
        for c, scores, vector in rows
        if (scores is None or vector is None) and (path := _holder(index, c.path, c.hash))
    ]
    if missing:
        _complete(index, clf, missing)
        rows = index.corrected_sounds(clf.model_id, key)
    kept = [(c, s, v) for c, s, v in rows if s is not None and v is not None]
    vectors = np.stack([v for _, _, v in kept]) if kept else np.zeros((0, 0), np.float32)
    return (
        [c.label for c, _, _ in kept],
        vectors,
        [s for _, s, _ in kept],
        [c.hash for c, _, _ in kept],
    )


def fit_adapter(
    clf: DrumClassifier,
    index: Index,
    classes: tuple[str, ...],
    config: AdaptConfig | None = None,
) -> CorrectionAdapter:
    """An adapter fitted on the index's corrections, over `classes` (the model's scores
    renormalised to them, as `Decision` does); inactive when they do not pass its check."""
    labels, vectors, scores, _ = corrected_sounds(clf, index)
    probs = np.array([[s.get(c, 0.0) for c in classes] for s in scores], np.float64)
    probs = probs.reshape(len(labels), len(classes))
    probs /= np.maximum(probs.sum(1, keepdims=True), 1e-12)
    return CorrectionAdapter(config).fit(vectors, probs, labels, classes)


def vectors_for(
    results: list[Result],
    clf: DrumClassifier,
    index: Index,
    workers: int = 0,
    threads: int | None = None,
) -> list[np.ndarray | None]:
    """The stored embedding of each result's file; those without one are embedded now (and
    stored). None for a file that cannot be (silent, or gone since)."""
    key = embedding_key(clf)
    files = [(os.path.abspath(r.path), r.hash) for r in results]
    index.commit()  # the rows the classify pipeline has just queued are read too
    found = index.stored_vectors(key, files)
    missing = [r.path for r, (path, _) in zip(results, files) if path not in found]
    if missing:
        fresh = embed_paths(missing, clf, workers, index=index, threads=threads)
        with closing(fresh):
            for e in fresh:
                if e.ok:
                    found[os.path.abspath(e.path)] = e.vector
    return [found.get(path) for path, _ in files]


def _batches(items: Iterator[T]) -> Iterator[list[T]]:
    """Lists of BATCH items (the last may be shorter), as they come."""
    while batch := list(itertools.islice(items, BATCH)):
        yield batch


def _adaptable(r: Result) -> bool:
    return r.ok and not r.corrected and r.label != LOOP and r.warning != "silent"


def adapt_results(
    results: Iterator[Result],
    clf: DrumClassifier,
    decision: Decision,
    index: Index,
    workers: int = 0,
    threads: int | None = None,
    config: AdaptConfig | None = None,
) -> Iterator[Result]:
    """`results` (of `classify_paths` with `decision`), answered again with the index's
    corrections; as they are when the corrections do not pass the adapter's check."""
    return _adapted(
        results,
        clf,
        index,
        decision.classes,
        config,
        lambda batch, adapter: _adapt_batch(batch, adapter, clf, decision, index, workers, threads),
    )


def _adapted(stream, clf, index, classes, config, adapt_batch) -> Iterator:
    """`stream` in batches through `adapt_batch(batch, adapter)`, or unchanged when the index's
    corrections do not pass the adapter's check; fitted when the first item is asked for."""
    with closing(stream):
        adapter = fit_adapter(clf, index, classes, config)
        if not adapter.active_:
            yield from stream
            return
        for batch in _batches(stream):
            yield from adapt_batch(batch, adapter)


def _adapt_batch(batch, adapter, clf, decision, index, workers, threads) -> list[Result]:
    todo = [i for i, r in enumerate(batch) if _adaptable(r)]
    vectors = vectors_for([batch[i] for i in todo], clf, index, workers, threads)
    pairs = [(i, v) for i, v in zip(todo, vectors) if v is not None]
    if not pairs:
        return batch
    todo, vectors = zip(*pairs)
    probs = np.array([[batch[i].scores[c] for c in decision.classes] for i in todo])
    adapted, changed = adapter.adapt(np.stack(vectors), probs)
    out = list(batch)
    for row, i, moved in zip(adapted, todo, changed.tolist()):
        label, confidence, scores, _ = decision.decide(
            dict(zip(decision.classes, row.tolist())), False, None
        )
        out[i] = dataclasses.replace(
            batch[i], label=label, confidence=confidence, scores=scores, adapted=moved
        )
    return out


def adapt_embedded(
    found: Iterator[Embedded],
    clf: DrumClassifier,
    index: Index,
    config: AdaptConfig | None = None,
) -> Iterator[Embedded]:
    """`embed_paths`'s stream with each label answered again with the index's corrections
    (`drumnet similar`'s labels and --classes then agree with `drumnet classify`'s). A file
    the model never classified in the index keeps its label."""
    return _adapted(
        found,
        clf,
        index,
        clf.classes_,
        config,
        lambda batch, adapter: _adapt_embedded_batch(batch, adapter, clf, index),
    )


def _adapt_embedded_batch(batch, adapter, clf, index) -> list[Embedded]:
    todo = [
        i for i, e in enumerate(batch)
        if e.ok and not e.loop and e.hash is not None and index.correction(e.hash) is None
    ]  # fmt: skip
    scores = index.stored_scores(clf.model_id, {batch[i].hash for i in todo})
    todo = [i for i in todo if batch[i].hash in scores]
    if not todo:
        return batch
    probs = np.array([[scores[batch[i].hash][c] for c in clf.classes_] for i in todo])
    adapted, _ = adapter.adapt(np.stack([batch[i].vector for i in todo]), probs)
    out = list(batch)
    for row, i in zip(adapted, todo):
        out[i] = dataclasses.replace(batch[i], label=clf.classes_[int(row.argmax())])
    return out
