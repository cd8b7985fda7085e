"""Hand drums of the `perc` family: djembe, dunun, conga / bongo, cajon, tabla / darbuka.

Same contract as `skins`: `voice(rng, sample_rate, electronic) -> (n,) float64`, unnormalised.
What sets a hand drum apart from a tom: a fleshy attack (a 1-3 ms rise and low-passed noise, not
a stick's broadband click) except in slaps, mostly short decays, and pitches a tom rarely has
(a conga's 170-380 Hz, a bongo's 220-800 Hz, a djembe's 60-110 Hz body thump under its head).
The dunun is the exception: stick-struck cowhide, told from a tom by its hide's rattle, its
slowly building boom and the iron bell usually struck with it.
"""

from __future__ import annotations

import numpy as np

from drumnet.training.synth import dsp
from drumnet.training.synth.signals import (
    exp_decay,
    fade_out,
    modes,
    noise,
    sweep,
    times,
    unit_peak,
)
from drumnet.training.synth.skins import MEMBRANE_RATIOS, wire_buzz

Rng = np.random.Generator


def _head(rng: Rng, t: np.ndarray, f0: float, amps, decay: float, bend=None) -> np.ndarray:
    """Membrane modes at f0 x (jittered) Bessel ratios; mode k > 0 dies 1.4-3x sooner."""
    k = len(amps)
    ratios = MEMBRANE_RATIOS[:k] * np.r_[1.0, rng.uniform(0.97, 1.03, k - 1)]
    decays = decay * np.r_[1.0, rng.uniform(0.3, 0.7, k - 1)]
    amps = np.asarray(amps, dtype=np.float64) * rng.uniform(0.7, 1.3, k)
    return modes(t, f0 * ratios, amps, decays, rng, bend)


def _hand(rng: Rng, t: np.ndarray, sample_rate: int, cutoff: float, decay: float) -> np.ndarray:
    """The flesh of a stroke: low-passed noise with a 1-3 ms rise and a quick decay."""
    env = exp_decay(t, decay, attack=rng.uniform(0.001, 0.003))
    return dsp.lowpass(noise(rng, t.size) * env, cutoff, sample_rate)


def _crack(rng: Rng, t: np.ndarray, sample_rate: int, centre: float, decay: float) -> np.ndarray:
    """A slap's crack: band-passed noise with an instant onset."""
    burst = noise(rng, t.size) * exp_decay(t, decay)
    return dsp.bandpass(burst, centre, sample_rate, q=rng.uniform(0.7, 1.5))


def _soft(x: np.ndarray, t: np.ndarray, attack: float) -> np.ndarray:
    """Linear fade-in over `attack` seconds: a palm, unlike a stick, takes a moment to land."""
    return x * np.minimum(t / attack, 1.0)


def _body_thump(rng: Rng, t: np.ndarray, freq: float, decay: float) -> np.ndarray:
    """A shell's air (Helmholtz) resonance: one sine at `freq` Hz falling 15-30 % onto it."""
    bend = sweep(t, rng.uniform(1.15, 1.3), 1.0, rng.uniform(0.01, 0.03))
    return modes(t, np.array([freq]), np.ones(1), np.array([decay]), rng, bend)


def djembe(rng: Rng, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Djembe: bass (60-110 Hz thump), tone (250-450 Hz head) or slap (upper modes + crack)."""
    stroke = ("bass", "tone", "slap")[int(rng.choice(3, p=[0.35, 0.35, 0.3]))]
    f_head, f_body = rng.uniform(250, 450), rng.uniform(60, 110)
    if stroke == "bass":
        t = times(rng.uniform(0.3, 0.6), sample_rate)
        head = _head(rng, t, f_head, [1.0, 0.5, 0.3, 0.2], rng.uniform(0.1, 0.25))
        out = unit_peak(_body_thump(rng, t, f_body, rng.uniform(0.15, 0.45)))
        out += rng.uniform(1.0, 2.0) * unit_peak(head)
        hand = _hand(rng, t, sample_rate, rng.uniform(2000, 4000), rng.uniform(0.015, 0.04))
        hand_level = rng.uniform(1.0, 2.0)  # the whole palm lands: a broadband smack
    elif stroke == "tone":
        t = times(rng.uniform(0.25, 0.5), sample_rate)
        head = _head(rng, t, f_head, [1.0, 0.45, 0.3, 0.2, 0.15], rng.uniform(0.15, 0.35))
        thump = _body_thump(rng, t, f_body, 0.1)
        out = unit_peak(head) + rng.uniform(0.05, 0.25) * unit_peak(thump)
        hand = _hand(rng, t, sample_rate, rng.uniform(2000, 4000), rng.uniform(0.01, 0.025))
        hand_level = rng.uniform(0.3, 0.9)
    else:
        t = times(rng.uniform(0.2, 0.4), sample_rate)
        amps = [0.5, 0.6, 0.7, 0.6, 0.5, 0.4, 0.35, 0.3]
        out = unit_peak(_head(rng, t, f_head, amps, rng.uniform(0.1, 0.3)))
        crack = _crack(rng, t, sample_rate, rng.uniform(900, 2500), rng.uniform(0.015, 0.04))
        return fade_out(out + rng.uniform(0.4, 1.0) * unit_peak(crack), sample_rate)
    out = _soft(out, t, rng.uniform(0.0007, 0.002))
    return fade_out(out + hand_level * unit_peak(hand), sample_rate)


DUNUN_HZ = {"dununba": (55.0, 90.0), "sangban": (80.0, 130.0), "kenkeni": (120.0, 200.0)}


def _dunun_head(rng: Rng, t: np.ndarray, f0: float, decay: float, rate: int) -> np.ndarray:
    """Stick on cowhide: a boom building over 2-12 ms, a pitch drop, hide rattle, stick tick."""
    bend = 1 + rng.uniform(0.03, 0.1) * np.exp(-t / rng.uniform(0.01, 0.04))
    head = _head(rng, t, f0, [1.0, 0.6, 0.45, 0.35, 0.25, 0.2], decay, bend)
    out = unit_peak(_soft(head, t, rng.uniform(0.002, 0.012)))
    rattle = dsp.bandpass(noise(rng, t.size), rng.uniform(300, 900), rate, q=1.0)
    out += rng.uniform(0.05, 0.2) * unit_peak(rattle * exp_decay(t, rng.uniform(0.05, 0.15)))
    tick = dsp.highpass(noise(rng, t.size) * exp_decay(t, rng.uniform(0.003, 0.008)), 1500, rate)
    return out + rng.uniform(0.15, 0.4) * unit_peak(tick)


def _iron_bell(rng: Rng, t: np.ndarray, decay: float, rate: int) -> np.ndarray:
    """A dunun's hand-forged bell hit with an iron rod: bright inharmonic partials, a clank."""
    ratios = np.array([1.0, *rng.uniform([1.9, 2.7, 4.0, 5.3], [2.2, 3.2, 4.6, 6.0])])
    freqs = np.minimum(rng.uniform(2000, 4000) * ratios, 0.45 * rate)
    amps = np.array([1.0, 0.8, 0.6, 0.5, 0.4]) * rng.uniform(0.5, 1.5, 5)
    ring = modes(t, freqs, amps, decay * np.array([1.0, 0.8, 0.6, 0.5, 0.4]), rng)
    clank = dsp.highpass(noise(rng, t.size) * exp_decay(t, rng.uniform(0.003, 0.008)), 3000, rate)
    return unit_peak(ring) + rng.uniform(0.3, 0.6) * unit_peak(clank)


def dunun(rng: Rng, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Dunun (dununba 55-90 / sangban 80-130 / kenkeni 120-200 Hz): head, bell or both; muted."""
    lo, hi = DUNUN_HZ[str(rng.choice(list(DUNUN_HZ)))]
    f0 = rng.uniform(lo, hi)
    part = ("head", "both", "bell")[int(rng.choice(3, p=[0.45, 0.2, 0.35]))]
    muted = rng.random() < 0.4  # the free hand presses the head / grips the bell
    head_decay = (rng.uniform(0.12, 0.3) if muted else rng.uniform(0.6, 1.6)) * (90 / f0) ** 0.3
    bell_decay = rng.uniform(0.05, 0.15) if muted else rng.uniform(0.25, 0.9)
    seconds = {"head": head_decay, "both": max(head_decay, bell_decay), "bell": bell_decay}
    t = times(min(1.5, seconds[part] * rng.uniform(1.0, 1.2) + 0.03), sample_rate)
    out = np.zeros(t.size)
    if part != "bell":
        out += _dunun_head(rng, t, f0, head_decay, sample_rate)
    if part != "head":
        out += (1.0 if part == "bell" else rng.uniform(0.3, 0.8)) * _iron_bell(
            rng, t, bell_decay, sample_rate
        )
    return fade_out(out, sample_rate)


def conga_bongo(rng: Rng, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Conga (170-380 Hz) or bongo (220-800 Hz): open, muted or slap; a 1-5 % pitch drop."""
    bongo = rng.random() < 0.45
    lo, hi = (220.0, 800.0) if bongo else (170.0, 380.0)
    f0 = float(np.exp(rng.uniform(np.log(lo), np.log(hi))))
    if rng.random() < 0.4 * electronic:  # drum-machine conga: one sine with a fast pitch drop
        decay = rng.uniform(0.08, 0.3)
        t = times(decay * 1.2, sample_rate)
        bend = 1 + rng.uniform(0.02, 0.1) * np.exp(-t / 0.01)
        return fade_out(
            modes(t, np.array([f0]), np.ones(1), np.array([decay]), rng, bend), sample_rate
        )
    stroke = ("open", "muted", "slap")[int(rng.choice(3, p=[0.45, 0.25, 0.3]))]
    decay = {"open": (0.3, 0.8), "muted": (0.06, 0.15), "slap": (0.08, 0.2)}[stroke]
    decay = rng.uniform(*decay) * (0.8 if bongo else 1.0)
    t = times(max(decay * 1.3, 0.12), sample_rate)
    bend = 1 + rng.uniform(0.01, 0.05) * np.exp(-t / rng.uniform(0.02, 0.05))
    amps = {
        "open": [1.0, 0.4, 0.25, 0.15, 0.1],
        "muted": [1.0, 0.3, 0.15],
        "slap": [0.6, 0.7, 0.7, 0.5, 0.4, 0.3],
    }[stroke]
    head = _soft(_head(rng, t, f0, amps, decay, bend), t, rng.uniform(0.0005, 0.003))
    palm = _hand(rng, t, sample_rate, rng.uniform(300, 900), rng.uniform(0.02, 0.06))
    out = unit_peak(head) + rng.uniform(0.1, 0.4 if stroke != "muted" else 0.8) * unit_peak(palm)
    if stroke == "slap":
        crack = _crack(rng, t, sample_rate, rng.uniform(1500, 4000), rng.uniform(0.008, 0.025))
        out += rng.uniform(0.4, 1.0) * unit_peak(crack)
    return fade_out(out, sample_rate)


def cajon(rng: Rng, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Cajon: thump (70-120 Hz box resonance, 0.1-0.3 s) or slap (0.4-3 kHz plate + wire buzz)."""
    f_box = rng.uniform(70, 120)
    if rng.random() < 0.5:  # thump: the palm in the middle of the plate
        t = times(rng.uniform(0.2, 0.4), sample_rate)
        box_decay = rng.uniform(0.1, 0.3)
        freqs = np.array([f_box, f_box * rng.uniform(1.8, 2.6)])
        box = modes(t, freqs, np.array([1.0, 0.2]), np.array([box_decay, 0.08]), rng)
        out = unit_peak(_soft(box, t, rng.uniform(0.002, 0.005)))
        hand = _hand(rng, t, sample_rate, rng.uniform(500, 1200), rng.uniform(0.01, 0.03))
        out += rng.uniform(0.1, 0.3) * unit_peak(hand)
        if rng.random() < 0.3:
            out += rng.uniform(0.03, 0.1) * unit_peak(wire_buzz(rng, t, sample_rate, 0.06))
        return fade_out(out, sample_rate)
    t = times(rng.uniform(0.15, 0.35), sample_rate)  # slap: fingers at the top edge
    ratios = np.array([1.0, *rng.uniform([1.4, 2.0, 2.7, 3.6], [1.6, 2.4, 3.3, 4.2])])
    plate_decays = rng.uniform(0.06, 0.18) * np.array([1.0, 0.8, 0.6, 0.5, 0.4])
    amps = np.array([1.0, 0.7, 0.5, 0.35, 0.25])
    plate = modes(t, rng.uniform(400, 800) * ratios, amps, plate_decays, rng)
    crack = _crack(rng, t, sample_rate, rng.uniform(1000, 3000), rng.uniform(0.005, 0.015))
    box = modes(t, np.array([f_box]), np.ones(1), np.array([0.12]), rng)
    out = (
        unit_peak(plate)
        + rng.uniform(0.3, 0.8) * unit_peak(crack)
        + rng.uniform(0.05, 0.2) * unit_peak(box)
    )
    if rng.random() < 0.75:  # the snare wires (or guitar strings) inside the box
        out += rng.uniform(0.1, 0.4) * unit_peak(
            wire_buzz(rng, t, sample_rate, rng.uniform(0.05, 0.15))
        )
    return fade_out(out, sample_rate)


def _tabla_na(rng: Rng, t: np.ndarray, rate: int) -> np.ndarray:
    """Tabla (dayan) 'na': the loaded head's near-harmonic partials at 250-550 Hz x 1..6."""
    k = 6
    freqs = rng.uniform(250, 550) * np.arange(1, k + 1) * rng.uniform(0.995, 1.01, k)
    amps = np.array([1.0, 0.7, 0.5, 0.35, 0.25, 0.15]) * rng.uniform(0.6, 1.4, k)
    decays = rng.uniform(0.3, 0.9) * np.array([1.0, 0.8, 0.6, 0.5, 0.4, 0.3])
    ring = modes(t, np.minimum(freqs, 0.45 * rate), amps, decays, rng)
    click = dsp.highpass(noise(rng, t.size) * exp_decay(t, rng.uniform(0.002, 0.005)), 3000, rate)
    return unit_peak(ring) + rng.uniform(0.2, 0.4) * unit_peak(click)


def _tabla_ge(rng: Rng, t: np.ndarray, rate: int) -> np.ndarray:
    """Tabla (bayan) 'ge': a 70-120 Hz bass whose pitch rises 10-40 % as the wrist presses."""
    decay = rng.uniform(0.3, 0.8)
    glide = 1 + rng.uniform(0.1, 0.4) * (1 - np.exp(-t / rng.uniform(0.05, 0.2)))
    f0 = rng.uniform(70, 120)
    freqs, amps = f0 * np.array([1.0, 1.59]), np.array([1.0, 0.3])
    bass = _soft(modes(t, freqs, amps, decay * np.array([1, 0.5]), rng, glide), t, 0.003)
    hand = _hand(rng, t, rate, rng.uniform(600, 1500), 0.02)
    return unit_peak(bass) + rng.uniform(0.1, 0.3) * unit_peak(hand)


def _darbuka_tek(rng: Rng, t: np.ndarray, rate: int) -> np.ndarray:
    """Darbuka 'tek': a finger at the rim, upper head modes 0.5-1.4 kHz, a crack, shell ring."""
    head = _head(rng, t, rng.uniform(500, 1400), [1.0, 0.8, 0.6, 0.4, 0.3], rng.uniform(0.03, 0.1))
    crack = _crack(rng, t, rate, rng.uniform(2000, 5000), rng.uniform(0.003, 0.01))
    out = unit_peak(head) + rng.uniform(0.5, 1.0) * unit_peak(crack)
    if rng.random() < 0.5:  # an aluminium shell rings along
        freqs = np.minimum(rng.uniform(2000, 5000, 3), 0.45 * rate)
        out += rng.uniform(0.1, 0.2) * unit_peak(modes(t, freqs, np.ones(3), np.full(3, 0.2), rng))
    return out


def tabla_darbuka(rng: Rng, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Darbuka doum (80-150 Hz) or tek (rim click), tabla na (harmonic) or ge (rising bass)."""
    stroke = ("doum", "tek", "na", "ge")[int(rng.choice(4, p=[0.3, 0.3, 0.2, 0.2]))]
    seconds = {"doum": (0.3, 0.6), "tek": (0.1, 0.25), "na": (0.4, 1.0), "ge": (0.4, 0.9)}
    t = times(rng.uniform(*seconds[stroke]), sample_rate)
    if stroke == "tek":
        out = _darbuka_tek(rng, t, sample_rate)
    elif stroke == "na":
        out = _tabla_na(rng, t, sample_rate)
    elif stroke == "ge":
        out = _tabla_ge(rng, t, sample_rate)
    else:
        head = _head(rng, t, rng.uniform(80, 150), [1.0, 0.4, 0.25, 0.15], rng.uniform(0.15, 0.5))
        hand = _hand(rng, t, sample_rate, rng.uniform(1000, 2000), rng.uniform(0.01, 0.02))
        head = _soft(head, t, rng.uniform(0.001, 0.003))
        out = unit_peak(head) + rng.uniform(0.1, 0.3) * unit_peak(hand)
    return fade_out(out, sample_rate)
