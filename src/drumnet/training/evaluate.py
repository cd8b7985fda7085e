"""Metrics and confusion matrices, computed with scikit-learn (pictures: drumnet.training.plots)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.metrics import accuracy_score, confusion_matrix, precision_recall_fscore_support


@dataclass(frozen=True)
class Report:
    """How a model did on one labelled set. Rows/columns of `confusion` follow `classes`."""

    classes: tuple[str, ...]
    accuracy: float
    macro_f1: float
    precision: tuple[float, ...]
    recall: tuple[float, ...]
    f1: tuple[float, ...]
    support: tuple[int, ...]
    confusion: np.ndarray  # (C, C): true class per row, predicted per column
    split: str = ""  # which split produced it: always named next to a figure

    def to_dict(self) -> dict:
        return {
            "split": self.split,
            "n": int(sum(self.support)),
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": {
                c: {
                    "precision": round(p, 4),
                    "recall": round(r, 4),
                    "f1": round(f, 4),
                    "support": int(s),
                }
                for c, p, r, f, s in zip(
                    self.classes, self.precision, self.recall, self.f1, self.support
                )
            },
            "confusion": self.confusion.tolist(),
        }


def make_report(
    y_true: np.ndarray, y_pred: np.ndarray, classes: tuple[str, ...], split: str = ""
) -> Report:
    """Integer labels (N,) and predictions (N,) -> Report over all `classes`."""
    labels = list(range(len(classes)))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    present = s > 0  # macro-F1 over classes that occur in this set
    return Report(
        classes=tuple(classes),
        accuracy=float(accuracy_score(y_true, y_pred)) if len(y_true) else 0.0,
        macro_f1=float(np.mean(f[present])) if present.any() else 0.0,
        precision=tuple(float(x) for x in p),
        recall=tuple(float(x) for x in r),
        f1=tuple(float(x) for x in f),
        support=tuple(int(x) for x in s),
        confusion=confusion_matrix(y_true, y_pred, labels=labels),
        split=split,
    )


def format_report(report: Report) -> str:
    """The report as a text table: per-class precision/recall/F1 and the confusion matrix."""
    w = max(8, *(len(c) for c in report.classes))
    lines = [
        (
            f"split: {report.split or '-'}   n={sum(report.support)}   "
            f"accuracy={report.accuracy:.4f}   macro-F1={report.macro_f1:.4f}"
        ),
        "",
        f"{'class':<{w}} {'prec':>6} {'recall':>6} {'f1':>6} {'n':>5}",
    ]
    for i, c in enumerate(report.classes):
        lines.append(
            f"{c:<{w}} {report.precision[i]:>6.3f} {report.recall[i]:>6.3f} "
            f"{report.f1[i]:>6.3f} {report.support[i]:>5d}"
        )
    lines += ["", "confusion (rows: true, columns: predicted)"]
    lines.append(" " * w + " " + " ".join(f"{c[:6]:>6}" for c in report.classes))
    for i, c in enumerate(report.classes):
        lines.append(f"{c:<{w}} " + " ".join(f"{n:>6d}" for n in report.confusion[i]))
    return "\n".join(lines)
