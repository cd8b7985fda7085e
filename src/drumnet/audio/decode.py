"""Read audio files through libsndfile: check a file can be decoded, read its head, find its first sound.

Every way a file can be bad becomes one `AudioError` with a one-line reason (docs/broken-files.md)."""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile as sf

from drumnet.errors import AudioError

AUDIO_EXTENSIONS = frozenset(
    {".wav", ".wave", ".aif", ".aiff", ".aifc", ".flac", ".ogg", ".oga", ".opus", ".mp3"}
)


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


def is_audio_path(path: str | os.PathLike) -> bool:
    """True when the file name has an extension libsndfile decodes."""
    return Path(path).suffix.lower() in AUDIO_EXTENSIONS
