"""Membrane and hand voices: kick, snare, tom, clap (and finger snap), rim (side stick).

Each voice draws one hit: `voice(rng, sample_rate, electronic) -> (n,) float64`, unnormalised.
`electronic` is the chance of the drum-machine variant (808/909-style) over the acoustic one.
"""

from __future__ import annotations

import numpy as np

from drumnet.training.synth import dsp
from drumnet.training.synth.signals import (
    curve_decay,
    exp_decay,
    fade_out,
    modes,
    noise,
    phase_of,
    sweep,
    times,
    unit_peak,
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
        wires = dsp.bandpass(wires, rng.uniform(1500, 5000), sample_rate, q=rng.uniform(0.4, 1.0))
        wires = dsp.highpass(wires, 300, sample_rate)
    # Share of the noise in the mix: machine snares are mostly noise, acoustic ones mostly shell.
    balance = rng.uniform(0.3, 0.85) if machine else rng.uniform(0.1, 0.7)
    out = (1 - balance) * body / (np.max(np.abs(body)) + 1e-9)
    out = out + balance * wires / (np.max(np.abs(wires)) + 1e-9)
    if rng.random() < 0.25:  # rimshot: a hard, ringing crack on top
        crack = noise(rng, t.size) * exp_decay(t, 0.01)
        out += 0.6 * dsp.bandpass(crack, rng.uniform(600, 1500), sample_rate, q=4.0) * 4
    return fade_out(out, sample_rate)


def tom(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Tom: stick-struck membrane (acoustic 65-300 Hz, machine 70-400 Hz) ringing 0.35-1.6 s.

    The stick lands at once: an instant broadband tick, unlike a hand drum's softer attack.
    """
    machine = rng.random() < electronic
    lo, hi = (70.0, 400.0) if machine else (65.0, 300.0)
    f0 = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    decay = rng.uniform(0.35, 1.6) * (140 / f0) ** 0.3
    t = times(min(1.8, decay * 1.3), sample_rate)
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
    out = body + rng.uniform(0.02, 0.2) * hit
    if not machine:
        tick = noise(rng, t.size) * exp_decay(t, rng.uniform(0.002, 0.005))
        out += rng.uniform(0.03, 0.15) * dsp.highpass(tick, 2000, sample_rate)
    return fade_out(out, sample_rate)


def _finger_snap(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Finger snap (a `clap` in kits): a sharp tick, a 1.2-3 kHz palm ring, a little thump."""
    t = times(rng.uniform(0.08, 0.2), sample_rate)
    tick = dsp.highpass(
        noise(rng, t.size) * exp_decay(t, rng.uniform(0.001, 0.003)), 2000, sample_rate
    )
    burst = noise(rng, t.size) * exp_decay(t, rng.uniform(0.01, 0.04))
    ring = dsp.bandpass(burst, rng.uniform(1200, 3000), sample_rate, q=rng.uniform(2, 5))
    thump = dsp.lowpass(noise(rng, t.size) * exp_decay(t, 0.01), rng.uniform(200, 400), sample_rate)
    out = (
        unit_peak(ring)
        + rng.uniform(0.3, 0.7) * unit_peak(tick)
        + rng.uniform(0.1, 0.3) * unit_peak(thump)
    )
    return fade_out(out, sample_rate)


def clap(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Clap: 3-5 band-passed noise bursts 5-15 ms apart, then a diffuse tail (~0.7-2 kHz).

    One in seven is a finger snap, which kits file under clap too.
    """
    if rng.random() < 0.15:
        return _finger_snap(rng, sample_rate)
    t = times(rng.uniform(0.25, 0.7), sample_rate)
    centre = rng.uniform(700, 2200)
    bursts = np.zeros_like(t)
    start = 0.0
    for i in range(int(rng.integers(3, 6))):
        env = exp_decay(np.maximum(t - start, 0), rng.uniform(0.004, 0.012)) * (t >= start)
        bursts += rng.uniform(0.6, 1.0) * env
        start += rng.uniform(0.005, 0.015)
    tail = exp_decay(np.maximum(t - start, 0), rng.uniform(0.06, 0.35)) * (t >= start - 0.002)
    env = bursts + rng.uniform(0.25, 0.6) * tail
    out = dsp.bandpass(noise(rng, t.size) * env, centre, sample_rate, q=rng.uniform(0.7, 2.5))
    if rng.random() >= electronic:  # real hands: broader, with some low thump of palms
        out += rng.uniform(0.15, 0.4) * dsp.lowpass(noise(rng, t.size) * bursts, 600, sample_rate)
    return fade_out(out, sample_rate, 0.02)


def wire_buzz(
    rng: np.random.Generator, t: np.ndarray, sample_rate: int, decay: float
) -> np.ndarray:
    """Snare wires rattling on a head or a cajon plate: grainy band-passed noise at 2-6 kHz."""
    rattle = 1 + 0.8 * np.sin(2 * np.pi * rng.uniform(80, 250) * t + rng.uniform(0, 6.3))
    grains = noise(rng, t.size) * rattle * exp_decay(t, decay)
    return dsp.bandpass(grains, rng.uniform(2000, 6000), sample_rate, q=rng.uniform(0.6, 1.2))


def _machine_rim(rng: np.random.Generator, sample_rate: int) -> np.ndarray:
    """Drum-machine rim: an 808's two squared resonances (~500 Hz, ~1.7 kHz) or a plain click."""
    t = times(rng.uniform(0.04, 0.12), sample_rate)
    if rng.random() < 0.6:
        freqs = np.array([rng.uniform(400, 550), rng.uniform(1500, 1900)]) * rng.uniform(0.85, 1.15)
        decays = rng.uniform(0.01, 0.05) * np.array([1.0, 0.7])
        ring = modes(t, freqs, np.array([1.0, rng.uniform(0.5, 1.0)]), decays, rng)
        out = dsp.highpass(np.tanh(rng.uniform(2, 5) * unit_peak(ring)), 250, sample_rate)
    else:
        ratios = np.array([1.0, rng.uniform(1.3, 2.7), rng.uniform(2.8, 4.5)])
        decays = rng.uniform(0.01, 0.06) * np.array([1, 0.6, 0.4])
        out = modes(t, rng.uniform(400, 2000) * ratios, np.array([1.0, 0.5, 0.25]), decays, rng)
    return fade_out(out, sample_rate, 0.005)


def rim(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Rim: mostly a side stick (a stick laid across the snare, striking the hoop), 80-250 ms.

    Layers: a woody click (1.5-4 kHz, 3-10 ms) with the stick's own ring, the shell's 'tok'
    (300-600 Hz, 0.1-0.3 s), the head (150-260 Hz) and often a little wire buzz. Drum-machine
    rims (see _machine_rim) come at half the library's `electronic` chance.
    """
    if rng.random() < 0.5 * electronic:  # side sticks outnumber machine rims even in 808 kits
        return _machine_rim(rng, sample_rate)
    t = times(rng.uniform(0.08, 0.25), sample_rate)
    click = noise(rng, t.size) * exp_decay(t, rng.uniform(0.003, 0.01))
    click = dsp.bandpass(click, rng.uniform(1500, 4000), sample_rate, q=rng.uniform(0.5, 1.0))
    stick_hz = rng.uniform(1000, 3000) * np.array([1.0, rng.uniform(2.3, 2.9)])
    stick_decays = rng.uniform(0.02, 0.06) * np.array([1.0, 0.5])
    stick = modes(t, stick_hz, np.array([1.0, 0.5]), stick_decays, rng)
    tok_hz = rng.uniform(350, 900) * np.array([1.0, rng.uniform(1.4, 1.8), rng.uniform(2.1, 2.6)])
    tok_decays = rng.uniform(0.06, 0.2) * np.array([1.0, 0.6, 0.4])
    tok = modes(t, tok_hz, np.array([1.0, 0.6, 0.3]), tok_decays, rng)
    head_hz, head_decay = np.array([rng.uniform(150, 260)]), np.array([rng.uniform(0.08, 0.2)])
    head = modes(t, head_hz, np.ones(1), head_decay, rng)
    out = (
        unit_peak(click)
        + rng.uniform(0.8, 1.5) * unit_peak(stick)
        + rng.uniform(0.2, 0.6) * unit_peak(tok)
    )
    out += rng.uniform(0.1, 0.3) * unit_peak(head)
    if rng.random() < 0.6:
        out += rng.uniform(0.1, 0.4) * unit_peak(
            wire_buzz(rng, t, sample_rate, rng.uniform(0.05, 0.15))
        )
    return fade_out(out, sample_rate, 0.005)
