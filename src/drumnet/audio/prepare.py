"""Decoded frames -> the model's signal: mono mix, DC offset removal, resampling, onset window, levels."""

from __future__ import annotations

import numpy as np
import soxr

from drumnet.config import FeatureConfig


def to_mono(frames: np.ndarray) -> np.ndarray:
    """(n, channels) -> (n,) by averaging channels."""
    if frames.ndim == 1:
        return frames
    if frames.shape[1] == 1:
        return frames[:, 0]
    # A matrix-vector product: same result as mean(axis=1), several times faster in numpy.
    return frames @ np.full(frames.shape[1], 1.0 / frames.shape[1], dtype=np.float32)


# The channels cancel in their mean when it keeps less than this share of their mean energy:
# -20 dB. Two channels of equal energy with correlation r mix to (1 + r) / 2 of it, so only
# r < -0.98 (one channel the other's negative: a polarity fault, a side-only file) gets here;
# uncorrelated channels lose 10 * log10(channels) dB (-9 dB for 8), correlated ones nothing.
CANCEL_DB = -20.0


def mono_mix(frames: np.ndarray) -> np.ndarray:
    """(n, channels) -> (n,): the channels' mean (`to_mono`), or, when they cancel in it
    (CANCEL_DB), the loudest channel alone: a mix that is all but silent is not the sound."""
    mix = to_mono(frames)
    if frames.ndim == 1 or frames.shape[1] == 1:
        return mix
    power = _powers(frames)  # sums of squares: a DC offset counts, which changes no decision
    if _powers(mix[:, None])[0] >= 10 ** (CANCEL_DB / 10) * power.mean():
        return mix
    return np.ascontiguousarray(frames[:, int(np.argmax(power))])


def _powers(frames: np.ndarray) -> np.ndarray:
    """Each column's sum of squares, float64: BLAS dots on the strided columns, no copies
    (this runs for every multichannel file)."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.array([np.dot(frames[:, c], frames[:, c]) for c in range(frames.shape[1])])
    if not np.isfinite(out).all():  # float32 overflows above ~1e19: absurd, but valid, audio
        wide = frames.astype(np.float64)
        out = np.array([np.dot(wide[:, c], wide[:, c]) for c in range(frames.shape[1])])
    return out.astype(np.float64)


# A DC offset: the constant a one-shot settles at instead of 0. The nets never heard one, and
# they mistake it for sound (BENCHMARKS.md, "Robustness"): removed before resampling when
# the decoded span's last (or first) DC_SPAN_SECONDS hold still at a level of at least
# DC_MIN_DB below the peak, moving about it by at most DC_STILL of it, and the whole span's
# median and mean agree with that level (DC_AGREE): a constant that runs through the sound,
# not a drift at its end, nor a sustained tone (never still), nor a fade (settles at 0).
DC_SPAN_SECONDS = 0.02
DC_MIN_DB = -50.0
DC_STILL = 0.5  # of the offset: a noise floor 6 dB below it passes
DC_AGREE = 0.5  # of the offset: a kick's own mean (about 1 % of its peak) passes


def dc_offset(x: np.ndarray, rate: int) -> float:
    """The DC offset of a decoded mono span (see DC_SPAN_SECONDS), or 0.0 when it shows none.
    Costs a few microseconds for most files: the whole span is looked at only when one end
    holds still off 0."""
    n = max(1, round(DC_SPAN_SECONDS * rate))
    if x.size < 4 * n:  # too short to tell a settled level from the sound
        return 0.0
    for part in (x[-n:], x[:n]):
        if float(part.min()) <= 0.0 <= float(part.max()):
            continue  # reaches 0: not held off it (and a cheap test, unlike the median)
        level = float(np.median(part))
        if float(np.max(np.abs(part - level))) > DC_STILL * abs(level):
            continue
        if abs(level) < float(np.max(np.abs(x))) * 10 ** (DC_MIN_DB / 20):
            continue
        off = max(abs(float(np.median(x)) - level), abs(float(x.mean(dtype=np.float64)) - level))
        if off <= DC_AGREE * abs(level):
            return level
    return 0.0


def resample(x: np.ndarray, rate: int, target: int) -> np.ndarray:
    """Resample a mono signal with soxr (high quality); no-op when rates match."""
    if rate == target:
        return np.ascontiguousarray(x, dtype=np.float32)
    return soxr.resample(x, rate, target, quality="HQ").astype(np.float32, copy=False)


def onset_index(x: np.ndarray, config: FeatureConfig) -> int:
    """Index where the sound starts: first sample above peak + onset_db, minus a short preroll."""
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    if peak <= 0.0:
        return 0
    threshold = peak * 10 ** (config.onset_db / 20)
    first = int(np.argmax(np.abs(x) >= threshold))
    return max(0, first - int(config.preroll_seconds * config.sample_rate))


def fit_window(x: np.ndarray, n: int) -> np.ndarray:
    """Pad with zeros or cut to exactly n samples."""
    if x.shape[0] >= n:
        return np.ascontiguousarray(x[:n], dtype=np.float32)
    return np.pad(x, (0, n - x.shape[0])).astype(np.float32, copy=False)


def peak_dbfs(x: np.ndarray) -> float:
    peak = float(np.max(np.abs(x))) if x.size else 0.0
    return 20 * np.log10(peak) if peak > 0 else -np.inf


def is_silent(x: np.ndarray, config: FeatureConfig, source: np.ndarray | None = None) -> bool:
    """Nothing to hear: x's peak is below config.silence_dbfs, or `source` (x itself unless
    given: the file as decoded, before resampling) is no more than a constant. A DC offset
    alone is silent too, though resampling makes it ring. classify's `silent`, and what dream
    and style refuse."""
    source = x if source is None else source
    return min(peak_dbfs(x), peak_dbfs(source - source.mean())) < config.silence_dbfs


def _energy(x: np.ndarray) -> float:
    """Sum of squares about the mean, without a float64 copy (a BLAS dot: this runs per file)."""
    if not x.size:
        return 0.0
    mean = float(x.mean(dtype=np.float64))
    with np.errstate(over="ignore"):
        squares = float(np.dot(x, x))
    if not np.isfinite(squares):  # float32 overflows above ~1e19: absurd, but valid, audio
        squares = float(np.dot(x.astype(np.float64), x.astype(np.float64)))
    return max(0.0, squares - x.size * mean * mean)


def above_band_db(x: np.ndarray, rate: int, y: np.ndarray, target: int) -> float:
    """How much of a sound resampling removed: dB of x's mean power over y's (>= 0).

    x is the source at `rate`, y the same stretch at `target`; 0 when nothing is lost or the
    sound is silent, 20 when 99 % of its energy lies above target / 2. A DC offset, which
    resampling keeps, is left out of both: some drum machines' samples carry one, and it would
    otherwise hide a hat that lies wholly above the band.
    """
    source, kept = _energy(x) / rate, _energy(y) / target
    if source <= 0.0:
        return 0.0
    return max(0.0, 10 * np.log10(source / max(kept, source * 1e-12)))


def onset_window(y: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Signal at config's rate -> the window of config.n_samples that starts at its onset."""
    return fit_window(y[onset_index(y, config) :], config.n_samples)


def prepare_waveform(x: np.ndarray, rate: int, config: FeatureConfig) -> np.ndarray:
    """Mono signal at any rate -> onset-aligned window of config.n_samples at config's rate."""
    return onset_window(resample(x, rate, config.sample_rate), config)
