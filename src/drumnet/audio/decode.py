"""Decode any audio file into a fixed, onset-aligned mono window at the model's sample rate.

Decoding goes through libsndfile (WAV incl. 24-bit and WAVE_FORMAT_EXTENSIBLE, AIFF, FLAC, OGG,
MP3) and resampling through soxr. Every way a file can be bad becomes one `AudioError` whose
message a person understands; callers processing batches catch it per file and go on.
"""

from __future__ import annotations

import contextlib
import errno
import functools
import io
import os
import re
import stat
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import soundfile as sf
import soxr
from numpy.lib.stride_tricks import sliding_window_view

from drumnet.config import FeatureConfig
from drumnet.disk import write_whole

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
    # Peak below config.silence_dbfs, or no more than a constant: nothing to hear in the file's
    # first SILENCE_SEARCH_SECONDS (a file that goes on past them may hold a sound later).
    silent: bool
    # dB of the file's energy above the model's band (half its sample rate), lost in resampling
    # (see `above_band_db`): 0 for most sounds, over 15 only for some electronic hi-hats.
    above_band_db: float = 0.0
    # The decoded head from the onset on (at most max_onset + window seconds), kept so that
    # `hits` can be counted when someone asks: classify does, building training tensors not.
    head: np.ndarray = field(default_factory=lambda: np.zeros(0, np.float32), repr=False)
    # Where the decoded span starts in the file: 0, or LEAD_SECONDS before the first sound of a
    # file that starts with more silence than max_onset + window seconds (`load_sound`).
    offset_seconds: float = 0.0
    # Where the window starts in the file: the sound's onset, less the preroll.
    onset_seconds: float = 0.0
    # The constant removed from the decoded mix before resampling (`dc_offset`): 0 for most
    # files, the level a badly recorded or converted one settles at for the rest.
    dc_offset: float = 0.0

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


def stat_regular_file(path: str | os.PathLike) -> os.stat_result:
    """The stat (symlinks followed) of a regular file; else an AudioError saying what it is.

    Every command that reads files asks this first, so a broken link, a folder or a pipe is
    described the same way everywhere (and a pipe or /dev/zero is never read, which would
    never end).
    """
    path = Path(path)
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
    if not stat.S_ISREG(st.st_mode):
        raise AudioError(path, "not a regular file (a device, pipe or socket)")
    return st


def _check_file(path: Path) -> None:
    st = stat_regular_file(path)
    if st.st_size == 0:
        raise AudioError(path, "empty file (0 bytes)")
    if not os.access(path, os.R_OK):
        raise AudioError(path, "permission denied")


# libsndfile's log of a WAV / AIFF whose audio chunk is shorter than its header says.
_CUT_SHORT = re.compile(r"^\s*(?:data|SSND)\s*:\s*(\d+)\s*\(should be (\d+)\)", re.MULTILINE)
# A file may hold a little less audio than its header says and still be the whole sound: some
# writers miscount a pad byte, some copies lose the last bytes. Up to 5 ms of a sound's end,
# and at most 1 % of it, is accepted (the end of a one-shot is its decayed tail: nothing a
# person or the model hears). A download cut off mid-way misses far more, and is refused.
TOLERATED_LOSS_SECONDS = 0.005
TOLERATED_LOSS_FRACTION = 0.01


def _check_complete(path: Path, f: sf.SoundFile) -> None:
    """Raise if the file holds less audio than its header promises (a download cut short).

    libsndfile reads what is there without an error; its log says what was missing. A size of
    0 or 2**32 - 1 is a recorder's placeholder for "unknown", not a promise. A loss within
    TOLERATED_LOSS_SECONDS and TOLERATED_LOSS_FRACTION of the promised audio is let pass.
    """
    for promised, held in _CUT_SHORT.findall(f.extra_info):
        promised, held = int(promised), int(held)
        if 0 < promised < 0xFFFFFFFF and held < promised and not _tolerable_loss(f, promised, held):
            raise AudioError(
                path, f"truncated (the header promises {promised} bytes of audio, {held} remain)"
            )


def _tolerable_loss(f: sf.SoundFile, promised: int, held: int) -> bool:
    """True when the bytes missing from the end carry a negligible part of the sound.

    Seconds are measured at the rate the held bytes carry frames, so this works for any
    encoding (even a compressed one); f.frames counts the frames the held bytes hold.
    """
    if held <= 0 or f.frames <= 0 or f.samplerate <= 0:
        return False
    seconds_per_byte = f.frames / held / f.samplerate
    lost = (promised - held) * seconds_per_byte
    return lost <= min(
        TOLERATED_LOSS_SECONDS, TOLERATED_LOSS_FRACTION * promised * seconds_per_byte
    )


def _cut_short_mp3(f: sf.SoundFile, promised: int, got: int) -> bool:
    """Whether a variable-bitrate MP3 decodes to fewer frames than its header (the Xing frame
    count) promises: a download cut short. A constant-bitrate file's length is only estimated
    from its size, so it cannot tell. Encoders' padding is let pass: up to 50 ms or 2 %."""
    if "bitrate mode   : variable" not in f.extra_info:
        return False
    lost = (promised - got) / f.samplerate
    return lost > max(0.05, 0.02 * promised / f.samplerate)


def _ogg_intact(path: Path) -> bool:
    """True when the file is a whole chain of Ogg pages whose last page ends its stream.

    libsndfile reads no frame at all from a Vorbis file whose last page is cut (it takes the
    length from that page), so this tells a damaged stream from one that really is empty.
    """
    size = path.stat().st_size
    last_flags = 0
    with open(path, "rb") as fh:
        while header := fh.read(27):  # an Ogg page header; byte 5: flags, byte 26: segments
            if len(header) < 27 or header[:4] != b"OggS":
                return False
            lacing = fh.read(header[26])  # the segment table: the body's length, in pieces
            if len(lacing) < header[26]:
                return False
            fh.seek(sum(lacing), os.SEEK_CUR)
            if fh.tell() > size:
                return False
            last_flags = header[5]
    return bool(last_flags & 0x04)  # end-of-stream flag


def _no_frames(path: Path, container: str) -> AudioError:
    """The error for a file that decodes to no frame: empty, or a damaged Ogg stream."""
    try:
        damaged = container == "OGG" and not _ogg_intact(path)
    except OSError:  # gone or unreadable since libsndfile read it: say what libsndfile saw
        damaged = False
    if damaged:
        return AudioError(path, "truncated or damaged OGG stream (no audio could be decoded)")
    return AudioError(path, "no audio frames (0-length audio)")


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


@contextlib.contextmanager
def _decoding(path: Path) -> Iterator[None]:
    """What libsndfile (or the OS under it) raises while a file is read, as one AudioError."""
    try:
        yield
    except (sf.LibsndfileError, RuntimeError, OSError, ValueError, TypeError) as exc:
        raise _open_error(path, exc) from None


def check_readable(path: str | os.PathLike) -> None:
    """Raise AudioError unless the file opens as audio with a sound header. Reads the header
    only, so a whole library is checked in moments (decoding may still fail later)."""
    path = Path(path)
    _check_file(path)
    with _decoding(path):
        _open_checked(path).close()


def read_head(path: str | os.PathLike, seconds: float) -> tuple[np.ndarray, int, int, float]:
    """Read at most `seconds` from the start of a file, never the whole of a long one.

    Returns (frames, rate, channels, file_seconds) with frames float32 of shape (n, channels).
    """
    path = Path(path)
    _check_file(path)
    with _decoding(path), _open_checked(path) as f:
        rate, channels, total, container = f.samplerate, f.channels, f.frames, f.format
        want = int(seconds * rate) + 1
        # MP3/OGG may report an unknown or huge length; read() stops at the real end.
        n = want if total <= 0 or total > 2**62 else min(want, total)
        frames = _read_finite(path, f, n)
        known = 0 < total < 2**62  # else there is no promise to hold it to
        if container == "MP3" and known and _cut_short_mp3(f, n, frames.shape[0]):
            raise AudioError(
                path,
                f"truncated (its header promises {total / rate:.2f} s of audio; it ends after "
                f"{frames.shape[0] / rate:.2f} s)",
            )
    if frames.shape[0] == 0:
        raise _no_frames(path, container)
    file_seconds = total / rate if 0 < total < 2**62 else frames.shape[0] / rate
    return frames, rate, channels, file_seconds


# A file whose first span is silent is searched on for its first sound, this far into it.
# Producers' exports often start on a bar line before the hit: four bars at 60 BPM are 16 s.
# A file with nothing to hear for 30 s is no one-shot, and searching costs little: a silent
# 10-minute 44.1 kHz stereo WAV or FLAC is judged in about 60 ms and 5 MB (2 cores, busy).
SILENCE_SEARCH_SECONDS = 30.0
SEARCH_BLOCK_SECONDS = 1.0  # read at a time: memory stays at 1 s of audio, whatever the file
# Kept before the first audible sample: the onset's preroll (5 ms) and the resampler's run-in
# lie in it, and a quiet sound's onset (its peak - 30 dB) may lie below the silence level.
LEAD_SECONDS = 0.1


def read_from_first_sound(
    path: str | os.PathLike,
    after: int,
    seconds: float,
    level_dbfs: float,
    limit_seconds: float = SILENCE_SEARCH_SECONDS,
) -> tuple[np.ndarray, int] | None:
    """The first sound after frame `after` of a file: (frames, offset), or None.

    frames: float32 (n, channels), at most `seconds` (as `read_head` reads them) from
    LEAD_SECONDS before the first sample of any channel that departs from its block's median
    by at least `level_dbfs`; offset: the frame of the file they start at. None when nothing is
    audible before `limit_seconds` into the file, or before its end. Reads in blocks of
    SEARCH_BLOCK_SECONDS, so a long silent file costs little memory. Raises `AudioError`.
    """
    path = Path(path)
    with _decoding(path), sf.SoundFile(os.fsencode(path)) as f:
        rate = f.samplerate
        lead, block = round(LEAD_SECONDS * rate), max(1, round(SEARCH_BLOCK_SECONDS * rate))
        pos, end = max(0, after - lead), int(limit_seconds * rate)
        f.seek(pos)
        before = np.zeros((0, f.channels), np.float32)  # the previous block's last frames
        while pos < end:
            frames = _read_finite(path, f, min(block, end - pos))
            if frames.shape[0] == 0:
                return None
            first = _first_audible(frames, 10 ** (level_dbfs / 20))
            if first is not None:
                begin = max(0, before.shape[0] + first - lead)
                span = np.concatenate([before, frames])[begin:]
                want = int(seconds * rate) + 1  # as read_head
                rest = _read_finite(path, f, max(0, want - span.shape[0]))
                return np.concatenate([span, rest])[:want], pos - before.shape[0] + begin
            before = frames[frames.shape[0] - lead :]
            pos += frames.shape[0]
    return None


def _read_finite(path: Path, f: sf.SoundFile, n: int) -> np.ndarray:
    """Up to n frames (n, channels) from f's position; raises on NaN or infinite samples."""
    frames = f.read(n, dtype="float32", always_2d=True)
    if not np.isfinite(frames).all():
        raise AudioError(path, "contains NaN or infinite samples")
    return frames


def _first_audible(frames: np.ndarray, threshold: float) -> int | None:
    """Index of the first frame (n, channels) where a channel departs from its median by at
    least `threshold`, or None.

    The median, not the mean: a constant offset is no sound, but a hit late in a block moves
    the block's mean away from the silence before it. Channels, not their mix: a sound whose
    channels cancel in the mix is still a sound (`mono_mix`).
    """
    loudest = np.abs(frames - np.median(frames, axis=0)).max(axis=1)
    audible = np.flatnonzero(loudest >= threshold)
    return int(audible[0]) if audible.size else None


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


# Bumped when decoding changes what the nets hear of a file, so that stored answers (the library
# index) and cached training windows made by an older reader are made again. 2: DC offsets
# are removed (`dc_offset`).
READER_VERSION = 2

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
    """Decode a file into an onset-aligned window (see `Sound`). Raises `AudioError`.

    The first max_onset + window seconds are read. When nothing in them is audible and the
    file goes on, the first sound is searched for up to SILENCE_SEARCH_SECONDS into the file
    (`read_from_first_sound`) and the same span is read from just before it: a hit after
    seconds of leading silence is heard like the same hit at the start of a file.
    """
    config = config or FeatureConfig()
    seconds = config.max_onset_seconds + config.window_seconds
    frames, rate, channels, file_seconds = read_head(path, seconds)
    sound = _sound(path, frames, rate, channels, file_seconds, config)
    offset = 0  # the frame the span just read starts at
    # A full span means the file may go on; a sound judged silent (a faint click) may be
    # followed by one that is not, so the search goes on after it.
    while sound.silent and frames.shape[0] > seconds * rate:
        found = read_from_first_sound(path, offset + frames.shape[0], seconds, config.silence_dbfs)
        if found is None:
            break
        frames, offset = found
        sound = _sound(path, frames, rate, channels, file_seconds, config, offset)
    # A sound that starts after max_onset (a quiet lead-in before it) would leave its window
    # short of the window's length: read the span again from just before it.
    late = sound.onset_seconds - offset / rate > config.max_onset_seconds
    if late and not sound.silent and frames.shape[0] > seconds * rate:
        at = round(sound.onset_seconds * rate)
        found = read_from_first_sound(path, at, seconds, config.silence_dbfs)
        if found is not None:
            frames, offset = found
            sound = _sound(path, frames, rate, channels, file_seconds, config, offset)
    return sound


def _sound(
    path: str | os.PathLike,
    frames: np.ndarray,
    rate: int,
    channels: int,
    file_seconds: float,
    config: FeatureConfig,
    offset: int = 0,
) -> Sound:
    """The `Sound` of a span of frames (n, channels) that starts at frame `offset` of the file."""
    x = mono_mix(frames)
    dc = dc_offset(x, rate)
    if dc:
        x = x - np.float32(dc)
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
        source_seconds=file_seconds,
        peak_dbfs=level,
        silent=is_silent(window, config, source=x),
        above_band_db=above_band_db(x, rate, y, config.sample_rate),
        head=y[start:],
        offset_seconds=offset / rate,
        onset_seconds=offset / rate + start / config.sample_rate,
        dc_offset=dc,
    )


def load_audio(path: str | os.PathLike, config: FeatureConfig | None = None) -> np.ndarray:
    """Decode a file into a float32 window of shape (config.n_samples,). Raises `AudioError`."""
    return load_sound(path, config).samples


def save_audio(
    path: str | os.PathLike, x: np.ndarray, sample_rate: int, subtype: str = "PCM_16"
) -> Path:
    """Write a mono float signal as WAV, clipped to [-1, 1], whole or not at all (DiskFull
    when the disk fills: no cut-short file is left). Refuses non-finite audio."""
    x = np.asarray(x, dtype=np.float32).reshape(-1)
    if not np.isfinite(x).all():
        raise ValueError("refusing to write audio with NaN or infinite samples")
    path = Path(path)
    fmt = audio_format(path, subtype)
    subtype = _CODECS.get(fmt, subtype)
    encoded = io.BytesIO()
    sf.write(encoded, np.clip(x, -1.0, 1.0), sample_rate, subtype=subtype, format=fmt)
    return write_whole(path, encoded.getvalue())


# The extensions `save_audio` writes, each a container drumnet also reads; OGG and MP3 are
# coded (Vorbis, MPEG layer III) whatever PCM subtype is asked for.
_WRITES = {".wav": "WAV", ".wave": "WAV", ".aif": "AIFF", ".aiff": "AIFF", ".flac": "FLAC"}
_WRITES |= {".ogg": "OGG", ".mp3": "MP3"}
_CODECS = {"OGG": "VORBIS", "MP3": "MPEG_LAYER_III"}


def audio_format(path: str | os.PathLike, subtype: str = "PCM_16") -> str:
    """The libsndfile format `save_audio` writes for this file name ('WAV' for x.wav).

    Raises ValueError, naming the extensions that work, when this libsndfile cannot write a
    file of this extension (x.raw, which drumnet could not read back, x.mp3x, no extension).
    """
    suffix = Path(path).suffix

    def writable(ext: str) -> bool:
        fmt = _WRITES[ext]
        return fmt in sf.available_formats() and sf.check_format(fmt, _CODECS.get(fmt, subtype))

    if suffix.lower() in _WRITES and writable(suffix.lower()):
        return _WRITES[suffix.lower()]
    usable = [ext for ext in _WRITES if writable(ext)]
    kind = f"as {suffix}" if suffix else "without a file extension"
    raise ValueError(f"{path}: cannot write audio {kind} (use one of {', '.join(usable)})")


def is_audio_path(path: str | os.PathLike) -> bool:
    """True when the file name has an extension libsndfile decodes."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS
