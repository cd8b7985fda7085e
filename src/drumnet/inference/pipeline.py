"""Classify files and folders as a stream: parallel decoding, batched inference, an index.

    for r in classify_paths(["~/Samples"], classes=("kick", "snare")):
        print(r.path, r.label, r.confidence)

With an `Index`, files unchanged since the last run with the same model are answered from it
without decoding, and corrections people made (`drumnet label`) override the model."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import closing
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np
import torch

from drumnet.audio.scan import ScanError
from drumnet.config import DEFAULT_BATCH_SIZE
from drumnet.inference.classifier import DrumClassifier, class_names, load_model
from drumnet.inference.decision import Decision, Result, is_loop, warning_for
from drumnet.inference.names import Names
from drumnet.inference.workers import FileInfo, Planned, check_pipeline, decoded_chunks
from drumnet.library.index import Entry, Index

if TYPE_CHECKING:
    from drumnet.inference.ray_engine import RayEngine

T = TypeVar("T")


def indexed_chunks(
    paths: Iterable[str | os.PathLike],
    clf: DrumClassifier,
    index: Index | None,
    find: Callable[[Index, str, int, int, str, int], T | None],
    workers: int,
    batch_size: int,
    threads: int | None = None,
    infer: Callable[[np.ndarray], Any] | None = None,
) -> Iterator[tuple[list[Planned], tuple[list[FileInfo], Any] | None]]:
    """`decoded_chunks` for `clf`, where a file unchanged since `index` stored an answer for it
    is not decoded: planned's cached answer is `find(index, absolute path, size, mtime_ns,
    model_id, inode)` (e.g. `Index.lookup`). `infer` (default `clf.predict_proba_waves`) runs in the
    workers when `clf` is on the CPU. The index is committed when the caller is done with the
    last chunk or closes this generator early (Ctrl-C), so every finished answer is kept."""

    def cached(path: str) -> T | None:
        return cached_answer(path, clf, index, find)

    infer = infer or clf.predict_proba_waves
    _ = clf.fused_model_  # made here, before the workers fork, so that they share it
    in_workers = torch.device(clf.device).type == "cpu"  # a forked child cannot use CUDA
    chunks = decoded_chunks(
        paths, clf.feature_config, cached, workers, batch_size, threads, infer, in_workers
    )
    with closing(chunks):
        try:
            yield from chunks
        finally:
            if index is not None:
                index.commit()


def cached_answer(path: str, clf: DrumClassifier, index: Index | None, find) -> T | None:
    """`find`'s answer from `index` for the file at `path` as it is now (None: no index, no
    answer, or no such file)."""
    if index is None:
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None  # let the decoder say what is wrong with it
    path = os.path.abspath(path)
    return find(index, path, st.st_size, st.st_mtime_ns, clf.model_id, st.st_ino)


def classify_paths(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    model: DrumClassifier | str | os.PathLike | None = None,
    classes: str | Sequence[str] | None = None,
    min_confidence: float = 0.0,
    workers: int = 2,
    batch_size: int = DEFAULT_BATCH_SIZE,
    index: Index | None = None,
    threads: int | None = None,
    loops: bool = True,
    adapt: bool = True,
    engine: RayEngine | None = None,
) -> Iterator[Result]:
    """Classify every audio file under `paths` (files and folders, recursive), streaming.

    model: a DrumClassifier, a model name or file (None: the shipped default model).
    classes: restrict the decision to these classes (default: all the model's classes); a
    list or a comma-separated string.
    min_confidence: answers whose probability is below this become `unsure`.
    loops: answer `loop` for a file of several hits (False: the class of its first second;
    the "multi-hit" warning is given either way).
    workers: decoding processes (0: decode in this process). threads: torch threads for
    inference (default `default_threads(workers)`). index: an `Index` to reuse and store
    results in, and whose corrections to honour (None: no index).
    adapt: let the index's corrections teach the answers for other files too
    (`drumnet.library.corrected`; False: the model's answers, corrected files alone changed).
    engine: a `drumnet.inference.ray_engine.RayEngine` to decode and classify on a Ray cluster
    instead of local workers (the same answers, in the same order).
    Settings are checked now (ValueError); files are processed as the iterator is consumed.
    A file that cannot be decoded gives a Result with `error`, never an exception.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    classes = class_names(classes)  # 'kick,snare' as on the command line
    clf = model if isinstance(model, DrumClassifier) else load_model(model)
    clf.class_indices(classes)  # unknown class names raise ValueError here, not mid-stream
    if not 0.0 <= min_confidence <= 1.0:
        raise ValueError(f"min_confidence must be between 0 and 1, got {min_confidence}")
    check_pipeline(batch_size, threads, workers)
    decision = Decision(tuple(classes or clf.classes_), min_confidence, loops)
    # Embeddings for adaptation come from the local forward pass; a Ray run leaves them to
    # `adapt_results`, which embeds what it lacks.
    embed = adapt and engine is None and index is not None and bool(index.corrections())
    results = _stream(paths, clf, decision, workers, batch_size, index, threads, embed, engine)
    if adapt and index is not None:
        from drumnet.library.corrected import adapt_results  # it classifies with this module

        results = adapt_results(results, clf, decision, index, workers, threads)
    return results


def _stream(paths, clf, decision, workers, batch_size, index, threads, embed=False, engine=None):
    """embed: also store each decoded file's embedding, from the same forward pass (once
    corrections exist, adaptation needs them: `drumnet.library.corrected`)."""
    names_of_hash: dict[str, Names] = {}  # content hash -> names met; ~100 B/file
    infer = store = None
    if embed:
        from drumnet.library.corrected import embedding_infer, store_embeddings

        infer, store = embedding_infer(clf), store_embeddings

    def find(index: Index, path: str, size: int, mtime_ns: int, model_id: str, ino: int):
        return index.lookup(path, size, mtime_ns, model_id, ino, clf.classes_)

    if engine is None:
        chunks = indexed_chunks(paths, clf, index, find, workers, batch_size, threads, infer)
    else:
        chunks = engine.chunks(paths, clf, index, find, batch_size)
    with closing(chunks):  # closing this generator closes the workers and commits the index
        for planned, chunk in chunks:
            if store is not None and chunk is not None:
                chunk = store(chunk, clf, index)  # -> (infos, probs)
            yield from _finish(planned, chunk, clf, decision, index, names_of_hash)


def _finish(planned, chunk, clf, decision, index, names_of_hash) -> Iterator[Result]:
    """Merge one chunk's fresh answers with the cached ones, in order."""
    decoded: dict[str, tuple[FileInfo, dict | None]] = {}
    if chunk is not None:
        infos, probs = chunk  # the model's probabilities for the files that decoded
        rows = iter(probs.tolist())
        for info in infos:
            scores = None if info.error else dict(zip(clf.classes_, next(rows)))
            decoded[info.path] = (info, scores)
    now = time.time()
    for item in planned:
        if isinstance(item, ScanError):
            yield Result(item.path, error=item.reason)
            continue
        path, entry = item
        cached = entry is not None
        if entry is None:
            info, scores = decoded[path]
            if info.error:
                yield Result(path, error=info.error)
                continue
            entry = Entry(
                os.path.abspath(path), clf.model_id, info.size, info.mtime_ns, info.hash,
                {k: float(f"{v:.7g}") for k, v in scores.items()}, info.silent, now,
                round(info.above_band_db, 2), info.hits, round(info.hit_span, 3),
                info.source_rate, info.ino,
            )  # fmt: skip
            if index is not None:
                index.put(entry)
        warning = warning_for(entry, clf.feature_config.sample_rate)
        yield _result(path, entry, decision, index, names_of_hash, cached, warning)


def _result(path, entry: Entry, decision, index, names_of_hash, cached, warning) -> Result:
    correction = index.correction(entry.hash) if index is not None else None
    label, confidence, scores, corrected = decision.decide(
        entry.scores, entry.silent, correction, is_loop(entry.hit_span)
    )
    names = names_of_hash.get(entry.hash)
    if names is None:
        names_of_hash[entry.hash] = Names(path)
    duplicate_of, same_file_as = names.meet(path) if names else (None, None)
    return Result(
        path=path,
        label=label,
        confidence=confidence,
        scores=scores,
        warning=warning,
        corrected=corrected,
        cached=cached,
        hash=entry.hash,
        size=entry.size,
        duplicate_of=duplicate_of,
        same_file_as=same_file_as,
    )
