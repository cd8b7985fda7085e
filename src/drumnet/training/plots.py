"""Pictures: spectrograms side by side (before/after a dream, content/style/result) and
confusion matrices (train, evaluate, demo).

Uses matplotlib's object API with the Agg canvas, never pyplot, so nothing global changes and
no display is needed.
"""

from __future__ import annotations

import io
import os
import textwrap
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from drumnet.config import FeatureConfig
from drumnet.disk import write_whole
from drumnet.features.stft import StftFrontend, power_db

if TYPE_CHECKING:
    from drumnet.training.evaluate import Report

CELL_INCHES = 0.8  # one matrix cell: room for a count and a percentage at 8 pt


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


def _title_lines(title: str, width_inches: float, points: float) -> str:
    """`title` wrapped to the figure's width: a character is about 0.55 of the font size."""
    chars = max(20, int(width_inches * 72 / (points * 0.55)))
    return textwrap.fill(title, chars, break_on_hyphens=False)


def plot_confusion(report: Report, path: str | os.PathLike, title: str = "") -> Path:
    """Write the confusion matrix as a picture (PNG, or as the extension says).

    Rows are the true classes (each labelled with its number of sounds), columns the
    predictions; a cell holds its count and its share of the row (on the diagonal: the
    class's recall), and is shaded by that share. The title is wrapped to the figure, and a
    second line gives n, accuracy and macro-F1.
    """
    cm = report.confusion
    n = len(report.classes)
    share = cm / np.maximum(cm.sum(axis=1, keepdims=True), 1)  # (C, C), rows sum to 1
    side = max(3.2, CELL_INCHES * n)
    width = side + 2.6  # row labels on the left, colour bar on the right
    text = _title_lines(title or f"split: {report.split or '-'}", width, 11)
    fig = Figure(figsize=(width, side + 1.4 + 0.2 * text.count("\n")), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    image = ax.imshow(share, cmap="Blues", vmin=0, vmax=1)
    rows = [f"{c} ({s})" for c, s in zip(report.classes, report.support)]
    ax.set_xticks(
        range(n), report.classes, rotation=45 if n > 3 else 0, ha="right" if n > 3 else "center"
    )
    ax.set_yticks(range(n), rows)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true (sounds)")
    points = 10 if n <= 4 else 8 if n <= 6 else 7
    for i in range(n):
        for j in range(n):
            if cm[i, j]:
                colour = "white" if share[i, j] > 0.55 else "black"
                percent = f"{share[i, j]:.0%}" if share[i, j] >= 0.01 else "<1%"
                label = f"{cm[i, j]}\n{percent}"
                ax.text(j, i, label, ha="center", va="center", color=colour, fontsize=points)
    fig.colorbar(image, ax=ax, shrink=0.8, label="share of the row (diagonal: recall)")
    fig.suptitle(text, fontsize=11)
    total = int(cm.sum())
    ax.set_title(
        f"{total} sounds, accuracy {report.accuracy:.1%}, macro-F1 {report.macro_f1:.3f}",
        fontsize=9,
    )
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = io.BytesIO()
    fig.savefig(picture, dpi=120, format=picture_format(path))
    return write_whole(path, picture.getvalue())  # whole or not at all; DiskFull when full
