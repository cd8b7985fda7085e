"""Metallic voices: hi-hats (closed, open, pedal) and cymbals (crash, ride, splash, china).

Same contract as `skins`: `voice(rng, sample_rate, electronic) -> (n,) float64`.
"""

from __future__ import annotations

import numpy as np

from drumnet.synth import dsp
from drumnet.synth.signals import exp_decay, fade_out, modes, noise, phase_of, times, wave

# The TR-808's six cymbal/hat square oscillators, Hz (from its schematic).
TR808_METAL_HZ = np.array([205.3, 304.4, 369.6, 522.7, 540.0, 800.0])


def _square_bank(rng: np.random.Generator, n: int, sample_rate: int) -> np.ndarray:
    """808-style metal: six detuned square waves at inharmonic ratios, summed."""
    freqs = TR808_METAL_HZ * rng.uniform(0.8, 1.6) * rng.uniform(0.97, 1.03, 6)
    return sum(wave(phase_of(f, n, sample_rate, rng.uniform(0, 6.3)), "square") for f in freqs)


def _fm_metal(rng: np.random.Generator, t: np.ndarray, sample_rate: int) -> np.ndarray:
    """FM metal: a sine carrier modulated at an inharmonic ratio with a high index."""
    carrier = rng.uniform(300, 1200)
    ratio = rng.uniform(1.3, 3.7)
    index = rng.uniform(3, 12)
    mod = index * np.sin(2 * np.pi * carrier * ratio * t)
    return np.sin(2 * np.pi * carrier * t + mod)


def _partials(rng: np.random.Generator, t: np.ndarray, lo: float, hi: float, k: int, decay: float):
    """k inharmonic sine partials log-spread in lo..hi Hz; higher ones die sooner."""
    freqs = np.exp(rng.uniform(np.log(lo), np.log(hi), k))
    decays = decay * rng.uniform(0.3, 1.0, k) * (lo / freqs) ** rng.uniform(0.0, 0.4)
    return modes(t, freqs, rng.uniform(0.2, 1.0, k), decays, rng)


def _metal_source(rng: np.random.Generator, t: np.ndarray, rate: int, electronic: float):
    """Pick a metallic source typical of a machine or of a real cymbal, scaled to peak 1."""
    if rng.random() < electronic:
        src = _square_bank(rng, t.size, rate) if rng.random() < 0.7 else _fm_metal(rng, t, rate)
    else:
        src = _partials(rng, t, 3000, 0.45 * rate, 40, 1.0)
    return src / (np.max(np.abs(src)) + 1e-9)


def hihat(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Hi-hat: metal + high-passed noise; closed 20-150 ms, open 0.3-1 s, or pedal chick."""
    kind = rng.choice(["closed", "closed", "open", "pedal"])
    decay = {
        "closed": rng.uniform(0.02, 0.15),
        "open": rng.uniform(0.3, 1.0),
        "pedal": rng.uniform(0.04, 0.12),
    }[kind]
    t = times(decay * rng.uniform(1.1, 1.5) + 0.01, sample_rate)
    metal = _metal_source(rng, t, sample_rate, electronic)
    mix = rng.uniform(0.2, 0.8) * metal + rng.uniform(0.3, 1.0) * noise(rng, t.size) / 3
    cut = rng.uniform(5000, 9000) if kind != "pedal" else rng.uniform(2500, 5000)
    out = dsp.highpass(mix, min(cut, 0.3 * sample_rate), sample_rate)
    if rng.random() < 0.5:
        centre = min(rng.uniform(7000, 12000), 0.4 * sample_rate)
        out = dsp.bandpass(out, centre, sample_rate, q=0.7) + 0.3 * out
    env = exp_decay(t, decay, attack=0.0015 if kind == "pedal" else 0.0)
    if kind == "open" and rng.random() < 0.4:  # choked by the foot at the end
        env *= np.clip((t[-1] - t) / 0.02, 0, 1)
    return fade_out(out * env, sample_rate, 0.005)


def cymbal(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Cymbal: crash / ride (with bell ping) / splash / china, dense partials + noise."""
    kind = rng.choice(["crash", "ride", "splash", "china"])
    decay = {"crash": (1.2, 3.0), "ride": (1.0, 2.5), "splash": (0.4, 1.2), "china": (0.8, 2.0)}
    decay = rng.uniform(*decay[kind])
    t = times(min(3.0, decay * rng.uniform(0.8, 1.1)), sample_rate)
    if rng.random() < electronic:
        metal = _square_bank(rng, t.size, sample_rate) + _square_bank(rng, t.size, sample_rate)
    else:
        metal = _partials(rng, t, 400, 0.45 * sample_rate, int(rng.integers(40, 80)), decay)
    metal = dsp.highpass(
        metal / (np.max(np.abs(metal)) + 1e-9), rng.uniform(300, 3000), sample_rate
    )
    wash = dsp.highpass(noise(rng, t.size), rng.uniform(3000, 7000), sample_rate)
    swell = 0.02 if kind in ("crash", "china") else 0.002
    env = exp_decay(t, decay, attack=rng.uniform(0.001, swell))
    out = (metal + rng.uniform(0.1, 0.5) * wash) * env
    if kind == "ride":
        bell_f = rng.uniform(500, 1100) * np.array([1.0, 2.02, 2.74, 3.9])
        bell = modes(t, bell_f, np.array([1.0, 0.6, 0.4, 0.2]), np.full(4, decay * 0.8), rng)
        ping = noise(rng, t.size) * exp_decay(t, 0.01)
        out += rng.uniform(0.05, 0.4) * bell + 0.3 * dsp.highpass(ping, 4000, sample_rate)
    if kind == "china":  # trashy: ring modulation and folding
        out = np.sin(3 * out / (np.max(np.abs(out)) + 1e-9)) * (1 + 0.5 * np.sin(2e3 * t))
    return fade_out(out, sample_rate, 0.05)
