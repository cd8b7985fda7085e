"""The `perc` family: hand drums (see `handdrums`), shakers, scrapers, bells, wood and glass.

`perc(rng, sample_rate, electronic)` picks one instrument, weighted by PERC_VOICES so that hand
drums and shakers are well represented; each instrument has the voice contract of `skins`:
`(rng, sample_rate, electronic) -> (n,) float64`.
"""

from __future__ import annotations

import numpy as np

from drumnet.training.synth import dsp
from drumnet.training.synth.handdrums import cajon, conga_bongo, djembe, dunun, tabla_darbuka
from drumnet.training.synth.signals import exp_decay, fade_out, modes, noise, phase_of, times, wave


def cowbell(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Cowbell: two square waves near 540 / 800 Hz, band-passed (808), or bell partials."""
    t = times(rng.uniform(0.15, 0.6), sample_rate)
    scale = rng.uniform(0.8, 1.25)
    decay = rng.uniform(0.15, 0.7)
    if rng.random() < electronic:
        tone = sum(wave(phase_of(f * scale, t.size, sample_rate), "square") for f in (540.0, 800.0))
        tone = dsp.bandpass(tone, rng.uniform(700, 1500), sample_rate, q=rng.uniform(1, 3))
    else:
        freqs = 560 * scale * np.array([1.0, 1.48, 2.3, 3.1])
        tone = modes(t, freqs, np.array([1.0, 0.8, 0.3, 0.2]), decay * np.ones(4), rng)
    env = 0.4 * exp_decay(t, 0.03) + 0.6 * exp_decay(t, decay)
    return fade_out(tone * env, sample_rate)


def woodblock(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Clave / woodblock: one short high resonance (0.8-3 kHz), 30-200 ms."""
    t = times(rng.uniform(0.08, 0.2), sample_rate)
    f0 = rng.uniform(800, 3000)
    freqs = f0 * np.array([1.0, rng.uniform(2.4, 3.2)])
    decays = rng.uniform(0.03, 0.2) * np.array([1.0, 0.4])
    out = modes(t, freqs, np.array([1.0, 0.3]), decays, rng)
    return fade_out(out + 0.1 * noise(rng, t.size) * exp_decay(t, 0.002), sample_rate, 0.005)


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


# Free-edge bowl modes n = 2..5 of a glass, relative: n (n^2 - 1) / sqrt(n^2 + 1) over n = 2's.
GLASS_RATIOS = np.array([1.0, 2.83, 5.43, 8.77])


def glass(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Struck (water) glass: a pure 1-3.5 kHz ring with bowl overtones, beating, 0.6-1.8 s."""
    decay = rng.uniform(0.6, 1.8)
    t = times(decay, sample_rate)
    freqs = rng.uniform(1000, 3500) * GLASS_RATIOS * rng.uniform(0.98, 1.02, 4)
    amps = np.array([1.0, *rng.uniform([0.3, 0.1, 0.05], [0.8, 0.4, 0.2])]) * (
        freqs < 0.45 * sample_rate
    )
    decays = decay * np.array([1.0, 0.6, 0.35, 0.2])
    split = rng.uniform(0.5, 4.0, 4)  # a glass is never quite round: each mode is a beating pair
    ring = modes(t, np.r_[freqs, freqs + split], np.r_[amps, amps] / 2, np.r_[decays, decays], rng)
    tick = dsp.highpass(noise(rng, t.size) * exp_decay(t, 0.002), 3000, sample_rate)
    tick *= rng.uniform(0.3, 0.8) * np.max(np.abs(ring)) / (np.max(np.abs(tick)) + 1e-12)
    return fade_out(ring + tick, sample_rate)


def _guiro(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Guiro: a stick over ridges, 8-40 woody ticks 8-35 ms apart, ringing at 1.5-4 kHz."""
    n_ticks = int(rng.integers(8, 40))
    onsets = np.cumsum(rng.uniform(0.008, 0.035) * rng.uniform(0.7, 1.3, n_ticks))
    onsets -= onsets[0]
    t = times(onsets[-1] + 0.06, sample_rate)
    ticks = np.zeros(t.size)
    arch = np.sin(np.pi * (np.arange(n_ticks) + 1) / (n_ticks + 1)) ** rng.uniform(0.3, 1.0)
    ticks[(onsets * sample_rate).astype(int)] = rng.uniform(0.4, 1.0, n_ticks) * arch
    centre, q = rng.uniform(1500, 4000), rng.uniform(3, 8)
    out = dsp.bandpass(ticks, centre, sample_rate, q) + 0.5 * dsp.bandpass(
        ticks, min(centre * rng.uniform(2.2, 2.8), 0.45 * sample_rate), sample_rate, q
    )
    scratch = dsp.bandpass(noise(rng, t.size), centre, sample_rate, q=1.0) * (t < onsets[-1])
    return out / (np.max(np.abs(out)) + 1e-12) + rng.uniform(0.02, 0.1) * scratch


def _cabasa(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Cabasa: steel beads rolled on a ridged cylinder, a dense bright burst of grains."""
    length = rng.uniform(0.08, 0.3)
    t = times(length + 0.05, sample_rate)
    grains = np.zeros(t.size)
    hits = (rng.exponential(length / 3, int(rng.integers(150, 600))) * sample_rate).astype(int)
    hits = hits[hits < t.size]
    np.add.at(grains, hits, rng.uniform(0.2, 1.0, hits.size) * rng.choice([-1, 1], hits.size))
    grains = dsp.bandpass(grains, rng.uniform(5000, 9000), sample_rate, q=rng.uniform(0.7, 1.5))
    return dsp.highpass(grains, 3000, sample_rate)


def scrape(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Scraped percussion: a guiro (tick train) or a cabasa (bead burst)."""
    out = _guiro(rng, sample_rate) if rng.random() < 0.55 else _cabasa(rng, sample_rate)
    return fade_out(out, sample_rate, 0.01)


# (voice, weight): hand drums 53 %, shakers and scrapers 17 %, bells and wood 30 %.
PERC_VOICES = (
    (djembe, 0.14),
    (dunun, 0.10),
    (conga_bongo, 0.14),
    (cajon, 0.08),
    (tabla_darbuka, 0.07),
    (shaker, 0.12),
    (scrape, 0.05),
    (cowbell, 0.09),
    (woodblock, 0.08),
    (bell, 0.07),
    (glass, 0.06),
)


def perc(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """One hit from a member of the percussion family, drawn with PERC_VOICES' weights."""
    weights = np.array([w for _, w in PERC_VOICES])
    voice = PERC_VOICES[int(rng.choice(len(PERC_VOICES), p=weights / weights.sum()))][0]
    return voice(rng, sample_rate, electronic)
