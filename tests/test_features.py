"""features.py: the front end is a correct, invertible, differentiable STFT."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drumnet.config import FeatureConfig
from drumnet.features.stft import StftFrontend, mel_filterbank, power_db

CONFIG = FeatureConfig()


def numpy_stft(x: np.ndarray, n_fft: int, hop: int) -> np.ndarray:
    """Reference: (B, N) -> (B, T, F, 2), centred frames with reflect padding like torch.stft."""
    padded = np.pad(x.astype(np.float64), ((0, 0), (n_fft // 2, n_fft // 2)), mode="reflect")
    n_frames = 1 + (padded.shape[1] - n_fft) // hop
    index = np.arange(n_frames)[:, None] * hop + np.arange(n_fft)  # (T, n_fft)
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)  # periodic Hann
    spec = np.fft.rfft(padded[:, index] * window, axis=-1)  # (B, T, F)
    return np.stack([spec.real, spec.imag], axis=-1)


def noise(batch: int, n: int = CONFIG.n_samples, seed: int = 0) -> torch.Tensor:
    return torch.from_numpy(np.random.default_rng(seed).uniform(-1, 1, (batch, n)).astype("f4"))


def test_default_shape_is_87_chunks_of_129_bins() -> None:
    frontend = StftFrontend(CONFIG)
    assert frontend(noise(3)).shape == (3, 87, 129, 2)
    assert frontend(noise(1)[0]).shape == (87, 129, 2)  # a single waveform, no batch axis
    assert (CONFIG.n_frames, CONFIG.n_freqs) == (87, 129)


@pytest.mark.parametrize("config", [CONFIG, FeatureConfig(n_fft=512, hop_length=64)])
def test_stft_matches_a_numpy_reference(config: FeatureConfig) -> None:
    x = noise(4, seed=1)
    ours = StftFrontend(config)(x).numpy()
    ref = numpy_stft(x.numpy(), config.n_fft, config.hop_length)
    assert ours.shape == ref.shape
    np.testing.assert_allclose(ours, ref, atol=1e-4, rtol=0)


def test_a_tone_lands_in_its_bin() -> None:
    bin_hz = CONFIG.sample_rate / CONFIG.n_fft  # 43.07 Hz
    t = torch.arange(CONFIG.n_samples) / CONFIG.sample_rate
    x = torch.sin(2 * np.pi * 30 * bin_hz * t)
    db = power_db(StftFrontend(CONFIG)(x))  # (T, F)
    assert (db[5:-5].argmax(-1) == 30).all()


def test_inverse_gives_the_waveform_back() -> None:
    frontend = StftFrontend(CONFIG)
    x = noise(3, seed=2)
    y = frontend.inverse(frontend(x))
    assert y.shape == x.shape
    assert (y - x).abs().max() < 1e-4
    z = frontend.inverse(frontend(x[0]))  # unbatched round trip
    assert z.shape == x[0].shape and (z - x[0]).abs().max() < 1e-4


def test_gradient_reaches_the_waveform_and_is_correct() -> None:
    frontend = StftFrontend(CONFIG)
    x = noise(2, seed=3).requires_grad_(True)
    power_db(frontend(x))[:, :, 20].mean().backward()  # loudness of one bin
    assert x.grad is not None and torch.isfinite(x.grad).all() and x.grad.abs().sum() > 0

    small = FeatureConfig(sample_rate=64, window_seconds=1.0, n_fft=16, hop_length=8)
    frontend = StftFrontend(small).double()
    x = torch.from_numpy(np.random.default_rng(4).normal(size=(2, 64))).requires_grad_(True)
    assert torch.autograd.gradcheck(lambda w: frontend(w).pow(2).sum(-1), (x,), fast_mode=True)


def test_power_db_of_silence_is_the_floor() -> None:
    db = power_db(StftFrontend(CONFIG)(torch.zeros(1, CONFIG.n_samples)), floor_db=-100.0)
    assert torch.isfinite(db).all() and (db == -100.0).all()


@pytest.mark.parametrize("n_mels", [20, 40, 64])
def test_mel_filterbank_has_ascending_non_empty_filters(n_mels: int) -> None:
    fb = mel_filterbank(CONFIG, n_mels)
    assert fb.shape == (CONFIG.n_freqs, n_mels)
    assert (fb >= 0).all()
    assert (fb.sum(0) > 0).all()  # every band sees at least one bin
    peaks = fb.argmax(0)
    assert (peaks[1:] >= peaks[:-1]).all() and peaks[-1] > peaks[0]


def test_mel_filterbank_refuses_more_bands_than_the_bins_can_hold() -> None:
    with pytest.raises(ValueError, match="would be empty"):
        mel_filterbank(CONFIG, 128)  # the lowest bands fall between 43 Hz bins
