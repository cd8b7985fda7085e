"""Metallic voices: hi-hats (closed, pedal, half-open, open), cymbals (crash, ride, splash, china).

Same contract as `skins`: `voice(rng, sample_rate, electronic) -> (n,) float64`.
"""

from __future__ import annotations

import numpy as np

from drumnet.training.synth import dsp
from drumnet.training.synth.signals import exp_decay, fade_out, modes, noise, phase_of, times, wave

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
    """k inharmonic sine partials log-spread in lo..hi Hz; higher ones die a little sooner."""
    freqs = np.exp(rng.uniform(np.log(lo), np.log(hi), k))
    decays = decay * rng.uniform(0.5, 1.0, k) * (lo / freqs) ** rng.uniform(0.0, 0.2)
    return modes(t, freqs, rng.uniform(0.2, 1.0, k), decays, rng)


def _machine_metal(rng: np.random.Generator, t: np.ndarray, rate: int) -> np.ndarray:
    """A drum machine's metal: the 808 square bank or FM, scaled to peak 1."""
    src = _square_bank(rng, t.size, rate) if rng.random() < 0.7 else _fm_metal(rng, t, rate)
    return src / (np.max(np.abs(src)) + 1e-9)


# Where an acoustic hat or cymbal puts its energy, as EQ points (Hz); gains are drawn per hit.
# Both have a real 300 Hz-1 kHz clang and most energy at 3-10 kHz: what tells a hat from a
# cymbal is less the spectrum than the decay, the hat's chick and the cymbal's swelling wash.
EQ_HZ = np.array([150.0, 400.0, 800.0, 1500.0, 3000.0, 5000.0, 8000.0, 12000.0])


def _hat_gains(rng: np.random.Generator, kind: str) -> np.ndarray:
    """dB at EQ_HZ for a hat: a weak clang, a 1-3 kHz dip, the bulk at 3-10 kHz.

    Closed and pedal hats keep more 300 Hz-1 kHz clang (about half their energy below 1 kHz in
    the Hydrogen kits), open and half-open hats are brighter (about a quarter).
    """
    ringing = kind in ("half", "open")
    clang = rng.uniform(-12, 5) if ringing else rng.uniform(-10, 8)
    clang += 6 if kind == "pedal" else 0  # a pedal chick is duller
    return np.array(
        [
            rng.uniform(-30, -12),
            clang,
            clang - rng.uniform(0, 4),
            rng.uniform(-20, -10),
            rng.uniform(-6, 0) if ringing else rng.uniform(-10, -2),
        ]
        + [0, rng.uniform(-3, 0), rng.uniform(-8, -2)]
    )


def _cymbal_gains(rng: np.random.Generator) -> np.ndarray:
    """dB at EQ_HZ for a cymbal: a 300 Hz-1 kHz body, a 1.5 kHz dip, most energy at 2.5-5 kHz."""
    return np.array(
        [-24, rng.uniform(-8, -1), rng.uniform(-8, -2), rng.uniform(-22, -12), rng.uniform(-4, 0)]
        + [0, rng.uniform(-8, -2), rng.uniform(-14, -6)]
    )


def _acoustic_metal(
    rng: np.random.Generator, t: np.ndarray, rate: int, gains: np.ndarray, decay: float, k: int
) -> np.ndarray:
    """k inharmonic partials from 250 Hz up plus noise, shaped to `gains` at EQ_HZ; peak 1."""
    metal = _partials(rng, t, 250, 0.45 * rate, k, decay)
    mix = metal / (np.max(np.abs(metal)) + 1e-9) + rng.uniform(0.1, 0.4) * noise(rng, t.size) / 3
    out = dsp.eq_curve(mix, EQ_HZ, gains, rate)
    return out / (np.max(np.abs(out)) + 1e-9)


def _machine_hat(rng: np.random.Generator, t: np.ndarray, rate: int, kind: str) -> np.ndarray:
    """Drum-machine hat: square bank or FM plus noise, high-passed at 3.5-8 kHz (some 1.5-4)."""
    metal = _machine_metal(rng, t, rate)
    mix = rng.uniform(0.2, 0.8) * metal + rng.uniform(0.3, 1.0) * noise(rng, t.size) / 3
    cut = rng.uniform(3500, 8000) if kind != "pedal" else rng.uniform(2500, 5000)
    if rng.random() < 0.3:
        cut = rng.uniform(1500, 4000)
    out = dsp.highpass(mix, min(cut, 0.3 * rate), rate)
    if rng.random() < 0.5:
        centre = min(rng.uniform(7000, 12000), 0.4 * rate)
        out = dsp.bandpass(out, centre, rate, q=0.7) + 0.3 * out
    return out


def _sizzle(rng: np.random.Generator, t: np.ndarray, rate: int) -> np.ndarray:
    """Loose half-open plates clashing: 1 + an irregular 20-80 Hz train of smoothed bumps."""
    n = int(t[-1] * rng.uniform(20, 80)) + 1
    bumps = np.zeros(t.size)
    bumps[(rng.uniform(0, t[-1], n) * rate).astype(int)] = rng.uniform(0.3, 1.0, n)
    smooth = dsp.one_pole_lowpass(bumps, 60.0, rate)
    return 1 + rng.uniform(0.5, 2.0) * smooth / (np.max(smooth) + 1e-12)


HAT_DECAY = {"closed": (0.2, 0.7), "pedal": (0.1, 0.3), "half": (0.5, 1.5), "open": (0.8, 3.0)}
HAT_ATTACK = {"closed": (0.0, 0.002), "pedal": (0.002, 0.01), "half": (0.001, 0.03)}


HAT_KINDS = ("closed", "pedal", "half", "open")


def hihat(
    rng: np.random.Generator, sample_rate: int, electronic: float = 0.5, kind: str | None = None
) -> np.ndarray:
    """Hi-hat: closed, pedal chick, half-open sizzle or open (often choked by the foot);
    `kind` picks one of HAT_KINDS instead of drawing it.

    Decays to -60 dB: closed 0.2-0.7 s, pedal 0.1-0.3 s, half-open 0.5-1.5 s, open 0.8-3 s.
    Acoustic hats keep a weak 300 Hz-1 kHz clang; machine hats are high-passed and their
    closed and pedal hats 2.5x shorter.
    """
    drawn = HAT_KINDS[int(rng.choice(4, p=[0.35, 0.2, 0.2, 0.25]))]
    kind = drawn if kind is None else kind  # a given kind still draws: the rest stays the same
    if kind not in HAT_KINDS:
        raise ValueError(f"unknown hi-hat kind {kind!r}; choose from {', '.join(HAT_KINDS)}")
    machine = rng.random() < 0.6 * electronic
    decay = rng.uniform(*HAT_DECAY[kind]) * (0.4 if machine and kind in ("closed", "pedal") else 1)
    choked = kind == "open" and rng.random() < 0.35  # the foot closes the hat before it dies
    length = decay * (rng.uniform(0.3, 0.9) if choked else rng.uniform(1.0, 1.3)) + 0.01
    t = times(min(2.5, length), sample_rate)
    if machine:
        out = _machine_hat(rng, t, sample_rate, kind)
    else:
        out = _acoustic_metal(rng, t, sample_rate, _hat_gains(rng, kind), 4 * decay, 40)
        tick = noise(rng, t.size) * exp_decay(t, rng.uniform(0.002, 0.005))
        out += rng.uniform(0.1, 0.4) * dsp.highpass(tick, 2000, sample_rate)
        if kind == "pedal":  # the plates closing: a dull thud under the chick
            thud = noise(rng, t.size) * exp_decay(t, rng.uniform(0.02, 0.04))
            out += rng.uniform(0.2, 0.6) * dsp.lowpass(thud, rng.uniform(150, 500), sample_rate)
    env = exp_decay(t, decay, attack=rng.uniform(*HAT_ATTACK.get(kind, (0.001, 0.04))))
    if kind == "half":
        env *= _sizzle(rng, t, sample_rate)
    if choked:
        env *= np.clip((t[-1] - t) / rng.uniform(0.01, 0.04), 0, 1)
    return fade_out(out * env, sample_rate, 0.005)


CYMBAL_DECAY = {"crash": (3.0, 6.5), "ride": (2.5, 6.5), "splash": (2.0, 4.0), "china": (2.5, 5.0)}
RIDE_BELL_RATIOS = np.array([1.0, 2.02, 2.74, 3.9, 5.3])  # a cup's partials: bright, bell-like


def cymbal(rng: np.random.Generator, sample_rate: int, electronic: float = 0.5) -> np.ndarray:
    """Cymbal: crash, ride (with bell and ping), splash or china, 2-6.5 s to -60 dB (cut at 3.5 s).

    Acoustic: a 300 Hz-5 kHz wash that swells over 5-60 ms (crash, china) under a bright strike.
    Machine: two 808 square banks and high-passed noise.
    """
    kind = str(rng.choice(list(CYMBAL_DECAY)))
    decay = rng.uniform(*CYMBAL_DECAY[kind])
    t = times(min(3.5, decay * rng.uniform(0.8, 1.1)), sample_rate)
    if rng.random() < electronic:
        metal = _square_bank(rng, t.size, sample_rate) + _square_bank(rng, t.size, sample_rate)
        metal = dsp.highpass(
            metal / (np.max(np.abs(metal)) + 1e-9), rng.uniform(300, 3000), sample_rate
        )
        wash = dsp.highpass(noise(rng, t.size), rng.uniform(3000, 7000), sample_rate)
    else:
        gains = _cymbal_gains(rng)
        metal = _acoustic_metal(rng, t, sample_rate, gains, 6 * decay, int(rng.integers(30, 50)))
        wash = dsp.eq_curve(noise(rng, t.size), EQ_HZ, gains, sample_rate)
        wash /= np.max(np.abs(wash)) + 1e-9
    swell = rng.uniform(0.005, 0.06) if kind in ("crash", "china") else rng.uniform(0.001, 0.005)
    out = (metal + rng.uniform(0.1, 0.5) * wash) * exp_decay(t, decay, attack=swell)
    strike = noise(rng, t.size) * exp_decay(t, rng.uniform(0.05, 0.3))
    strike = dsp.highpass(strike, rng.uniform(2000, 4000), sample_rate)
    out += rng.uniform(0.1, 0.6) * strike / (np.max(np.abs(strike)) + 1e-9)
    if kind == "ride":
        bell_f = np.minimum(rng.uniform(700, 1400) * RIDE_BELL_RATIOS, 0.45 * sample_rate)
        bell = modes(t, bell_f, np.array([0.6, 1.0, 0.8, 0.7, 0.5]), np.full(5, decay * 0.6), rng)
        bell *= rng.uniform(0.05, 0.5) / (np.max(np.abs(bell)) + 1e-9)
        ping = noise(rng, t.size) * exp_decay(t, 0.01)
        out += bell + 0.3 * dsp.highpass(ping, 4000, sample_rate)
    if kind == "china":  # trashy: ring modulation and folding
        out = np.sin(3 * out / (np.max(np.abs(out)) + 1e-9)) * (1 + 0.5 * np.sin(2e3 * t))
    return fade_out(out, sample_rate, 0.05)
