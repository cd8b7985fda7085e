"""Accuracy benchmarks: the study's figures, the full taxonomy, baselines and the ablation.

Every figure names its split. Cross-validation by library ("loo": one kit held out per fold;
"folds": kits dealt into k folds) tests every Hydrogen sound exactly once with a model that
never heard its kit; the pooled report over all folds is the headline figure, the per-fold mean
and spread say how much it varies from kit to kit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch

from drumnet.baseline import fit_baseline
from drumnet.evaluate import Report, make_report
from drumnet.experiments import Pool, make_splits, run_split
from drumnet.splits import Split
from drumnet.train import TrainConfig

BASELINES = ("forest", "svm")


@dataclass
class Measured:
    """A pooled report over the splits' test sets, with per-fold figures and timing.

    truth, scores: the pooled test labels (N,) and scores (N, C), for `restricted`.
    """

    report: Report
    fold_accuracy: list[float]
    fold_macro_f1: list[float]
    seconds: float
    truth: np.ndarray
    scores: np.ndarray
    fold_sizes: list[int]

    def restricted(self, subset: tuple[str, ...]) -> dict:
        """The same predictions with the decision restricted to `subset` (e.g. the study's
        four), over the test sounds of those classes."""
        r = _subset_report(self.truth, self.scores, self.report.classes, subset, self.report.split)
        return {
            "classes": list(subset),
            "n": int(sum(r.support)),
            "accuracy": r.accuracy,
            "macro_f1": r.macro_f1,
            "confusion": r.confusion.tolist(),
        }

    def row(self) -> dict:
        row = {
            "split": self.report.split,
            "n": int(sum(self.report.support)),
            "accuracy": self.report.accuracy,
            "macro_f1": self.report.macro_f1,
            "fold_accuracy_mean": float(np.mean(self.fold_accuracy)),
            "fold_accuracy_std": float(np.std(self.fold_accuracy)),
            "fold_macro_f1_mean": float(np.mean(self.fold_macro_f1)),
            "fold_macro_f1_std": float(np.std(self.fold_macro_f1)),
            "folds": len(self.fold_accuracy),
            "seconds": round(self.seconds, 1),
        }
        return row


def trainer_name(trainer: TrainConfig | str) -> str:
    """'highway' / 'mlp' for a network's TrainConfig, the baseline's own name otherwise."""
    return trainer.model if isinstance(trainer, TrainConfig) else trainer


def _scores(pool, classes, split, trainer, extra_weight) -> np.ndarray:
    """(len(split.test), C) scores: logits of a network, class votes of a baseline."""
    if isinstance(trainer, TrainConfig):
        return run_split(pool, classes, split, trainer, extra_weight=extra_weight).test_logits
    y = pool.y(classes)
    train = np.union1d(split.train, split.val)  # baselines do not early-stop
    model = fit_baseline(trainer, pool.waves[train], y[train], seed=0)
    pred = np.asarray(model.predict(pool.waves[split.test]))
    return np.eye(len(classes))[pred]


def _subset_report(y, scores, classes, subset, name) -> Report:
    cols = [classes.index(c) for c in subset]
    keep = np.isin(y, cols)
    remap = {c: i for i, c in enumerate(cols)}
    truth = np.array([remap[v] for v in y[keep]], dtype=int)
    return make_report(truth, scores[keep][:, cols].argmax(1), tuple(subset), split=name)


def measure(
    pool: Pool,
    classes: tuple[str, ...],
    split_kind: str,
    trainer: TrainConfig | str,
    seed: int = 0,
    extra_weight: float = 1.0,
    folds: int = 4,
    log=print,
) -> Measured:
    """Train and test `trainer` (a TrainConfig, or "forest"/"svm") on every split of the kind."""
    pool = pool.select(classes)
    y = pool.y(classes)
    splits: list[Split] = make_splits(pool, split_kind, seed=seed, folds=folds)
    truth, scores, accs, f1s, sizes = [], [], [], [], []
    start = time.monotonic()
    for split in splits:
        s = _scores(pool, classes, split, trainer, extra_weight)
        fold = make_report(y[split.test], s.argmax(1), classes)
        truth.append(y[split.test])
        scores.append(s)
        accs.append(fold.accuracy)
        f1s.append(fold.macro_f1)
        sizes.append(len(split.test))
    name = split_kind if len(splits) == 1 else f"{split_kind} ({len(splits)} folds, pooled)"
    truth_all, scores_all = np.concatenate(truth), np.concatenate(scores)
    report = make_report(truth_all, scores_all.argmax(1), classes, split=name)
    seconds = time.monotonic() - start
    label = trainer_name(trainer)
    log(
        f"  {label:8s} {','.join(classes)[:40]:40s} {name:28s} acc {report.accuracy:.4f} "
        f"macro-F1 {report.macro_f1:.4f} ({seconds:.0f} s)",
        flush=True,
    )
    return Measured(report, accs, f1s, seconds, truth_all, scores_all, sizes)


def ensemble(parts: list[Measured]) -> Measured:
    """The same folds scored by the mean of several networks' probabilities (seed ensemble)."""
    classes, truth = parts[0].report.classes, parts[0].truth
    probs = np.mean([torch.softmax(torch.from_numpy(m.scores), 1).numpy() for m in parts], 0)
    scores = np.log(np.clip(probs, 1e-12, None))
    accs, f1s, start = [], [], 0
    for n in parts[0].fold_sizes:
        fold = make_report(truth[start : start + n], scores[start : start + n].argmax(1), classes)
        accs.append(fold.accuracy)
        f1s.append(fold.macro_f1)
        start += n
    report = make_report(truth, scores.argmax(1), classes, split=parts[0].report.split)
    seconds = sum(m.seconds for m in parts)
    return Measured(report, accs, f1s, seconds, truth, scores, list(parts[0].fold_sizes))
