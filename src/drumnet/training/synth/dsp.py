"""Loop-free filters for synthesis: IIR filtering in the frequency domain, RBJ biquads.

Without scipy, a recursive filter is applied by multiplying the signal's spectrum by the filter's
frequency response on an FFT long enough for the impulse response to die away (so circular
convolution equals linear filtering to ~1e-6). Time-varying filters are approximated block by
block with overlap-add: each block is filtered, tail included, by the filter of its moment.
"""

from __future__ import annotations

import numpy as np

Coeffs = tuple[np.ndarray, np.ndarray]  # (b, a) with a[0] == 1


def _next_fast_len(n: int) -> int:
    """Smallest 2**i * 3**j >= n (fast for numpy's pocketfft)."""
    best = 1 << max(0, (n - 1).bit_length())
    p3 = 1
    while p3 < best:
        p2 = p3
        while p2 < n:
            p2 *= 2
        best = min(best, p2)
        p3 *= 3
    return best


def impulse_tail(a: np.ndarray, floor: float = 1e-6, cap: int = 1 << 18) -> int:
    """Samples until an IIR filter's impulse response has decayed to `floor` (from its poles)."""
    a = np.asarray(a, dtype=np.float64)
    if a.size <= 1:
        return 0
    radius = float(np.max(np.abs(np.roots(a))))
    if radius >= 1.0:
        return cap
    return int(min(cap, np.ceil(np.log(floor) / np.log(max(radius, 1e-9))) + 8))


def response(b: np.ndarray, a: np.ndarray, n_fft: int) -> np.ndarray:
    """Frequency response H(e^jw) on the rfft grid of length n_fft (n_fft // 2 + 1 bins)."""
    b_spec = np.fft.rfft(np.asarray(b, dtype=np.float64), n_fft)
    a_spec = np.fft.rfft(np.asarray(a, dtype=np.float64), n_fft)
    return b_spec / a_spec


def iir_filter(x: np.ndarray, b: np.ndarray, a: np.ndarray, keep_tail: bool = False) -> np.ndarray:
    """Causal IIR filter y = (b/a) * x, like scipy.signal.lfilter with zero initial state.

    x: (n,) float. Returns (n,) float64, or (n + tail,) with the ringing tail when keep_tail.
    """
    x = np.asarray(x, dtype=np.float64)
    tail = impulse_tail(a)
    n_fft = _next_fast_len(x.size + tail + len(b))
    y = np.fft.irfft(np.fft.rfft(x, n_fft) * response(b, a, n_fft), n_fft)
    return y[: x.size + tail] if keep_tail else y[: x.size]


def varying_filter(x: np.ndarray, starts: list[int], coeffs: list[Coeffs]) -> np.ndarray:
    """Time-varying IIR: x[starts[i]:starts[i+1]] is filtered by coeffs[i] (overlap-add).

    x: (n,) float; starts: increasing segment starts, starts[0] == 0. Returns (n,) float64.
    Each segment's ringing tail is added on, so state carries over as the old filter's decay.
    """
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(x.size, dtype=np.float64)
    ends = list(starts[1:]) + [x.size]
    for start, end, (b, a) in zip(starts, ends, coeffs):
        seg = x[start:end]
        if not np.any(seg):
            continue
        y = iir_filter(seg, b, a, keep_tail=True)[: x.size - start]
        out[start : start + y.size] += y
    return out


def _rbj(kind: str, freq: float, q: float, sample_rate: int) -> Coeffs:
    """Audio-EQ-cookbook biquads; freq in Hz is clamped inside (1 Hz, 0.49 * rate)."""
    w0 = 2 * np.pi * float(np.clip(freq, 1.0, 0.49 * sample_rate)) / sample_rate
    cos_w, alpha = np.cos(w0), np.sin(w0) / (2 * max(q, 1e-3))
    if kind == "lowpass":
        b = np.array([(1 - cos_w) / 2, 1 - cos_w, (1 - cos_w) / 2])
    elif kind == "highpass":
        b = np.array([(1 + cos_w) / 2, -(1 + cos_w), (1 + cos_w) / 2])
    elif kind == "bandpass":  # constant 0 dB peak gain
        b = np.array([alpha, 0.0, -alpha])
    else:
        raise ValueError(f"unknown biquad kind {kind!r}")
    a = np.array([1 + alpha, -2 * cos_w, 1 - alpha])
    return b / a[0], a / a[0]


def lowpass(x: np.ndarray, freq: float, sample_rate: int, q: float = 0.707) -> np.ndarray:
    """12 dB/octave lowpass at `freq` Hz."""
    return iir_filter(x, *_rbj("lowpass", freq, q, sample_rate))


def highpass(x: np.ndarray, freq: float, sample_rate: int, q: float = 0.707) -> np.ndarray:
    """12 dB/octave highpass at `freq` Hz."""
    return iir_filter(x, *_rbj("highpass", freq, q, sample_rate))


def bandpass(x: np.ndarray, freq: float, sample_rate: int, q: float = 1.0) -> np.ndarray:
    """Resonant bandpass centred on `freq` Hz, 0 dB at the centre, bandwidth freq / q."""
    return iir_filter(x, *_rbj("bandpass", freq, q, sample_rate))


def one_pole_lowpass(x: np.ndarray, freq: float, sample_rate: int) -> np.ndarray:
    """6 dB/octave lowpass at `freq` Hz: y[n] = (1 - p) x[n] + p y[n-1]."""
    p = float(np.exp(-2 * np.pi * np.clip(freq, 1.0, 0.49 * sample_rate) / sample_rate))
    return iir_filter(x, np.array([1 - p]), np.array([1.0, -p]))


def tilt(
    x: np.ndarray, db_per_octave: float, sample_rate: int, pivot: float = 1000.0
) -> np.ndarray:
    """Spectral tilt EQ: gain of db_per_octave * log2(f / pivot) dB, capped at +-18 dB."""
    x = np.asarray(x, dtype=np.float64)
    n_fft = _next_fast_len(x.size)
    freqs = np.fft.rfftfreq(n_fft, 1 / sample_rate)
    octaves = np.log2(np.maximum(freqs, 20.0) / pivot)
    gain = 10 ** (np.clip(db_per_octave * octaves, -18, 18) / 20)
    return np.fft.irfft(np.fft.rfft(x, n_fft) * gain, n_fft)[: x.size]


def convolve(x: np.ndarray, h: np.ndarray) -> np.ndarray:
    """Full linear convolution via FFT: (n,) * (m,) -> (n + m - 1,)."""
    n = x.size + h.size - 1
    n_fft = _next_fast_len(n)
    return np.fft.irfft(np.fft.rfft(x, n_fft) * np.fft.rfft(h, n_fft), n_fft)[:n]


def eq_curve(
    x: np.ndarray, freqs: np.ndarray, gains_db: np.ndarray, sample_rate: int, pad: int = 1024
) -> np.ndarray:
    """Zero-phase EQ: gain interpolated in dB over log frequency through (freqs Hz, gains_db).

    Below freqs[0] and above freqs[-1] the end gains hold. x: (n,) float -> (n,) float64.
    `pad` zeros keep the (short, zero-phase) response from wrapping around the ends.
    """
    x = np.asarray(x, dtype=np.float64)
    n_fft = _next_fast_len(x.size + pad)
    bins = np.log(np.maximum(np.fft.rfftfreq(n_fft, 1 / sample_rate), 1.0))
    gain = 10 ** (np.interp(bins, np.log(freqs), gains_db) / 20)
    return np.fft.irfft(np.fft.rfft(x, n_fft) * gain, n_fft)[: x.size]
