"""`drumnet dream` and `drumnet style`: thin wrappers over drumnet.generate.dream and drumnet.generate.style.

Each prints class probabilities (or distances) before and after, writes the WAV and a
spectrogram PNG next to it. A file that cannot be read (or is silent) is one line on stderr and
exit status 1; a model that cannot be loaded is a usage error (exit status 2), as in classify.
Output paths are checked before any work: one that cannot be written, is one of the inputs,
or exists (without --overwrite) is a usage error, exit status 2, and nothing is written.

Torch runs one thread per core no other program keeps busy (`runtime.solo_threads`), or
--threads N.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from drumnet.cli.args import non_negative_int, positive_int, seed
from drumnet.cli.outputs import check_output, same_file
from drumnet.errors import AudioError
from drumnet.runtime import solo_threads, torch_threads

if TYPE_CHECKING:
    import numpy as np

    from drumnet.generate.dream import DreamResult

MIN_SECONDS, MAX_SECONDS = 0.1, 10.0  # --seconds: some STFT frames; a dream's memory in bounds


def _check_number(
    option: str, value: float | None, low: float, high: float = math.inf, above: bool = False
) -> None:
    """ValueError (a one-line usage error) unless `value` is None or a finite number from
    `low` (or, with `above`, over it) to `high`: NaN or inf would silently spoil the result."""
    if value is None:
        return
    in_range = (value > low if above else value >= low) and value <= high
    if math.isfinite(value) and in_range:
        return
    if above:
        wanted = f"a number above {low:g}"
    else:
        wanted = f"a number from {low:g} to {high:g}" if math.isfinite(high) else f"{low:g} or more"
    raise ValueError(f"{option} must be {wanted}, not {value:g}")


def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("-o", "--output", required=True, type=Path, help="WAV file to write")
    p.add_argument(
        "--model",
        action="append",
        help="model name or .safetensors file; repeat for an ensemble "
        "(default: dream uses the shipped ensemble of three highway nets, style the default model)",
    )
    p.add_argument("--steps", type=non_negative_int, help="optimisation steps (0 or more)")
    p.add_argument("--seed", type=seed, default=0, help="random seed, 0 to 2**32-1 (default 0)")
    p.add_argument(
        "--threads",
        type=positive_int,
        metavar="N",
        help="torch threads (default: one per core no other program is keeping busy)",
    )
    p.add_argument("--png", type=Path, help="spectrogram picture (default: OUTPUT with .png)")
    p.add_argument("--no-png", action="store_true", help="do not draw the spectrogram picture")
    p.add_argument(
        "--overwrite", action="store_true", help="replace the WAV and the PNG if they exist"
    )


def register(sub) -> None:
    from drumnet.generate.config import START_SOUNDS

    p = sub.add_parser("dream", help="move a sound toward a class, or grow one from noise")
    p.add_argument("input", nargs="?", help="audio file to start from (omit with --from)")
    goal = p.add_mutually_exclusive_group(required=True)
    goal.add_argument("--toward", metavar="CLASS", help="class to move the sound toward")
    goal.add_argument(
        "--amplify",
        metavar="LAYER",
        help="Deep Dream: stage index or name, in one net (the shipped default, or the first --model)",
    )
    p.add_argument("--from", dest="start", choices=START_SOUNDS, help="start from scratch")
    p.add_argument(
        "--strength", type=float, help="above 0; >1 moves further from the start (default 1)"
    )
    p.add_argument(
        "--seconds",
        type=float,
        help=f"output length, {MIN_SECONDS:g} to {MAX_SECONDS:g} (default: the model's window)",
    )
    _common(p)
    p.set_defaults(func=run_dream)

    s = sub.add_parser("style", help="give CONTENT the timbre of STYLE, keeping its envelope")
    s.add_argument("content", help="audio file whose envelope and timing are kept")
    s.add_argument("style", help="audio file whose timbre is taken")
    s.add_argument("--style-weight", type=float, default=1.0, help="0 or more (default 1)")
    s.add_argument("--content-weight", type=float, default=2.0, help="0 or more (default 2)")
    _common(s)
    s.set_defaults(func=run_style)


def _load_models(names: list[str] | None, ensemble: bool = True):
    """The named models, else the dreaming ensemble (dream) or the shipped model (style)."""
    from drumnet.generate.dream import dream_ensemble
    from drumnet.inference.classifier import load_model

    if names:
        return [load_model(n, device="cpu") for n in names]
    return dream_ensemble() if ensemble else [load_model("default", device="cpu")]


def _probs_line(classes, probs: np.ndarray) -> str:
    return "  ".join(f"{c} {p:.2f}" for c, p in zip(classes, probs))


def _png_path(args) -> Path | None:
    return None if args.no_png else (args.png or args.output.with_suffix(".png"))


def check_outputs(args: argparse.Namespace, inputs: list[str]) -> None:
    """Everything that would make writing the WAV or the PNG fail or do harm, checked before
    any work: a bad name or folder, an input, an existing file. Raises ValueError (exit 2)."""
    from drumnet.audio.write import audio_format
    from drumnet.training.plots import picture_format

    sources = [Path(i) for i in inputs]
    check_output(args.output, audio_format, sources, args.overwrite, "choose another -o")
    png = _png_path(args)
    if png is None:
        return
    how = "choose another --png" if args.png else "--png PATH, or --no-png"
    if same_file(png, args.output):
        raise ValueError(f"{png}: the WAV and the spectrogram would be one file ({how})")
    check_output(png, picture_format, sources, args.overwrite, how)


SILENT_START = "silent audio, nothing to dream from (use --from noise to start from scratch)"


def _load_input(path: str, feats, silent: str, samples: int | None = None) -> np.ndarray:
    """The file's window (`samples` long from its onset, default the model's); AudioError
    (exit 1) if it cannot be read, or with the reason `silent` if classify would call it
    silent (peak below feats.silence_dbfs)."""
    from drumnet.audio.sound import load_sound

    if samples is not None:
        feats = dataclasses.replace(feats, window_seconds=samples / feats.sample_rate)
    sound = load_sound(path, feats)
    if sound.silent:
        raise AudioError(path, silent)
    return sound.samples


def _dream(args, models) -> tuple[np.ndarray, DreamResult]:
    from drumnet.audio.prepare import fit_window
    from drumnet.generate.config import SYNTH_DEFAULTS, DreamConfig
    from drumnet.generate.dream import (
        amplify,
        as_models,
        dream,
        start_sound,
        synthesize,
        with_overrides,
    )

    feats = as_models(models)[0].features
    length = round(args.seconds * feats.sample_rate) if args.seconds else feats.n_samples
    base = SYNTH_DEFAULTS if args.start and args.toward else DreamConfig()
    config = with_overrides(
        base, steps=args.steps, strength=args.strength, seed=args.seed, threads=args.threads
    )
    if args.start:
        start = start_sound(args.start, length, feats.sample_rate, args.seed)
    else:
        start = fit_window(_load_input(args.input, feats, SILENT_START, length), length)
    if args.amplify is not None:
        return start, amplify(models, start, args.amplify, config)
    if args.start:
        return start, synthesize(models, args.toward, args.start, length, config)
    return start, dream(models, start, args.toward, config)


def run_dream(args: argparse.Namespace) -> int:
    from drumnet.audio.write import save_audio
    from drumnet.generate.dream import as_models
    from drumnet.training.plots import plot_spectrograms

    if (args.input is None) == (args.start is None):
        raise ValueError("give either an INPUT file or --from noise|click")
    _check_number("--seconds", args.seconds, MIN_SECONDS, MAX_SECONDS)
    _check_number("--strength", args.strength, 0, above=True)
    check_outputs(args, [args.input] if args.input else [])
    args.threads = args.threads or solo_threads()  # chosen once, for every step of the work
    try:
        # A layer belongs to one net: --amplify loads only that one, not the whole ensemble.
        models = _load_models(args.model, ensemble=args.amplify is None)
        with torch_threads(args.threads):
            start, result = _dream(args, models)
    except AudioError as exc:
        print(f"drumnet dream: error: {exc}", file=sys.stderr)
        return 1
    print(f"before: {_probs_line(result.classes, result.probs_before)}")
    print(f"after:  {_probs_line(result.classes, result.probs_after)}")
    if result.layer is not None:
        print(f"{result.layer} activation: {result.norm_before:.4g} -> {result.norm_after:.4g}")
    save_audio(args.output, result.audio, result.sample_rate)
    print(f"wrote {args.output}")
    png = _png_path(args)
    if png is not None:
        goal = f"toward {result.target}" if result.target else f"amplify {result.layer}"
        panels = [("before", start), (f"after ({result.label_after})", result.audio)]
        plot_spectrograms(panels, as_models(models)[0].features, png, title=goal)
        print(f"wrote {png}")
    return 0


def run_style(args: argparse.Namespace) -> int:
    from drumnet.audio.write import save_audio
    from drumnet.generate.config import StyleConfig
    from drumnet.generate.dream import as_models, with_overrides
    from drumnet.generate.style import style_transfer
    from drumnet.training.plots import plot_spectrograms

    _check_number("--style-weight", args.style_weight, 0)
    _check_number("--content-weight", args.content_weight, 0)
    check_outputs(args, [args.content, args.style])
    threads = args.threads or solo_threads()
    try:
        models = _load_models(args.model, ensemble=False)
        feats = as_models(models)[0].features
        content = _load_input(args.content, feats, "silent audio; the content must be audible")
        style = _load_input(args.style, feats, "silent audio; the style must be audible")
        base = StyleConfig()
        edit = with_overrides(base.edit, steps=args.steps, seed=args.seed, threads=threads)
        config = StyleConfig(args.style_weight, args.content_weight, base.layers, edit)
        with torch_threads(threads):
            result = style_transfer(models, content, style, config)
    except AudioError as exc:
        print(f"drumnet style: error: {exc}", file=sys.stderr)
        return 1
    print(
        f"style distance:    {result.style_distance_before:.4g} -> {result.style_distance_after:.4g}"
    )
    print(
        f"envelope distance: {result.envelope_distance_after:.4g} "
        f"(the style sound's own: {result.envelope_distance_style:.4g})"
    )
    save_audio(args.output, result.audio, result.sample_rate)
    print(f"wrote {args.output}")
    png = _png_path(args)
    if png is not None:
        panels = [("content", content), ("style", style), ("result", result.audio)]
        plot_spectrograms(panels, feats, png, title="style transfer")
        print(f"wrote {png}")
    return 0
