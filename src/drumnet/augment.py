"""Waveform augmentation that mimics how sample libraries differ from one another.

Libraries differ in tuning, decay length, EQ, saturation, room, level, noise floor and bit
depth, so a model trained on a few kits should see those variations during training. All
transforms work on a batch (B, N) of onset-aligned windows, run on the batch's device, and draw
from a torch.Generator so that a seeded training run is reproducible.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch


@dataclass(frozen=True)
class AugmentConfig:
    p: float = 0.5  # probability that each transform is applied to a given sound
    max_semitones: float = 4.0  # tuning: resample by up to +-4 semitones (speed and pitch)
    max_shift_seconds: float = 0.02  # onset jitter: libraries trim their attacks differently
    max_tilt_db: float = 12.0  # EQ: spectral tilt across the band, +-12 dB
    min_decay_seconds: float = 0.08  # choke/gate: fade to -60 dB no sooner than this
    max_drive: float = 6.0  # saturation: tanh drive up to x6
    reverb_seconds: tuple[float, float] = (0.1, 0.8)  # room: RT60 of the synthetic tail
    max_wet: float = 0.35  # room: wet level
    noise_db: tuple[float, float] = (-70.0, -35.0)  # noise floor relative to peak
    gain_db: float = 12.0  # level: +-12 dB
    min_bits: int = 8  # bit depth: quantise to 8..16 bits


def _mask(b: int, p: float, g: torch.Generator, device) -> torch.Tensor:
    return (torch.rand(b, generator=g) < p).to(device)


def _uniform(b: int, lo: float, hi: float, g: torch.Generator, device) -> torch.Tensor:
    return (lo + (hi - lo) * torch.rand(b, generator=g)).to(device)


def resample_speed(x: torch.Tensor, factor: torch.Tensor) -> torch.Tensor:
    """Play each sound `factor` times faster (B,) by linear interpolation; length kept."""
    n = x.shape[1]
    pos = torch.arange(n, device=x.device, dtype=x.dtype)[None, :] * factor[:, None]  # (B, N)
    i0 = pos.floor().long()
    frac = pos - i0
    valid = (i0 + 1 < n).to(x.dtype)
    i0 = i0.clamp(max=n - 2)
    y = x.gather(1, i0) * (1 - frac) + x.gather(1, i0 + 1) * frac
    return y * valid


def shift(x: torch.Tensor, samples: torch.Tensor) -> torch.Tensor:
    """Delay each sound by `samples` (B,) >= 0, zero-filling the start."""
    n = x.shape[1]
    idx = torch.arange(n, device=x.device)[None, :] - samples[:, None]  # (B, N)
    y = x.gather(1, idx.clamp(min=0))
    return y * (idx >= 0).to(x.dtype)


def eq_tilt(x: torch.Tensor, tilt_db: torch.Tensor, centre: torch.Tensor) -> torch.Tensor:
    """Tilt each spectrum by tilt_db (B,) across the band, pivoting at `centre` (0..1)."""
    spec = torch.fft.rfft(x, dim=1)  # (B, N//2+1)
    f = torch.linspace(0, 1, spec.shape[1], device=x.device)[None, :]
    gain_db = tilt_db[:, None] * (f - centre[:, None])  # (B, F)
    return torch.fft.irfft(spec * 10 ** (gain_db / 20), n=x.shape[1], dim=1)


def fade(x: torch.Tensor, decay_seconds: torch.Tensor, rate: int) -> torch.Tensor:
    """Exponential fade reaching -60 dB after decay_seconds (B,): a shorter, choked sound."""
    t = torch.arange(x.shape[1], device=x.device, dtype=x.dtype)[None, :] / rate
    return x * torch.exp(-6.9 * t / decay_seconds[:, None])  # ln(1000) = 6.9 -> -60 dB


def reverb(
    x: torch.Tensor, rt60: torch.Tensor, wet: torch.Tensor, rate: int, g: torch.Generator
) -> torch.Tensor:
    """Mix in a synthetic room: exponentially decaying noise impulse response per sound."""
    b, n = x.shape
    noise = torch.randn(b, n, generator=g).to(x.device)
    ir = fade(noise, rt60, rate)
    ir = ir / ir.norm(dim=1, keepdim=True).clamp_min(1e-8)
    size = 2 * n
    tail = torch.fft.irfft(torch.fft.rfft(x, size) * torch.fft.rfft(ir, size), size)[:, :n]
    return x + wet[:, None] * tail


def augment_batch(
    x: torch.Tensor, config: AugmentConfig, rate: int, g: torch.Generator
) -> torch.Tensor:
    """Apply each transform to a random subset of the batch (B, N) -> (B, N)."""
    b, dev, p = x.shape[0], x.device, config.p
    m = _mask(b, p, g, dev)
    semis = _uniform(b, -config.max_semitones, config.max_semitones, g, dev)
    x = torch.where(m[:, None], resample_speed(x, 2 ** (semis / 12)), x)
    m = _mask(b, p, g, dev)
    delay = (_uniform(b, 0, config.max_shift_seconds * rate, g, dev)).long() * m.long()
    x = shift(x, delay)
    m = _mask(b, p, g, dev)
    tilt = _uniform(b, -config.max_tilt_db, config.max_tilt_db, g, dev) * m
    x = eq_tilt(x, tilt, _uniform(b, 0.1, 0.6, g, dev))
    m = _mask(b, p * 0.5, g, dev)  # choking changes class cues (open vs closed): use sparingly
    decay = _uniform(b, config.min_decay_seconds, 1.0, g, dev)
    x = torch.where(m[:, None], fade(x, decay, rate), x)
    m = _mask(b, p * 0.6, g, dev)
    drive = _uniform(b, 1.0, config.max_drive, g, dev)
    peak = x.abs().amax(dim=1, keepdim=True).clamp_min(1e-6)
    sat = torch.tanh(x / peak * drive[:, None]) / math.tanh(1.0) * peak
    x = torch.where(m[:, None], sat, x)
    m = _mask(b, p * 0.6, g, dev)
    rt60 = _uniform(b, *config.reverb_seconds, g, dev)
    wet = _uniform(b, 0.05, config.max_wet, g, dev) * m
    x = reverb(x, rt60, wet, rate, g)
    peak = x.abs().amax(dim=1, keepdim=True).clamp_min(1e-6)
    m = _mask(b, p, g, dev)
    noise_db = _uniform(b, *config.noise_db, g, dev)
    noise = torch.randn(x.shape, generator=g).to(dev) * peak * 10 ** (noise_db[:, None] / 20)
    x = x + noise * m[:, None]
    gain = 10 ** (_uniform(b, -config.gain_db, config.gain_db, g, dev) / 20)
    x = x / x.abs().amax(dim=1, keepdim=True).clamp_min(1e-6) * 0.9 * gain[:, None].clamp(max=1)
    m = _mask(b, p * 0.3, g, dev)
    steps = 2 ** _uniform(b, config.min_bits, 16, g, dev).floor()
    crushed = torch.round(x * steps[:, None] / 2) / (steps[:, None] / 2)
    return torch.where(m[:, None], crushed, x)
