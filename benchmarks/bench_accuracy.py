"""Accuracy benchmarks: the study's figures, the full taxonomy, baselines and the ablation.

Every figure names its split. Cross-validation by library ("loo": one kit held out per fold;
"folds": kits dealt into 4 folds) tests every Hydrogen sound exactly once with a model that
never heard its kit; the pooled report over all folds is the headline figure, the per-fold mean
and spread say how much it varies from kit to kit.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace

import numpy as np

from drumnet.baseline import fit_baseline
from drumnet.evaluate import Report, make_report
from drumnet.experiments import Pool, make_splits, run_split
from drumnet.splits import Split
from drumnet.train import TrainConfig

BASELINES = ("forest", "svm")


@dataclass
class Measured:
    """A pooled report over the splits' test sets, with per-fold accuracies and timing."""

    report: Report
    fold_accuracy: list[float]
    fold_macro_f1: list[float]
    seconds: float

    def row(self) -> dict:
        return {
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


def _predict(pool, classes, split, trainer, extra_weight) -> np.ndarray:
    if isinstance(trainer, TrainConfig):
        return run_split(pool, classes, split, trainer, extra_weight=extra_weight).report_pred
    y = pool.y(classes)
    train = np.union1d(split.train, split.val)  # baselines do not early-stop
    model = fit_baseline(trainer, pool.waves[train], y[train], seed=0)
    return np.asarray(model.predict(pool.waves[split.test]))


def measure(
    pool: Pool,
    classes: tuple[str, ...],
    split_kind: str,
    trainer: TrainConfig | str,
    seed: int = 0,
    extra_weight: float = 1.0,
    log=print,
) -> Measured:
    """Train and test `trainer` (a TrainConfig, or "forest"/"svm") on every split of the kind."""
    pool = pool.select(classes)
    y = pool.y(classes)
    splits: list[Split] = make_splits(pool, split_kind, seed=seed)
    truth, preds, accs, f1s = [], [], [], []
    start = time.monotonic()
    for split in splits:
        pred = _predict(pool, classes, split, trainer, extra_weight)
        fold = make_report(y[split.test], pred, classes)
        truth.append(y[split.test])
        preds.append(pred)
        accs.append(fold.accuracy)
        f1s.append(fold.macro_f1)
    name = split_kind if len(splits) == 1 else f"{split_kind} ({len(splits)} folds, pooled)"
    report = make_report(np.concatenate(truth), np.concatenate(preds), classes, split=name)
    seconds = time.monotonic() - start
    label = trainer.model if isinstance(trainer, TrainConfig) else trainer
    log(
        f"  {label:8s} {','.join(classes)[:40]:40s} {name:28s} acc {report.accuracy:.4f} "
        f"macro-F1 {report.macro_f1:.4f} ({seconds:.0f} s)"
    )
    return Measured(report, accs, f1s, seconds)


def with_seed(config: TrainConfig, seed: int) -> TrainConfig:
    return replace(config, seed=seed)
