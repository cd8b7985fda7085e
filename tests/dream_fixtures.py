"""Synthetic drums and small, quickly trained models for the dream and style tests.

Self-contained on purpose (numpy + a plain torch loop), so these tests do not depend on the
shipped model or the training module. Every sound is a 1 s window at 11,025 Hz whose onset
sits within the first few milliseconds, like `load_audio` gives.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import torch

from drumnet.config import FeatureConfig
from drumnet.nets import DrumNet, build_model
from drumnet.nets.checkpoint import save_model

SR = 11025
N = SR  # one 1 s window
CLASSES = ("kick", "snare", "tom", "hihat", "clap")
# Small enough to train in seconds on two CPU cores, big enough to separate the five classes.
SMALL_HIGHWAY = {"channels": (8, 16, 32), "n_mels": 48}
SMALL_MLP = {"hidden": (64,), "n_mels": 40}


def _t() -> np.ndarray:
    return np.arange(N) / SR


def _band(x: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Brick-wall band-pass by FFT masking (lo, hi in Hz)."""
    spec = np.fft.rfft(x)
    f = np.fft.rfftfreq(x.size, 1 / SR)
    spec[(f < lo) | (f > hi)] = 0
    return np.fft.irfft(spec, x.size)


def kick(rng: np.random.Generator) -> np.ndarray:
    """Sine sweeping 150 -> 50 Hz with a long decay, plus a short click."""
    t = _t()
    hi, lo = rng.uniform(130, 170), rng.uniform(45, 60)
    freq = lo + (hi - lo) * np.exp(-t / rng.uniform(0.03, 0.06))  # Hz
    body = np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / rng.uniform(0.15, 0.3))
    click = rng.standard_normal(N) * np.exp(-t / 0.002) * 0.4
    return body + click


def snare(rng: np.random.Generator) -> np.ndarray:
    """Band noise (1-5 kHz) plus a 180 Hz tone, both decaying."""
    t = _t()
    noise = _band(rng.standard_normal(N), rng.uniform(800, 1200), 5000)
    noise *= np.exp(-t / rng.uniform(0.08, 0.15)) / (noise.std() + 1e-9)
    tone = np.sin(2 * np.pi * rng.uniform(170, 190) * t) * np.exp(-t / 0.06)
    return 0.6 * noise + rng.uniform(0.3, 0.7) * tone


def hihat(rng: np.random.Generator) -> np.ndarray:
    """Short high-passed noise."""
    t = _t()
    noise = _band(rng.standard_normal(N), rng.uniform(3000, 4000), SR / 2)
    return noise * np.exp(-t / rng.uniform(0.015, 0.05))


def tom(rng: np.random.Generator) -> np.ndarray:
    """Decaying 100-200 Hz sine whose pitch drops slightly."""
    t = _t()
    f0 = rng.uniform(100, 200)
    freq = f0 * (1 + 0.15 * np.exp(-t / 0.08))
    return np.sin(2 * np.pi * np.cumsum(freq) / SR) * np.exp(-t / rng.uniform(0.15, 0.3))


def clap(rng: np.random.Generator) -> np.ndarray:
    """Three or four 10 ms noise bursts and a short band-passed tail."""
    t = _t()
    env = np.zeros(N)
    gap = rng.uniform(0.008, 0.013)
    for k in range(int(rng.integers(3, 5))):
        start = k * gap
        env += np.where(t >= start, np.exp(-(t - start) / 0.004), 0.0)
    env += 0.5 * np.where(t >= 3 * gap, np.exp(-(t - 3 * gap) / rng.uniform(0.05, 0.1)), 0.0)
    return _band(rng.standard_normal(N), 700, 2600) * env


SYNTHS: dict[str, Callable[[np.random.Generator], np.ndarray]] = {
    "kick": kick,
    "snare": snare,
    "tom": tom,
    "hihat": hihat,
    "clap": clap,
}


def make_drum(name: str, rng: np.random.Generator) -> np.ndarray:
    """One float32 window (N,) of class `name`: random level, tiny onset offset, noise floor."""
    x = SYNTHS[name](rng)
    x = np.roll(x, int(rng.integers(0, 60)))  # up to 5 ms late
    x = x / (np.abs(x).max() + 1e-9) * rng.uniform(0.3, 0.95)
    x += rng.standard_normal(N) * 10 ** (rng.uniform(-80, -60) / 20)
    return x.astype(np.float32)


def make_dataset(
    n_per_class: int, seed: int, classes: tuple[str, ...] = CLASSES
) -> tuple[np.ndarray, np.ndarray]:
    """(waves (n, N) float32, labels (n,) int64), classes interleaved."""
    rng = np.random.default_rng(seed)
    waves, labels = [], []
    for _ in range(n_per_class):
        for i, name in enumerate(classes):
            waves.append(make_drum(name, rng))
            labels.append(i)
    return np.stack(waves), np.asarray(labels, dtype=np.int64)


def train_model(
    name: str,
    seed: int,
    overrides: dict | None = None,
    n_per_class: int = 40,
    epochs: int = 6,
    classes: tuple[str, ...] = CLASSES,
) -> DrumNet:
    """A small model trained with a plain Adam loop on synthetic drums; returned in eval mode."""
    torch.manual_seed(seed)
    x, y = make_dataset(n_per_class, seed, classes)
    model = build_model(name, classes, FeatureConfig(), overrides)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    xs, ys = torch.from_numpy(x), torch.from_numpy(y)
    gen = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for idx in torch.randperm(len(xs), generator=gen).split(25):
            loss = torch.nn.functional.cross_entropy(model(xs[idx]), ys[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
    return model.eval()


def accuracy(model: DrumNet, seed: int = 999, n_per_class: int = 10) -> float:
    """Held-out accuracy on freshly synthesised drums."""
    x, y = make_dataset(n_per_class, seed, model.classes)
    with torch.no_grad():
        pred = model(torch.from_numpy(x)).argmax(1).numpy()
    return float((pred == y).mean())


# Cached per process: each test module that imports a fixture gets its own fixture
# definition, so session scope alone would train the same model once per module.
@functools.cache
def _trained(name: str) -> DrumNet:
    if name == "highway":
        return train_model("highway", 11, SMALL_HIGHWAY, n_per_class=30, epochs=8)
    return train_model("mlp", 2, SMALL_MLP, n_per_class=30, epochs=5)


@pytest.fixture(scope="session")
def highway_model() -> DrumNet:
    """A small highway net trained on synthetic drums (shared by the dream and style tests)."""
    return _trained("highway")


@pytest.fixture(scope="session")
def mlp_model() -> DrumNet:
    """A small MLP, another seed: the 'other' model of transfer and ensemble tests."""
    return _trained("mlp")


@pytest.fixture(scope="session")
def highway_file(highway_model, tmp_path_factory) -> Path:
    """highway_model saved as a model file, for the CLI tests."""
    return save_model(highway_model, tmp_path_factory.mktemp("models") / "hw.safetensors")
