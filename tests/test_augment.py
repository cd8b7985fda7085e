"""Augmentation: shapes kept, audio finite, seeded runs identical, transforms do what they say."""

from __future__ import annotations

import torch

from drumnet.training.augment import augment_batch, resample_speed, shift
from drumnet.training.config import AugmentConfig

RATE = 11025


def _batch():
    g = torch.Generator().manual_seed(0)
    t = torch.arange(RATE) / RATE
    tone = torch.sin(2 * torch.pi * 440 * t) * torch.exp(-t / 0.1)
    return torch.stack([tone, torch.randn(RATE, generator=g) * torch.exp(-t / 0.05)])


def test_augment_keeps_shape_is_finite_and_seeded():
    x = _batch()
    a = augment_batch(x, AugmentConfig(p=1.0), RATE, torch.Generator().manual_seed(5))
    b = augment_batch(x, AugmentConfig(p=1.0), RATE, torch.Generator().manual_seed(5))
    assert a.shape == x.shape and torch.isfinite(a).all()
    assert torch.equal(a, b)
    assert a.abs().max() <= 1.0 + 1e-6
    assert not torch.allclose(a, x)


def test_speed_change_moves_pitch():
    t = torch.arange(RATE) / RATE
    x = torch.sin(2 * torch.pi * 200 * t)[None]
    y = resample_speed(x, torch.tensor([2.0]))
    spec = torch.fft.rfft(y[0, : RATE // 2]).abs()
    assert abs(int(spec.argmax()) * 2 - 400) <= 4  # 2x faster: 400 Hz (bins of 2 Hz)


def test_shift_delays_with_silence():
    x = torch.ones(1, 100)
    y = shift(x, torch.tensor([10]))
    assert y[0, :10].abs().sum() == 0 and y[0, 10:].eq(1).all()
