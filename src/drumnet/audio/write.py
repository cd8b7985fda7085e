"""Write audio: a mono float signal to WAV, AIFF, FLAC, OGG or MP3, chosen by the file name."""

from __future__ import annotations

import io
import os
from pathlib import Path

import numpy as np
import soundfile as sf

from drumnet.disk import write_whole


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
