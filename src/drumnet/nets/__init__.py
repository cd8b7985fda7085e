"""Network registry: name -> (config dataclass, module class), and the waveform-in DrumNet."""

from __future__ import annotations

import dataclasses
from typing import Any

import torch
from torch import nn

from drumnet.config import FeatureConfig
from drumnet.features.stft import StftFrontend
from drumnet.nets.highway import ConvHighwayNet, HighwayConfig
from drumnet.nets.mlp import MLP, MLPConfig

MODELS: dict[str, tuple[type, type[nn.Module]]] = {
    "mlp": (MLPConfig, MLP),
    "highway": (HighwayConfig, ConvHighwayNet),
}


def make_config(name: str, overrides: dict[str, Any] | None = None):
    """The named model's config dataclass, defaults updated by `overrides` (JSON-friendly)."""
    if name not in MODELS:
        raise ValueError(f"unknown model {name!r}; choose from {', '.join(MODELS)}")
    cls = MODELS[name][0]
    fields = {f.name: f for f in dataclasses.fields(cls)}
    overrides = dict(overrides or {})
    unknown = set(overrides) - set(fields)
    if unknown:
        raise ValueError(f"unknown settings for {name}: {sorted(unknown)}")
    defaults = cls()
    for key, value in overrides.items():
        overrides[key] = _setting(key, value, getattr(defaults, key))
    return cls(**overrides)


KINDS = {int: "a whole number", float: "a number", str: "a name", bool: "true or false"}


def _setting(key: str, value: Any, default: Any) -> Any:
    """`value` checked against the type of the setting's `default` (lists become tuples, as
    JSON gives lists and configs hold tuples); ValueError names the setting and the type."""
    kind = type(default)
    if isinstance(default, tuple):
        items = value if isinstance(value, (list, tuple)) else None
        item = type(default[0]) if default else object
        if items is None or not all(_is(x, item) for x in items):
            raise ValueError(f"setting {key} takes a list such as {list(default)}, got {value!r}")
        return tuple(items)
    if not _is(value, kind):
        what = KINDS.get(kind, kind.__name__)
        raise ValueError(f"setting {key} takes {what} such as {default!r}, got {value!r}")
    return value


def _is(value: Any, kind: type) -> bool:
    """isinstance, except that a bool is no number and an int will do for a float."""
    if isinstance(value, bool) and kind is not bool:
        return False
    return isinstance(value, (int, float) if kind is float else kind)


class DrumNet(nn.Module):
    """Waveforms (B, n_samples) -> logits (B, n_classes), differentiable end to end.

    The STFT front end lives inside the model (frozen, no parameters), so gradient ascent on
    the waveform works and training, classifying and dreaming share one front end.
    """

    def __init__(self, name: str, config, features: FeatureConfig, classes: tuple[str, ...]):
        super().__init__()
        self.name = name
        self.config = config
        self.features = features
        self.classes = tuple(classes)
        self.frontend = StftFrontend(features)
        self.body = MODELS[name][1](config, features, len(classes))

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        return self.body(self.frontend(wave))  # (B, n_classes)

    def stages(self, wave: torch.Tensor) -> list[torch.Tensor]:
        """Intermediate activations (input layer first), for Deep-Dream and style transfer."""
        return self.body.stages(self.frontend(wave))


def build_model(
    name: str,
    classes: tuple[str, ...],
    features: FeatureConfig | None = None,
    overrides: dict[str, Any] | None = None,
) -> DrumNet:
    """Build a fresh model by registry name, e.g. build_model("highway", ("kick", "snare"))."""
    return DrumNet(name, make_config(name, overrides), features or FeatureConfig(), classes)
