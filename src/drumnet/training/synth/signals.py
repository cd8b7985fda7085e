"""Building blocks of synthetic sounds: time axes, envelopes, oscillators, noise, plucks."""

from __future__ import annotations

import numpy as np

WAVES = ("sine", "triangle", "square", "saw")


def times(seconds: float, sample_rate: int) -> np.ndarray:
    """Time axis in seconds, shape (round(seconds * sample_rate),)."""
    return np.arange(max(1, round(seconds * sample_rate))) / sample_rate


def exp_decay(t: np.ndarray, decay: float, attack: float = 0.0) -> np.ndarray:
    """Envelope that falls by 60 dB in `decay` seconds, after a linear `attack` in seconds."""
    env = np.exp(-6.9078 * np.maximum(t - attack, 0.0) / max(decay, 1e-4))  # ln(1000) = 6.9078
    if attack > 0:
        env *= np.minimum(t / attack, 1.0)
    return env


def curve_decay(t: np.ndarray, decay: float, shape: float) -> np.ndarray:
    """Decay to silence at `decay` seconds; shape < 1 holds (gated), > 1 drops fast."""
    return np.clip(1 - t / max(decay, 1e-4), 0.0, 1.0) ** shape


def wave(phase: np.ndarray, kind: str) -> np.ndarray:
    """Periodic waveform of `phase` (radians), one of WAVES, range -1..1."""
    if kind == "sine":
        return np.sin(phase)
    frac = np.mod(phase / (2 * np.pi), 1.0)
    if kind == "triangle":
        return 1 - 4 * np.abs(frac - 0.5)
    if kind == "square":
        return np.where(frac < 0.5, 1.0, -1.0)
    if kind == "saw":
        return 2 * frac - 1
    raise ValueError(f"unknown waveform {kind!r}")


def phase_of(freq: np.ndarray | float, n: int, sample_rate: int, start: float = 0.0):
    """Phase (radians), shape (n,), of an oscillator whose frequency (Hz) may vary per sample."""
    f = np.broadcast_to(np.asarray(freq, dtype=np.float64), (n,))
    return start + 2 * np.pi * np.cumsum(f) / sample_rate


def sweep(t: np.ndarray, f_start: float, f_end: float, time_constant: float) -> np.ndarray:
    """Exponential pitch sweep in Hz: f_end + (f_start - f_end) * exp(-t / time_constant)."""
    return f_end + (f_start - f_end) * np.exp(-t / max(time_constant, 1e-4))


def noise(rng: np.random.Generator, n: int, colour: str = "white") -> np.ndarray:
    """Noise of n samples, unit RMS: white, pink-ish (-3 dB/oct) or brown-ish (-6 dB/oct)."""
    x = rng.standard_normal(n)
    if colour != "white":
        spec = np.fft.rfft(x)
        k = np.maximum(np.arange(spec.size), 1.0)
        spec /= k ** (0.5 if colour == "pink" else 1.0)
        x = np.fft.irfft(spec, n)
    return x / (np.sqrt(np.mean(x**2)) + 1e-12)


def modes(
    t: np.ndarray,
    freqs: np.ndarray,
    amps: np.ndarray,
    decays: np.ndarray,
    rng: np.random.Generator,
    bend: np.ndarray | None = None,
) -> np.ndarray:
    """Sum of exponentially decaying sines (modal synthesis).

    freqs Hz, amps linear, decays seconds to -60 dB, all shape (k,); bend: optional (n,)
    pitch multiplier applied to every mode (a membrane's falling tension).
    """
    dt = t[1] - t[0] if t.size > 1 else 1.0
    mult = np.ones_like(t) if bend is None else bend
    out = np.zeros_like(t)
    steps = np.cumsum(mult)
    for f, a, d in zip(freqs, amps, decays):
        phase = rng.uniform(0, 2 * np.pi) + 2 * np.pi * f * steps * dt
        out += a * np.sin(phase) * exp_decay(t, d)
    return out


def karplus_strong(
    rng: np.random.Generator, freq: float, seconds: float, sample_rate: int, damping: float
) -> np.ndarray:
    """Plucked string: a noise burst recirculated through a delay line with averaging loss.

    freq in Hz, damping 0..1 (per-period loss factor near 0.99..0.9999). Computed one period at
    a time, so the Python loop runs seconds * freq times, not once per sample.
    """
    period = max(2, round(sample_rate / freq))
    n = int(seconds * sample_rate)
    buf = rng.uniform(-1, 1, period)
    out = np.empty(((n + period - 1) // period) * period)
    for i in range(0, out.size, period):
        out[i : i + period] = buf
        buf = damping * 0.5 * (buf + np.roll(buf, 1))
    return out[:n]


def normalise(x: np.ndarray, peak_dbfs: float = -1.0) -> np.ndarray:
    """Scale so the absolute peak sits at `peak_dbfs`; returns float32 (silence stays silent)."""
    x = np.nan_to_num(np.asarray(x, dtype=np.float64))
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak > 0:
        x = x * (10 ** (peak_dbfs / 20) / peak)
    return x.astype(np.float32)


def unit_peak(x: np.ndarray) -> np.ndarray:
    """x scaled to absolute peak 1 (float64), so that layers can be mixed by peak level."""
    x = np.asarray(x, dtype=np.float64)
    return x / (np.max(np.abs(x)) + 1e-12)


def fade_out(x: np.ndarray, sample_rate: int, seconds: float = 0.01) -> np.ndarray:
    """Raised-cosine fade over the last `seconds`, so truncation never clicks."""
    n = min(x.size, max(1, int(seconds * sample_rate)))
    x = x.copy()
    x[-n:] *= 0.5 * (1 + np.cos(np.linspace(0, np.pi, n)))
    return x
