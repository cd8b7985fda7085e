"""Classify files and folders as a stream: parallel decoding, batched inference, an index.

    for r in classify_paths(["~/Samples"], classes=("kick", "snare")):
        print(r.path, r.label, r.confidence)

Files are found lazily (`drumnet.audio.scan`), cut into chunks of `batch_size` paths, and each chunk
is decoded (and hashed) by a worker process; the main process runs the model on each decoded
chunk as one batch. At most `workers * IN_FLIGHT_PER_WORKER` chunks are in flight, so memory
stays flat whatever the library size. Results come out in discovery order. With an `Index`,
files unchanged since the last run with the same model are answered from it without decoding,
and corrections people made (`drumnet label`) override the model.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import closing, contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

from drumnet.audio.decode import AudioError, load_sound
from drumnet.audio.scan import ScanError, iter_audio_files
from drumnet.config import FeatureConfig
from drumnet.inference.classifier import DrumClassifier, class_names, load_model
from drumnet.library.index import Entry, Index, file_hash
from drumnet.runtime import default_sigterm, die_with_parent, tune_malloc
from drumnet.taxonomy import LOOP, UNSURE

IN_FLIGHT_PER_WORKER = 4  # chunks queued per worker: keeps workers busy, memory bounded
DEFAULT_BATCH_SIZE = 32  # files per worker task and per inference batch (fastest on CPU)

# Warn "above-band" from this loss on (97 % of the energy out of the model's hearing). In the
# Hydrogen kits only electronic hi-hats pass 15 dB (9 of 148 hats); no kick, snare, tom, clap
# or rim passes 5 dB, and no cymbal or percussion 15 dB (tambourines reach 14).
ABOVE_BAND_DB = 15.0
# A file is a loop (several hits: a beat, a roll, a phrase) when a separate hit starts this
# long after its first. No one-shot of the Hydrogen kits, the LMMS drums or the synthesiser's
# drums has one (their latest second hits: 0.36 s, 0.23 s, 0.48 s); all 13 LMMS loops do.
LOOP_SPAN_SECONDS = 0.5
T = TypeVar("T")


@dataclass(frozen=True)
class Result:
    """The answer for one file: a label, or an error saying why there is none.

    scores: probabilities over the classes the decision was restricted to (sum 1).
    confidence: the label's probability (1.0 for a person's correction); for `unsure`, the
    best class's probability, i.e. how far below the threshold it was; for `loop`, the best
    class's probability too (the scores say what the loop's first second sounds like).
    """

    path: str
    label: str | None = None
    confidence: float | None = None
    scores: dict[str, float] | None = None
    error: str | None = None
    # "silent": valid audio with nothing to hear (in its first 30 s: audio.load_sound).
    # "multi-hit": a separate hit starts at least LOOP_SPAN_SECONDS after the first (labelled
    # `loop` unless the decision keeps loops' class labels). "above-band": over 97 % of the
    # sound's energy lies above what the model hears (half its 11,025 Hz), so the label rests
    # on the rest. "low-rate": the file's sample rate is below the model's, so the top of the
    # band the model hears is missing from it (8 kHz files lack 4-5.5 kHz).
    warning: str | None = None
    corrected: bool = False  # the label is a person's correction
    adapted: bool = False  # other files' corrections changed the label (library.corrected)
    cached: bool = False  # answered from the index, without decoding
    hash: str | None = None  # blake2b-128 of the file's bytes
    size: int | None = None  # bytes
    duplicate_of: str | None = None  # an earlier file of this run with identical bytes
    # An earlier name of this run for this very file (a symbolic or hard link to it, or its
    # target): the same file, not a copy of it, so not a duplicate_of.
    same_file_as: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_record(self) -> dict:
        """The JSON-lines record: {path, label, confidence, scores[, warning, corrected,
        duplicate_of, same_file_as]} or {path, error}."""
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        record = {
            "path": self.path,
            "label": self.label,
            "confidence": round(self.confidence, 6),
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
        }
        if self.warning:
            record["warning"] = self.warning
        if self.corrected:
            record["corrected"] = True
        if self.adapted:
            record["adapted"] = True
        if self.duplicate_of:
            record["duplicate_of"] = self.duplicate_of
        if self.same_file_as:
            record["same_file_as"] = self.same_file_as
        return record


@dataclass(frozen=True)
class Decision:
    """How scores become a label: restricted to `classes`, `unsure` below `min_confidence`,
    `loop` for a file of several hits (unless `loops` is False: then its first second's
    class)."""

    classes: tuple[str, ...]
    min_confidence: float = 0.0
    loops: bool = True

    def decide(
        self, scores: dict[str, float], silent: bool, correction: str | None, loop: bool = False
    ):
        """Full-model scores -> (label, confidence, restricted scores, corrected).

        loop: the file holds several hits: answered `loop` whatever the scores say (the model
        hears most drum loops as `other` or as their first hit; the scores are still given).
        """
        # Renormalising a subset of softmax outputs equals a softmax over those logits.
        sub = np.array([scores[c] for c in self.classes], dtype=np.float64)
        sub = sub / sub.sum() if sub.sum() > 0 else np.full(len(sub), 1.0 / len(sub))
        restricted = dict(zip(self.classes, sub.tolist()))
        best = int(sub.argmax())
        if correction is not None:
            return correction, 1.0, restricted, True
        label = self.classes[best]
        if silent or sub[best] < self.min_confidence:
            label = UNSURE
        if loop and self.loops and not silent:
            label = LOOP
        return label, float(sub[best]), restricted, False


@dataclass(frozen=True)
class _FileInfo:
    """What a worker learns about one file (the window itself travels in a stacked array)."""

    path: str
    size: int = 0
    mtime_ns: int = 0
    hash: str = ""
    silent: bool = False
    above_band_db: float = 0.0
    hits: int = 1
    hit_span: float = 0.0
    source_rate: int = 0
    ino: int = 0
    error: str | None = None


def decode_one(path: str, config: FeatureConfig) -> tuple[_FileInfo, np.ndarray | None]:
    """Decode and hash one file; never raises (the reason goes into _FileInfo.error)."""
    try:
        sound = load_sound(path, config)
        st = os.stat(path)
        digest = file_hash(path)  # after decoding: the bytes are in the page cache by now
    except AudioError as exc:
        return _FileInfo(path, error=exc.reason), None
    except OSError as exc:
        return _FileInfo(path, error=f"cannot read file ({exc.strerror or exc})"), None
    except Exception as exc:  # noqa: BLE001 -- a decoder bug must not stop a 50,000-file batch
        return _FileInfo(path, error=f"unexpected error ({type(exc).__name__}: {exc})"), None
    info = _FileInfo(
        path, st.st_size, st.st_mtime_ns, digest, sound.silent, sound.above_band_db,
        sound.hits, sound.hit_span, sound.source_rate, st.st_ino,
    )  # fmt: skip
    return info, sound.samples


def decode_chunk(paths: list[str], config: FeatureConfig) -> tuple[list[_FileInfo], np.ndarray]:
    """Worker task: paths -> (infos, windows (n_ok, n_samples)) for the files that decoded."""
    infos, waves = [], []
    for path in paths:
        info, wave = decode_one(path, config)
        infos.append(info)
        if wave is not None:
            waves.append(wave)
    stacked = np.stack(waves) if waves else np.zeros((0, config.n_samples), np.float32)
    return infos, stacked


class _Immediate:
    """A finished 'future' for running without worker processes (workers=0)."""

    def __init__(self, fn, *args):
        self._value = fn(*args)

    def done(self) -> bool:
        return True

    def result(self):
        return self._value


def _fork_context():
    """The fork start method, or None where there is none (then workers start afresh)."""
    has_fork = "fork" in multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork") if has_fork else None


def _init_worker(threads: int, parent: int) -> None:
    torch.set_num_threads(threads)
    default_sigterm()  # forked from the command, which turns SIGTERM into KeyboardInterrupt
    die_with_parent(parent)
    tune_malloc()


@contextmanager
def _decoder(workers: int, threads: int = 1):
    """Yields submit(fn, *args) -> future: a process pool, or inline when workers == 0.

    Workers are forked (they start in milliseconds and inherit the loaded model, see
    `_INFER`) with `threads` torch threads each.
    """
    if workers <= 0:
        yield _Immediate
        return
    pool = ProcessPoolExecutor(
        max_workers=workers,
        mp_context=_fork_context(),
        initializer=_init_worker,
        initargs=(threads, os.getpid()),
    )
    try:
        yield pool.submit
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# token -> the function a pipeline runs on each chunk's windows. Set before its pool forks, so
# the workers inherit the model with it (nothing is pickled); a token per pipeline keeps two
# pipelines alive at once apart.
_INFER: dict[int, Callable[[np.ndarray], Any]] = {}
_TOKENS = itertools.count()


def _decode_and_infer(token: int, paths: list[str], config: FeatureConfig) -> tuple[list, Any]:
    """Worker task: decode_chunk, then the pipeline's function on the windows."""
    infos, waves = decode_chunk(paths, config)
    return infos, _INFER[token](waves)


@contextmanager
def _torch_threads(n: int | None):
    """Temporarily set torch's intra-op threads (restored afterwards)."""
    before = torch.get_num_threads()
    if n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def check_pipeline(batch_size: int, threads: int | None, workers: int = 0) -> None:
    """ValueError for settings the streaming pipeline cannot run with."""
    if workers < 0:
        raise ValueError(f"workers must be 0 or more, got {workers}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")


def default_threads(workers: int, in_workers: bool = False) -> int:
    """Torch threads per process that runs the network: the cores shared out among the
    workers if they ran it (`in_workers`), else the cores the decode workers leave free; at
    least one.

    On a busy or small machine an oversubscribed OpenMP pool is many times slower than one
    thread (its threads spin waiting for each other), so this never counts a core twice.
    """
    cores = os.cpu_count() or 1
    if in_workers:
        return max(1, cores // max(1, workers))
    return max(1, cores - max(0, workers))


def _chunks(items: Iterable, size: int) -> Iterator[list]:
    chunk = []
    for item in items:
        chunk.append(item)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


Planned = ScanError | tuple[str, T | None]  # per file: a scan error, or (path, cached answer)


def decoded_chunks(
    paths: Iterable[str | os.PathLike],
    config: FeatureConfig,
    cached: Callable[[str], T | None],
    workers: int,
    batch_size: int,
    threads: int | None = None,
    infer: Callable[[np.ndarray], Any] = lambda waves: waves,
    in_workers: bool = True,
) -> Iterator[tuple[list[Planned], tuple[list[_FileInfo], Any] | None]]:
    """Find the audio files under `paths`, decode those `cached` has no answer for, and run
    `infer` on their windows.

    Yields one (planned, decoded) pair per chunk of `batch_size` files, in discovery order:
    `planned` holds a ScanError or (path, cached(path)) per file, `decoded` is (infos,
    infer(windows (n_ok, n_samples))) for the files without a cached answer (None when every
    file had one). Chunks decode in `workers` processes, which also run `infer` when
    `in_workers` (a model on the CPU), they can be forked, and each would get one thread
    (`threads` unset or 1, cores <= workers): all cores then run the network, instead of the
    cores the decoders leave free while the decoders mostly wait. Else `infer` runs here with
    `threads` torch threads (default `default_threads(workers)`). At most
    `workers * IN_FLIGHT_PER_WORKER` chunks are in flight. Closing the generator stops the
    workers.
    """
    # A forked child may only run torch on one thread: GNU OpenMP deadlocks in a child whose
    # parent already used its thread pool. So the workers run `infer` when one thread each is
    # what they would get (2 cores, 2 workers); else it runs here on the cores they leave free.
    remote = (
        in_workers
        and workers > 0
        and _fork_context() is not None
        and (threads or default_threads(workers, in_workers=True)) == 1
    )
    threads = 1 if remote else threads or default_threads(workers)
    token = next(_TOKENS)
    _INFER[token] = infer
    pending: deque = deque()
    limit = max(1, workers) * IN_FLIGHT_PER_WORKER
    try:
        with _decoder(workers, threads) as submit, _torch_threads(None if remote else threads):
            for chunk in _chunks(iter_audio_files(paths), batch_size):
                planned = [
                    item if isinstance(item, ScanError) else (item, cached(item)) for item in chunk
                ]
                todo = [p[0] for p in planned if isinstance(p, tuple) and p[1] is None]
                task = (_decode_and_infer, token) if remote else (decode_chunk,)
                pending.append((planned, submit(*task, todo, config) if todo else None))
                while pending and (len(pending) > limit or _ready(pending[0][1])):
                    yield _settled(*pending.popleft(), None if remote else infer)
            while pending:
                yield _settled(*pending.popleft(), None if remote else infer)
    finally:
        _INFER.pop(token, None)


def indexed_chunks(
    paths: Iterable[str | os.PathLike],
    clf: DrumClassifier,
    index: Index | None,
    find: Callable[[Index, str, int, int, str, int], T | None],
    workers: int,
    batch_size: int,
    threads: int | None = None,
    infer: Callable[[np.ndarray], Any] | None = None,
) -> Iterator[tuple[list[Planned], tuple[list[_FileInfo], Any] | None]]:
    """`decoded_chunks` for `clf`, where a file unchanged since `index` stored an answer for it
    is not decoded: planned's cached answer is `find(index, absolute path, size, mtime_ns,
    model_id, inode)` (e.g. `Index.lookup`). `infer` (default `clf.predict_proba_waves`) runs in the
    workers when `clf` is on the CPU. The index is committed when the caller is done with the
    last chunk or closes this generator early (Ctrl-C), so every finished answer is kept."""

    def cached(path: str) -> T | None:
        if index is None:
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None  # let the decoder say what is wrong with it
        path = os.path.abspath(path)
        return find(index, path, st.st_size, st.st_mtime_ns, clf.model_id, st.st_ino)

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


def _ready(future: Future | _Immediate | None) -> bool:
    return future is None or future.done()


def _settled(planned: list, future: Future | _Immediate | None, infer) -> tuple[list, Any]:
    if future is None:
        return planned, None
    infos, out = future.result()
    return planned, (infos, out if infer is None else infer(out))


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
    embed = adapt and index is not None and bool(index.corrections())
    results = _stream(paths, clf, decision, workers, batch_size, index, threads, embed)
    if adapt and index is not None:
        from drumnet.library.corrected import adapt_results  # it classifies with this module

        results = adapt_results(results, clf, decision, index, workers, threads)
    return results


def _stream(paths, clf, decision, workers, batch_size, index, threads, embed=False):
    """embed: also store each decoded file's embedding, from the same forward pass (once
    corrections exist, adaptation needs them: `drumnet.library.corrected`)."""
    names_of_hash: dict[str, _Names] = {}  # content hash -> names met; ~100 B/file
    infer = store = None
    if embed:
        from drumnet.library.corrected import embedding_infer, store_embeddings

        infer, store = embedding_infer(clf), store_embeddings
    lookup = measured(Index.lookup)
    chunks = indexed_chunks(paths, clf, index, lookup, workers, batch_size, threads, infer)
    with closing(chunks):  # closing this generator closes the workers and commits the index
        for planned, chunk in chunks:
            if store is not None and chunk is not None:
                chunk = store(chunk, clf, index)  # -> (infos, probs)
            yield from _finish(planned, chunk, clf, decision, index, names_of_hash)


def measured(find: Callable[..., T | None]) -> Callable[..., T | None]:
    """`find` (Index.lookup or Index.lookup_embedding), but an answer stored before drumnet
    counted hits counts as missing: the file is decoded again, once, so that a loop stored
    by an older version is told from a one-shot. So does a silent answer: an older version
    listened to the first 3 s only, and a hit after longer silence is found now (`load_sound`).
    Silent files are few, and searching one costs about as much as decoding a sound. An answer
    stored before drumnet recorded the file's sample rate is made again too, once, so that
    the "low-rate" warning is given for every file."""

    def lookup(index: Index, *key) -> T | None:
        found = find(index, *key)
        if found is None or found.hits is None or getattr(found, "silent", False):
            return None  # (an Embedding has no `silent`: a silent file's is never stored)
        if getattr(found, "source_rate", 0) is None:
            return None  # (nor a rate: a search gives no warnings)
        return found

    return lookup


def _finish(planned, chunk, clf, decision, index, names_of_hash) -> Iterator[Result]:
    """Merge one chunk's fresh answers with the cached ones, in order."""
    decoded: dict[str, tuple[_FileInfo, dict | None]] = {}
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
        warning = _warning(entry, clf.feature_config.sample_rate)
        yield _result(path, entry, decision, index, names_of_hash, cached, warning)


def is_loop(hit_span: float | None) -> bool:
    """A file whose hits span this long is a loop (False when the span was not measured)."""
    return hit_span is not None and hit_span >= LOOP_SPAN_SECONDS


def _warning(entry: Entry, model_rate: int) -> str | None:
    if entry.silent:
        return "silent"
    if is_loop(entry.hit_span):
        return "multi-hit"
    if entry.above_band_db is not None and entry.above_band_db >= ABOVE_BAND_DB:
        return "above-band"
    if entry.source_rate is not None and entry.source_rate < model_rate:
        return "low-rate"
    return None


class _Names:
    """This run's names for one content: the first, and once a second comes, the first name of
    each file among them by (device, inode), so a link is told from a copy in one stat."""

    __slots__ = ("by_file", "first")

    def __init__(self, first: str):
        self.first = first
        self.by_file: dict[tuple[int, int], str] | None = None

    def meet(self, path: str) -> tuple[str | None, str | None]:
        """(duplicate_of, same_file_as) for `path`, a later name with this content."""
        if self.by_file is None:
            self.by_file = {}
            self._add(self.first)
        key = _file_key(path)
        same = self.by_file.get(key) if key else None
        if same is None:
            self._add(path, key)
            return self.first, None
        return None, (same if same != path else None)  # a path met twice is no link

    def _add(self, path: str, key: tuple[int, int] | None = None) -> None:
        key = key or _file_key(path)
        if key:
            self.by_file.setdefault(key, path)


def _file_key(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file a path leads to (links followed); None if it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino


def _result(path, entry: Entry, decision, index, names_of_hash, cached, warning) -> Result:
    correction = index.correction(entry.hash) if index is not None else None
    label, confidence, scores, corrected = decision.decide(
        entry.scores, entry.silent, correction, is_loop(entry.hit_span)
    )
    names = names_of_hash.get(entry.hash)
    if names is None:
        names_of_hash[entry.hash] = _Names(path)
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
