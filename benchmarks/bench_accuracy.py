"""Accuracy benchmarks: the study's figures, the full taxonomy, baselines and the ablation.

Every figure names its split. Cross-validation by library ("loo": one kit held out per fold;
"folds": kits dealt into k folds) tests every Hydrogen sound exactly once with a model that
never heard its kit; the pooled report over all folds is the headline figure, the per-fold mean
and spread say how much it varies from kit to kit.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass

import numpy as np
import torch

from drumnet.training.baseline import fit_baseline
from drumnet.training.config import TrainConfig
from drumnet.training.evaluate import Report, make_report
from drumnet.training.experiments import Pool, make_splits, run_split
from drumnet.training.splits import Split

BASELINES = ("forest", "svm")


@dataclass
class Measured:
    """A pooled report over the splits' test sets, with per-fold figures and timing.

    truth, scores: the pooled test labels (N,) and scores (N, C), for `restricted`;
    paths, libraries: the file each of those N sounds was decoded from, and its library.
    """

    report: Report
    fold_accuracy: list[float]
    fold_macro_f1: list[float]
    seconds: float
    truth: np.ndarray
    scores: np.ndarray
    fold_sizes: list[int]
    paths: np.ndarray
    libraries: np.ndarray

    def probs(self) -> np.ndarray:
        """(N, C) probabilities: the softmax of the scores (an ensemble's are log-probs)."""
        return torch.softmax(torch.from_numpy(self.scores).double(), 1).numpy()

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
    truth, scores, accs, f1s, sizes, paths, libraries = [], [], [], [], [], [], []
    start = time.monotonic()
    for split in splits:
        s = _scores(pool, classes, split, trainer, extra_weight)
        fold = make_report(y[split.test], s.argmax(1), classes)
        truth.append(y[split.test])
        scores.append(s)
        accs.append(fold.accuracy)
        f1s.append(fold.macro_f1)
        sizes.append(len(split.test))
        paths.append(pool.paths[split.test])
        libraries.append(pool.libraries[split.test])
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
    where = np.concatenate(paths), np.concatenate(libraries)
    return Measured(report, accs, f1s, seconds, truth_all, scores_all, sizes, *where)


def ensemble(parts: list[Measured]) -> Measured:
    """The same folds scored by the mean of several networks' probabilities (seed ensemble)."""
    classes, truth = parts[0].report.classes, parts[0].truth
    probs = np.mean([m.probs() for m in parts], 0)
    scores = np.log(np.clip(probs, 1e-12, None))
    accs, f1s, start = [], [], 0
    for n in parts[0].fold_sizes:
        fold = make_report(truth[start : start + n], scores[start : start + n].argmax(1), classes)
        accs.append(fold.accuracy)
        f1s.append(fold.macro_f1)
        start += n
    report = make_report(truth, scores.argmax(1), classes, split=parts[0].report.split)
    seconds = sum(m.seconds for m in parts)
    fold_sizes = list(parts[0].fold_sizes)
    where = parts[0].paths, parts[0].libraries
    return Measured(report, accs, f1s, seconds, truth, scores, fold_sizes, *where)


MIN_CONFIDENCE = (0.5, 0.6, 0.7, 0.8, 0.9)  # `classify --min-confidence` values to measure
CONFIDENCE_BINS = (0.0, 0.5, 0.7, 0.9, 0.99, 1.0)  # edges; the last bin holds 1.0 too


def confidence(m: Measured) -> dict:
    """How far a network's confidence can be trusted on these sounds, as `classify` reports it
    (the best class's probability over all of the model's classes).

    "threshold": per `--min-confidence` value, the share of sounds answered (the rest become
    `unsure`), the accuracy of those answers and the share of the errors turned `unsure`.
    "bins": per confidence band, its share of the sounds and the accuracy there.
    """
    probs = m.probs()
    conf, right = probs.max(1), probs.argmax(1) == m.truth
    wrong = int((~right).sum())
    threshold = []
    for level in MIN_CONFIDENCE:
        sure = conf >= level
        threshold.append(
            {
                "min_confidence": level,
                "answered": float(sure.mean()),
                "accuracy_answered": float(right[sure].mean()) if sure.any() else None,
                "errors_unsure": float((~right & ~sure).sum() / wrong) if wrong else None,
            }
        )
    bins = []
    for lo, hi in itertools.pairwise(CONFIDENCE_BINS):
        inside = (conf >= lo) & ((conf < hi) if hi < 1.0 else (conf <= hi))
        bins.append(
            {
                "low": lo,
                "high": hi,
                "share": float(inside.mean()),
                "n": int(inside.sum()),
                "accuracy": float(right[inside].mean()) if inside.any() else None,
            }
        )
    return {"n": len(conf), "accuracy": float(right.mean()), "threshold": threshold, "bins": bins}


def errors_by_group(m: Measured) -> list[dict]:
    """The errors grouped by (library, true class, predicted class), largest group first.

    Each group names its files (base names) and the mean confidence of the wrong answers, so a
    whole instrument heard wrongly shows as one row.
    """
    classes = m.report.classes
    probs = m.probs()
    pred = probs.argmax(1)
    groups: dict[tuple[str, str, str], list[tuple[str, float]]] = {}
    for path, lib, t, p, c in zip(m.paths, m.libraries, m.truth, pred, probs.max(1)):
        if t != p:
            key = (str(lib), classes[t], classes[p])
            groups.setdefault(key, []).append((str(path).rsplit("/", 1)[-1], float(c)))
    rows = [
        {
            "library": lib,
            "true": t,
            "predicted": p,
            "n": len(files),
            "mean_confidence": float(np.mean([c for _, c in files])),
            "files": sorted(f for f, _ in files),
        }
        for (lib, t, p), files in groups.items()
    ]
    return sorted(rows, key=lambda r: (-r["n"], r["library"], r["true"], r["predicted"]))
