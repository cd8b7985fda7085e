"""A file -> `Sound`: the decoded, onset-aligned mono window the nets hear, and facts about the file."""

from __future__ import annotations

import functools
import os
from dataclasses import dataclass, field

import numpy as np

from drumnet.audio.decode import read_from_first_sound, read_head
from drumnet.audio.hits import hit_times
from drumnet.audio.prepare import (
    above_band_db,
    dc_offset,
    fit_window,
    is_silent,
    mono_mix,
    onset_index,
    peak_dbfs,
    resample,
)
from drumnet.config import FeatureConfig
from drumnet.errors import AudioError

# Bumped when decoding changes what the nets hear of a file, so that stored answers (the library
# index) and cached training windows made by an older reader are made again. 2: DC offsets
# are removed (`dc_offset`).
READER_VERSION = 2


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
