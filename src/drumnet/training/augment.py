"""Waveform augmentation that mimics how sample libraries differ from one another.

Libraries differ in tuning, decay length, EQ, saturation, room, level, noise floor and bit
depth, so a model trained on a few kits should see those variations during training. All
transforms work on a batch (B, N) of onset-aligned windows, run on the batch's device, and draw
from a torch.Generator so that a seeded training run is reproducible.
"""

from __future__ import annotations

import math

import torch

from drumnet.training.config import AugmentConfig


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


def _on(x: torch.Tensor, mask: torch.Tensor, fn, *params: torch.Tensor) -> torch.Tensor:
    """Apply fn(x[mask], *params[mask]) to the masked rows only; the rest pass through."""
    if not bool(mask.any()):
        return x
    out = x.clone()
    out[mask] = fn(x[mask], *(p[mask] for p in params))
    return out


def _saturate(x: torch.Tensor, drive: torch.Tensor) -> torch.Tensor:
    peak = x.abs().amax(dim=1, keepdim=True).clamp_min(1e-6)
    return torch.tanh(x / peak * drive[:, None]) / math.tanh(1.0) * peak


def augment_batch(
    x: torch.Tensor, config: AugmentConfig, rate: int, g: torch.Generator
) -> torch.Tensor:
    """Apply each transform to a random subset of the batch (B, N) -> (B, N).

    Every random draw is made for the whole batch whatever the masks say, so a seeded run
    draws the same numbers however the subsets fall; transforms only compute masked rows.
    """
    b, dev, p = x.shape[0], x.device, config.p

    def draw(lo: float, hi: float) -> torch.Tensor:
        return _uniform(b, lo, hi, g, dev)

    semis = draw(-config.max_semitones, config.max_semitones)
    x = _on(x, _mask(b, p, g, dev), resample_speed, 2 ** (semis / 12))
    delay = draw(0, config.max_shift_seconds * rate).long()
    x = _on(x, _mask(b, p, g, dev), shift, delay)
    tilt, centre = draw(-config.max_tilt_db, config.max_tilt_db), draw(0.1, 0.6)
    x = _on(x, _mask(b, p, g, dev), eq_tilt, tilt, centre)
    decay = draw(config.min_decay_seconds, 1.0)
    # Choking changes class cues (open vs closed hats): used sparingly.
    x = _on(x, _mask(b, p * 0.5, g, dev), lambda v, d: fade(v, d, rate), decay)
    x = _on(x, _mask(b, p * 0.6, g, dev), _saturate, draw(1.0, config.max_drive))
    rt60, wet = draw(*config.reverb_seconds), draw(0.05, config.max_wet)
    seed = int(torch.randint(0, 2**31 - 1, (1,), generator=g))
    room = torch.Generator().manual_seed(seed)
    x = _on(x, _mask(b, p * 0.6, g, dev), lambda v, t, w: reverb(v, t, w, rate, room), rt60, wet)
    noise_db = draw(*config.noise_db)
    peak = x.abs().amax(dim=1, keepdim=True).clamp_min(1e-6)

    def add_noise(v, level_db, pk):
        return v + torch.randn(v.shape, generator=room).to(dev) * pk * 10 ** (
            level_db[:, None] / 20
        )

    x = _on(x, _mask(b, p, g, dev), add_noise, noise_db, peak)
    gain = 10 ** (draw(-config.gain_db, config.gain_db) / 20)
    x = x / x.abs().amax(dim=1, keepdim=True).clamp_min(1e-6) * 0.9 * gain[:, None].clamp(max=1)
    steps = 2 ** draw(config.min_bits, 16).floor()

    def crush(v, st):  # straight-through: the forward pass quantises, gradients pass as is
        q = torch.round(v * st[:, None] / 2) / (st[:, None] / 2)
        return v + (q - v).detach()

    return _on(x, _mask(b, p * 0.3, g, dev), crush, steps)
