"""Timbre transfer between drum sounds: keep the content's envelope, take the style's feature
statistics, through the same spectral edit as `drumnet.generate.dream`. docs/dreaming.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F

from drumnet.generate.config import StyleConfig
from drumnet.generate.dream import (
    SpectralEdit,
    as_models,
    as_wave,
    fit_length,
    frozen_eval,
    run_edit,
)
from drumnet.nets import DrumNet


@dataclass(frozen=True)
class StyleResult:
    """audio: float32 (length of content,), peak <= edit.peak, at sample_rate Hz.

    style_distance_*: feature-statistics distance to the style sound (content input vs
    result); envelope_distance_*: mean squared envelope difference to the content, (dB/20)^2,
    of the style sound (the reference a plain swap would give) and of the result.
    """

    audio: np.ndarray
    sample_rate: int
    style_distance_before: float
    style_distance_after: float
    envelope_distance_style: float
    envelope_distance_after: float
    losses: list[float] = field(default_factory=list)


def frame_weights(wave: torch.Tensor, model: DrumNet) -> torch.Tensor:
    """(B, L) -> (B, T) frame weights proportional to each frame's STFT magnitude, sum 1."""
    mag = model.frontend(wave).pow(2).sum(-1).sum(-1).sqrt()  # (B, T)
    return mag / mag.sum(1, keepdim=True).clamp_min(1e-12)


def style_statistics(
    model: DrumNet, wave: torch.Tensor, layers: tuple[int, ...] | None = None
) -> list[tuple[torch.Tensor, torch.Tensor]]:
    """(B, L) -> per chosen stage, (mean, std) over time, each (B, C, F'), energy-weighted."""
    x = fit_length(wave, model.features.n_samples)
    stages = model.stages(x)
    chosen = layers if layers is not None else [i for i, s in enumerate(stages) if s.dim() == 4]
    w = frame_weights(x, model).detach()  # weights are not optimised, only measured
    stats = []
    for i in chosen:
        act = stages[i]  # (B, C, T', F')
        wt = F.adaptive_avg_pool1d(w[:, None], act.shape[2])[:, 0]  # (B, T')
        wt = (wt / wt.sum(1, keepdim=True))[:, None, :, None]  # (B, 1, T', 1)
        mean = (act * wt).sum(2)  # (B, C, F')
        var = ((act - mean[:, :, None]).pow(2) * wt).sum(2)
        stats.append((mean, (var + 1e-6).sqrt()))
    return stats


def statistics_distance(a, b) -> torch.Tensor:
    """Sum over stages of mean squared differences of means and of stds."""
    return sum(
        (ma - mb).pow(2).mean() + (sa - sb).pow(2).mean() for (ma, sa), (mb, sb) in zip(a, b)
    )


def envelope_db(wave: torch.Tensor, model: DrumNet) -> torch.Tensor:
    """(B, L) -> (B, T) frame energy in dB re the loudest frame, floored at -80 dB."""
    energy = model.frontend(wave).pow(2).sum(dim=(2, 3))  # (B, T)
    db = 10 * torch.log10(energy.clamp_min(1e-12))
    return (db - db.amax(1, keepdim=True)).clamp_min(-80.0)


def _tensor(wave: np.ndarray, name: str, model: DrumNet) -> torch.Tensor:
    """(L,) -> (1, L); ValueError naming the sound (`name`) unless it is mono, long enough,
    finite and not silent (dream.as_wave)."""
    return as_wave(wave, model.features, name)[None]


def style_distance(model, a: np.ndarray, b: np.ndarray, layers=None) -> float:
    """Feature-statistics distance between two waveforms under the (first) model."""
    net = as_models(model)[0]
    with torch.no_grad(), frozen_eval([net]):
        sa = style_statistics(net, _tensor(a, "first", net), layers)
        sb = style_statistics(net, _tensor(b, "second", net), layers)
        return float(statistics_distance(sa, sb))


def envelope_distance(model, a: np.ndarray, b: np.ndarray) -> float:
    """Mean squared difference of two waveforms' envelopes, in (dB / 20)^2."""
    net = as_models(model)[0]
    with torch.no_grad():
        ea = envelope_db(_tensor(a, "first", net), net)
        eb = envelope_db(_tensor(b, "second", net), net)
        n = min(ea.shape[1], eb.shape[1])
        return float(((ea[:, :n] - eb[:, :n]) / 20).pow(2).mean())


def style_transfer(
    model, content: np.ndarray, style: np.ndarray, config: StyleConfig | None = None
) -> StyleResult:
    """The content sound (L,) re-timbred like the style sound (any length), length L.

    With a list of models, the style and content losses are averaged over them.
    """
    config = config or StyleConfig()
    models = as_models(model)
    c, s = _tensor(content, "content", models[0]), _tensor(style, "style", models[0])
    gen = torch.Generator().manual_seed(config.edit.seed)
    edit = SpectralEdit(c[0], models[0].frontend, config.edit, gen)
    with torch.no_grad(), frozen_eval(models):
        targets = [style_statistics(m, s, config.layers) for m in models]
        envelope = envelope_db(c, models[0])

    def objective(batch: torch.Tensor) -> torch.Tensor:  # (K, L)
        style_loss = torch.stack(
            [
                statistics_distance(style_statistics(m, batch, config.layers), t)
                for m, t in zip(models, targets)
            ]
        ).mean()
        env_loss = ((envelope_db(batch, models[0]) - envelope) / 20).pow(2).mean()
        return config.style_weight * style_loss + config.content_weight * env_loss

    with frozen_eval(models):
        audio, losses = run_edit(edit, objective, config.edit, models[0].features.sample_rate, gen)
    return StyleResult(
        audio=audio,
        sample_rate=models[0].features.sample_rate,
        style_distance_before=style_distance(models[0], content, style, config.layers),
        style_distance_after=style_distance(models[0], audio, style, config.layers),
        envelope_distance_style=envelope_distance(models[0], style, content),
        envelope_distance_after=envelope_distance(models[0], audio, content),
        losses=losses,
    )
