"""Gradient-ascent generation: move a sound toward a class, grow one from noise, Deep Dream.

The edit is a smooth gain mask and a noise mask on the sound's STFT, resynthesised by the
model's own front end; every step scores variants of the sound (expectation over
transformation). The method and its measured effect: docs/dreaming.md.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from drumnet.audio.prepare import is_silent
from drumnet.generate.config import START_SOUNDS, SYNTH_DEFAULTS, DreamConfig
from drumnet.inference.classifier import load_model
from drumnet.nets import DrumNet
from drumnet.nets.ensemble import MEMBERS, EnsembleNet, check_compatible
from drumnet.runtime import solo_threads, torch_threads
from drumnet.training.augment import augment_batch
from drumnet.training.config import AugmentConfig


@dataclass(frozen=True)
class DreamResult:
    """What a dream produced. audio: float32 (length,), peak <= config.peak, at sample_rate Hz.

    probs_before / probs_after: class probabilities (n_classes,) of the start and the result,
    averaged over the ensemble. For `amplify`, norm_before / norm_after give the chosen layer's
    mean squared activation.
    """

    audio: np.ndarray
    sample_rate: int
    classes: tuple[str, ...]
    probs_before: np.ndarray
    probs_after: np.ndarray
    target: str | None = None
    layer: str | None = None
    norm_before: float | None = None
    norm_after: float | None = None
    losses: list[float] = field(default_factory=list)

    @property
    def label_before(self) -> str:
        return self.classes[int(np.argmax(self.probs_before))]

    @property
    def label_after(self) -> str:
        return self.classes[int(np.argmax(self.probs_after))]


def dream_ensemble(device: str = "cpu") -> list:
    """The shipped ensemble's members (drumnet.nets.ensemble.MEMBERS) as classifiers: three highway
    nets trained by the same recipe with seeds 0-2; a dream must convince all of them. (What
    makes a dream convince a model that took no part is mostly the augmentation variants: one
    net with them did about as well, BENCHMARKS.md, "Dreaming".)"""
    return [load_model(n, device=device) for n in MEMBERS]


def as_models(model) -> list[DrumNet]:
    """A DrumNet, a DrumClassifier (uses .model_) or a sequence of them -> list of DrumNets;
    an EnsembleNet counts as its members.

    All must share classes and feature settings, so that one waveform means the same to each.
    """
    items = list(model) if isinstance(model, (list, tuple)) else [model]
    nets = [getattr(m, "model_", m) for m in items]
    nets = [n for m in nets for n in (m.members if isinstance(m, EnsembleNet) else [m])]
    if not nets or not all(isinstance(m, DrumNet) for m in nets):
        raise TypeError("model must be a DrumNet, a DrumClassifier, or a list of them")
    check_compatible(nets)
    return nets


@contextmanager
def frozen_eval(models: Sequence[nn.Module]):
    """Eval mode (batch norm uses its running stats, no dropout) for the duration; restored."""
    modes = [m.training for m in models]
    try:
        for m in models:
            m.eval()
        yield
    finally:
        for m, mode in zip(models, modes):
            m.train(mode)


def fit_length(wave: torch.Tensor, n: int) -> torch.Tensor:
    """(B, L) -> (B, n): zero-pad or cut at the end (differentiable)."""
    length = wave.shape[-1]
    return wave[..., :n] if length >= n else F.pad(wave, (0, n - length))


def class_probs(models: Sequence[DrumNet], wave: np.ndarray) -> np.ndarray:
    """Waveform (L,) -> class probabilities (n_classes,), averaged over the models."""
    x = torch.as_tensor(np.asarray(wave, np.float32))[None]
    n = models[0].features.n_samples
    with torch.no_grad(), frozen_eval(models):
        probs = [torch.softmax(m(fit_length(x, n)), dim=1)[0] for m in models]
    return torch.stack(probs).mean(0).numpy()


class SpectralEdit(nn.Module):
    """An audio-like parametrisation of an edit of `wave` (L,): Y = X * e^g + Noise * e^a.

    X is the input's STFT (1, T, F, 2); g (gain) and a (noise level) are natural-log
    amplitude masks on a coarse grid, bilinearly upsampled to (T, F). forward() -> (1, L).
    """

    def __init__(self, wave: torch.Tensor, frontend: nn.Module, config: DreamConfig, gen):
        super().__init__()
        self.frontend, self.config, self.length = frontend, config, wave.shape[-1]
        x = frontend(wave[None]).detach()  # (1, T, F, 2)
        n_t, n_f = x.shape[1], x.shape[2]
        noise = frontend(torch.randn(1, self.length, generator=gen)).detach()
        noise = noise / noise.pow(2).sum(-1).sqrt().mean().clamp_min(1e-12)  # mean |N| = 1
        top = x.pow(2).sum(-1).sqrt().amax().clamp_min(1e-6)  # loudest bin of the input
        self.register_buffer("x", x)
        self.register_buffer("noise", noise)
        self.floor = float(2 * math.log(top) - 2 * 80 / 20 * math.log(10))  # ln power, -80 dB
        grid = (
            max(2, math.ceil(n_t / config.coarse_time)),
            max(2, math.ceil(n_f / config.coarse_freq)),
        )
        start = math.log(top) + config.noise_floor_db / 20 * math.log(10)
        self.gain = nn.Parameter(torch.zeros(1, 1, *grid))
        self.noise_level = nn.Parameter(torch.full((1, 1, *grid), start))
        self.shape_tf = (n_t, n_f)

    def _up(self, mask: torch.Tensor) -> torch.Tensor:
        up = F.interpolate(mask, size=self.shape_tf, mode="bilinear", align_corners=True)
        return up[:, 0, :, :, None]  # (1, T, F, 1)

    def spectrum(self) -> torch.Tensor:
        """The edited STFT (1, T, F, 2)."""
        bound = self.config.mask_db / 20 * math.log(10)  # dB -> ln amplitude
        gain = bound * torch.tanh(self._up(self.gain) / bound)
        return self.x * gain.exp() + self.noise * self._up(self.noise_level).exp()

    def forward(self) -> torch.Tensor:
        return self.frontend.inverse(self.spectrum(), length=self.length)  # (1, L)

    def penalty(self, spec: torch.Tensor) -> torch.Tensor:
        """Closeness + smoothness + loudness regularisers of an edited STFT (1, T, F, 2)."""
        c = self.config
        log_y = 0.5 * torch.logaddexp(spec.pow(2).sum(-1).log(), torch.tensor(self.floor))
        log_x = 0.5 * torch.logaddexp(self.x.pow(2).sum(-1).log(), torch.tensor(self.floor))
        change = log_y - log_x  # (1, T, F), ln amplitude
        tv = change.diff(dim=1).abs().mean() + change.diff(dim=2).abs().mean()
        growth_db = 10 * torch.log10(spec.pow(2).sum() / self.x.pow(2).sum().clamp_min(1e-12))
        loud = F.relu(growth_db - c.max_gain_db).div(10).pow(2)
        return (c.closeness * change.pow(2).mean() + c.smoothness * tv + c.loudness * loud) / (
            c.strength
        )


def augment(wave: torch.Tensor, config: DreamConfig, sample_rate: int, gen) -> torch.Tensor:
    """(1, L) -> (K, L): the sound itself, then K-1 randomly shifted, re-gained, noisy copies."""
    k, length = config.eot_samples, wave.shape[-1]
    if k == 1:
        return wave
    s = max(1, int(config.max_shift_seconds * sample_rate))
    shifts = torch.randint(-s, s + 1, (k,), generator=gen)
    shifts[0] = 0
    padded = F.pad(wave, (s, s)).expand(k, -1)  # (K, L + 2s)
    idx = torch.arange(length)[None] + (s - shifts)[:, None]  # (K, L)
    out = padded.gather(1, idx)
    gains = 10 ** (torch.empty(k, 1).uniform_(-config.gain_db, config.gain_db, generator=gen) / 20)
    lo, hi = config.noise_db
    noise_amp = 10 ** (torch.empty(k, 1).uniform_(lo, hi, generator=gen) / 20)
    noise = torch.randn(k, length, generator=gen) * noise_amp * wave.detach().abs().max()
    gains[0], noise[0] = 1.0, 0.0
    out = out * gains + noise
    if config.library_eot:  # tuning, EQ, choke, saturation, room...: how libraries differ
        out = torch.cat([out[:1], augment_batch(out[1:], AugmentConfig(), sample_rate, gen)])
    return out


def run_edit(
    edit: SpectralEdit,
    objective: Callable[[torch.Tensor], torch.Tensor],
    config: DreamConfig,
    sample_rate: int,
    gen: torch.Generator,
) -> tuple[np.ndarray, list[float]]:
    """Minimise objective(EOT batch (K, L)) + regularisers over the edit's masks.

    Returns (audio (L,) float32 peak-normalised to config.peak, loss per step). Gradients go to
    the masks only (torch.autograd.grad), so the models' own .grad stay untouched. The steps
    run on config.threads torch threads (default `solo_threads()`); the caller's count is
    restored afterwards.
    """
    params = [edit.gain, edit.noise_level]
    opt = torch.optim.Adam(
        [
            {"params": [edit.gain], "lr": config.lr},
            {"params": [edit.noise_level], "lr": config.lr * config.noise_lr_factor},
        ]
    )
    losses = []
    with torch_threads(config.threads or solo_threads()):
        for _ in range(config.steps):
            spec = edit.spectrum()
            wave = edit.frontend.inverse(spec, length=edit.length)  # (1, L)
            loss = objective(augment(wave, config, sample_rate, gen)) + edit.penalty(spec)
            grads = torch.autograd.grad(loss, params)
            for p, g in zip(params, grads):
                p.grad = g
            opt.step()
            losses.append(float(loss.detach()))
        with torch.no_grad():
            audio = edit()[0].numpy().astype(np.float32)
    return normalise_peak(audio, config.peak), losses


def normalise_peak(audio: np.ndarray, peak: float) -> np.ndarray:
    """Scale so the peak is exactly `peak` (silence and non-finite samples become zeros)."""
    audio = np.nan_to_num(np.asarray(audio, np.float32), nan=0.0, posinf=0.0, neginf=0.0)
    top = float(np.abs(audio).max()) if audio.size else 0.0
    return audio if top <= 0 else (audio * (peak / top)).astype(np.float32)


def min_samples(features) -> int:
    """The shortest waveform the front end takes: one STFT frame's reflected half."""
    return features.n_fft // 2 + 1


def as_wave(wave, features, name: str = "input") -> torch.Tensor:
    """A mono waveform at features.sample_rate -> float32 tensor (L,), or ValueError naming
    the `name` sound: several channels ((N, 2) as soundfile returns stereo), fewer than
    min_samples, not finite, or silent by classify's rule (audio.is_silent)."""
    x = np.asarray(wave, np.float32)
    if x.ndim > 1 and sorted(x.shape)[-2] > 1:
        raise ValueError(
            f"the {name} sound must be mono, shape (samples,); got shape {x.shape} "
            "(mix it down first, e.g. wave.mean(axis=1))"
        )
    x = x.reshape(-1)
    too_short = f"the {name} sound has {x.size} samples; it needs at least {min_samples(features)}"
    if x.size == 0:
        raise ValueError(too_short)
    if not np.isfinite(x).all():
        raise ValueError(f"the {name} sound has NaN or infinite samples")
    if is_silent(x, features):
        raise ValueError(
            f"the {name} sound is silent (peak below {features.silence_dbfs:g} dBFS); "
            "use synthesize() to start from scratch"
        )
    if x.size < min_samples(features):
        raise ValueError(too_short)
    return torch.from_numpy(x)


def _prepare(model, wave, config: DreamConfig):
    models = as_models(model)
    x = as_wave(wave, models[0].features)
    gen = torch.Generator().manual_seed(config.seed)
    edit = SpectralEdit(x, models[0].frontend, config, gen)
    return models, x, edit, gen


def class_index(models: Sequence[DrumNet], name: str) -> int:
    classes = models[0].classes
    if name not in classes:
        raise ValueError(f"model has no class {name!r}; it knows {', '.join(classes)}")
    return classes.index(name)


def target_loss(logits: torch.Tensor, target: int, margin: float) -> torch.Tensor:
    """Logits (K, n_classes) -> hinge on the logit margin of `target` over the best other class.

    Unlike cross-entropy it does not fade once the class wins: a dream that only just tips
    one model rarely convinces another, so it keeps going until the margin is reached.
    """
    others = logits.clone()
    others[:, target] = -torch.inf
    gap = logits[:, target] - others.amax(dim=1)  # (K,)
    if margin <= 0:
        return F.cross_entropy(logits, torch.full((len(logits),), target))
    return F.relu(margin - gap).mean()


def dream(model, wave: np.ndarray, toward: str, config: DreamConfig | None = None) -> DreamResult:
    """Move `wave` (L,) toward class `toward` under `model` (one net, a classifier, or a list).

    Minimises the cross-entropy of `toward`, averaged over EOT variants and models, plus the
    regularisers. The result has the input's length L, peak = config.peak.
    """
    config = config or DreamConfig()
    models, x, edit, gen = _prepare(model, wave, config)
    target = class_index(models, toward)
    n = models[0].features.n_samples

    def objective(batch: torch.Tensor) -> torch.Tensor:  # (K, L)
        losses = [target_loss(m(fit_length(batch, n)), target, config.margin) for m in models]
        return torch.stack(losses).mean()

    with frozen_eval(models):
        audio, losses = run_edit(edit, objective, config, models[0].features.sample_rate, gen)
    return DreamResult(
        audio=audio,
        sample_rate=models[0].features.sample_rate,
        classes=models[0].classes,
        probs_before=class_probs(models, x.numpy()),
        probs_after=class_probs(models, audio),
        target=toward,
        losses=losses,
    )


def start_sound(kind: str, length: int, sample_rate: int, seed: int = 0) -> np.ndarray:
    """A neutral seed sound (length,): 'noise' = decaying white-noise burst, 'click' = click.

    The noise burst decays by 60 dB in 0.3 s; the click is a 2 ms noise tick.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(length) / sample_rate
    if kind == "noise":
        x = rng.standard_normal(length) * np.exp(-6.9 * t / 0.3)
    elif kind == "click":
        x = rng.standard_normal(length) * np.exp(-6.9 * t / 0.002)
    else:
        raise ValueError(f"unknown start sound {kind!r}; choose from {', '.join(START_SOUNDS)}")
    return normalise_peak(x, 0.9)


def synthesize(
    model,
    toward: str,
    start: str = "noise",
    length: int | None = None,
    config: DreamConfig | None = None,
) -> DreamResult:
    """A new sound of class `toward` grown from a start sound ('noise' or 'click').

    length: samples of the result (default: the model's window). Uses SYNTH_DEFAULTS, which
    regularise less than a dream of an existing sound since there is nothing to preserve.
    """
    config = config or SYNTH_DEFAULTS
    models = as_models(model)
    feats = models[0].features
    if length is not None and length < min_samples(feats):
        raise ValueError(f"length must be at least {min_samples(feats)} samples, not {length}")
    seed_wave = start_sound(start, length or feats.n_samples, feats.sample_rate, config.seed)
    return dream(models, seed_wave, toward, config)


def layer_names(model) -> list[str]:
    """Names of the model's stages: 'input', then 'stage1'... (highway) or 'hidden1'... (mlp)."""
    net = as_models(model)[0]
    with torch.no_grad(), frozen_eval([net]):
        n = len(net.stages(torch.zeros(1, net.features.n_samples)))
    prefix = "hidden" if net.name == "mlp" else "stage"
    return ["input"] + [f"{prefix}{i}" for i in range(1, n)]


def layer_index(model, layer: int | str) -> int:
    """A stage index, or a name from layer_names (a digit string counts as an index)."""
    names = layer_names(model)
    if isinstance(layer, str) and layer.strip().lstrip("-").isdigit():
        layer = int(layer)
    if isinstance(layer, int):
        if not -len(names) <= layer < len(names):
            raise ValueError(
                f"no layer {layer}; choose from {', '.join(names)} (or 0 to {len(names) - 1})"
            )
        return layer % len(names)
    if layer not in names:
        raise ValueError(f"unknown layer {layer!r}; choose from {', '.join(names)}")
    return names.index(layer)


def layer_norm(model: DrumNet, wave: np.ndarray, index: int) -> float:
    """Mean squared activation of stage `index` for a waveform (L,)."""
    x = fit_length(torch.as_tensor(np.asarray(wave, np.float32))[None], model.features.n_samples)
    with torch.no_grad(), frozen_eval([model]):
        return float(model.stages(x)[index].pow(2).mean())


def amplify(model, wave: np.ndarray, layer: int | str, config: DreamConfig | None = None):
    """Deep Dream: exaggerate what stage `layer` already hears in `wave` (L,).

    Maximises the log of the layer's mean squared activation (scale-free, so early and deep
    layers behave alike). Uses the first model only when given a list. Returns a DreamResult
    with norm_before / norm_after.
    """
    config = config or DreamConfig()
    models, x, edit, gen = _prepare(model, wave, config)
    net, index = models[0], layer_index(models[0], layer)
    n = net.features.n_samples

    def objective(batch: torch.Tensor) -> torch.Tensor:
        return -net.stages(fit_length(batch, n))[index].pow(2).mean().log()

    with frozen_eval([net]):
        audio, losses = run_edit(edit, objective, config, net.features.sample_rate, gen)
    return DreamResult(
        audio=audio,
        sample_rate=net.features.sample_rate,
        classes=net.classes,
        probs_before=class_probs([net], x.numpy()),
        probs_after=class_probs([net], audio),
        layer=layer_names(net)[index],
        norm_before=layer_norm(net, x.numpy(), index),
        norm_after=layer_norm(net, audio, index),
        losses=losses,
    )


def with_overrides(config: DreamConfig, **changes) -> DreamConfig:
    """config with the non-None `changes` applied (for CLI options left unset)."""
    return replace(config, **{k: v for k, v in changes.items() if v is not None})
