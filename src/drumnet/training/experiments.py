"""One experiment = data pool + split + training + evaluation; used by train, demo and bench.

The pool keeps track of where every sound came from. Sounds from *evaluation* sources (the
Hydrogen kits by default, or a user's folder) are split into train / validation / test; sounds
from *extra* sources (LMMS, DrumSynth renders, the procedural synthesiser, speech) only ever
train, so every test figure is measured on real kits.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from drumnet.config import FeatureConfig
from drumnet.nets import DrumNet
from drumnet.training.config import CROSS_VALIDATION, SPLITS, TrainConfig
from drumnet.training.datasets.default import Gathered, gather, load_data
from drumnet.training.datasets.tensors import build_tensors
from drumnet.training.evaluate import Report, make_report
from drumnet.training.splits import (
    Split,
    library_folds,
    library_split,
    random_split,
    source_folds,
)
from drumnet.training.train import Data, fit, predict_logits, write_history_csv


@dataclass
class Pool:
    """Decoded sounds with their labels, libraries, source files, the data source each came
    from and a flag for extra (train-only) sources."""

    waves: np.ndarray  # (N, n_samples) float32
    labels: np.ndarray  # (N,) str
    libraries: np.ndarray  # (N,) str
    extra: np.ndarray  # (N,) bool: from a train-only source
    paths: np.ndarray  # (N,) str: the file each sound was decoded from
    errors: list[str] = field(default_factory=list)  # the evaluation data's files left out
    # The train-only sources' (drumnet's bundled material, not the user's: LMMS ships a few
    # broken files, which must not make every training run report a failure).
    extra_errors: list[str] = field(default_factory=list)
    # (N,) str: the data source (Sample.source: hydrogen, generaluser...); a library is its
    # own source where none is known
    sources: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.sources is None:
            self.sources = self.libraries.copy()

    def subset(self, keep: np.ndarray) -> Pool:
        """The sounds where the boolean mask `keep` (N,) is true."""
        return Pool(
            self.waves[keep],
            self.labels[keep],
            self.libraries[keep],
            self.extra[keep],
            self.paths[keep],
            self.errors,
            self.extra_errors,
            self.sources[keep],
        )

    def select(self, classes: tuple[str, ...]) -> Pool:
        """The sounds of these classes."""
        return self.subset(np.isin(self.labels, classes))

    def y(self, classes: tuple[str, ...]) -> np.ndarray:
        index = {c: i for i, c in enumerate(classes)}
        return np.array([index[c] for c in self.labels], dtype=np.int64)


def _decode(found: Gathered, features: FeatureConfig, extra: bool, progress: bool) -> Pool:
    ts = build_tensors(found.samples, features, progress=progress)
    n = len(ts)
    source = {s.path: s.source or s.library for s in found.samples}
    return Pool(
        ts.waves,
        np.array(ts.labels, dtype=object).astype(str),
        np.array(ts.libraries, dtype=object).astype(str),
        np.full(n, extra),
        np.array(ts.paths, dtype=object).astype(str),
        list(ts.errors),
        sources=np.array([source.get(p, lib) for p, lib in zip(ts.paths, ts.libraries)], str),
    )


def load_pool(
    eval_sources: tuple[str, ...] = ("hydrogen",),
    extra_sources: tuple[str, ...] = (),
    data: str | None = None,
    features: FeatureConfig | None = None,
    progress: bool = False,
) -> Pool:
    """Decode (or load from the tensor cache) the evaluation data and the extra sources.

    `errors` lists the evaluation data's files that could not be decoded and, for `data`, the
    rows or files that were left out (unknown label, missing file), one line each;
    `extra_errors` the extra sources' files that could not be decoded.
    """
    features = features or FeatureConfig()
    found = load_data(data) if data else gather(eval_sources)
    parts = [_decode(found, features, False, progress)]
    if data:  # in a user's data a row or file left out is an error; the default kits' are by design
        parts[0].errors[:0] = [f"{what}: {reason}" for reason, what in found.skipped]
    parts += [_decode(gather((name,)), features, True, progress) for name in extra_sources]
    return Pool(
        np.concatenate([p.waves for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.libraries for p in parts]),
        np.concatenate([p.extra for p in parts]),
        np.concatenate([p.paths for p in parts]),
        parts[0].errors,
        [e for p in parts[1:] for e in p.errors],
        np.concatenate([p.sources for p in parts]),
    )


def make_splits(pool: Pool, kind: str, seed: int = 0, folds: int = 4) -> list[Split]:
    """Splits of the pool's evaluation sounds; extra sounds are always added to training.

    "library": one split with whole kits held out; "random": the study's shuffled split;
    "loo": one fold per kit; "folds": `folds` folds of kits; "source": one fold per data
    source, whose extra (train-only) sounds leave its training too; "none": everything trains.
    """
    extra_libs = np.unique(pool.libraries[pool.extra]).tolist()
    real = np.flatnonzero(~pool.extra)
    if kind == "random":
        s = random_split(pool.labels[real], seed=seed)
        splits = [Split("random", real[s.train], real[s.val], real[s.test])]
    elif kind == "library":
        splits = [library_split(pool.labels, pool.libraries, seed=seed, train_only=extra_libs)]
    elif kind == "source":
        splits = source_folds(
            pool.labels, pool.libraries, pool.sources, train_only=extra_libs, seed=seed
        )
    elif kind in CROSS_VALIDATION:
        k = None if kind == "loo" else folds
        splits = library_folds(pool.labels, pool.libraries, k, train_only=extra_libs, seed=seed)
    elif kind == "none":
        empty = np.zeros(0, dtype=int)
        return [Split("none", np.arange(len(pool.labels)), empty, empty)]
    else:
        raise ValueError(f"unknown split {kind!r}; choose from {', '.join(SPLITS)}")
    extra_idx = np.flatnonzero(pool.extra)
    if kind == "source":  # a held-out chain trains in no form (generaluser-other for generaluser)
        held = [s.kind.removeprefix("source:") for s in splits]
        return [
            replace(s, train=np.union1d(s.train, extra_idx[pool.sources[extra_idx] != h]))
            for s, h in zip(splits, held)
        ]
    return [replace(s, train=np.union1d(s.train, extra_idx)) for s in splits]


@dataclass
class Outcome:
    """A trained model and how it did on its split's test set."""

    model: DrumNet
    split: Split
    report: Report | None
    history: list[dict]
    seconds: float
    test_logits: np.ndarray | None = None  # (len(split.test), C), aligned to split.test

    @property
    def report_pred(self) -> np.ndarray | None:
        """Test predictions (class indices), aligned to split.test."""
        return None if self.test_logits is None else self.test_logits.argmax(1)

    def summary(self) -> dict:
        return {
            "split": self.split.summary(),
            "test": self.report.to_dict() if self.report else None,
            "train_seconds": round(self.seconds, 1),
            "epochs": len(self.history),
        }


def run_split(
    pool: Pool,
    classes: tuple[str, ...],
    split: Split,
    config: TrainConfig,
    features: FeatureConfig | None = None,
    extra_weight: float = 1.0,
    history_path: str | Path | None = None,
    progress: bool | None = None,
) -> Outcome:
    """Train on split.train (validating on split.val) and evaluate on split.test.

    Without early stopping (config.early_stopping off) the validation sounds train too.
    """
    features = features or FeatureConfig()
    if not config.early_stopping and len(split.val):
        merged = np.union1d(split.train, split.val)  # its libraries train, so none validates
        split = replace(split, train=merged, val=split.val[:0], val_libraries=())
    y = pool.y(classes)
    weights = np.where(pool.extra, extra_weight, 1.0).astype(np.float32)

    def part(idx):
        return Data(pool.waves[idx], y[idx], weights[idx] if extra_weight != 1.0 else None)

    start = time.monotonic()
    val = part(split.val) if len(split.val) else None
    model, history = fit(part(split.train), val, classes, config, features, history_path, progress)
    seconds = time.monotonic() - start
    report, logits = None, None
    if len(split.test):
        logits = predict_logits(model, pool.waves[split.test])
        report = make_report(y[split.test], logits.argmax(1), classes, split=split.kind)
    return Outcome(model, split, report, history, seconds, logits)


def pooled_report(outcomes: list[Outcome], pool: Pool, classes: tuple[str, ...]) -> Report:
    """One report over every fold's test sounds: with cross-validation by library, each sound
    was tested by a model that never heard its library."""
    scored = [o for o in outcomes if o.report]
    y = pool.y(classes)
    truth = np.concatenate([y[o.split.test] for o in scored])
    pred = np.concatenate([o.report_pred for o in scored])
    return make_report(truth, pred, classes, split=f"{len(scored)} library folds, pooled")


def write_outcome(outcome: Outcome, folder: str | Path) -> Path:
    """summary.json (+ the history CSV) of one outcome in `folder`."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    write_history_csv(outcome.history, folder / "history.csv")
    path = folder / "summary.json"
    path.write_text(json.dumps(outcome.summary(), indent=2))
    return path
