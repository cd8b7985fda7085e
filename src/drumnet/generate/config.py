"""Generation settings: frozen dataclasses for dreaming and style transfer. Light (no torch)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields

START_SOUNDS = ("noise", "click")


def check_finite(config) -> None:
    """Raise ValueError naming the first float setting of a config dataclass that is NaN or
    infinite: such a value would silently turn the whole result into zeros or noise."""
    for f in fields(config):
        value = getattr(config, f.name)
        values = value if isinstance(value, tuple) else (value,)
        if any(isinstance(v, float) and not math.isfinite(v) for v in values):
            raise ValueError(f"{f.name} must be a finite number, not {value}")


@dataclass(frozen=True)
class DreamConfig:
    """Settings of the gradient ascent; `strength` is the one knob most people need."""

    steps: int = 120  # Adam steps on the two masks
    lr: float = 0.1  # Adam step, in natural-log amplitude units (0.1 ~ 0.9 dB)
    noise_lr_factor: float = 4.0  # the noise layer starts inaudible, so it may rise faster
    strength: float = 1.0  # divides every regulariser: >1 moves further from the input
    closeness: float = 0.05  # weight of mean squared log-magnitude change (ln units)
    smoothness: float = 0.05  # weight of total variation of that change over time and freq
    loudness: float = 1.0  # weight of energy growth beyond `max_gain_db`
    max_gain_db: float = 6.0  # energy may grow this much (dB) before it is penalised
    mask_db: float = 40.0  # the gain mask is bounded to +- this many dB
    noise_floor_db: float = (
        -90.0
    )  # initial noise layer (inaudible), dB re the input's loudest STFT bin
    coarse_time: int = 3  # masks live on a grid this many frames coarser (low-pass update)
    coarse_freq: int = 4  # ... and this many bins coarser (4 bins = 172 Hz at 11,025 Hz)
    eot_samples: int = 6  # random variants scored per step (the first is the sound itself)
    max_shift_seconds: float = 0.02  # random time shift of each variant, +- seconds
    gain_db: float = 6.0  # random gain of each variant, +- dB
    noise_db: tuple[float, float] = (-80.0, -50.0)  # added white noise, dB re the peak
    library_eot: bool = True  # variants also pass through the training augmentation
    peak: float = 0.95  # final peak level (linear, <= 1.0)
    margin: float = 8.0  # keep pushing until the target logit beats every other by this much
    seed: int = 0
    # torch threads for the steps; None: one per core nothing else keeps busy (a busy core
    # stalls a larger pool: drumnet.runtime.solo_threads)
    threads: int | None = None

    def __post_init__(self):
        check_finite(self)
        if self.steps < 0 or self.lr <= 0 or self.strength <= 0:
            raise ValueError("steps must be >= 0; lr and strength > 0")
        if not 0 < self.peak <= 1.0:
            raise ValueError("peak must be in (0, 1]")
        if self.eot_samples < 1 or self.coarse_time < 1 or self.coarse_freq < 1:
            raise ValueError("eot_samples, coarse_time and coarse_freq must be >= 1")
        if self.threads is not None and self.threads < 1:
            raise ValueError(f"threads must be at least 1, got {self.threads}")


# Starting from scratch, there is nothing to stay close to: move further, for longer.
SYNTH_DEFAULTS = DreamConfig(steps=200, strength=4.0)


@dataclass(frozen=True)
class StyleConfig:
    """Settings of style transfer. `edit` carries the parametrisation and the optimiser."""

    style_weight: float = 1.0  # weight of the feature-statistics distance to the style sound
    content_weight: float = 2.0  # weight of the envelope distance to the content sound
    layers: tuple[int, ...] | None = None  # stage indices; None = all with time+freq axes
    edit: DreamConfig = field(
        default_factory=lambda: DreamConfig(
            steps=150, closeness=0.0, smoothness=0.02, eot_samples=1, margin=0.0
        )
    )  # no closeness: the envelope loss is what keeps the content

    def __post_init__(self):
        check_finite(self)
        if self.style_weight < 0 or self.content_weight < 0:
            raise ValueError("style_weight and content_weight must be >= 0")
