"""Membrane and hand voices: kick, snare, tom, clap, rim (side stick).

Each voice draws one hit: `voice(rng, sample_rate, electronic) -> (n,) float64`, unnormalised.
`electronic` is the chance of the drum-machine variant (808/909-style) over the acoustic one.
"""

from __future__ import annotations

import numpy as np

from drumnet.synth import dsp
from drumnet.synth.signals import (
    curve_decay,
    exp_decay,
    fade_out,
    modes,
    noise,
    phase_of,
    sweep,
    times,
    wave,
)

# Ideal circular membrane modes relative to the fundamental (Bessel zeros ratios).
MEMBRANE_RATIOS = np.array([1.0, 1.594, 2.136, 2.296, 2.653, 2.918, 3.156, 3.501])


def kick(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Kick: a swept sine/triangle body, a beater click, optional drive. 0.3-1.2 s."""
    machine = rng.random() < electronic
    decay = rng.uniform(0.25, 1.0) if machine else rng.uniform(0.1, 0.6)
    t = times(min(1.2, max(0.3, decay * rng.uniform(1.0, 1.4))), sample_rate)
    f_end = rng.uniform(35, 70)
    f_start = rng.uniform(100, 400)
    freq = sweep(t, f_start, f_end, rng.uniform(0.008, 0.06))
    body = wave(phase_of(freq, t.size, sample_rate, rng.uniform(0, 0.5)), "sine")
    if rng.random() < 0.25:
        body = 0.7 * body + 0.3 * wave(phase_of(freq, t.size, sample_rate), "triangle")
    body *= exp_decay(t, decay) if rng.random() < 0.7 else curve_decay(t, decay, 0.6)
    click_len = rng.uniform(0.002, 0.012)
    click = noise(rng, t.size) * exp_decay(t, click_len)
    click = dsp.bandpass(click, rng.uniform(1500, 5000), sample_rate, q=rng.uniform(0.5, 2.0))
    out = body + rng.uniform(0.05, 0.6) * click
    if not machine:  # shell resonance and a felt beater's softer attack
        shell = modes(t, np.array([rng.uniform(90, 160)]), np.array([0.15]), np.array([0.2]), rng)
        out = out + shell
    if rng.random() < 0.3:
        drive = rng.uniform(1.5, 6.0)
        out = np.tanh(drive * out) / np.tanh(drive)
    return fade_out(out, sample_rate)


def snare(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Snare: two tuned body modes (150-300 Hz) plus wire noise; sometimes a rimshot crack."""
    machine = rng.random() < electronic
    t = times(rng.uniform(0.2, 0.7), sample_rate)
    f0 = rng.uniform(150, 300)
    bend = 1 + rng.uniform(0.0, 0.15) * np.exp(-t / 0.01)
    ratios = np.array([1.0, rng.uniform(1.45, 1.75)])
    body = modes(t, f0 * ratios, np.array([1.0, 0.6]), rng.uniform(0.05, 0.25, 2), rng, bend)
    wires = noise(rng, t.size) * exp_decay(t, rng.uniform(0.08, 0.4))
    if machine:  # 909/808 style: bright filtered noise, highpassed
        wires = dsp.highpass(wires, rng.uniform(1500, 4000), sample_rate)
    else:
        wires = dsp.bandpass(wires, rng.uniform(2500, 6000), sample_rate, q=rng.uniform(0.4, 1.0))
        wires = dsp.highpass(wires, 300, sample_rate)
    balance = rng.uniform(0.2, 0.85)  # share of the noise in the mix
    out = (1 - balance) * body / (np.max(np.abs(body)) + 1e-9)
    out = out + balance * wires / (np.max(np.abs(wires)) + 1e-9)
    if rng.random() < 0.25:  # rimshot: a hard, ringing crack on top
        crack = noise(rng, t.size) * exp_decay(t, 0.01)
        out += 0.6 * dsp.bandpass(crack, rng.uniform(600, 1500), sample_rate, q=4.0) * 4
    return fade_out(out, sample_rate)


def tom(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Tom: pitched membrane 70-400 Hz with a small falling pitch bend and modal partials."""
    machine = rng.random() < electronic
    f0 = float(np.exp(rng.uniform(np.log(70), np.log(400))))
    decay = rng.uniform(0.25, 1.0) * (140 / f0) ** 0.3
    t = times(min(1.5, decay * 1.3), sample_rate)
    bend = 1 + rng.uniform(0.03, 0.5 if machine else 0.15) * np.exp(-t / rng.uniform(0.02, 0.1))
    if machine:
        body = modes(t, np.array([f0]), np.array([1.0]), np.array([decay]), rng, bend)
    else:
        k = int(rng.integers(3, 7))
        amps = rng.uniform(0.1, 0.5, k) * (np.arange(k) > 0) + (np.arange(k) == 0)
        decays = decay * rng.uniform(0.2, 0.6, k) ** np.arange(k).clip(0, 1)
        body = modes(t, f0 * MEMBRANE_RATIOS[:k], amps, decays, rng, bend)
    hit = noise(rng, t.size) * exp_decay(t, rng.uniform(0.005, 0.03))
    hit = dsp.lowpass(hit, rng.uniform(1500, 5000), sample_rate)
    return fade_out(body + rng.uniform(0.02, 0.2) * hit, sample_rate)


def clap(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Clap: 3-5 band-passed noise bursts 5-15 ms apart, then a diffuse tail (~1-2 kHz)."""
    t = times(rng.uniform(0.25, 0.7), sample_rate)
    centre = rng.uniform(900, 2200)
    bursts = np.zeros_like(t)
    start = 0.0
    for i in range(int(rng.integers(3, 6))):
        env = exp_decay(np.maximum(t - start, 0), rng.uniform(0.004, 0.012)) * (t >= start)
        bursts += rng.uniform(0.6, 1.0) * env
        start += rng.uniform(0.005, 0.015)
    tail = exp_decay(np.maximum(t - start, 0), rng.uniform(0.08, 0.4)) * (t >= start - 0.002)
    env = bursts + rng.uniform(0.25, 0.6) * tail
    out = dsp.bandpass(noise(rng, t.size) * env, centre, sample_rate, q=rng.uniform(0.8, 2.5))
    if rng.random() >= electronic:  # real hands: broader, with some low thump of palms
        out += 0.15 * dsp.lowpass(noise(rng, t.size) * bursts, 600, sample_rate)
    return fade_out(out, sample_rate, 0.02)


def rim(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Rim / side stick: a 10-60 ms resonant click around 0.4-2 kHz with a small body."""
    t = times(rng.uniform(0.04, 0.15), sample_rate)
    decay = rng.uniform(0.01, 0.06)
    freqs = rng.uniform(400, 2000) * np.array([1.0, rng.uniform(1.3, 2.7), rng.uniform(2.8, 4.5)])
    click = modes(t, freqs, np.array([1.0, 0.5, 0.25]), decay * np.array([1, 0.6, 0.4]), rng)
    if rng.random() < electronic:  # 808 rim: two square-ish resonances, very short
        click = np.tanh(3 * click)
    else:  # stick on the hoop plus a little drum body
        body = modes(t, np.array([rng.uniform(150, 300)]), np.array([0.2]), np.array([0.08]), rng)
        stick = noise(rng, t.size) * exp_decay(t, 0.003)
        click = click + body + 0.3 * dsp.highpass(stick, 2000, sample_rate)
    return fade_out(click, sample_rate, 0.005)
