"""A trained model behind a scikit-learn style interface: predict, predict_proba, classes_."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence

import numpy as np
import torch

from drumnet.audio.sound import load_audio
from drumnet.config import FeatureConfig
from drumnet.nets import DrumNet
from drumnet.nets.checkpoint import load_checkpoint, model_identity, resolve_model_path
from drumnet.nets.ensemble import ENSEMBLE, MEMBERS, EnsembleNet
from drumnet.nets.fused import fuse_for_inference


def default_device() -> str:
    """'cuda' when a GPU is there, else 'cpu'; nothing ever requires a GPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def class_names(classes: str | Sequence[str] | None) -> tuple[str, ...] | None:
    """Classes as a tuple of names; a string is a comma-separated list ('kick,snare', as on the
    command line), so one is never read letter by letter. None stays None (all classes)."""
    if classes is None:
        return None
    if isinstance(classes, str):
        return tuple(name.strip() for name in classes.split(",") if name.strip())
    return tuple(classes)


def path_list(paths: str | os.PathLike | Iterable[str | os.PathLike]) -> list:
    """Paths as a list; one path (a str or a Path) is a list of one, never read letter by
    letter."""
    return [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)


class DrumClassifier:
    """Classify drum sounds with a trained DrumNet.

    classes_: the class names, in the order of predict_proba's columns.
    """

    def __init__(
        self,
        model: DrumNet | EnsembleNet,
        metadata: dict | None = None,
        device: str | None = None,
        batch_size: int = 128,
    ):
        self.device = device or default_device()
        self.model_ = model.to(self.device).eval()  # not to be changed once wrapped
        self._fused: torch.nn.Module | None = None  # its inference-only rewrite, made when needed
        self._identity: str | None = None  # model_id, computed at first need
        self.metadata = dict(metadata or {})
        self.batch_size = batch_size
        self.classes_ = tuple(model.classes)

    @property
    def feature_config(self) -> FeatureConfig:
        return self.model_.features

    @property
    def fused_model_(self) -> torch.nn.Module:
        """model_ with batch norms folded (drumnet.nets.fused): the same answers, faster."""
        if self._fused is None:
            self._fused = fuse_for_inference(self.model_)
        return self._fused

    @property
    def model_id(self) -> str:
        """What the model is (`checkpoint.model_identity`): caches of its answers are keyed on
        it. Computed once, on first use."""
        if self._identity is None:
            self._identity = model_identity(self.model_)
        return self._identity

    def class_indices(self, classes: str | Sequence[str] | None) -> list[int]:
        """Column indices of `classes` (all columns when None; a string is comma-separated);
        unknown names, or none at all, raise ValueError."""
        classes = class_names(classes)
        if classes is None:
            return list(range(len(self.classes_)))
        if not classes:
            raise ValueError(f"no classes given; the model knows {', '.join(self.classes_)}")
        missing = [c for c in classes if c not in self.classes_]
        if missing:
            raise ValueError(
                f"model has no class {', '.join(missing)}; it knows {', '.join(self.classes_)}"
            )
        return [self.classes_.index(c) for c in classes]

    @torch.inference_mode()
    def predict_proba_waves(
        self, waves: np.ndarray, classes: str | Sequence[str] | None = None
    ) -> np.ndarray:
        """Prepared windows (B, n_samples) -> probabilities (B, len(classes or classes_)).

        With `classes`, the softmax runs over those classes' logits only, so the decision is
        restricted to them (e.g. the study's four) and each row still sums to 1.
        """
        cols = self.class_indices(classes)
        waves = np.asarray(waves, dtype=np.float32)
        if waves.ndim != 2 or waves.shape[1] != self.feature_config.n_samples:
            raise ValueError(
                f"expected waves of shape (batch, {self.feature_config.n_samples}), "
                f"got {waves.shape}"
            )
        out = []
        for start in range(0, len(waves), self.batch_size):
            batch = torch.from_numpy(waves[start : start + self.batch_size]).to(self.device)
            logits = self.fused_model_(batch)[:, cols]
            out.append(torch.softmax(logits, dim=1).cpu().numpy())
        return np.concatenate(out) if out else np.zeros((0, len(cols)), np.float32)

    def load(self, paths: str | os.PathLike | Iterable[str | os.PathLike]) -> np.ndarray:
        """Decode files (or one file) into windows (B, n_samples). A bad file raises AudioError."""
        waves = [load_audio(p, self.feature_config) for p in path_list(paths)]
        if not waves:
            return np.zeros((0, self.feature_config.n_samples), np.float32)
        return np.stack(waves)

    def predict_proba(
        self,
        paths: str | os.PathLike | Iterable[str | os.PathLike],
        classes: str | Sequence[str] | None = None,
    ) -> np.ndarray:
        """Files -> probabilities (n_files, n_classes); one path counts as a list of one.
        classes: a list or a comma-separated string. For big folders use drumnet.inference.pipeline."""
        return self.predict_proba_waves(self.load(paths), classes)

    def predict(
        self,
        paths: str | os.PathLike | Iterable[str | os.PathLike],
        classes: str | Sequence[str] | None = None,
    ) -> list[str]:
        """Files -> the most probable class name of each (a list, for one path too)."""
        names = class_names(classes) or self.classes_
        return [names[i] for i in self.predict_proba(paths, classes).argmax(axis=1)]


def load_model(
    name_or_path: str | os.PathLike | None = None, device: str | None = None
) -> DrumClassifier:
    """Load a model: None or 'default' -> the shipped highway net; 'ensemble' -> three of them
    (seeds 0-2) averaged, slower and, for the previous recipe on sources neither heard, no more
    accurate (BENCHMARKS.md); another name -> drumnet/models/<name>.safetensors; else a file path."""
    if name_or_path == ENSEMBLE:
        parts = [load_model(name, device="cpu") for name in MEMBERS]
        meta = {"members": [p.metadata for p in parts]}
        return DrumClassifier(EnsembleNet([p.model_ for p in parts]), meta, device=device)
    path = resolve_model_path(name_or_path)
    model, meta = load_checkpoint(path, device="cpu")
    meta.setdefault("path", str(path))
    return DrumClassifier(model, meta, device=device)
