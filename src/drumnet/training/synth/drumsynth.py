"""Render DrumSynth 2.0 presets (`.ds`, as shipped with LMMS) to audio with numpy.

A preset is an INI file: [General] (Tuning in semitones, Stretch %, Level dB, a master filter
with FilterEnv), [Tone] (a sine swept F1 -> F2 Hz, linearly or with exponential Droop),
[Noise] (white noise through a Slope filter), [Overtones] (two oscillators mixed, FM'd,
ring-modulated or fed as 808-style pulse trains into a swept bandpass), [NoiseBand] and
[NoiseBand2] (a cosine whose phase random-walks: band-limited noise around F Hz, width dF) and
[Distortion] (Bits, Rate, Clipping). Envelopes are "t,l t,l ..." points: t in samples at
44.1 kHz (scaled by Stretch), l in percent. Levels combine as Level**2 in 16-bit units.

This is an independent, vectorised re-implementation of the format's meaning, not a port:
recursive filters run through `dsp.iir_filter`, so output is close to DrumSynth's, not
sample-exact. Rendering happens at 44.1 kHz (the format's own rate) and is then resampled.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import numpy as np

from drumnet.audio.prepare import resample
from drumnet.training.synth import dsp

DS_RATE = 44100  # Hz; envelope times and frequencies in a preset assume this rate
FULL_SCALE = 32768.0  # DrumSynth sums into 16-bit sample units
CLIP_POINT = 32700.0  # ... and clips there
SECTIONS = ("tone", "noise", "overtones", "noiseband", "noiseband2")
_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")


class DrumSynthError(Exception):
    """A preset that cannot be rendered; `str(err)` names the file and the reason."""


def parse_ds(text: str) -> dict[str, dict[str, str]]:
    """INI text -> {section: {key: value}}, names lower-cased; the first duplicate key wins."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for raw in text.lstrip("\ufeff").splitlines():
        line = raw.strip()
        if line.startswith("[") and "]" in line:
            current = sections.setdefault(line[1 : line.index("]")].strip().lower(), {})
        elif current is not None and "=" in line:
            key, value = line.split("=", 1)
            current.setdefault(key.strip().lower(), value.strip())
    return sections


def _num(ini: dict, section: str, key: str, default: float) -> float:
    """A number as C's sscanf reads it: the leading numeric prefix, 0 if none, default if absent."""
    value = ini.get(section, {}).get(key.lower())
    if value is None or value == "":
        return float(default)
    match = _NUMBER.match(value)
    return float(match.group(0)) if match else 0.0


def _points(ini: dict, section: str, key: str) -> tuple[np.ndarray, np.ndarray]:
    """Envelope points -> (times in samples, levels 0..1); DrumSynth's default if missing."""
    text = ini.get(section, {}).get(key.lower()) or "0,0 100,0"
    pairs = [p.split(",") for p in text.split() if "," in p]
    try:
        t = np.array([float(p[0]) for p in pairs], dtype=np.float64)
        level = np.array([float(p[1]) for p in pairs], dtype=np.float64) / 100
    except ValueError:
        raise DrumSynthError(f"[{section}] {key}: unreadable envelope {text[:40]!r}") from None
    if t.size == 0:
        raise DrumSynthError(f"[{section}] {key}: envelope has no points")
    return np.maximum.accumulate(np.maximum(t, 0)), level


def _envelope(points: tuple[np.ndarray, np.ndarray], n: int, stretch: float) -> np.ndarray:
    """Piecewise-linear envelope over n samples; silent after its last point."""
    t, level = points
    return np.interp(np.arange(n), t * stretch, level, right=0.0)


def _is_on(ini: dict, section: str) -> bool:
    return _num(ini, section, "On", 0) == 1


def _length(ini: dict, stretch: float) -> int:
    """Samples to render: the longest active envelope, rounded up as DrumSynth does."""
    keys = {"overtones": ("Envelope1", "Envelope2")}
    longest = 0.0
    for section in SECTIONS:
        if _is_on(ini, section):
            for key in keys.get(section, ("Envelope",)):
                longest = max(longest, _points(ini, section, key)[0][-1] * stretch)
    return 2400 + 1200 * int(longest / 1200)


def _radians(hz: float, tune: float) -> float:
    """Hz -> radians per sample at 44.1 kHz, times the master tuning ratio."""
    return tune * 2 * np.pi * hz / DS_RATE


def _tone_increments(ini: dict, n: int, stretch: float, tune: float) -> np.ndarray:
    """Per-sample phase increment (radians) of the tone: linear F1 -> F2, or drooping."""
    f1 = _radians(_num(ini, "tone", "F1", 200), tune)
    f1 = f1 if abs(f1) >= 0.001 else 0.001
    f2 = _radians(_num(ini, "tone", "F2", 120), tune)
    env_max = max(_points(ini, "tone", "Envelope")[0][-1] * stretch, 1.0)
    droop = _num(ini, "tone", "Droop", 0)
    t = np.arange(n, dtype=np.float64)
    if droop > 0:  # exponential glide that reaches F2 when the envelope ends
        rate = -4.0 * 10 ** ((droop - 20) / 30) / env_max
        f2_asymptote = f1 + (f2 - f1) / (1 - np.exp(rate * env_max))
        return f2_asymptote + (f1 - f2_asymptote) * np.exp(rate * t)
    return f1 + (t / env_max) * (f2 - f1)


def _tone(ini: dict, n: int, stretch: float, tune: float) -> tuple[np.ndarray, np.ndarray]:
    """(signal, phase) of the tone section; the phase drives tracked overtones."""
    start = np.deg2rad(_num(ini, "tone", "Phase", 90))
    phase = start + np.cumsum(_tone_increments(ini, n, stretch, tune))
    level = _num(ini, "tone", "Level", 128) ** 2
    env = _envelope(_points(ini, "tone", "Envelope"), n, stretch)
    return level * env * np.sin(phase), phase


def _noise(ini: dict, n: int, stretch: float, rng: np.random.Generator) -> np.ndarray:
    """White noise through the Slope filter: < 0 one-pole lowpass, > 0 a bright FIR tilt."""
    slope = _num(ini, "noise", "Slope", 0)
    level = _num(ini, "noise", "Level", 0) ** 2
    x = rng.uniform(-1, 1, n)
    if slope < 0:
        gain = (1 + 0.0005 * slope * slope) * level
        y = dsp.iir_filter(x, np.array([1 + slope / 105]), np.array([1.0, slope / 105]))
    else:
        gain = level
        y = np.convolve(x, [1.0, -slope / 50, abs(slope) / 100])[:n]
    return gain * y * _envelope(_points(ini, "noise", "Envelope"), n, stretch)


def _noise_band(ini: dict, section: str, n: int, stretch: float, tune: float, rng) -> np.ndarray:
    """Band noise: cos of a phase whose increment random-walks around F, held dF-dependent."""
    bf = _radians(_num(ini, section, "F", 1000), tune)
    df = _num(ini, section, "dF", 50)
    bq = df * df / (10000 - 6600 * (np.sqrt(max(bf, 0.0)) - 0.19))
    step = max(1, 1 + int((40 - df / 2.5) / (bq + 1 + bf)))
    jitter = np.repeat(rng.uniform(-0.5, 0.5, n // step + 1), step)[:n]
    phase = np.pi / 4 + np.cumsum(bf + bq * jitter)
    level = _num(ini, section, "Level", 128) ** 2
    return level * np.cos(phase) * _envelope(_points(ini, section, "Envelope"), n, stretch)


def _ds_wave(phase: np.ndarray, form: int) -> np.ndarray:
    """DrumSynth waveforms: 0 sine, 1 |sine| (octave up), 2 triangle, 3 saw, 4 square."""
    if form == 0:
        return np.sin(phase)
    if form == 1:
        return np.abs(2 * np.sin(0.5 * phase)) - 1
    saw01 = np.mod(phase / (2 * np.pi), 1.0)
    if form == 2:
        return 1 - 4 * np.abs(saw01 - 0.5)
    if form == 3:
        return 2 * saw01 - 1
    return np.where(saw01 < 0.5, 1.0, -1.0)


def _segments(control: np.ndarray, block: int = 256, steps: int = 64) -> tuple[list, list]:
    """Split a slowly varying control (0..1) into runs of equal quantised value.

    Returns (starts, values): segment i starts at sample starts[i] and holds values[i].
    """
    n_blocks = -(-control.size // block)
    padded = np.pad(control, (0, n_blocks * block - control.size), mode="edge")
    levels = np.round(padded.reshape(n_blocks, block).mean(axis=1) * steps) / steps
    change = np.flatnonzero(np.diff(levels)) + 1
    firsts = np.concatenate([[0], change])
    return [int(i) * block for i in firsts], [float(levels[i]) for i in firsts]


def _stable(a: np.ndarray) -> bool:
    return float(np.max(np.abs(np.roots(a)))) < 0.9995


def _cymbal_808(ot_level: np.ndarray, env2: np.ndarray, of1: float, of2: float, bal1: float):
    """Six pulse trains (periods between 2pi/OF1 and 2pi/OF2) into a bandpass swept by env2."""
    n = ot_level.size
    q = (0.28 + bal1 * bal1) ** 2
    f_scale = (1.8 - 0.7 * q) * 0.92
    p1, p2 = 2 * np.pi / max(abs(of1), 1e-4), 2 * np.pi / max(abs(of2), 1e-4)
    fires = np.zeros(n, dtype=bool)
    for i in range(6):
        period = float(np.clip(p1 + (p2 - p1) * 0.2 * i, 1.0, n))
        fires[np.minimum(np.arange(0, n, period).astype(int), n - 1)] = True
    pulses = np.where(fires, ot_level, 0.0)
    starts, values = _segments(np.clip(env2, 0, 1))
    coeffs = []
    for v in values:
        f = v * f_scale
        if f < 1e-3:  # the band is closed: its gain f is ~0 and its ringing endless
            coeffs.append((np.zeros(1), np.ones(1)))
            continue
        a = np.array([1.0, f * f + f * q - 2, 1 - f * q])
        while not _stable(a) and f > 1e-3:  # DrumSynth would blow up and clip; we back off
            f *= 0.97
            a = np.array([1.0, f * f + f * q - 2, 1 - f * q])
        coeffs.append((np.array([f, 0.0, -f]), a))
    return dsp.varying_filter(pulses, starts, coeffs)


def _overtones(ini: dict, n: int, stretch: float, tune: float, tone_phase) -> np.ndarray:
    """Two oscillators combined by Method: 0 add, 1 FM, 2 ring mod, 3 808 cymbal."""
    sec = "overtones"
    of1, of2 = (_radians(_num(ini, sec, k, d), tune) for k, d in (("F1", 200), ("F2", 120)))
    w1, w2 = int(_num(ini, sec, "Wave1", 0)), int(_num(ini, sec, "Wave2", 0))
    bal2 = _num(ini, sec, "Param", 50)
    drive, bal2 = bal2**3 / 125000, bal2 * 0.01
    start = np.deg2rad(_num(ini, "tone", "Phase", 90))
    steps = np.arange(1, n + 1)
    phases = []
    for key, of in (("Track1", of1), ("Track2", of2)):
        if _num(ini, sec, key, 0) == 1 and _is_on(ini, "tone"):
            f1 = _radians(_num(ini, "tone", "F1", 200), tune)
            phases.append(tone_phase * of / (f1 if abs(f1) >= 0.001 else 0.001))
        else:
            phases.append(start + of * steps)
    e1 = _envelope(_points(ini, sec, "Envelope1"), n, stretch)
    e2 = _envelope(_points(ini, sec, "Envelope2"), n, stretch)
    level = _num(ini, sec, "Level", 128) ** 2
    method = int(_num(ini, sec, "Method", 2))
    if method == 0:
        return level * (
            (1 - bal2) * e1 * _ds_wave(phases[0], w1) + bal2 * e2 * _ds_wave(phases[1], w2)
        )
    if method == 1:
        return level * e1 * _ds_wave(phases[0] + drive * e2 * _ds_wave(phases[1], w2), w1)
    if method == 2:
        ring = (1 - drive / 8) + (drive / 8) * e2 * _ds_wave(phases[1], w2)
        return level * e1 * _ds_wave(phases[0], w1) * ring
    if method == 3:
        return _cymbal_808(level * e1, e2, of1, of2, 1 - bal2)
    return np.zeros(n)


def _main_filter(x: np.ndarray, ini: dict, stretch: float) -> np.ndarray:
    """Resonant 2-pole lowpass swept by FilterEnv (as its two one-poles + feedback imply)."""
    res = np.sqrt(max(0.0101 * _num(ini, "general", "Resonance", 0), 0.0))
    env = _envelope(_points(ini, "general", "FilterEnv"), x.size, stretch)
    starts, values = _segments(np.clip(env, 0, 1))
    coeffs = []
    for e in values:
        p = 1.001 - 10 ** (e - 1) if e > 0.2 else 0.999 - 0.7824 * e
        r = res
        a = np.array([1.0, -2 * p - r * (1 - p * p), p * p + r * (1 - p * p)])
        while not _stable(a):
            r *= 0.9
            a = np.array([1.0, -2 * p - r * (1 - p * p), p * p + r * (1 - p * p)])
        coeffs.append((np.array([(1 - p) ** 2]), a))
    return dsp.varying_filter(x, starts, coeffs)


def _distort(x: np.ndarray, ini: dict, gain: float) -> tuple[np.ndarray, float]:
    """Bit reduction, sample-and-hold downsampling and drive; returns (signal, clip point)."""
    loudest = max(
        [_num(ini, s, "Level", 0 if s == "noise" else 128) ** 2 for s in SECTIONS if _is_on(ini, s)]
        + [0.0]
    )
    clip_point = min(CLIP_POINT, max(gain * loudest, 1.0))
    atten = 2.0 ** (2 * _num(ini, "distortion", "Bits", 0))
    gain = atten * gain * 10 ** (0.05 * _num(ini, "distortion", "Clipping", 0))
    step = 1 + int(_num(ini, "distortion", "Rate", 0))
    step = {5: 8, 6: 10, 7: 20}.get(step, max(step, 1))
    y = gain * np.trunc(x / atten)
    n_held = -(-y.size // step) * step
    held = np.pad(y, (0, n_held - y.size)).reshape(-1, step).mean(axis=1)
    return np.repeat(held, step)[: y.size], clip_point


def render_ini(ini: dict[str, dict[str, str]], seed: int = 0) -> np.ndarray:
    """Render parsed preset sections at 44.1 kHz -> float32 (n,) in [-1, 1] (1.0 = 16-bit FS).

    Raises DrumSynthError when the preset is not DrumSynth's or renders nothing.
    """
    version = ini.get("general", {}).get("version", "")
    if "general" not in ini or (version and not version.lower().startswith("drumsynth")):
        raise DrumSynthError(f"not a DrumSynth preset (version {version!r})")
    if not any(_is_on(ini, s) for s in SECTIONS):
        raise DrumSynthError("every section is switched off")
    rng = np.random.default_rng(seed)
    stretch = float(np.clip(_num(ini, "general", "Stretch", 100) / 100, 0.2, 10.0))
    tune = 1.0594631 ** _num(ini, "general", "Tuning", 0)
    n = _length(ini, stretch)
    x = np.zeros(n)
    tone, tone_phase = _tone(ini, n, stretch, tune)
    if _is_on(ini, "tone"):
        x += tone
    if _is_on(ini, "noise"):
        x += _noise(ini, n, stretch, rng)
    for band in ("noiseband", "noiseband2"):
        if _is_on(ini, band):
            x += _noise_band(ini, band, n, stretch, tune, rng)
    over = _overtones(ini, n, stretch, tune, tone_phase) if _is_on(ini, "overtones") else 0.0
    mode = 2 * int(_num(ini, "general", "Filter", 0)) or int(_num(ini, "overtones", "Filter", 0))
    high_pass = _num(ini, "general", "HighPass", 0)
    if mode == 1:
        x = x + _main_filter(over + np.zeros(n), ini, stretch) - high_pass * over
    elif mode == 2:
        x = _main_filter(x + over, ini, stretch) - high_pass * (x + over)
    else:
        x = x + over
    gain = 10 ** (0.05 * _num(ini, "general", "Level", 0))
    clip_point = CLIP_POINT
    if _is_on(ini, "distortion"):
        x, clip_point = _distort(x, ini, gain)
    else:
        x = x * gain
    y = np.clip(np.nan_to_num(x), -clip_point, clip_point) / FULL_SCALE
    if not np.any(np.abs(y) > 1e-5):
        raise DrumSynthError("renders silence")
    return y.astype(np.float32)


def render_ds(path: str | os.PathLike, sample_rate: int = 44100, seed: int = 0) -> np.ndarray:
    """Render a `.ds` preset file to float32 mono audio of shape (n,) at `sample_rate` Hz.

    Levels are DrumSynth's own (1.0 = 16-bit full scale, hard-clipped there), not normalised.
    Raises DrumSynthError (message names the file) for unreadable or unrenderable presets.
    """
    path = Path(path)
    try:
        text = path.read_bytes().decode("latin-1")
    except OSError as exc:
        raise DrumSynthError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        y = render_ini(parse_ds(text), seed)
    except DrumSynthError as exc:
        raise DrumSynthError(f"{path}: {exc}") from None
    except (ValueError, IndexError, ArithmeticError, np.linalg.LinAlgError) as exc:
        raise DrumSynthError(f"{path}: render failed ({type(exc).__name__}: {exc})") from exc
    return resample(y, DS_RATE, sample_rate)
