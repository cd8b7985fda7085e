"""Training: Adam, class-balanced cross-entropy, augmentation, early stopping on validation."""

from __future__ import annotations

import json
import math
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import nn
from tqdm import tqdm

from drumnet.config import FeatureConfig
from drumnet.nets import DrumNet, build_model
from drumnet.nets.checkpoint import load_state
from drumnet.training.augment import augment_batch
from drumnet.training.config import TrainConfig
from drumnet.training.distributed import current


@dataclass
class Data:
    """Waveforms and integer labels: waves (N, n_samples) float32, y (N,) int64."""

    waves: np.ndarray
    y: np.ndarray
    weights: np.ndarray | None = None  # per-sample loss weight (e.g. real vs synthetic)

    def __len__(self) -> int:
        return len(self.y)


def class_weights(y: np.ndarray, n_classes: int) -> torch.Tensor:
    """Inverse-frequency weights normalised to mean 1; absent classes get 0."""
    counts = np.bincount(y, minlength=n_classes).astype(np.float64)
    w = np.where(counts > 0, counts.sum() / np.maximum(counts, 1) / n_classes, 0.0)
    return torch.tensor(w / w[counts > 0].mean(), dtype=torch.float32)


@torch.inference_mode()
def predict_logits(model: nn.Module, waves: np.ndarray, batch_size: int = 256) -> np.ndarray:
    """Logits (N, C) in eval mode."""
    model.eval()
    dev = next(model.parameters()).device
    out = [
        model(torch.from_numpy(waves[i : i + batch_size]).to(dev)).float().cpu().numpy()
        for i in range(0, len(waves), batch_size)
    ]
    return np.concatenate(out) if out else np.zeros((0, 0), np.float32)


def score(logits: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Accuracy and balanced accuracy (mean per-class recall) of logits against labels."""
    pred = logits.argmax(1)
    recalls = [float((pred[y == c] == c).mean()) for c in np.unique(y)]
    return {"acc": float((pred == y).mean()), "bal_acc": float(np.mean(recalls))}


def _epoch(model, data, opt, sched, loss_fn, config, gens, rate, bar, replicas):
    """One epoch; returns (mean loss, accuracy) over every rank's batches."""
    model.train()
    dev = next(model.parameters()).device
    order_gen, gen = gens
    # A tiny data set (the study's kick vs snare has ~100 sounds) would otherwise get only a
    # handful of optimiser steps per epoch: repeat fresh permutations up to min_batches.
    repeats = -(-config.min_batches * config.batch_size // len(data))
    perms = [torch.randperm(len(data), generator=order_gen) for _ in range(repeats)]
    order = torch.cat(perms).numpy()
    starts = range(0, len(order), config.batch_size)
    batches = [np.sort(order[i : i + config.batch_size]) for i in starts]
    total, correct, seen = 0.0, 0, 0
    for idx in replicas.my_batches([b for b in batches if len(b) >= 2]):  # batch norm needs 2
        x = torch.from_numpy(data.waves[idx]).to(dev)
        y = torch.from_numpy(data.y[idx]).to(dev)
        if config.augment:
            x = augment_batch(x, config.augment_config, rate, gen)
        logits = model(x)
        losses = loss_fn(logits, y)
        if data.weights is not None:
            losses = losses * torch.from_numpy(data.weights[idx]).to(dev)
        loss = losses.mean()
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        total += float(loss.detach()) * len(idx)
        correct += int((logits.argmax(1) == y).sum())
        seen += len(idx)
        bar.set_postfix(loss=f"{total / seen:.3f}", acc=f"{correct / seen:.3f}", refresh=False)
    sched.step()
    total, correct, seen = replicas.total(total, correct, seen)
    return total / max(seen, 1), correct / max(seen, 1)


def fit(
    train: Data,
    val: Data | None,
    classes: tuple[str, ...],
    config: TrainConfig | None = None,
    features: FeatureConfig | None = None,
    history_path: str | os.PathLike | None = None,
    progress: bool | None = None,
) -> tuple[DrumNet, list[dict]]:
    """Train a fresh model; returns (best model by validation balanced accuracy, history).

    Without `val`, or with `config.early_stopping` off, every epoch runs and the last epoch's
    weights are kept (validation scores, if any, are still recorded). The history (one dict
    per epoch) is also written to `history_path` as JSON lines, epoch by epoch, when given.
    """
    config = config or TrainConfig()
    features = features or FeatureConfig()
    if config.batch_size < 2:  # _epoch skips a batch of one: nothing would ever train
        raise ValueError(
            f"batch size must be at least 2 (batch normalisation), not {config.batch_size}"
        )
    if not (math.isfinite(config.lr) and config.lr > 0):
        raise ValueError(f"learning rate must be a finite number above 0, not {config.lr}")
    replicas = current()  # one rank alone unless a process group is set up (distributed.py)
    torch.manual_seed(config.seed)  # the same initial weights on every rank
    if config.threads or replicas.distributed:
        torch.set_num_threads(config.threads or replicas.threads())
    gens = replicas.generators(config.seed)
    device = replicas.device(config.device)
    model = build_model(config.model, classes, features, config.model_overrides).to(device)
    trained = replicas.wrap(model)
    weights = class_weights(train.y, len(classes)).to(device) if config.balance else None
    loss_fn = nn.CrossEntropyLoss(
        weight=weights, label_smoothing=config.label_smoothing, reduction="none"
    )
    opt = torch.optim.AdamW(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(
        opt, T_max=config.epochs, eta_min=config.lr * 0.05
    )
    show = (sys.stderr.isatty() if progress is None else progress) and replicas.writer
    history_path = history_path if replicas.writer else None
    if history_path:
        Path(history_path).write_text("", encoding="utf-8")  # this run's epochs only
    history: list[dict] = []
    best_state, best_key, stale, start = None, None, 0, time.monotonic()
    bar = tqdm(range(1, config.epochs + 1), desc=f"train {config.model}", disable=not show)
    for epoch in bar:
        loss, acc = _epoch(
            trained, train, opt, sched, loss_fn, config, gens, features.sample_rate, bar, replicas
        )
        replicas.average_buffers(model)
        if not math.isfinite(loss):  # a model of NaN weights answers nothing: keep none
            raise ValueError(
                f"training diverged at epoch {epoch} (loss {loss}); try a lower learning rate"
            )
        row = {"epoch": epoch, "loss": round(loss, 5), "train_acc": round(acc, 5)}
        if val is not None and len(val):
            val_scores = score(predict_logits(model, val.waves), val.y)
            row.update({f"val_{k}": round(v, 5) for k, v in val_scores.items()})
            key = (row["val_bal_acc"], -loss)
            if config.early_stopping:  # otherwise the scores are only recorded
                if best_key is None or key > best_key:
                    best_key, best_state, stale = key, load_state(model), 0
                else:
                    stale += 1
        row["seconds"] = round(time.monotonic() - start, 1)
        history.append(row)
        if history_path:
            with open(history_path, "a", encoding="utf-8") as f:
                f.write(json.dumps(row) + "\n")
        bar.set_postfix({k: v for k, v in row.items() if k != "epoch"})
        late = config.max_minutes and row["seconds"] > 60 * config.max_minutes
        if replicas.agree(stale >= config.patience or bool(late)):  # rank 0's clock decides
            break
    if best_state is not None:
        model.load_state_dict(best_state)
    if not replicas.identical(model):
        raise RuntimeError("the ranks' replicas of the model differ after training (a bug)")
    return model.eval(), history


def write_history_csv(history: list[dict], path: str | os.PathLike) -> Path:
    """The per-epoch history as CSV (one row per epoch)."""
    path = Path(path)
    keys = list(dict.fromkeys(k for row in history for k in row))
    lines = [",".join(keys)] + [",".join(str(row.get(k, "")) for k in keys) for row in history]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
