"""Building blocks shared by the networks: the input representation and the highway conv."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from drumnet.config import FeatureConfig
from drumnet.features.stft import mel_filterbank, power_db

REPRESENTATIONS = ("complex", "logmag", "logmel")
DB_RANGE = 80.0  # dB below a sound's own peak that still count; quieter is floored


def require(ok: bool, setting: str, what: str, value: object) -> None:
    """A net config's check: ValueError naming the setting when no net can be built with it."""
    if not ok:
        raise ValueError(f"setting {setting} must be {what}, got {value!r}")


class InputRepresentation(nn.Module):
    """The network's first, fixed layer: complex STFT (B, T, F, 2) -> image (B, C, T, F').

    - "complex": the study's input as it is, real and imaginary parts as 2 channels, scaled by
      the sound's own RMS so that level does not matter.
    - "logmag": 1 channel of power in dB relative to the sound's peak (phase-invariant).
    - "logmel": like logmag, projected onto n_mels mel bands first.
    Relative dB makes the network deaf to the overall level, which varies across libraries.
    """

    def __init__(self, config: FeatureConfig, kind: str = "logmel", n_mels: int = 64):
        super().__init__()
        if kind not in REPRESENTATIONS:
            raise ValueError(f"unknown representation {kind!r}; choose from {REPRESENTATIONS}")
        self.kind = kind
        self.channels = 2 if kind == "complex" else 1
        self.n_bins = n_mels if kind == "logmel" else config.n_freqs
        fb = mel_filterbank(config, n_mels) if kind == "logmel" else torch.empty(0)
        self.register_buffer("mel", fb, persistent=False)  # (F, n_mels)

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        if self.kind == "complex":
            rms = spec.pow(2).mean(dim=(1, 2, 3), keepdim=True).sqrt().clamp_min(1e-6)
            return (spec / rms).permute(0, 3, 1, 2)  # (B, 2, T, F)
        if self.kind == "logmel":
            power = (spec[..., 0] ** 2 + spec[..., 1] ** 2) @ self.mel  # (B, T, n_mels)
            db = 10.0 * torch.log10(power.clamp_min(1e-10))
        else:
            db = power_db(spec)  # (B, T, F)
        peak = db.amax(dim=(1, 2), keepdim=True)
        rel = (db - peak).clamp_min(-DB_RANGE)  # (B, T, F') in [-80, 0]
        return (rel / (DB_RANGE / 4) + 2.0).unsqueeze(1)  # (B, 1, T, F') in [-2, 2]


class HighwayConv(nn.Module):
    """Gated highway convolution: y = H(x) * T(x) + x * (1 - T(x)).

    H is conv -> batch norm -> ELU; T a sigmoid gate whose bias starts negative so the block
    begins by carrying x through (Srivastava et al., 2015). One convolution computes the
    pre-activations of both H and T (2C output channels): the same arithmetic as two convs,
    but faster on CPU for the narrow layers used here. Shape-preserving: (B, C, T, F).
    """

    def __init__(self, channels: int, kernel: int = 3, gate_bias: float = -2.0):
        super().__init__()
        self.channels = channels
        self.conv = nn.Conv2d(channels, 2 * channels, kernel, padding=kernel // 2)
        self.norm = nn.BatchNorm2d(channels)
        with torch.no_grad():
            self.conv.bias[:channels].zero_()  # H's bias is redundant before batch norm
            self.conv.bias[channels:].fill_(gate_bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h, t = self.conv(x).split(self.channels, dim=1)  # (B, C, T, F) each
        t = torch.sigmoid(t)
        return F.elu(self.norm(h)) * t + x * (1.0 - t)


def max_pool_2x2(x: torch.Tensor) -> torch.Tensor:
    """2x2 max pooling, stride 2, odd edges dropped: (B, C, T, F) -> (B, C, T//2, F//2).

    Identical to F.max_pool2d(x, 2), built from two elementwise maxima of strided views,
    which is an order of magnitude faster on CPU for these shapes.
    """
    t, f = x.shape[2] // 2 * 2, x.shape[3] // 2 * 2
    x = torch.maximum(x[:, :, 0:t:2, :f], x[:, :, 1:t:2, :f])
    return torch.maximum(x[..., 0::2], x[..., 1::2])


class MaxPool2x2(nn.Module):
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return max_pool_2x2(x)
