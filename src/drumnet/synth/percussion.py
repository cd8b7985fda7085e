"""The `perc` family: cowbell, clave/woodblock, conga/bongo, shakers/tambourine, bells.

`perc(rng, sample_rate, electronic)` picks one instrument at random; each instrument has the
voice contract of `skins`: `(rng, sample_rate, electronic) -> (n,) float64`.
"""

from __future__ import annotations

import numpy as np

from drumnet.synth import dsp
from drumnet.synth.signals import exp_decay, fade_out, modes, noise, phase_of, times, wave
from drumnet.synth.skins import MEMBRANE_RATIOS


def cowbell(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Cowbell: two square waves near 540 / 800 Hz, band-passed (808), or bell partials."""
    t = times(rng.uniform(0.15, 0.6), sample_rate)
    scale = rng.uniform(0.8, 1.25)
    decay = rng.uniform(0.1, 0.5)
    if rng.random() < electronic:
        tone = sum(wave(phase_of(f * scale, t.size, sample_rate), "square") for f in (540.0, 800.0))
        tone = dsp.bandpass(tone, rng.uniform(700, 1500), sample_rate, q=rng.uniform(1, 3))
    else:
        freqs = 560 * scale * np.array([1.0, 1.48, 2.3, 3.1])
        tone = modes(t, freqs, np.array([1.0, 0.8, 0.3, 0.2]), decay * np.ones(4), rng)
    env = 0.6 * exp_decay(t, 0.03) + 0.4 * exp_decay(t, decay)
    return fade_out(tone * env, sample_rate)


def woodblock(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Clave / woodblock: one short high resonance (1-3 kHz), 20-120 ms."""
    t = times(rng.uniform(0.08, 0.2), sample_rate)
    f0 = rng.uniform(800, 3000)
    freqs = f0 * np.array([1.0, rng.uniform(2.4, 3.2)])
    decays = rng.uniform(0.02, 0.12) * np.array([1.0, 0.4])
    out = modes(t, freqs, np.array([1.0, 0.3]), decays, rng)
    return fade_out(out + 0.1 * noise(rng, t.size) * exp_decay(t, 0.002), sample_rate, 0.005)


def hand_drum(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Conga / bongo: a pitched membrane (150-700 Hz) with an open tone or a noisy slap."""
    f0 = rng.uniform(150, 700)
    decay = rng.uniform(0.1, 0.5)
    t = times(decay * 1.3, sample_rate)
    bend = 1 + rng.uniform(0.0, 0.05) * np.exp(-t / 0.03)
    amps = np.array([1.0, 0.5, 0.3, 0.2])
    body = modes(t, f0 * MEMBRANE_RATIOS[:4], amps, decay * np.array([1, 0.5, 0.4, 0.3]), rng, bend)
    slap = dsp.bandpass(noise(rng, t.size), rng.uniform(1500, 4000), sample_rate, q=0.8)
    slap *= exp_decay(t, rng.uniform(0.01, 0.05))
    return fade_out(body + rng.uniform(0.1, 1.5) * slap, sample_rate)


def shaker(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Shaker / maracas / tambourine: many tiny noise grains, optionally with jingles."""
    length = rng.uniform(0.1, 0.45)
    t = times(length + 0.1, sample_rate)
    grains = np.zeros(t.size)
    hits = rng.integers(0, int(length * sample_rate), int(rng.integers(20, 200)))
    np.add.at(grains, hits, rng.uniform(0.2, 1.0, hits.size) * rng.choice([-1, 1], hits.size))
    swell = np.exp(-(((t - rng.uniform(0.02, 0.4 * length)) / (0.3 * length)) ** 2))
    grains = dsp.bandpass(grains, rng.uniform(4000, 9000), sample_rate, q=rng.uniform(0.7, 2))
    out = grains * (swell + 0.2) + 0.2 * noise(rng, t.size) * swell * 0.05
    if rng.random() < 0.4:  # tambourine jingles: inharmonic metal rings
        jingle = modes(
            t, np.exp(rng.uniform(np.log(3000), np.log(9000), 6)), np.ones(6), np.full(6, 0.2), rng
        )
        out = out + 0.3 * jingle * exp_decay(t, length)
    return fade_out(out, sample_rate, 0.02)


def bell(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Triangle / agogo: a few long bell partials (0.5-6 kHz), 0.3-2 s."""
    decay = rng.uniform(0.3, 2.0)
    t = times(decay, sample_rate)
    if rng.random() < 0.5:  # triangle: near-harmonic high partials
        freqs = rng.uniform(1200, 2500) * np.array([1.0, 2.76, 5.40, 8.93]) ** 0.8
    else:  # agogo: two-ish tones, bell ratios
        freqs = rng.uniform(600, 1200) * np.array([1.0, 2.2, 3.7, 5.1])
    freqs = np.minimum(freqs, 0.45 * sample_rate)
    out = modes(t, freqs, np.array([1.0, 0.6, 0.4, 0.2]), decay * np.array([1, 0.7, 0.5, 0.3]), rng)
    return fade_out(out + 0.2 * noise(rng, t.size) * exp_decay(t, 0.003), sample_rate)


PERC_VOICES = (cowbell, woodblock, hand_drum, shaker, bell)


def perc(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """One hit from a random member of the percussion family (PERC_VOICES)."""
    voice = PERC_VOICES[int(rng.integers(len(PERC_VOICES)))]
    return voice(rng, sample_rate, electronic)
