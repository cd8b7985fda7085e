"""Non-drum material for the `other` class: tones, chords, pads, sweeps, plucks, hum, textures.

`other(rng, sample_rate, electronic)` picks one kind at random; the `electronic` argument only
keeps the voice contract of `skins`. None of these is a single percussive hit.
"""

from __future__ import annotations

import numpy as np

from drumnet.training.synth import dsp
from drumnet.training.synth.signals import (
    WAVES,
    curve_decay,
    exp_decay,
    fade_out,
    karplus_strong,
    noise,
    phase_of,
    times,
    wave,
)


def _note_hz(rng: np.random.Generator, lo: int, hi: int) -> float:
    """Equal-tempered pitch of a random MIDI note in lo..hi."""
    return float(440.0 * 2 ** ((int(rng.integers(lo, hi + 1)) - 69) / 12))


def _adsr(t: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A sustained-note envelope: attack 5-400 ms, sustain, release over the last 20 %."""
    attack = rng.uniform(0.005, 0.4)
    release = 1 - np.clip((t - 0.8 * t[-1]) / (0.2 * t[-1] + 1e-9), 0, 1)
    return np.minimum(t / attack, 1.0) * rng.uniform(0.5, 1.0) ** (t / t[-1]) * release


def chord(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A held tone, interval or chord (1-4 notes) of one waveform, or a detuned pad."""
    t = times(rng.uniform(0.6, 2.5), sample_rate)
    root = _note_hz(rng, 40, 76)
    shapes = ([0], [0, 7], [0, 4, 7], [0, 3, 7], [0, 4, 7, 11], [0, 3, 7, 10])
    steps = shapes[int(rng.integers(len(shapes)))]
    kind = str(rng.choice(WAVES))
    voices = 1 if rng.random() < 0.5 else 3  # a pad: three detuned copies per note
    out = np.zeros_like(t)
    for s in steps:
        for _ in range(voices):
            f = root * 2 ** (s / 12) * (1 + rng.uniform(-0.006, 0.006) * (voices > 1))
            out += wave(phase_of(f, t.size, sample_rate, rng.uniform(0, 6.3)), kind)
    if kind != "sine":
        out = dsp.lowpass(out, rng.uniform(800, 6000), sample_rate)
    return out * _adsr(t, rng)


def glide(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A sine or saw sweep between two pitches (a riser, a siren, a test tone)."""
    t = times(rng.uniform(0.5, 2.5), sample_rate)
    f0, f1 = np.exp(rng.uniform(np.log(60), np.log(4000), 2))
    freq = f0 * (f1 / f0) ** (t / t[-1])
    if rng.random() < 0.3:  # siren / vibrato
        freq *= 1 + 0.05 * np.sin(2 * np.pi * rng.uniform(2, 8) * t)
    out = wave(phase_of(freq, t.size, sample_rate), str(rng.choice(["sine", "saw", "triangle"])))
    return out * _adsr(t, rng)


def bass(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A sustained synth- or electric-bass note (40-160 Hz) with a filter that opens or closes."""
    t = times(rng.uniform(0.5, 2.0), sample_rate)
    f = _note_hz(rng, 28, 52)
    out = wave(phase_of(f, t.size, sample_rate), str(rng.choice(["saw", "square", "triangle"])))
    out = dsp.lowpass(out, rng.uniform(200, 2000), sample_rate, q=rng.uniform(0.7, 4))
    return out * _adsr(t, rng)


def hum(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Mains hum or a drone: 50/60 Hz harmonics with slow level drift, or a steady organ."""
    t = times(rng.uniform(0.8, 2.5), sample_rate)
    f = float(rng.choice([50.0, 60.0])) if rng.random() < 0.5 else _note_hz(rng, 36, 60)
    harmonics = np.arange(1, int(rng.integers(2, 12)))
    out = sum(
        rng.uniform(0.1, 1.0) / h * np.sin(2 * np.pi * f * h * t + rng.uniform(0, 6.3))
        for h in harmonics
    )
    drift = 1 + 0.2 * np.sin(2 * np.pi * rng.uniform(0.2, 2) * t)
    return out * drift * np.minimum(t / 0.05, 1)


def pluck(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A plucked string (Karplus-Strong) note or a short arpeggio of them."""
    notes = int(rng.integers(1, 4))
    gap = rng.uniform(0.12, 0.35)
    seconds = rng.uniform(0.8, 2.0) + gap * (notes - 1)
    out = np.zeros(int(seconds * sample_rate))
    for i in range(notes):
        start = int(i * gap * sample_rate)
        s = karplus_strong(
            rng, _note_hz(rng, 40, 84), seconds - i * gap, sample_rate, rng.uniform(0.98, 0.999)
        )
        out[start : start + s.size] += s[: out.size - start]
    return out


def texture(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Steady or slowly swelling noise (wind, hiss, rumble, rain-like grains)."""
    t = times(rng.uniform(0.8, 2.5), sample_rate)
    x = noise(rng, t.size, str(rng.choice(["white", "pink", "brown"])))
    if rng.random() < 0.6:
        x = dsp.bandpass(x, float(np.exp(rng.uniform(np.log(200), np.log(6000)))), sample_rate)
    swell = 1 + rng.uniform(0, 0.8) * np.sin(2 * np.pi * rng.uniform(0.2, 1.5) * t)
    return x * swell * np.minimum(t / rng.uniform(0.05, 0.5), 1) * curve_decay(t, t[-1], 0.2)


def melody(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """A few legato notes of a simple instrument (sine/triangle/square lead), 0.1-0.4 s each."""
    notes = int(rng.integers(3, 8))
    lengths = rng.uniform(0.1, 0.4, notes)
    kind = str(rng.choice(["sine", "triangle", "square"]))
    scale = np.array([0, 2, 4, 5, 7, 9, 11, 12])
    root = int(rng.integers(55, 79))
    freq = np.concatenate(
        [
            np.full(int(n * sample_rate), 440 * 2 ** ((root + rng.choice(scale) - 69) / 12))
            for n in lengths
        ]
    )
    freq = dsp.one_pole_lowpass(freq - freq[0], 30.0, sample_rate) + freq[0]  # portamento
    t = np.arange(freq.size) / sample_rate
    out = wave(phase_of(freq, freq.size, sample_rate), kind)
    return out * np.minimum(t / 0.02, 1) * exp_decay(t, 10.0)


OTHER_VOICES = (chord, glide, bass, hum, pluck, texture, melody)


def other(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """One non-drum sound from a random member of OTHER_VOICES, faded at both ends."""
    voice = OTHER_VOICES[int(rng.integers(len(OTHER_VOICES)))]
    x = voice(rng, sample_rate)
    return fade_out(x, sample_rate, 0.05)
