"""Named training recipes, and the full train-measure-save procedure behind `drumnet train`.

A recipe fixes the model, the training-only extra sources and the training settings; the
shipped default model is the "default" recipe, reproducible with `make model`.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import torch

from drumnet.checkpoint import save_model
from drumnet.evaluate import format_report, make_report, plot_confusion
from drumnet.experiments import (
    CROSS_VALIDATION,
    Outcome,
    Pool,
    make_splits,
    run_split,
    write_outcome,
)
from drumnet.taxonomy import CLASSES
from drumnet.train import TrainConfig


@dataclass(frozen=True)
class Recipe:
    classes: tuple[str, ...] = CLASSES
    extra_sources: tuple[str, ...] = ()  # training-only sources
    train: TrainConfig = field(default_factory=TrainConfig)
    extra_weight: float = 1.0  # loss weight of extra-source sounds relative to real kits


RECIPES: dict[str, Recipe] = {
    # The shipped model: highway net, full taxonomy, every allowed extra source. Whether the
    # espeak-ng speech helps is not settled: every 2-fold ablation at 12 epochs says it costs
    # ~0.03 macro-F1, but on the 4-fold run that counts three seeds with and without it were
    # level (mean 0.756 vs 0.760, seed spread +-0.03; the fourth session's note), so it stays.
    # Measured and left out: the Hydrogen effects kit (`effects`, 295 guitar strums as
    # `other`). Drums were level (4 folds by kit, seeds 0-2: macro-F1 0.749 0.769 0.793 vs
    # 0.751 0.810 0.765), and non-drums never heard were mixed (held-out speech called `other`
    # 80.5 % vs 93.5 %, held-out LMMS instruments 81.0 % vs 71.4 %), so the strums stay a
    # non-drum library no shipped model heard (BENCHMARKS.md, "Not a drum / unsure"). Nor did
    # dropping LMMS or the DrumSynth renders help (seeds 0-1: 0.758 0.779 without both,
    # 0.751 0.775 without DrumSynth), so both stay. Weighting each kit sound by one over its
    # instrument's velocity layers, so that every instrument counts once, cost 0.07 (seeds
    # 0-1: 0.710 0.706), so every layer keeps its full weight.
    # Early stopping off: the whole 20-epoch cosine schedule, last weights. Validation kits
    # are few and noisy (a shipped model once stopped at epoch 3), and on 4 folds by kit the
    # fixed schedule did better than stopping early (BENCHMARKS.md, "Targets").
    "default": Recipe(
        extra_sources=("lmms", "drumsynth", "synth", "speech"),
        train=TrainConfig(model="highway", epochs=20, early_stopping=False),
        extra_weight=0.5,
    ),
    # The study's two set-ups, on the default kits alone.
    "study-mlp": Recipe(classes=("kick", "snare"), train=TrainConfig(model="mlp", epochs=20)),
    "study-highway": Recipe(
        classes=("kick", "snare", "tom", "hihat"), train=TrainConfig(model="highway", epochs=20)
    ),
}


def data_summary(pool: Pool, classes: tuple[str, ...]) -> dict:
    """What a model was trained on: counts per class and the libraries, for its metadata."""
    return {
        "n_sounds": len(pool.labels),
        "per_class": {c: int((pool.labels == c).sum()) for c in classes},
        "libraries": sorted(set(pool.libraries[~pool.extra].tolist())),
        "extra_libraries": sorted(set(pool.libraries[pool.extra].tolist())),
    }


def best_epoch(history: list[dict]) -> int:
    """The epoch early stopping kept (highest validation balanced accuracy)."""
    scored = [r for r in history if "val_bal_acc" in r]
    if not scored:
        return len(history)
    return max(scored, key=lambda r: (r["val_bal_acc"], -r["loss"]))["epoch"]


def save_outcome_model(
    outcome: Outcome, path: Path, pool: Pool, recipe: Recipe, measured: Outcome | None = None
) -> Path:
    """Save a model with its metadata: recipe, data, split and the measured test metrics."""
    source = measured or outcome
    info = {
        "name": path.stem,
        "model_id": f"{path.stem}-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}",
        "trained_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "train_config": recipe.train.to_dict(),
        "extra_sources": list(recipe.extra_sources),
        "data": data_summary(pool, recipe.classes),
        "split": source.split.summary(),
        "metrics": source.report.to_dict() if source.report else None,
        "train_seconds": round(outcome.seconds, 1),
        "torch_threads": torch.get_num_threads(),
        "epochs": len(outcome.history),
    }
    return save_model(outcome.model, path, info)


def train_and_report(
    pool: Pool, recipe: Recipe, split: str, out: Path, final: bool = False, log=print
) -> dict:
    """Train per `split`, write model + report + history under out's folder; returns a summary.

    With `final`, a second model is trained on every sound and saved (its metadata carries the
    split's figures): the recipe behind the shipped model. It trains for as many epochs as
    early stopping chose on the split, or the recipe's whole schedule without early stopping.
    """
    pool = pool.select(recipe.classes)
    folder = out.parent
    folder.mkdir(parents=True, exist_ok=True)
    splits = make_splits(pool, split, seed=recipe.train.seed)
    outcomes = []
    for s in splits:
        t0 = time.monotonic()
        o = run_split(
            pool,
            recipe.classes,
            s,
            recipe.train,
            extra_weight=recipe.extra_weight,
            history_path=folder / f"history-{s.kind.replace(':', '-').replace('/', '-')}.jsonl",
        )
        outcomes.append(o)
        if o.report:
            log(
                f"[{s.kind}] acc {o.report.accuracy:.4f} macro-F1 {o.report.macro_f1:.4f} "
                f"({time.monotonic() - t0:.0f} s, {len(o.history)} epochs)"
            )
    summary: dict = {"split": split, "classes": list(recipe.classes)}
    if split in CROSS_VALIDATION:
        summary.update(cross_validation_summary(outcomes, pool, recipe.classes))
        (folder / f"{split}.json").write_text(json.dumps(summary, indent=2))
        log(
            f"{split} over {len(outcomes)} folds: pooled accuracy {summary['pooled']['accuracy']:.4f}"
            f", macro-F1 {summary['pooled']['macro_f1']:.4f}; per fold accuracy "
            f"{summary['accuracy_mean']:.4f} ± {summary['accuracy_std']:.4f}"
        )
        return summary
    measured = outcomes[0]
    write_outcome(measured, folder)
    if measured.report:
        log(format_report(measured.report))
        plot_confusion(measured.report, folder / "confusion.png")
        summary["test"] = measured.report.to_dict()
    chosen = measured
    if final and split != "none":
        epochs = (
            best_epoch(measured.history) if recipe.train.early_stopping else recipe.train.epochs
        )
        final_cfg = replace(recipe.train, epochs=epochs, patience=epochs + 1)
        whole = make_splits(pool, "none")[0]
        chosen = run_split(pool, recipe.classes, whole, final_cfg, extra_weight=recipe.extra_weight)
        log(
            f"final model: {epochs} epochs on all {len(pool.labels)} sounds, {chosen.seconds:.0f} s"
        )
    save_outcome_model(chosen, out, pool, recipe, measured)
    summary["train_seconds"] = round(chosen.seconds, 1)
    summary["model"] = str(out)
    return summary


def cross_validation_summary(outcomes: list[Outcome], pool: Pool, classes: tuple[str, ...]) -> dict:
    """Per-fold figures, their mean and spread, and the pooled report over all folds' tests."""
    scored = [o for o in outcomes if o.report]
    acc = np.array([o.report.accuracy for o in scored])
    f1 = np.array([o.report.macro_f1 for o in scored])
    y = pool.y(classes)
    truth = np.concatenate([y[o.split.test] for o in scored])
    pred = np.concatenate([o.report_pred for o in scored])
    pooled = make_report(truth, pred, classes, split=f"{len(scored)} library folds, pooled")
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
