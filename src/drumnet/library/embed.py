"""A sound's embedding: the network's penultimate features joined with its descriptors.

The network part is the input of each body's last linear layer, L2-normalised (an ensemble
joins its members' unit vectors / sqrt(members)); the sound's part is the classical
baseline's 94 descriptors, standardised with fixed statistics of the default training data
(`models/descriptor-stats.json`). The parts are weighted 1 : DESCRIPTOR_WEIGHT and the whole
is unit length, so the dot product of two embeddings is their cosine similarity. Files are
found, decoded and cached as `classify_paths` does it (same pipeline and index).
"""

from __future__ import annotations

import functools
import json
import math
import os
from collections.abc import Iterable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from drumnet.audio.decode import SILENCE_SEARCH_SECONDS
from drumnet.audio.scan import ScanError
from drumnet.config import DEFAULT_BATCH_SIZE, FeatureConfig
from drumnet.features.descriptors import descriptor_names, descriptors
from drumnet.inference.classifier import DrumClassifier
from drumnet.inference.decision import is_loop
from drumnet.inference.pipeline import indexed_chunks
from drumnet.inference.workers import check_pipeline
from drumnet.library.index import Embedding, Index
from drumnet.nets.ensemble import EnsembleNet
from drumnet.taxonomy import LOOP

SILENT = f"silent (nothing to hear in its first {SILENCE_SEARCH_SECONDS:g} s)"
INFERENCE_BATCH = 128  # windows per forward pass for a bare network (as DrumClassifier's)
# The descriptors' weight beside the network's features, chosen on the Hydrogen kits embedded
# by nets that never heard them (4 folds; BENCHMARKS.md, "Search by sound on kits never heard",
# which sweeps it). For the shipped five, 0.4 finds the sound's own drum 93.4 % of the time (the
# networks alone 88.7 %) and nearly keeps its class among other instruments (P@1 83.1 vs 83.9 %,
# P@5 78.5 against 78.6 %); 0.7 gave 94.1 % but cost 2.6 points of that P@1. For one net,
# 0.4 raises every figure too (same drum 84 -> 91 %).
DESCRIPTOR_WEIGHT = 0.4
DESCRIPTOR_STATS = Path(__file__).resolve().parents[1] / "models" / "descriptor-stats.json"
STATS_FORMAT = "drumnet-descriptor-stats"
# Embeddings are stored in the index under the model's id plus this: a vector of another
# make (an older drumnet's, the network part alone, another weight) is never compared with these.
EMBEDDING_KIND = f"+descriptors1-w{DESCRIPTOR_WEIGHT}"


@dataclass(frozen=True)
class Embedded:
    """One file's embedding, or the reason there is none.

    vector: float32 (D,), unit length. label: the model's most probable class over all its
    classes, `loop` for a file of several hits, or a person's correction (`drumnet label`)
    when the index has one.
    """

    path: str
    vector: np.ndarray | None = None
    label: str | None = None
    hash: str | None = None  # blake2b-128 of the file's bytes
    error: str | None = None
    cached: bool = False  # read from the index, without decoding
    loop: bool | None = None  # several hits (classify.is_loop); None: not known

    @property
    def ok(self) -> bool:
        return self.error is None


def embedding_layers(net: nn.Module) -> list[nn.Linear]:
    """The last nn.Linear of each network body (one per ensemble member): the embedding is
    its input. Works for any registered model whose output layer is registered last."""
    bodies = [m.body for m in net.members] if isinstance(net, EnsembleNet) else [net.body]
    layers = []
    for body in bodies:
        linears = [m for m in body.modules() if isinstance(m, nn.Linear)]
        if not linears:
            raise ValueError(f"{type(body).__name__} has no linear layer to take features from")
        layers.append(linears[-1])
    return layers


def embedding_dim(net: nn.Module) -> int:
    """D, the length of `net`'s network part of an embedding (64 for the highway net, 320 for
    the shipped five); the descriptors add 94 when they apply (`descriptor_stats`)."""
    return sum(layer.in_features for layer in embedding_layers(net))


@functools.cache
def _stats_file(path: Path) -> dict | None:
    try:
        stats = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return stats if stats.get("format") == STATS_FORMAT else None


def descriptor_stats(features: FeatureConfig) -> tuple[np.ndarray, np.ndarray] | None:
    """(mean, std) of the 94 descriptors over the default training data, for `features`;
    None when the shipped statistics were measured with other feature settings (or are
    missing): such a model's embeddings are the network part alone."""
    stats = _stats_file(DESCRIPTOR_STATS)
    if stats is None or stats.get("features") != features.to_dict():
        return None
    if stats.get("names") != descriptor_names():
        return None
    return np.asarray(stats["mean"]), np.asarray(stats["std"])


def write_descriptor_stats(path: str | os.PathLike = DESCRIPTOR_STATS) -> Path:
    """Measure the descriptors' mean and std over the default model's training data (the
    Hydrogen kits and the default recipe's extra sources) and write them as JSON; `make model`
    runs it."""
    from drumnet.training.config import RECIPES
    from drumnet.training.experiments import load_pool

    recipe = RECIPES["default"]
    features = recipe.features  # the shipped nets' window: search cuts sounds as they do
    pool = load_pool(recipe.sources, recipe.extra_sources, features=features)
    values = descriptors(pool.waves, features).astype(np.float64)
    stats = {
        "format": STATS_FORMAT,
        "version": 1,
        "made_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "sounds": len(values),
        "sources": [*recipe.sources, *recipe.extra_sources],
        "features": features.to_dict(),
        "names": descriptor_names(),
        "mean": [round(float(v), 6) for v in values.mean(0)],
        "std": [round(float(v), 6) for v in values.std(0)],
    }
    path = Path(path)
    path.write_text(json.dumps(stats, indent=1) + "\n")
    _stats_file.cache_clear()
    return path


def descriptor_part(waves: np.ndarray, features: FeatureConfig) -> np.ndarray | None:
    """Standardised, unit-length descriptors (B, 94) of windows, or None (no statistics)."""
    stats = descriptor_stats(features)
    if stats is None:
        return None
    mean, std = stats
    z = (descriptors(waves, features).astype(np.float64) - mean) / np.maximum(std, 1e-12)
    return (z / np.maximum(np.linalg.norm(z, axis=1, keepdims=True), 1e-12)).astype(np.float32)


@contextmanager
def _captured_inputs(net: nn.Module) -> Iterator[list[torch.Tensor]]:
    """A list that every forward pass of `net` appends the embedding layers' inputs to."""
    captured: list[torch.Tensor] = []
    hooks = [
        layer.register_forward_pre_hook(lambda _layer, args: captured.append(args[0]))
        for layer in embedding_layers(net)
    ]
    try:
        yield captured
    finally:
        for hook in hooks:
            hook.remove()


def _joined(parts: list[torch.Tensor]) -> torch.Tensor:
    """Members' features [(B, D_i)] -> (B, sum D_i): each unit length, / sqrt(n) overall."""
    unit = [F.normalize(p.flatten(1), dim=1) for p in parts]
    return torch.cat(unit, dim=1) / math.sqrt(len(unit))


@torch.inference_mode()
def embed_and_classify(
    model: DrumClassifier | nn.Module, waves: np.ndarray, with_descriptors: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Windows (B, n_samples) -> (embeddings (B, D), class probabilities (B, n_classes)).

    One forward pass in eval mode gives both; both float32, embeddings unit length.
    model: a DrumClassifier, or a DrumNet / EnsembleNet (its train/eval mode is restored).
    with_descriptors=False: the network part alone.
    """
    clf = model if isinstance(model, DrumClassifier) else None
    net = clf.fused_model_ if clf else model  # the fused copy: same outputs, faster
    device = clf.device if clf else next(net.parameters()).device
    batch = clf.batch_size if clf else INFERENCE_BATCH
    waves = np.asarray(waves, dtype=np.float32)
    if waves.ndim != 2 or waves.shape[1] != net.features.n_samples:
        raise ValueError(
            f"expected waves of shape (batch, {net.features.n_samples}), got {waves.shape}"
        )
    embeddings = [np.zeros((0, embedding_dim(net)), np.float32)]
    probs = [np.zeros((0, len(net.classes)), np.float32)]
    training = net.training
    net.eval()
    try:
        with _captured_inputs(net) as captured:
            for start in range(0, len(waves), batch):
                captured.clear()
                logits = net(torch.from_numpy(waves[start : start + batch]).to(device))
                embeddings.append(_joined(captured).cpu().numpy())  # (b, D)
                probs.append(torch.softmax(logits, dim=1).cpu().numpy())  # (b, n_classes)
    finally:
        net.train(training)
    vectors = np.concatenate(embeddings)
    sound = descriptor_part(waves, net.features) if with_descriptors else None
    return join_parts(vectors, sound), np.concatenate(probs)


def join_parts(
    network: np.ndarray, sound: np.ndarray | None, weight: float = DESCRIPTOR_WEIGHT
) -> np.ndarray:
    """The embedding from its unit-length parts (B, D) and (B, 94): [network, weight * sound],
    scaled back to unit length; the network part alone when `sound` is None."""
    if sound is None:
        return network
    joined = np.concatenate([network, weight * sound], axis=1)
    return (joined / math.hypot(1, weight)).astype(np.float32)


def embed_waves(
    model: DrumClassifier | nn.Module, waves: np.ndarray, with_descriptors: bool = True
) -> np.ndarray:
    """Windows (B, n_samples) float32 -> unit-length embeddings (B, D) float32."""
    return embed_and_classify(model, waves, with_descriptors)[0]


def embed_paths(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    clf: DrumClassifier,
    workers: int = 2,
    batch_size: int = DEFAULT_BATCH_SIZE,
    index: Index | None = None,
    threads: int | None = None,
    with_descriptors: bool = True,
) -> Iterator[Embedded]:
    """Embed every audio file under `paths` (files and folders, recursive), streaming, in
    discovery order, with `classify_paths`'s pipeline (`workers` decoding processes, `threads`
    torch threads). index: reuse and store embeddings (None: no index). A file that cannot be
    decoded, or is silent, gives an Embedded with `error`, never an exception.
    with_descriptors=False: the network part alone (stored in the index apart).
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    check_pipeline(batch_size, threads, workers)
    return _stream(paths, clf, workers, batch_size, index, threads, with_descriptors)


def embedding_key(clf: DrumClassifier, with_descriptors: bool = True) -> str:
    """The index's key for `clf`'s embeddings: its model id, plus EMBEDDING_KIND when they
    carry the descriptors."""
    sound = with_descriptors and descriptor_stats(clf.feature_config) is not None
    return clf.model_id + (EMBEDDING_KIND if sound else "")


def _stream(
    paths, clf, workers, batch_size, index, threads, with_descriptors
) -> Iterator[Embedded]:
    infer = functools.partial(embed_and_classify, clf, with_descriptors=with_descriptors)
    key = embedding_key(clf, with_descriptors)

    def find(index: Index, path: str, size: int, mtime_ns: int, _model_id: str, ino: int):
        return Index.lookup_embedding(index, path, size, mtime_ns, key, ino)

    chunks = indexed_chunks(paths, clf, index, find, workers, batch_size, threads, infer)
    with closing(chunks):  # closing this generator closes the workers and commits the index
        for planned, chunk in chunks:
            fresh = embed_chunk(chunk, clf, key, index) if chunk is not None else {}
            yield from (_embedded(item, fresh, index) for item in planned)


def embed_chunk(chunk, clf: DrumClassifier, key: str, index: Index | None) -> dict:
    """(infos, embed_and_classify's answer) -> {path: Embedding, or Embedded with an error}."""
    infos, (vectors, probs) = chunk
    rows = iter(zip(vectors, probs.argmax(axis=1).tolist()))
    out: dict[str, Embedding | Embedded] = {}
    for info in infos:
        if info.error:
            out[info.path] = Embedded(info.path, error=info.error)
            continue
        vector, best = next(rows)
        if info.silent:  # its features say nothing about how it sounds
            out[info.path] = Embedded(info.path, error=SILENT)
            continue
        path = os.path.abspath(info.path)
        label = clf.classes_[best]
        out[info.path] = Embedding(
            path, key, info.size, info.mtime_ns, info.hash, label, vector,
            info.hits, round(info.hit_span, 3), info.ino,
        )  # fmt: skip
        if index is not None:
            index.put_embedding(out[info.path])
    return out


def _embedded(item, fresh: dict, index: Index | None) -> Embedded:
    if isinstance(item, ScanError):
        return Embedded(item.path, error=item.reason)
    path, stored = item
    found = stored if stored is not None else fresh[path]
    if isinstance(found, Embedded):
        return found  # the reason it failed
    correction = index.correction(found.hash) if index is not None else None
    # A person's correction decides what the file is, a loop or a one-shot, as in `classify`.
    loop = correction == LOOP if correction else is_loop(found.hit_span)
    label = correction or (LOOP if loop else found.label)
    return Embedded(path, found.vector, label, found.hash, cached=stored is not None, loop=loop)


def embed_query(
    query: str | os.PathLike,
    clf: DrumClassifier,
    index: Index | None = None,
    with_descriptors: bool = True,
) -> Embedded:
    """The embedding of one audio file; ValueError when it is a folder, unreadable or silent."""
    if os.path.isdir(query):
        raise ValueError(f"query {query} is a folder; give one audio file")
    (found,) = embed_paths(
        [query], clf, workers=0, index=index, threads=1, with_descriptors=with_descriptors
    )
    if not found.ok:
        raise ValueError(f"query {query}: {found.error}")
    return found
