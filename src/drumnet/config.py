"""Frozen settings shared by every stage: how a sound becomes the study's tensor."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

DEFAULT_BATCH_SIZE = 32  # files per worker task and per inference batch (fastest on CPU)


@dataclass(frozen=True)
class FeatureConfig:
    """How audio is decoded and turned into the complex STFT tensor.

    The defaults follow the study: audio downsampled to 11,025 Hz, cut into short overlapping
    chunks, each chunk's spectrum kept as real and imaginary parts.
    """

    sample_rate: int = 11025  # Hz; the study's rate, enough for drum timbre up to 5.5 kHz
    window_seconds: float = 1.0  # length of the fixed window every sound is padded/cut to
    n_fft: int = 256  # 23 ms chunks at 11,025 Hz -> 129 frequency bins of 43 Hz
    hop_length: int = 128  # 50 % overlap -> 87 time chunks per 1 s window
    window: str = "hann"  # STFT analysis window (torch.<window>_window)
    onset_db: float = -30.0  # the sound starts where |x| first exceeds peak + onset_db
    preroll_seconds: float = 0.005  # kept before the onset so the attack is not clipped
    silence_dbfs: float = -70.0  # a peak below this is reported as silence
    max_onset_seconds: float = 2.0  # onset search stops here: a 2-hour file is never read whole

    @property
    def n_samples(self) -> int:
        """Samples in the fixed analysis window."""
        return round(self.window_seconds * self.sample_rate)

    @property
    def n_frames(self) -> int:
        """Time chunks per window (centred STFT)."""
        return 1 + self.n_samples // self.hop_length

    @property
    def n_freqs(self) -> int:
        """Frequency bins per chunk (one-sided spectrum)."""
        return self.n_fft // 2 + 1

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, d: dict) -> FeatureConfig:
        names = {f.name for f in dataclasses.fields(cls)}
        if not isinstance(d, dict):
            raise TypeError("feature settings are not a JSON object")
        unknown = set(d) - names
        if unknown:
            raise ValueError(f"unknown feature settings: {sorted(unknown)}")
        config = cls(**d)
        config.check()
        return config

    def check(self) -> None:
        """ValueError unless every setting has its type and a workable value (a model file's
        settings are read from JSON, which may say anything)."""
        for f in dataclasses.fields(self):
            value, default = getattr(self, f.name), f.default
            kinds = (int, float) if isinstance(default, float) else (type(default),)
            if isinstance(value, bool) or not isinstance(value, kinds):
                raise TypeError(f"feature setting {f.name} is {value!r}, not a {kinds[0].__name__}")
        limits = {
            "sample_rate": (1000, 192_000),
            "window_seconds": (0.05, 60.0),
            "n_fft": (16, 65_536),
            "hop_length": (1, self.n_fft),
            "max_onset_seconds": (0.0, 3600.0),
        }
        for name, (low, high) in limits.items():
            if not low <= getattr(self, name) <= high:
                raise ValueError(
                    f"feature setting {name} is {getattr(self, name)!r}, not {low}-{high}"
                )
        if self.n_samples < self.n_fft:
            raise ValueError("feature settings give a window shorter than one STFT chunk")
