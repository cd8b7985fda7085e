"""Spectrogram pictures of sounds side by side (before/after a dream, content/style/result).

Uses matplotlib's object API with the Agg canvas, never pyplot, so nothing global changes and
no display is needed.
"""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from drumnet.config import FeatureConfig
from drumnet.disk import write_whole
from drumnet.features.stft import StftFrontend, power_db


def spectrogram_db(wave: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """Waveform (L,) -> power (T, F) in dB re its loudest bin, floored at -80 dB."""
    with torch.no_grad():
        spec = StftFrontend(config)(torch.as_tensor(np.asarray(wave, np.float32))[None])
        db = power_db(spec)[0].numpy()  # (T, F)
    return np.maximum(db - db.max(), -80.0)


def picture_format(path: str | os.PathLike) -> str:
    """The picture format `plot_spectrograms` writes for this file name ('png' without one).

    Raises ValueError, naming the extensions that work, when matplotlib has no such format.
    """
    fmt = Path(path).suffix[1:].lower() or "png"
    known = FigureCanvasAgg.get_supported_filetypes()
    if fmt not in known:
        usable = ", ".join(f".{f}" for f in sorted(known))
        raise ValueError(f"{path}: cannot draw a picture as .{fmt} (use one of {usable})")
    return fmt


def plot_spectrograms(
    panels: Sequence[tuple[str, np.ndarray]],
    config: FeatureConfig,
    path: str | os.PathLike,
    title: str | None = None,
) -> Path:
    """Write a picture (PNG, or as the extension says) with one spectrogram per (caption,
    waveform (L,)) panel, left to right."""
    fig = Figure(figsize=(4.0 * len(panels), 3.4), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(1, len(panels), squeeze=False)[0]
    for ax, (caption, wave) in zip(axes, panels):
        db = spectrogram_db(wave, config)
        seconds = len(wave) / config.sample_rate
        image = ax.imshow(
            db.T,
            origin="lower",
            aspect="auto",
            cmap="magma",
            vmin=-80,
            vmax=0,
            extent=(0, seconds, 0, config.sample_rate / 2000),
        )
        ax.set_title(caption, fontsize=10)
        ax.set_xlabel("time (s)")
    axes[0].set_ylabel("frequency (kHz)")
    fig.colorbar(image, ax=list(axes), label="dB re peak")
    if title:
        fig.suptitle(title, fontsize=11)
    path = Path(path)
    picture = io.BytesIO()
    fig.savefig(picture, dpi=100, format=picture_format(path))
    return write_whole(path, picture.getvalue())  # whole or not at all; DiskFull when full
