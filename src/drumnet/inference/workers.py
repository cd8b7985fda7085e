"""Decode files in worker processes, in chunks, and run a function (the network) on each chunk.

Files are found lazily (`drumnet.audio.scan`), cut into chunks of `batch_size` paths, and each
chunk is decoded (and hashed) by a worker process. At most `workers * IN_FLIGHT_PER_WORKER`
chunks are in flight, so memory stays flat whatever the library size; chunks come out in
discovery order."""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, TypeVar

import numpy as np
import torch

from drumnet.audio.scan import ScanError, iter_audio_files
from drumnet.audio.sound import load_sound
from drumnet.config import FeatureConfig
from drumnet.errors import AudioError
from drumnet.library.hashing import file_hash
from drumnet.runtime import (
    default_sigterm,
    default_threads,
    die_with_parent,
    torch_threads,
    tune_malloc,
)

IN_FLIGHT_PER_WORKER = 4  # chunks queued per worker: keeps workers busy, memory bounded
T = TypeVar("T")


@dataclass(frozen=True)
class FileInfo:
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


def decode_one(path: str, config: FeatureConfig) -> tuple[FileInfo, np.ndarray | None]:
    """Decode and hash one file; never raises (the reason goes into FileInfo.error)."""
    try:
        sound = load_sound(path, config)
        st = os.stat(path)
        digest = file_hash(path)  # after decoding: the bytes are in the page cache by now
    except AudioError as exc:
        return FileInfo(path, error=exc.reason), None
    except OSError as exc:
        return FileInfo(path, error=f"cannot read file ({exc.strerror or exc})"), None
    except Exception as exc:  # noqa: BLE001 -- a decoder bug must not stop a 50,000-file batch
        return FileInfo(path, error=f"unexpected error ({type(exc).__name__}: {exc})"), None
    info = FileInfo(
        path, st.st_size, st.st_mtime_ns, digest, sound.silent, sound.above_band_db,
        sound.hits, sound.hit_span, sound.source_rate, st.st_ino,
    )  # fmt: skip
    return info, sound.samples


def decode_chunk(paths: list[str], config: FeatureConfig) -> tuple[list[FileInfo], np.ndarray]:
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


def check_pipeline(batch_size: int, threads: int | None, workers: int = 0) -> None:
    """ValueError for settings the streaming pipeline cannot run with."""
    if workers < 0:
        raise ValueError(f"workers must be 0 or more, got {workers}")
    if batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, got {batch_size}")
    if threads is not None and threads < 1:
        raise ValueError(f"threads must be at least 1, got {threads}")


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
) -> Iterator[tuple[list[Planned], tuple[list[FileInfo], Any] | None]]:
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
        with _decoder(workers, threads) as submit, torch_threads(None if remote else threads):
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


def _ready(future: Future | _Immediate | None) -> bool:
    return future is None or future.done()


def _settled(planned: list, future: Future | _Immediate | None, infer) -> tuple[list, Any]:
    if future is None:
        return planned, None
    infos, out = future.result()
    return planned, (infos, out if infer is None else infer(out))
