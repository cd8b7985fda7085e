"""Named training recipes, and the full train-measure-save procedure behind `drumnet train`.

A recipe fixes the model, the training-only extra sources and the training settings; the
shipped default model is the "default" recipe, reproducible with `make model`.
"""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from drumnet.nets.checkpoint import save_model
from drumnet.training.config import CROSS_VALIDATION, Recipe
from drumnet.training.distributed import current
from drumnet.training.evaluate import format_report
from drumnet.training.experiments import (
    Outcome,
    Pool,
    make_splits,
    pooled_report,
    run_split,
    write_outcome,
)
from drumnet.training.plots import plot_confusion
from drumnet.training.splits import Split
from drumnet.words import plural


def data_summary(pool: Pool, classes: tuple[str, ...]) -> dict:
    """What a model was trained on: counts per class and the libraries, for its metadata.

    Give it the sounds that trained (not the held-out ones), so that the counts are honest
    and `held_out_libraries` can tell a model that heard its test libraries.
    """
    return {
        "n_sounds": len(pool.labels),
        "per_class": {c: int((pool.labels == c).sum()) for c in classes},
        "libraries": sorted(set(pool.libraries[~pool.extra].tolist())),
        "extra_libraries": sorted(set(pool.libraries[pool.extra].tolist())),
    }


def held_out_libraries(meta: dict) -> list[str]:
    """The libraries a model file's split held out of its training (`evaluate --held-out-only`).

    ValueError when there are none: no split, a final fit (`train --final` trains on every
    library after measuring), or a file that counts its test libraries among those it trained
    on. Files from before drumnet recorded `final_fit` list every library there, so they are
    refused too: a final fit (the shipped default is one) cannot be told from them.
    """
    held = (meta.get("split") or {}).get("test_libraries") or []
    if not held:
        raise ValueError("this model's file names no held-out test libraries")
    if meta.get("final_fit"):
        raise ValueError(
            "this model was refitted on every library after its split was measured "
            "(train --final): no library is held out of its training"
        )
    heard = sorted(set(held) & set((meta.get("data") or {}).get("libraries") or []))
    if heard:
        raise ValueError(
            f"this model's file counts its test libraries ({', '.join(heard)}) among those it "
            "trained on (a final fit, or a file older than the final_fit record): none is held out"
        )
    return list(held)


def best_epoch(history: list[dict]) -> int:
    """The epoch early stopping kept (highest validation balanced accuracy)."""
    scored = [r for r in history if "val_bal_acc" in r]
    if not scored:
        return len(history)
    return max(scored, key=lambda r: (r["val_bal_acc"], -r["loss"]))["epoch"]


def save_outcome_model(
    outcome: Outcome, path: Path, pool: Pool, recipe: Recipe, measured: Outcome | None = None
) -> Path:
    """Save a model with its metadata: recipe, the data it trained on, the split and the
    measured test metrics. `measured`: the split's outcome when `outcome` is a final fit."""
    source = measured or outcome
    info = {
        "name": path.stem,
        "model_id": f"{path.stem}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "train_config": recipe.train.to_dict(),
        "extra_sources": list(recipe.extra_sources),
        "data": data_summary(pool.subset(outcome.split.train), recipe.classes),
        "final_fit": source is not outcome,  # trained on every sound after `split` measured
        "split": source.split.summary(),
        "metrics": source.report.to_dict() if source.report else None,
        "train_seconds": round(outcome.seconds, 1),
        "torch_threads": torch.get_num_threads(),
        "epochs": len(outcome.history),
    }
    trained_by = current().describe()
    if trained_by:  # fit checked that every rank ended with the same weights
        info["distributed"] = {**trained_by, "replicas_identical": True}
    return save_model(outcome.model, path, info)


def history_path(folder: Path, kind: str) -> Path:
    """The per-epoch JSON lines of one split's training (kind "loo:Kit 1" -> history-loo-Kit 1)."""
    return folder / f"history-{kind.replace(':', '-').replace('/', '-')}.jsonl"


def run_files(out: Path, split: str, splits: list[Split]) -> list[Path]:
    """Every file `train_and_report` writes for these splits: the model file first, except in
    cross-validation, which keeps no model; the reports go in out's folder."""
    folder = out.parent
    histories = [history_path(folder, s.kind) for s in splits]
    if split in CROSS_VALIDATION:
        return [*histories, folder / f"{split}.json", folder / f"{split}-confusion.png"]
    reports = [folder / "summary.json", folder / "history.csv"]
    if len(splits[0].test):
        reports.append(folder / "confusion.png")
    return [out, *histories, *reports]


def class_gaps(
    pool: Pool, classes: tuple[str, ...], splits: list[Split], trains_val: bool
) -> list[str]:
    """One line per class a split leaves without training sounds (the model cannot learn it)
    or, with a single test set, without test sounds (its report cannot measure it).
    `trains_val`: the validation sounds train too (no early stopping)."""
    lines = []
    for s in splits:
        trained = np.union1d(s.train, s.val) if trains_val else s.train
        for c in classes:
            n = int((pool.labels == c).sum())
            if n and not (pool.labels[trained] == c).any():
                lines.append(
                    f"{c}: none of its {plural(n, 'sound')} trains in split {s.kind} "
                    "(all are held out), so that model cannot learn it"
                )
            elif len(splits) == 1 and len(s.test) and not (pool.labels[s.test] == c).any():
                lines.append(
                    f"{c}: no test sounds in split {s.kind}, so its report cannot measure it"
                )
    if len(splits) > 1:  # cross-validation: libraries too small to be tested only train
        tested = {lib for s in splits for lib in s.test_libraries}
        for lib in sorted(set(pool.libraries[~pool.extra].tolist()) - tested):
            n = int((pool.libraries == lib).sum())
            lines.append(
                f"library {lib} ({plural(n, 'sound')}) is too small to be tested by a fold: it only trains"
            )
    return lines


def train_and_report(
    pool: Pool,
    recipe: Recipe,
    split: str,
    out: Path,
    final: bool = False,
    log=print,
    splits: list[Split] | None = None,
) -> dict:
    """Train per `split`, write model + report + history under out's folder; returns a summary.

    With `final`, a second model is trained on every sound and saved (its metadata carries the
    split's figures and `final_fit`): the recipe behind the shipped model. It trains for as many
    epochs as early stopping chose on the split, or the recipe's whole schedule without early
    stopping. `splits`: made already by make_splits (on the pool's sounds of recipe.classes).
    The summary's "files" lists what was written. Trained data-parallel, every rank runs
    this and rank 0 alone writes (training.distributed).
    """
    writer = current().writer
    pool = pool.select(recipe.classes)
    splits = splits if splits is not None else make_splits(pool, split, seed=recipe.train.seed)
    folder = out.parent
    folder.mkdir(parents=True, exist_ok=True)
    outcomes = [_run_one(pool, recipe, s, folder, log) for s in splits]
    summary: dict = {"split": split, "classes": list(recipe.classes)}
    summary["files"] = [str(p) for p in run_files(out, split, splits)]
    if split in CROSS_VALIDATION:
        summary.update(cross_validation_summary(outcomes, pool, recipe.classes))
        if writer:
            (folder / f"{split}.json").write_text(json.dumps(summary, indent=2))
            pooled = pooled_report(outcomes, pool, recipe.classes)
            title = f"{len(outcomes)} folds by library, pooled (each sound tested by a net that never heard its library)"
            plot_confusion(pooled, folder / f"{split}-confusion.png", title=title)
        log(
            f"{split} over {len(outcomes)} folds: pooled accuracy {summary['pooled']['accuracy']:.4f}"
            f", macro-F1 {summary['pooled']['macro_f1']:.4f}; per fold accuracy "
            f"{summary['accuracy_mean']:.4f} ± {summary['accuracy_std']:.4f}"
        )
        return summary
    measured = outcomes[0]
    if writer:
        write_outcome(measured, folder)
    if measured.report:
        log(format_report(measured.report))
        if writer:
            plot_confusion(measured.report, folder / "confusion.png")
        summary["test"] = measured.report.to_dict()
    chosen = _final_fit(pool, recipe, measured, log) if final and split != "none" else measured
    if writer:
        save_outcome_model(chosen, out, pool, recipe, measured)
    summary["train_seconds"] = round(chosen.seconds, 1)
    summary["model"] = str(out)
    return summary


def _run_one(pool: Pool, recipe: Recipe, split: Split, folder: Path, log) -> Outcome:
    """Train and measure one split, its history in `folder`; logs its figures."""
    t0 = time.monotonic()
    o = run_split(
        pool,
        recipe.classes,
        split,
        recipe.train,
        features=recipe.features,
        extra_weight=recipe.extra_weight,
        history_path=history_path(folder, split.kind),
    )
    if o.report:
        log(
            f"[{split.kind}] acc {o.report.accuracy:.4f} macro-F1 {o.report.macro_f1:.4f} "
            f"({time.monotonic() - t0:.0f} s, {len(o.history)} epochs)"
        )
    return o


def _final_fit(pool: Pool, recipe: Recipe, measured: Outcome, log) -> Outcome:
    """A fresh model trained on every sound, as many epochs as the measured split chose."""
    epochs = best_epoch(measured.history) if recipe.train.early_stopping else recipe.train.epochs
    final_cfg = replace(recipe.train, epochs=epochs, patience=epochs + 1)
    whole = make_splits(pool, "none")[0]
    chosen = run_split(
        pool, recipe.classes, whole, final_cfg, recipe.features, extra_weight=recipe.extra_weight
    )
    log(f"final model: {epochs} epochs on all {len(pool.labels)} sounds, {chosen.seconds:.0f} s")
    return chosen


def cross_validation_summary(outcomes: list[Outcome], pool: Pool, classes: tuple[str, ...]) -> dict:
    """Per-fold figures, their mean and spread, and the pooled report over all folds' tests."""
    scored = [o for o in outcomes if o.report]
    acc = np.array([o.report.accuracy for o in scored])
    f1 = np.array([o.report.macro_f1 for o in scored])
    pooled = pooled_report(scored, pool, classes)
    return {
        "folds": {
            ",".join(o.split.test_libraries): {
                "accuracy": round(o.report.accuracy, 4),
                "macro_f1": round(o.report.macro_f1, 4),
                "n": int(sum(o.report.support)),
            }
            for o in scored
        },
        "accuracy_mean": float(acc.mean()),
        "accuracy_std": float(acc.std()),
        "macro_f1_mean": float(f1.mean()),
        "macro_f1_std": float(f1.std()),
        "pooled": pooled.to_dict(),
        "train_seconds_mean": float(np.mean([o.seconds for o in scored])),
    }
