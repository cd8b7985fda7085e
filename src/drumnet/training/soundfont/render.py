"""Render one note of a SoundFont preset as a mono one-shot (numpy only, no synthesiser).

For each voice the note starts (`SoundFont.voices`): the sample is read between its start and
end offsets at the pitch its root key and tuning give (linear interpolation), looped while the
key is held when its sample mode says so, shaped by the volume envelope (delay, linear attack,
hold, decay and release at 100 dB per decay / release time, sustain level), low-pass filtered
at its static cutoff, and scaled by its attenuation plus the default velocity curve. Voices are
summed, so a stereo pair (two zones, left and right) mixes to mono; pan, chorus, reverb, LFOs
and the modulation envelope are not rendered. A voice read slower than the output rate is
low-passed at its own band edge, so interpolation images do not add highs it never had.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from drumnet.training.soundfont import sf2
from drumnet.training.soundfont.sf2 import SoundFont, SoundFontError, Voice

PEAK_DB = 100.0  # envelope decay and release fall this many dB per decay / release time


class NoSound(SoundFontError):
    """The preset plays nothing for this note (no zone holds it, or it renders silent)."""


@dataclass(frozen=True)
class RenderConfig:
    sample_rate: int = 44100  # Hz of the rendered one-shot
    note_seconds: float = 1.0  # the key is held this long, then released
    max_seconds: float = 4.0  # a longer tail is cut (with a 10 ms fade)
    tail_db: float = -80.0  # trailing samples quieter than this, relative to the peak, are cut


def timecents(value: int) -> float:
    """SF2 timecents -> seconds (-12000, the default, is 1 ms)."""
    return 2.0 ** (value / 1200.0)


def velocity_attenuation(velocity: int) -> float:
    """The default modulator's attenuation in centibels: 960 cB times the concave curve of
    (127 - velocity) / 127, i.e. 400 * log10(127 / velocity) (SF2.01 section 8.4.2)."""
    return 400.0 * math.log10(127.0 / max(velocity, 1))


def voice_pitch(voice: Voice, key: int) -> float:
    """Cents by which `voice` plays `key` above its sample's recorded pitch."""
    root = voice.gen(sf2.OVERRIDING_ROOT_KEY)
    if root < 0:
        root = voice.sample.original_pitch if voice.sample.original_pitch <= 127 else 60
    played = voice.gen(sf2.KEYNUM) if voice.gen(sf2.KEYNUM) >= 0 else key
    tune = 100 * voice.gen(sf2.COARSE_TUNE) + voice.gen(sf2.FINE_TUNE)
    return (played - root) * voice.gen(sf2.SCALE_TUNING) + tune + voice.sample.pitch_correction


def _addresses(voice: Voice, n_data: int) -> tuple[int, int, int, int]:
    """(start, end, loop start, loop end) in the sample data, offsets applied and clamped."""
    g, s = voice.gen, voice.sample
    start = s.start + g(sf2.START_OFFSET) + 32768 * g(sf2.START_COARSE)
    end = s.end + g(sf2.END_OFFSET) + 32768 * g(sf2.END_COARSE)
    loop_start = s.loop_start + g(sf2.LOOP_START_OFFSET) + 32768 * g(sf2.LOOP_START_COARSE)
    loop_end = s.loop_end + g(sf2.LOOP_END_OFFSET) + 32768 * g(sf2.LOOP_END_COARSE)
    start, end = max(0, start), min(n_data, end)
    return start, end, max(start, loop_start), min(end - 1, loop_end)


def _positions(voice: Voice, step: float, n: int, held: int, n_data: int) -> np.ndarray:
    """Read positions (float, in the data) of n output samples; the key is held for `held`."""
    start, end, loop_start, loop_end = _addresses(voice, n_data)
    pos = start + step * np.arange(n, dtype=np.float64)
    mode = voice.gen(sf2.SAMPLE_MODES) & 3
    if mode in (1, 3) and loop_end - loop_start >= 2:
        length = loop_end - loop_start
        wrap = pos >= loop_end
        looping = wrap if mode == 1 else wrap & (np.arange(n) < held)
        pos[looping] = loop_start + np.mod(pos[looping] - loop_start, length)
        if mode == 3 and 0 < held < n:
            # released: carry on from where the loop was, out of it and to the end
            pos[held:] = pos[held - 1] + step * np.arange(1, n - held + 1)
    return pos[pos < end - 1]


def _envelope(voice: Voice, key: int, n: int, held: int, rate: int) -> np.ndarray:
    """The volume envelope's gain (n,): delay, attack, hold, decay to sustain, release."""
    g = voice.gen
    delay, attack = timecents(g(sf2.DELAY_VOL)), timecents(g(sf2.ATTACK_VOL))
    hold = timecents(g(sf2.HOLD_VOL) + g(sf2.KEY_TO_HOLD) * (60 - key))
    decay = timecents(g(sf2.DECAY_VOL) + g(sf2.KEY_TO_DECAY) * (60 - key))
    release = timecents(g(sf2.RELEASE_VOL))
    sustain_db = min(max(g(sf2.SUSTAIN_VOL), 0), 1440) / 10.0
    t = np.arange(n) / rate - delay
    decaying = np.maximum(t - attack - hold, 0.0)
    db = -np.minimum(PEAK_DB * decaying / decay, sustain_db)
    gain = np.where(t < attack, np.clip(t / attack, 0.0, 1.0), 10.0 ** (db / 20.0))
    gain[t < 0] = 0.0
    if held < n:
        at_release = gain[held - 1] if held > 0 else 0.0
        after = np.arange(1, n - held + 1) / rate
        gain[held:] = at_release * 10.0 ** (-PEAK_DB * after / release / 20.0)
    return gain


def _lowpass(x: np.ndarray, voice: Voice, rate: int) -> np.ndarray:
    """The zone's static resonant low-pass (a biquad); none at the default, open cutoff."""
    cents = min(max(voice.gen(sf2.FILTER_FC), 1500), 13500)
    cutoff = 8.176 * 2.0 ** (cents / 1200.0)  # absolute cents above 8.176 Hz (MIDI key 0)
    if cents >= 13500 or cutoff >= 0.45 * rate:
        return x
    from scipy.signal import lfilter

    q = max(10.0 ** (min(max(voice.gen(sf2.FILTER_Q), 0), 960) / 200.0), 1 / math.sqrt(2))
    w = 2 * math.pi * cutoff / rate
    alpha, cos = math.sin(w) / (2 * q), math.cos(w)
    b = np.array([(1 - cos) / 2, 1 - cos, (1 - cos) / 2])  # RBJ cookbook low-pass
    a = np.array([1 + alpha, -2 * cos, 1 - alpha])
    return lfilter(b / a[0], a / a[0], x)


def _band_limit(x: np.ndarray, step: float) -> np.ndarray:
    """Remove the images linear interpolation leaves above the played sample's band: a sample
    read at `step` < 1 (pitched down, or at a lower rate than the output) holds nothing above
    step / 2 of the output rate (8th-order Butterworth just below it)."""
    if step >= 0.9:
        return x
    from scipy.signal import butter, sosfilt

    return sosfilt(butter(8, 0.95 * step, output="sos"), x)  # cutoff relative to Nyquist


def render_voice(
    voice: Voice, data: np.ndarray, key: int, velocity: int, config: RenderConfig
) -> np.ndarray:
    """One voice as float64 samples at config.sample_rate, until its sample or release ends."""
    rate = config.sample_rate
    cents = voice_pitch(voice, key)
    step = 2.0 ** (cents / 1200.0) * voice.sample.sample_rate / rate  # data samples per output
    held = int(config.note_seconds * rate)
    release = timecents(voice.gen(sf2.RELEASE_VOL))
    n = min(int(config.max_seconds * rate), held + math.ceil(release * rate) + 1)
    pos = _positions(voice, step, n, held, len(data))
    if not len(pos):
        return np.zeros(0)
    index = pos.astype(np.int64)
    frac = pos - index
    x = _band_limit((data[index] * (1 - frac) + data[index + 1] * frac) / 32768.0, step)
    x = _lowpass(x * _envelope(voice, key, len(x), held, rate), voice, rate)
    played = voice.gen(sf2.VELOCITY) if voice.gen(sf2.VELOCITY) >= 0 else velocity
    attenuation = min(max(voice.gen(sf2.ATTENUATION), 0), 1440) + velocity_attenuation(played)
    return x * 10.0 ** (-attenuation / 200.0)


def _trim(x: np.ndarray, config: RenderConfig) -> np.ndarray:
    peak = float(np.max(np.abs(x))) if len(x) else 0.0
    if peak <= 0.0:
        return x[:0]
    loud = np.flatnonzero(np.abs(x) > peak * 10.0 ** (config.tail_db / 20.0))
    x = x[: loud[-1] + 1].copy()
    fade = min(len(x), int(0.01 * config.sample_rate))
    if len(x) >= int(config.max_seconds * config.sample_rate) - 1 and fade:
        x[-fade:] *= np.linspace(1.0, 0.0, fade)  # cut by max_seconds: no click at the end
    return x


def render_note(
    font: SoundFont,
    bank: int,
    program: int,
    key: int,
    velocity: int,
    config: RenderConfig | None = None,
) -> np.ndarray:
    """The note (key, velocity) of preset (bank, program) as a mono float32 one-shot (n,) at
    config.sample_rate, at the level the font gives it (may exceed 1.0 where voices add up).

    Raises KeyError for a missing preset, NoSound when nothing plays the note.
    """
    config = config or RenderConfig()
    preset = font.preset(bank, program)
    voices = font.voices(preset, key, velocity)
    if not voices:
        raise NoSound(f"{preset.name}: no zone plays key {key} at velocity {velocity}")
    parts = [render_voice(v, font.data, key, velocity, config) for v in voices]
    out = np.zeros(max(len(p) for p in parts))
    for p in parts:
        out[: len(p)] += p
    out = _trim(out, config)
    if not len(out):
        raise NoSound(f"{preset.name}: key {key} at velocity {velocity} renders silent")
    return out.astype(np.float32)
