"""94 classical descriptors of a sound (MFCC, spectral and envelope statistics).

They are the classical baselines' features (`drumnet.training.baseline`) and half of what
`drumnet similar` compares (the other half is the network's embedding).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F

from drumnet.config import FeatureConfig
from drumnet.features.stft import StftFrontend, mel_filterbank

N_MELS = 40  # mel bands the MFCCs are taken from (64 would leave 1-bin bands at the bottom)
N_MFCC = 20  # cepstral coefficients kept, c0 (overall level) included
DELTA_WIDTH = 2  # frames either side in the delta regression (+-23 ms at the default hop)
ROLLOFF = 0.85  # rolloff frequency: where the cumulative power reaches 85 %
ENVELOPE_FRAME = 64  # samples per RMS-envelope frame (5.8 ms at 11,025 Hz) ...
ENVELOPE_HOP = 32  # ... every 2.9 ms: fine enough to time a drum's attack
EPS = 1e-10  # power floor (-100 dB) so silence gives finite logs and ratios
BATCH = 256  # sounds per torch call: bounds memory to ~30 MB of spectra


def dct_matrix(n_in: int, n_out: int) -> np.ndarray:
    """Orthonormal DCT-II as a (n_in, n_out) matrix: `x @ D` gives the first n_out coefficients."""
    n = np.arange(n_in)[:, None]
    k = np.arange(n_out)[None, :]
    d = np.cos(np.pi / n_in * (n + 0.5) * k) * math.sqrt(2.0 / n_in)  # (n_in, n_out)
    d[:, 0] /= math.sqrt(2.0)
    return d.astype(np.float32)


def descriptor_names() -> list[str]:
    """Names of the columns `descriptors` returns, in order."""
    names = [f"mfcc{i}_{s}" for s in ("mean", "std") for i in range(N_MFCC)]
    names += [f"delta{i}_{s}" for s in ("mean", "std") for i in range(N_MFCC)]
    for what in ("centroid_hz", "bandwidth_hz", "rolloff_hz", "flatness", "zcr"):
        names += [f"{what}_mean", f"{what}_std"]
    names += ["attack_s", "decay_20db_s", "decay_40db_s", "temporal_centroid_s"]
    return names


def _weighted_stats(x: torch.Tensor, w: torch.Tensor) -> torch.Tensor:
    """(B, T, K) values, (B, T) weights summing to 1 -> (B, 2K) weighted mean and std."""
    mean = (w[..., None] * x).sum(1)  # (B, K)
    var = (w[..., None] * (x - mean[:, None]) ** 2).sum(1)
    return torch.cat([mean, var.sqrt()], -1)


def _deltas(c: torch.Tensor) -> torch.Tensor:
    """(B, T, K) -> (B, T, K) regression slope over +-DELTA_WIDTH frames, edges repeated."""
    n = DELTA_WIDTH
    padded = torch.cat([c[:, :1].expand(-1, n, -1), c, c[:, -1:].expand(-1, n, -1)], 1)
    t = c.shape[1]
    num = sum(
        k * (padded[:, n + k : n + k + t] - padded[:, n - k : n - k + t]) for k in range(1, n + 1)
    )
    return num / (2 * sum(k * k for k in range(1, n + 1)))


def _mfcc_stats(power: torch.Tensor, mel: torch.Tensor, dct: torch.Tensor) -> torch.Tensor:
    """(B, T, F) power -> (B, 4 * N_MFCC): mean and std over time of MFCCs and their deltas."""
    mfcc = torch.log(power @ mel + EPS) @ dct  # (B, T, N_MFCC)
    uniform = torch.full(mfcc.shape[:2], 1.0 / mfcc.shape[1])  # (B, T)
    return torch.cat([_weighted_stats(mfcc, uniform), _weighted_stats(_deltas(mfcc), uniform)], -1)


def _spectral_stats(power: torch.Tensor, wave: torch.Tensor, config: FeatureConfig) -> torch.Tensor:
    """(B, T, F) power and (B, N) waveform -> (B, 10) energy-weighted mean/std per descriptor."""
    freqs = torch.linspace(0, config.sample_rate / 2, config.n_freqs)  # (F,) Hz
    total = power.sum(-1) + EPS  # (B, T)
    centroid = (power * freqs).sum(-1) / total
    bandwidth = ((power * (freqs - centroid[..., None]) ** 2).sum(-1) / total).sqrt()
    cumulative = power.cumsum(-1)  # (B, T, F)
    reached = torch.searchsorted(cumulative, ROLLOFF * cumulative[..., -1:])  # (B, T, 1)
    rolloff = freqs[reached[..., 0].clamp_max(len(freqs) - 1)]  # Hz; 0 Hz for silence
    flatness = torch.exp(torch.log(power + EPS).mean(-1)) / (power.mean(-1) + EPS)
    # Zero crossings per sample, averaged over the same centred frames as the STFT.
    crossings = (torch.signbit(wave[:, 1:]) != torch.signbit(wave[:, :-1])).float()  # (B, N-1)
    crossings = F.pad(crossings, (0, 1))[:, None]  # (B, 1, N): pooled length matches T
    half = config.n_fft // 2
    zcr = F.avg_pool1d(crossings, config.n_fft, config.hop_length, half, count_include_pad=False)
    zcr = zcr[:, 0]  # (B, T)
    per_frame = torch.stack([centroid, bandwidth, rolloff, flatness, zcr], -1)  # (B, T, 5)
    # Weight frames by their energy: the padded silence after a hit says nothing about timbre.
    weight = total / total.sum(1, keepdim=True)  # uniform when all silent (total >= EPS)
    stats = _weighted_stats(per_frame, weight)  # (B, 10): 5 means then 5 stds
    return stats.view(-1, 2, 5).transpose(1, 2).reshape(-1, 10)  # mean, std per descriptor


def _envelope_stats(wave: torch.Tensor, sample_rate: int) -> torch.Tensor:
    """(B, N) -> (B, 4) seconds: attack, decay to -20 and -40 dB, temporal centroid."""
    env = F.avg_pool1d(wave[:, None] ** 2, ENVELOPE_FRAME, ENVELOPE_HOP)[:, 0].sqrt()  # (B, E)
    step = ENVELOPE_HOP / sample_rate  # seconds per envelope frame
    peak = env.max(-1).values  # (B,)
    index = torch.arange(env.shape[1])
    # Attack: from the envelope first reaching 10 % of its peak to first reaching 90 % (not to
    # the maximum itself, which on a sustained or rippling envelope can sit anywhere).
    start = (env >= 0.1 * peak[:, None]).float().argmax(-1)
    peak_at = (env >= 0.9 * peak[:, None]).float().argmax(-1)
    attack = (peak_at - start) * step

    def decay(db: float) -> torch.Tensor:  # last frame above peak + db, from the attack's end
        above = (env >= peak[:, None] * 10 ** (db / 20)) & (index >= peak_at[:, None])
        last = torch.where(above, index, torch.zeros_like(index)).max(-1).values
        return (last - peak_at).clamp_min(0) * step

    energy = env**2
    centre = index * step + ENVELOPE_FRAME / 2 / sample_rate  # (E,) s, middle of each frame
    centroid = (energy * centre).sum(-1) / (energy.sum(-1) + EPS)
    stats = torch.stack([attack, decay(-20.0), decay(-40.0), centroid], -1)
    return torch.where(peak[:, None] > 0, stats, torch.zeros_like(stats))  # silence: all 0


def descriptors(waves: np.ndarray, config: FeatureConfig | None = None) -> np.ndarray:
    """Waveforms (N, n_samples) at config.sample_rate -> float32 descriptors (N, D).

    D = len(descriptor_names()) = 94: 80 MFCC statistics, 10 spectral (centroid, bandwidth and
    rolloff in Hz, flatness, zero-crossing rate; energy-weighted mean and std over frames) and 4
    envelope times in seconds. Finite for any finite input, silence included.
    """
    config = config or FeatureConfig()
    waves = np.asarray(waves, dtype=np.float32)
    if waves.ndim != 2:
        raise ValueError(f"expected waveforms of shape (N, n_samples), got {waves.shape}")
    if len(waves) == 0:
        return np.zeros((0, len(descriptor_names())), dtype=np.float32)
    frontend = StftFrontend(config)
    mel = mel_filterbank(config, N_MELS)  # (F, N_MELS)
    dct = torch.from_numpy(dct_matrix(N_MELS, N_MFCC))  # (N_MELS, N_MFCC)
    out = []
    with torch.inference_mode():
        for chunk in np.array_split(waves, max(1, math.ceil(len(waves) / BATCH))):
            wave = torch.from_numpy(chunk)  # (b, N)
            spec = frontend(wave)  # (b, T, F, 2)
            power = spec[..., 0] ** 2 + spec[..., 1] ** 2  # (b, T, F); 4x faster than .sum(-1)
            parts = [
                _mfcc_stats(power, mel, dct),
                _spectral_stats(power, wave, config),
                _envelope_stats(wave, config.sample_rate),
            ]
            out.append(torch.cat(parts, -1).numpy())
    return np.concatenate(out)
