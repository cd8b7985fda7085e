"""Classify on a Ray cluster: the same answers as the local pipeline, decoded and heard by actors.

    drumnet classify /store --engine ray --address ray://head:10001 --workers 64

The driver finds the files (`drumnet.audio.scan`) and asks the index first, as locally; the
files it cannot answer become a Ray Data dataset of paths, and `map_batches` hands batches of
them to a pool of actors (`ClassifyActor`), each of which receives the model once and runs
`decode_chunk` and the network on every batch it gets. The driver turns what comes back into
`Result`s with the local pipeline's own code, so labels, scores, warnings and errors are the
same, and stores them in the driver's index. An actor that dies is restarted and its batch
retried. Every node must see the files under the same paths (a shared mount). docs/scale.md.
"""

from __future__ import annotations

import copy
import dataclasses
import logging
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypeVar

import numpy as np

from drumnet.audio.scan import ScanError, iter_audio_files
from drumnet.inference.classifier import DrumClassifier
from drumnet.inference.pipeline import cached_answer
from drumnet.inference.workers import FileInfo, Planned, decode_chunk
from drumnet.library.index import Index

if TYPE_CHECKING:
    import ray

T = TypeVar("T")
# Chunks (of the pipeline's batch size) per Ray block, i.e. per actor call: fewer calls cost
# less scheduling, but a retried block repeats more work, and each actor needs blocks (at
# least two per actor are made when there are enough chunks).
CHUNKS_PER_BLOCK = 8
INSTALL_HINT = "pip install 'drumnet[ray]'"
_INFO_FIELDS = tuple(f.name for f in dataclasses.fields(FileInfo) if f.name != "path")


def require_ray() -> None:
    """ImportError with the one line that says how to get Ray, when it is not installed."""
    try:
        import ray
        import ray.data  # noqa: F401
    except ImportError:
        raise ImportError(f"--engine ray needs Ray: {INSTALL_HINT}") from None


class ClassifyActor:
    """One Ray actor: holds the model (received once) and classifies batches of paths.

    A batch is {"row": (n,) int, "chunk": (n,) int, "path": (n,) bytes (os.fsencode: Arrow
    strings must be UTF-8, file names need not be)}; the files of one chunk are decoded and
    heard together, as a local run does. The answer keeps "row" and adds one column per
    `FileInfo` field but the path, and "probs" (n, n_classes), NaN for a file that did not
    decode.
    """

    def __init__(self, model_ref: ray.ObjectRef, metadata: dict, threads: int):
        import ray
        import torch

        from drumnet.runtime import tune_malloc

        torch.set_num_threads(threads)
        tune_malloc()
        model = ray.get(model_ref)
        device = "cuda" if torch.cuda.is_available() else "cpu"
        self.clf = DrumClassifier(model, metadata, device=device)

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        paths = [os.fsdecode(p) for p in batch["path"]]
        infos, probs = [], np.full((len(paths), len(self.clf.classes_)), np.nan, np.float32)
        for chunk in dict.fromkeys(batch["chunk"].tolist()):  # in order, each once
            rows = np.flatnonzero(batch["chunk"] == chunk)
            chunk_infos, waves = decode_chunk([paths[i] for i in rows], self.clf.feature_config)
            ok = [i for i, info in zip(rows, chunk_infos) if info.error is None]
            probs[ok] = self.clf.predict_proba_waves(waves)
            infos += chunk_infos
        out = {name: [getattr(i, name) for i in infos] for name in _INFO_FIELDS}
        out["error"] = [os.fsencode(e or "") for e in out["error"]]  # bytes, as the paths
        columns = {name: np.asarray(values) for name, values in out.items()}
        return {"row": np.asarray(batch["row"]), **columns, "probs": probs}


@dataclass(frozen=True)
class RayEngine:
    """Where and how wide classification runs on Ray.

    address: a running cluster ("auto", "ray://head:10001", "head:6379"); None joins the one
    this process is connected to, else starts a local one of `workers * cpus_per_worker` CPUs
    for the run. workers: actors. cpus_per_worker: CPUs (and torch threads) each actor takes.
    gpus_per_worker: None gives each actor one GPU when the cluster has GPUs, else none.
    actor: the callable class map_batches runs (ClassifyActor, or one derived from it).
    """

    address: str | None = None
    workers: int = 2
    cpus_per_worker: int = 1
    gpus_per_worker: float | None = None
    actor: type = ClassifyActor

    def __post_init__(self):
        if self.workers < 1:
            raise ValueError(f"--engine ray needs at least one worker, got {self.workers}")
        if self.cpus_per_worker < 1:
            raise ValueError(f"cpus per worker must be at least 1, got {self.cpus_per_worker}")

    def chunks(
        self,
        paths: Iterable[str | os.PathLike],
        clf: DrumClassifier,
        index: Index | None,
        find: Callable[..., T | None],
        batch_size: int,
    ) -> Iterator[tuple[list[Planned], tuple[list[FileInfo], np.ndarray] | None]]:
        """`drumnet.inference.pipeline.indexed_chunks`, with the decoding and the network on
        Ray: (planned, (infos, probs) or None) per chunk of `batch_size` files, in discovery
        order. The index is committed when the caller is done or closes the generator."""
        require_ray()
        planned = plan(paths, clf, index, find, batch_size)
        todo = [item[0] for chunk in planned for item in chunk if _todo(item)]
        started = connect(self.address, self.workers * self.cpus_per_worker)
        answers = None
        try:
            answers = self._answers(planned, clf) if todo else iter(())
            yield from _reassembled(planned, todo, answers, len(clf.classes_))
        finally:
            if index is not None:
                index.commit()
            if hasattr(answers, "close"):
                answers.close()  # before the shutdown: Ray Data reports on its way out
            if started:
                import ray

                ray.shutdown()

    def _answers(self, planned: list[list], clf: DrumClassifier) -> Iterator[dict]:
        """The actors' answers for the files to decode, as batches of columns. Each planned
        chunk's files are decoded and heard together, as a local run has them (the network's
        last digits depend on the batch it runs in, and the answers must not)."""
        import ray
        import ray.data

        gpus = self.gpus_per_worker
        if gpus is None:
            gpus = 1 if ray.cluster_resources().get("GPU", 0) > 0 else 0
        model = clf.model_
        if next(model.parameters()).device.type != "cpu":
            model = copy.deepcopy(model).cpu()  # the caller's stays where it is
        model_ref = ray.put(model)
        todo = [[os.fsencode(item[0]) for item in chunk if _todo(item)] for chunk in planned]
        todo = [paths for paths in todo if paths]
        per_block = max(1, min(CHUNKS_PER_BLOCK, len(todo) // (2 * self.workers)))
        blocks = _blocks(todo, per_block)
        ds = ray.data.from_arrow(blocks)
        ds.context.execution_options.preserve_order = True  # memory stays flat on the driver
        ds.context.enable_progress_bars = False
        ds.context.print_on_execution_start = False
        logging.getLogger("ray.data").setLevel(logging.ERROR)  # its notes are not the user's
        ds = ds.map_batches(
            self.actor,
            fn_constructor_kwargs={
                "model_ref": model_ref,  # each actor fetches the weights once
                "metadata": clf.metadata,
                "threads": self.cpus_per_worker,
            },
            batch_size=None,  # a block is a batch
            batch_format="numpy",
            compute=ray.data.ActorPoolStrategy(size=self.workers),
            num_cpus=self.cpus_per_worker,
            num_gpus=gpus,
        )  # Ray Data restarts a dead actor and retries its batch (max_restarts=-1 by default)
        return ds.iter_batches(batch_size=None, batch_format="numpy")


def _blocks(todo: list[list[bytes]], per_block: int) -> list:
    """Arrow tables of `per_block` chunks each: columns row (the file's place in the run),
    chunk (the chunk it belongs to) and path."""
    import pyarrow as pa

    blocks, first = [], 0
    for start in range(0, len(todo), per_block):
        group = todo[start : start + per_block]
        n = sum(map(len, group))
        chunk_ids = [start + i for i, paths in enumerate(group) for _ in paths]
        blocks.append(
            pa.table({
                "row": pa.array(range(first, first + n), pa.int64()),
                "chunk": pa.array(chunk_ids, pa.int64()),
                "path": pa.array([p for paths in group for p in paths], pa.binary()),
            })
        )  # fmt: skip
        first += n
    return blocks


def connect(address: str | None, cpus: int) -> bool:
    """Join the cluster at `address`, or this process's, or start a local one; True when
    this call started (and its caller must shut down) the connection."""
    import ray

    if ray.is_initialized():
        return False
    quiet = {"include_dashboard": False, "logging_level": logging.ERROR, "log_to_driver": False}
    if address:
        ray.init(address=address, **quiet)
    else:
        ray.init(num_cpus=cpus, **quiet)
    return True


def plan(paths, clf: DrumClassifier, index: Index | None, find, batch_size: int) -> list[list]:
    """Chunks of `batch_size` planned files: a ScanError or (path, cached answer or None)."""
    chunks, chunk = [], []
    for item in iter_audio_files(paths):
        chunk.append(
            item if isinstance(item, ScanError) else (item, cached_answer(item, clf, index, find))
        )
        if len(chunk) == batch_size:
            chunks.append(chunk)
            chunk = []
    return chunks + [chunk] if chunk else chunks


def _todo(item) -> bool:
    return isinstance(item, tuple) and item[1] is None


def _reassembled(planned: list[list], todo: list[str], answers, n_classes: int) -> Iterator:
    """Pair each planned chunk with the answers for its files, in order, as they arrive."""
    got: dict[int, tuple[FileInfo, np.ndarray]] = {}
    answers = iter(answers)
    first = 0  # row number of the chunk's first file to decode
    for chunk in planned:
        rows = range(first, first + sum(map(_todo, chunk)))
        first = rows.stop
        while any(r not in got for r in rows):
            got.update(_unpacked(next(answers), todo))
        if not rows:
            yield chunk, None
            continue
        infos, probs = zip(*(got.pop(r) for r in rows))
        ok = [i for i, info in enumerate(infos) if info.error is None]
        stacked = np.stack([probs[i] for i in ok]) if ok else np.zeros((0, n_classes))
        yield chunk, (list(infos), stacked)


def _unpacked(batch: dict[str, np.ndarray], todo: list[str]) -> dict[int, tuple]:
    """row -> (FileInfo, probabilities) for one batch of answers."""
    out = {}
    for j, row in enumerate(batch["row"].tolist()):
        values = {name: _plain(batch[name][j]) for name in _INFO_FIELDS}
        values["error"] = os.fsdecode(values["error"]) or None
        out[row] = (FileInfo(todo[row], **values), batch["probs"][j])
    return out


def _plain(value):
    """A numpy scalar as the Python value FileInfo holds (str, bytes stay as they are)."""
    return value.item() if isinstance(value, np.generic) else value
