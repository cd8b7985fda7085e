"""The one feature front end: waveform <-> the study's complex STFT tensor.

Training, classification and generation all go through `StftFrontend`, so they can never
disagree about what a sound looks like. It is differentiable (gradient ascent on the waveform
flows through it) and invertible (`inverse` gives the waveform back).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from drumnet.config import FeatureConfig


def _window(name: str, n_fft: int) -> torch.Tensor:
    makers = {
        "hann": torch.hann_window,
        "hamming": torch.hamming_window,
        "blackman": torch.blackman_window,
    }
    if name not in makers:
        raise ValueError(f"unknown STFT window {name!r}; choose from {sorted(makers)}")
    return makers[name](n_fft, periodic=True)


class StftFrontend(nn.Module):
    """Waveforms (batch, samples) -> complex STFT tensor (batch, time, freq, 2).

    The last axis holds the real and imaginary parts. Centred frames, so a window of
    config.n_samples gives config.n_frames time chunks and config.n_freqs bins.
    """

    def __init__(self, config: FeatureConfig):
        super().__init__()
        self.config = config
        # A buffer, not a parameter: it moves with .to(device) but is never trained.
        self.register_buffer("window", _window(config.window, config.n_fft), persistent=False)

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        squeeze = wave.dim() == 1
        if squeeze:
            wave = wave.unsqueeze(0)
        spec = torch.stft(
            wave,
            n_fft=self.config.n_fft,
            hop_length=self.config.hop_length,
            window=self.window,
            center=True,
            return_complex=True,
        )  # (B, F, T) complex
        out = torch.view_as_real(spec).transpose(1, 2).contiguous()  # (B, T, F, 2)
        return out[0] if squeeze else out

    def inverse(self, spec: torch.Tensor, length: int | None = None) -> torch.Tensor:
        """(batch, time, freq, 2) -> waveforms (batch, length); length defaults to n_samples."""
        squeeze = spec.dim() == 3
        if squeeze:
            spec = spec.unsqueeze(0)
        complex_spec = torch.view_as_complex(spec.transpose(1, 2).contiguous())  # (B, F, T)
        wave = torch.istft(
            complex_spec,
            n_fft=self.config.n_fft,
            hop_length=self.config.hop_length,
            window=self.window,
            center=True,
            length=length or self.config.n_samples,
        )
        return wave[0] if squeeze else wave


def power_db(spec: torch.Tensor, floor_db: float = -100.0) -> torch.Tensor:
    """Complex tensor (..., 2) -> power in dB (...), floored so silence stays finite."""
    power = spec[..., 0] ** 2 + spec[..., 1] ** 2  # faster on CPU than pow(2).sum(-1)
    return 10.0 * torch.log10(power.clamp_min(10 ** (floor_db / 10)))


def mel_filterbank(config: FeatureConfig, n_mels: int, fmin: float = 20.0) -> torch.Tensor:
    """Triangular mel filters (n_freqs, n_mels), Slaney-style area normalisation.

    Used as a fixed, differentiable projection of the linear spectrum; 129 bins at 43 Hz are
    too fine at the top and too coarse to matter at the bottom.
    """

    def hz_to_mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)

    fmax = config.sample_rate / 2
    mels = torch.linspace(hz_to_mel(fmin), hz_to_mel(fmax), n_mels + 2)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)  # (n_mels + 2,)
    freqs = torch.linspace(0, fmax, config.n_freqs)  # (F,)
    lower, centre, upper = hz[:-2], hz[1:-1], hz[2:]  # (n_mels,) each
    up = (freqs[:, None] - lower) / (centre - lower)  # (F, n_mels)
    down = (upper - freqs[:, None]) / (upper - centre)
    fb = torch.clamp(torch.minimum(up, down), min=0.0)
    empty = int((fb.sum(0) == 0).sum())
    if empty:
        # Low filters narrower than one bin fall between bins and would be all-zero bands.
        raise ValueError(
            f"{n_mels} mel bands is too many for {config.n_freqs} frequency bins: "
            f"{empty} filters would be empty; use fewer bands or a larger n_fft"
        )
    fb = fb * (2.0 / (upper - lower))  # equal area per filter
    return fb / fb.sum(0).clamp_min(1e-8).max()
