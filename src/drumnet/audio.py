"""Decode any audio file into a fixed, onset-aligned mono window at the model's sample rate.

Decoding goes through libsndfile (WAV incl. 24-bit and WAVE_FORMAT_EXTENSIBLE, AIFF, FLAC, OGG,
MP3) and resampling through soxr. Every way a file can be bad becomes one `AudioError` whose
message a person understands; callers processing batches catch it per file and go on.
"""

from __future__ import annotations

import errno
import functools
import os
import re
import stat
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from numpy.lib.stride_tricks import sliding_window_view

from drumnet.config import FeatureConfig

AUDIO_EXTENSIONS = frozenset(
    {".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".opus", ".mp3"}
)


class AudioError(Exception):
    """A file that cannot be turned into audio. `str(err)` is a one-line reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


@dataclass(frozen=True)
class Sound:
    """A decoded, onset-aligned window of a file.

    samples: float32 array of shape (config.n_samples,), mono, at config.sample_rate.
    """

    samples: np.ndarray
    sample_rate: int
    source_rate: int
    source_channels: int
    source_seconds: float  # duration of the whole file, from its header
    peak_dbfs: float  # peak level of the window, dB relative to full scale
    silent: bool  # peak below config.silence_dbfs, or no more than a constant: nothing to hear
    # dB of the file's energy above the model's band (half its sample rate), lost in resampling
    # (see `above_band_db`): 0 for most sounds, over 15 only for some electronic hi-hats.
    above_band_db: float = 0.0
    # The decoded head from the onset on (at most max_onset + window seconds), kept so that
    # `hits` can be counted when someone asks: classify does, building training tensors not.
    head: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)

    @functools.cached_property
    def _hit_times(self) -> np.ndarray:
        return hit_times(self.head, self.sample_rate)

    @property
    def hits(self) -> int:
        """Separate hits after the onset (`hit_times`): 1 for a one-shot, more for a loop, a
        roll or a phrase."""
        return len(self._hit_times)

    @property
    def hit_span(self) -> float:
        """Seconds from the first hit to the last (0 for a one-shot)."""
        return float(self._hit_times[-1] - self._hit_times[0])


def _open_error(path: Path, exc: Exception) -> AudioError:
    if isinstance(exc, IsADirectoryError) or path.is_dir():
        return AudioError(path, "is a directory, not an audio file")
    if isinstance(exc, PermissionError):
        return AudioError(path, "permission denied")
    if isinstance(exc, OSError) and exc.errno == errno.ELOOP:
        return AudioError(path, "symbolic link loop")
    # libsndfile's own text, without soundfile's "Error opening '<path>': " prefix: the path
    # is already the first thing AudioError prints.
    detail = exc.error_string if isinstance(exc, sf.LibsndfileError) else str(exc)
    text = detail.lower()
    if "format not recognised" in text or "unknown format" in text:
        return AudioError(path, "not an audio file (format not recognised)")
    if "unsupported" in text or "not supported" in text:
        return AudioError(path, f"unsupported audio encoding ({detail})")
    return AudioError(path, f"corrupt or truncated audio ({detail})")


def _check_file(path: Path) -> None:
    try:
        st = path.stat()
    except FileNotFoundError:
        if path.is_symlink():
            raise AudioError(path, "broken symbolic link") from None
        raise AudioError(path, "no such file") from None
    except OSError as exc:
        raise _open_error(path, exc) from None
    if stat.S_ISDIR(st.st_mode):
        raise AudioError(path, "is a directory, not an audio file")
    if not stat.S_ISREG(st.st_mode):  # reading a pipe or /dev/zero would never end
        raise AudioError(path, "not a regular file (a device, pipe or socket)")
    if st.st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise AudioError(path, "permission denied")


# libsndfile's log of a WAV / AIFF whose audio chunk is shorter than its header says.
_CUT_SHORT = re.compile(r"^\s*(?:data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)


def _check_complete(path: Path, f: sf.SoundFile) -> None:
    """Raise if the file holds less audio than its header promises (a download cut short).

    libsndfile reads what is there without an error; its log says what was missing. A size of
    0 or 2**32 - 1 is a recorder's placeholder for "unknown", not a promise.
    """
    for promised, held in _CUT_SHORT.findall(f.extra_info):
        if 0 < int(promised) < 0xFFFFFFFF and int(held) < int(promised):
            raise AudioError(
                path, f"truncated (the header promises {promised} bytes of audio, {held} remain)"
            )


def _open_checked(path: Path) -> sf.SoundFile:
    """The file opened by libsndfile, its header checked (a rate, channels, all the audio it
    promises). Raises AudioError or what libsndfile raises."""
    # Bytes, not str: Linux file names may be any bytes, and soundfile encodes a str strictly.
    f = sf.SoundFile(os.fsencode(path))
    try:
        if f.samplerate <= 0 or f.channels <= 0:
            raise AudioError(path, "header declares no sample rate or channels")
        _check_complete(path, f)
    except BaseException:
        f.close()
        raise
    return f


def check_readable(path: str | os.PathLike) -> None:
    """Raise AudioError unless the file opens as audio with a sound header. Reads the header
    only, so a whole library is checked in moments (decoding may still fail later)."""
    path = Path(path)
    _check_file(path)
    try:
        _open_checked(path).close()
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError, TypeError) as exc:
        raise _open_error(path, exc) from None


def read_head(path: str | os.PathLike, seconds: float) -> tuple[np.ndarray, int, int, float]:
    """Read at most `seconds` from the start of a file, never the whole of a long one.

    Returns (frames, rate, channels, file_seconds) with frames float32 of shape (n, channels).
    """
    path = Path(path)
    _check_file(path)
    try:
        with _open_checked(path) as f:
            rate, channels, total = f.samplerate, f.channels, f.frames
            want = int(seconds * rate) + 1
            # MP3/OGG may report an unknown or huge length; read() stops at the real end.
            n = want if total <= 0 or total > 2**62 else min(want, total)
            frames = f.read(n, dtype="float32", always_2d=True)
    except AudioError:
        raise
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError, TypeError) as exc:
        raise _open_error(path, exc) from None
    if frames.shape[0] == 0:
        raise AudioError(path, "no audio frames (0-length audio)")
    if not np.isfinite(frames).all():
        raise AudioError(path, "contains NaN or infinite samples")
    file_seconds = total / rate if 0 < total < 2**62 else frames.shape[0] / rate
    return frames, rate, channels, file_seconds


def to_mono(frames: np.ndarray) -> np.ndarray:
    """(n, channels) -> (n,) by averaging channels."""
    if frames.ndim == 1:
        return frames
    if frames.shape[1] == 1:
        return frames[:, 0]
    # A matrix-vector product: same result as mean(axis=1), several times faster in numpy.
    return frames @ np.full(frames.shape[1], 1.0 / frames.shape[1], dtype=np.float32)


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


HIT_BLOCK_SECONDS = 0.006  # envelope resolution: peak level per block
HIT_RISE_DB = 15.0  # a new hit: the envelope climbs this much ...
HIT_RISE_SECONDS = 0.05  # ... above its lowest point in this long before it
HIT_NEAR_PEAK_DB = 18.0  # ... to within this much of the sound's peak
HIT_GAP_SECONDS = 0.1  # hits closer than this are one (a flam, a clap's bursts)


def hit_times(y: np.ndarray, rate: int) -> np.ndarray:
    """Seconds from the start of y at which separate hits begin; the first is the first loud one.

    An energy-envelope onset detector: a hit is a climb of HIT_RISE_DB within HIT_RISE_SECONDS
    to near the peak. A hit over a loud tail (a hat just after a kick) is missed, so the count
    is a lower bound; 12 dB would catch more but splits ride cymbals into several hits. No
    one-shot of the Hydrogen kits or the LMMS drums has a second hit later than 0.36 s after
    its first (0.48 s in 1,600 of the synthesiser's), while every LMMS drum loop has one at
    0.5 s or later (classify.LOOP_SPAN_SECONDS; BENCHMARKS.md, "Loops").
    """
    block = max(1, round(HIT_BLOCK_SECONDS * rate))
    n = y.size // block
    if n == 0:  # shorter than one block: one hit at the start
        return np.zeros(1)
    peaks = np.abs(y[: n * block]).reshape(n, block).max(axis=1)
    env = 20 * np.log10(np.maximum(peaks, 1e-9, dtype=np.float32))
    loud = env >= env.max() - HIT_NEAR_PEAK_DB
    m = max(1, round(HIT_RISE_SECONDS * rate / block))
    before = np.concatenate([np.full(m, np.inf, np.float32), env])
    lowest = sliding_window_view(before, m)[:-1].min(axis=1)  # over the m blocks before each
    candidates = np.flatnonzero(loud & (env - lowest >= HIT_RISE_DB))
    gap = round(HIT_GAP_SECONDS * rate / block)
    hits = [int(np.argmax(loud))]
    for k in candidates:
        if k - hits[-1] >= gap:
            hits.append(int(k))
    return np.array(hits) * (block / rate)


def onset_window(y: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Signal at config's rate -> the window of config.n_samples that starts at its onset."""
    return fit_window(y[onset_index(y, config) :], config.n_samples)


def prepare_waveform(x: np.ndarray, rate: int, config: FeatureConfig) -> np.ndarray:
    """Mono signal at any rate -> onset-aligned window of config.n_samples at config's rate."""
    return onset_window(resample(x, rate, config.sample_rate), config)


def load_sound(path: str | os.PathLike, config: FeatureConfig | None = None) -> Sound:
    """Decode a file into an onset-aligned window (see `Sound`). Raises `AudioError`."""
    config = config or FeatureConfig()
    frames, rate, channels, seconds = read_head(
        path, config.max_onset_seconds + config.window_seconds
    )
    x = to_mono(frames)
    y = resample(x, rate, config.sample_rate)
    start = onset_index(y, config)
    window = fit_window(y[start:], config.n_samples)
    if not np.isfinite(window).all():  # finite float samples near 3e38 overflow when resampled
        raise AudioError(path, "sample values too large to process (overflow to NaN or infinity)")
    level = peak_dbfs(window)
    return Sound(
        samples=window,
        sample_rate=config.sample_rate,
        source_rate=rate,
        source_channels=channels,
        source_seconds=seconds,
        peak_dbfs=level,
        silent=is_silent(window, config, source=x),
        above_band_db=above_band_db(x, rate, y, config.sample_rate),
        head=y[start:],
    )


def load_audio(path: str | os.PathLike, config: FeatureConfig | None = None) -> np.ndarray:
    """Decode a file into a float32 window of shape (config.n_samples,). Raises `AudioError`."""
    return load_sound(path, config).samples


def save_audio(
    path: str | os.PathLike, x: np.ndarray, sample_rate: int, subtype: str = "PCM_16"
) -> Path:
    """Write a mono float signal as WAV, clipped to [-1, 1]. Refuses non-finite audio."""
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    if not np.isfinite(x).all():
        raise ValueError("refusing to write audio with NaN or infinite samples")
    path = Path(path)
    fmt = audio_format(path, subtype)
    sf.write(os.fsencode(path), np.clip(x, -1.0, 1.0), sample_rate, subtype=subtype, format=fmt)
    return path


def audio_format(path: str | os.PathLike, subtype: str = "PCM_16") -> str:
    """The libsndfile format `save_audio` writes for this file name ('WAV' for x.wav).

    Raises ValueError, naming the extensions that work, when libsndfile cannot write `subtype`
    in a file of this extension (x.mp3x, x.ogg as PCM, no extension).
    """
    suffix = Path(path).suffix
    fmt = suffix[1:].upper()
    if fmt in sf.available_formats() and sf.check_format(fmt, subtype):
        return fmt
    usable = [
        f".{f.lower()}" for f in sorted(sf.available_formats()) if sf.check_format(f, subtype)
    ]
    kind = f"as {suffix}" if suffix else "without a file extension"
    raise ValueError(f"{path}: cannot write audio {kind} (use one of {', '.join(usable)})")


def is_audio_path(path: str | os.PathLike) -> bool:
    """True when the file name has an extension libsndfile decodes."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS
