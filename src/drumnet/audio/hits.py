"""Count the separate hits in a signal: one for a one-shot, more for a loop, a roll or a phrase."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

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
