"""Search a sample library by sound: the network's penultimate features, compared by cosine.

    clf = load_model()  # the shipped ensemble
    query = embed_query("kick.wav", clf)
    for m in nearest(query, embed_paths(["~/Samples"], clf), top=5):
        print(m.rank, f"{m.similarity:.3f}", m.label, m.path)

A sound's embedding is the input of the last linear layer of the network body (the highway
net: the 64 values after the dense layer's batch norm and ELU; the MLP: its last hidden layer),
L2-normalised, so the dot product of two embeddings is their cosine similarity. An ensemble's
embedding joins its members' unit vectors and divides by sqrt(members): unit length too, and
the cosine of two is the mean of the members' cosines. Files are found, decoded and cached as
`classify_paths` does it (same worker pool, same index file, a table of its own); the class
probabilities come from the same forward pass, so filtering by class costs nothing more.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Iterable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from drumnet.classifier import DrumClassifier
from drumnet.classify import (
    DEFAULT_BATCH_SIZE,
    check_pipeline,
    indexed_chunks,
    is_loop,
    measured,
)
from drumnet.ensemble import EnsembleNet
from drumnet.index import Embedding, Index
from drumnet.scan import ScanError
from drumnet.taxonomy import LOOP

SILENT = "silent (nothing to compare)"
INFERENCE_BATCH = 128  # windows per forward pass for a bare network (as DrumClassifier's)


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


@dataclass(frozen=True)
class Match:
    """One search result. similarity: cosine of the two embeddings, -1..1 (1: same sound)."""

    rank: int  # 1 = most similar
    path: str
    similarity: float
    label: str

    def to_record(self) -> dict:
        """The JSON-lines record: {rank, path, similarity, label}."""
        return {
            "rank": self.rank,
            "path": self.path,
            "similarity": round(self.similarity, 6),
            "label": self.label,
        }


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
    """D, the length of `net`'s embeddings (64 for the highway net, 320 for the shipped five)."""
    return sum(layer.in_features for layer in embedding_layers(net))


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
    model: DrumClassifier | nn.Module, waves: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Windows (B, n_samples) -> (embeddings (B, D), class probabilities (B, n_classes)).

    One forward pass in eval mode gives both; both float32, embeddings unit length.
    model: a DrumClassifier, or a DrumNet / EnsembleNet (its train/eval mode is restored).
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
    return np.concatenate(embeddings), np.concatenate(probs)


def embed_waves(model: DrumClassifier | nn.Module, waves: np.ndarray) -> np.ndarray:
    """Windows (B, n_samples) float32 -> unit-length embeddings (B, D) float32."""
    return embed_and_classify(model, waves)[0]


def embed_paths(
    paths: Iterable[str | os.PathLike] | str | os.PathLike,
    clf: DrumClassifier,
    workers: int = 2,
    batch_size: int = DEFAULT_BATCH_SIZE,
    index: Index | None = None,
    threads: int | None = None,
) -> Iterator[Embedded]:
    """Embed every audio file under `paths` (files and folders, recursive), streaming, in
    discovery order, with `classify_paths`'s pipeline (`workers` decoding processes, `threads`
    torch threads). index: reuse and store embeddings (None: no index). A file that cannot be
    decoded, or is silent, gives an Embedded with `error`, never an exception.
    """
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    check_pipeline(batch_size, threads, workers)
    return _stream(paths, clf, workers, batch_size, index, threads)


def _stream(paths, clf, workers, batch_size, index, threads) -> Iterator[Embedded]:
    infer = functools.partial(embed_and_classify, clf)
    chunks = indexed_chunks(
        paths, clf, index, measured(Index.lookup_embedding), workers, batch_size, threads, infer
    )
    with closing(chunks):  # closing this generator closes the workers and commits the index
        for planned, chunk in chunks:
            fresh = _embed_chunk(chunk, clf, index) if chunk is not None else {}
            yield from (_embedded(item, fresh, index) for item in planned)


def _embed_chunk(chunk, clf: DrumClassifier, index: Index | None) -> dict:
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
            path, clf.model_id, info.size, info.mtime_ns, info.hash, label, vector,
            info.hits, round(info.hit_span, 3),
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
    loop = is_loop(found.hit_span)
    label = correction or (LOOP if loop else found.label)  # as `classify` would answer
    return Embedded(path, found.vector, label, found.hash, cached=stored is not None, loop=loop)


def embed_query(
    query: str | os.PathLike, clf: DrumClassifier, index: Index | None = None
) -> Embedded:
    """The embedding of one audio file; ValueError when it is a folder, unreadable or silent."""
    if os.path.isdir(query):
        raise ValueError(f"query {query} is a folder; give one audio file")
    (found,) = embed_paths([query], clf, workers=0, index=index, threads=1)
    if not found.ok:
        raise ValueError(f"query {query}: {found.error}")
    return found


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
    classes: Sequence[str] | None = None,
) -> list[Match]:
    """The `top` candidates that sound most like `query`, most similar first (ties in the
    candidates' order). Skipped: candidates that failed, the query itself (same absolute
    path or same bytes), loops for a one-shot query and one-shots for a loop query (a loop
    that starts with a kick is not what a kick query wants), and with `classes`, candidates
    whose label is not among them. Candidates are consumed as they come, so a stream's errors
    can be reported meanwhile.
    """
    if top < 1:
        raise ValueError(f"top must be at least 1, got {top}")
    keep = set(classes) if classes else None
    itself = os.path.abspath(query.path)
    kept = [
        c
        for c in candidates
        if c.ok
        and (query.hash is None or c.hash != query.hash)
        and os.path.abspath(c.path) != itself
        and (query.loop is None or c.loop is None or c.loop == query.loop)
        and (keep is None or c.label in keep)
    ]
    if not kept:
        return []
    similarity = np.stack([c.vector for c in kept]) @ query.vector  # (N,) cosines
    return [
        Match(rank, kept[i].path, float(np.clip(similarity[i], -1.0, 1.0)), kept[i].label)
        for rank, i in enumerate(top_k(similarity, top).tolist(), start=1)
    ]
