"""Library colour: the processing that makes one sample pack sound unlike another.

Real libraries differ in microphones, preamps, rooms, converters and mastering more than in the
drums themselves. A `LibraryColour` fixes such a chain for a pseudo-library; `apply_colour`
runs it on one sound with a little per-sound jitter, as a producer's chain would vary by hit.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from drumnet.training.synth import dsp
from drumnet.training.synth.signals import exp_decay, normalise


@dataclass(frozen=True)
class LibraryColour:
    """A pseudo-library's processing chain (0 / None switches a stage off)."""

    peak_dbfs: float = -1.0  # normalised peak level, dBFS (-1 .. -6)
    tilt_db: float = 0.0  # EQ tilt, dB per octave around 1 kHz (dark < 0 < bright)
    low_cut_hz: float = 0.0  # highpass corner, Hz (0: none)
    high_cut_hz: float = 0.0  # lowpass corner, Hz (0: none)
    drive: float = 0.0  # tanh saturation drive, 0 = clean, 1 = hot
    transient: float = 0.0  # attack emphasis (> 0 punchier, < 0 squashed), -1 .. 1
    room_mix: float = 0.0  # reverb wet level relative to dry, 0 .. 0.4
    room_seconds: float = 0.3  # reverb decay to -60 dB, seconds
    bits: int = 0  # quantise to this many bits (0: no reduction)
    onset_seconds: float = 0.0  # silence before the hit, seconds
    electronic: float = 0.5  # chance that a voice takes its drum-machine variant


def random_colour(rng: np.random.Generator) -> LibraryColour:
    """Draw a library's chain; most stages are on only for some libraries."""
    return LibraryColour(
        peak_dbfs=float(rng.uniform(-6.0, -1.0)),
        tilt_db=float(rng.uniform(-2.5, 2.5)),
        low_cut_hz=float(rng.uniform(20, 120)) if rng.random() < 0.6 else 0.0,
        high_cut_hz=float(rng.uniform(4000, 16000)) if rng.random() < 0.4 else 0.0,
        drive=float(rng.uniform(0.1, 1.0)) if rng.random() < 0.35 else 0.0,
        transient=float(rng.uniform(-0.6, 0.8)) if rng.random() < 0.5 else 0.0,
        room_mix=float(rng.uniform(0.03, 0.35)) if rng.random() < 0.5 else 0.0,
        room_seconds=float(rng.uniform(0.15, 1.0)),
        bits=int(rng.integers(8, 13)) if rng.random() < 0.15 else 0,
        onset_seconds=float(rng.uniform(0.0, 0.012)) if rng.random() < 0.5 else 0.0,
        electronic=float(rng.choice([0.1, 0.5, 0.9])),
    )


def _transient_shape(x: np.ndarray, amount: float, sample_rate: int) -> np.ndarray:
    """Scale by (fast envelope / slow envelope) ** amount: > 0 sharpens attacks."""
    level = np.abs(x) + 1e-6
    fast = dsp.one_pole_lowpass(level, 200.0, sample_rate)
    slow = dsp.one_pole_lowpass(level, 12.0, sample_rate)
    gain = np.clip((np.maximum(fast, 1e-6) / np.maximum(slow, 1e-6)) ** amount, 0.25, 4.0)
    return x * gain


def _room(x: np.ndarray, mix: float, seconds: float, rng: np.random.Generator, rate: int):
    """Convolve with a decaying noise burst (a small diffuse room) and mix it in."""
    t = np.arange(int(seconds * rate)) / rate
    ir = rng.standard_normal(t.size) * exp_decay(t, seconds)
    ir = dsp.one_pole_lowpass(ir, float(rng.uniform(2000, 8000)), rate)
    ir *= mix / (np.sqrt(np.sum(ir**2)) + 1e-12)
    wet = dsp.convolve(x, ir)
    out = np.zeros(x.size + t.size // 2)
    out[: x.size] += x
    out += wet[: out.size]
    return out


def apply_colour(
    x: np.ndarray, colour: LibraryColour, rng: np.random.Generator, sample_rate: int
) -> np.ndarray:
    """Run one sound through a library's chain. x: (n,) float -> (m,) float32, m >= n."""

    def j(scale: float) -> float:  # per-hit jitter around a library setting
        return float(rng.uniform(1 - scale, 1 + scale))

    y = np.asarray(x, dtype=np.float64)
    y = dsp.tilt(y, colour.tilt_db * j(0.3), sample_rate)
    if colour.low_cut_hz > 0:
        y = dsp.highpass(y, colour.low_cut_hz * j(0.2), sample_rate)
    if colour.high_cut_hz > 0:
        y = dsp.lowpass(y, colour.high_cut_hz * j(0.2), sample_rate)
    if colour.transient:
        y = _transient_shape(y, colour.transient * j(0.3), sample_rate)
    if colour.drive > 0:
        gain = 1 + 6 * colour.drive * j(0.3)
        y = np.tanh(gain * y / (np.max(np.abs(y)) + 1e-12)) / np.tanh(gain)
    if colour.room_mix > 0:
        y = _room(y, colour.room_mix * j(0.3), colour.room_seconds * j(0.2), rng, sample_rate)
    delay = int(colour.onset_seconds * j(0.5) * sample_rate)
    y = np.concatenate([np.zeros(delay), y])
    y = normalise(y, colour.peak_dbfs + float(rng.uniform(-0.5, 0.5))).astype(np.float64)
    if colour.bits:
        step = 2.0 ** (1 - colour.bits)
        y = np.round(y / step) * step
    return np.clip(y, -1.0, 1.0).astype(np.float32)
