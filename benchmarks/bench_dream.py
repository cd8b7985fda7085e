"""Do dreams fool only the network that dreamed them? Transfer of dreams to a second model.

Each input is dreamed toward a target class with model A; then both A and an independently
trained model B (other seed, ideally other architecture) classify the dreamed sound. Reported:
the rate at which A and B assign the target (argmax), B's rate on the undreamed inputs (the
baseline a dream must beat), mean target probabilities and seconds per dream.

    python benchmarks/bench_dream.py --model-a A.safetensors --model-b B.safetensors \
        --inputs DIR [--targets snare,hihat] [--limit 40] [--steps 120] [--strength 1]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

import numpy as np

from drumnet.audio.decode import is_audio_path
from drumnet.audio.sound import load_audio
from drumnet.errors import AudioError
from drumnet.generate.config import DreamConfig
from drumnet.generate.dream import as_models, class_probs, dream
from drumnet.inference.classifier import load_model


def _waves(inputs: Sequence, features) -> tuple[list[np.ndarray], list[str], list[int]]:
    """Waveforms, names and the indices of the inputs kept (unreadable files are skipped)."""
    waves, names, kept = [], [], []
    for i, item in enumerate(inputs):
        if isinstance(item, (str, os.PathLike)):
            try:
                waves.append(load_audio(item, features))
            except AudioError as exc:
                print(f"skipping {exc}", file=sys.stderr)
                continue
            names.append(str(item))
        else:
            waves.append(np.asarray(item, np.float32))
            names.append(f"wave{i}")
        kept.append(i)
    return waves, names, kept


def _default_targets(net, waves: list[np.ndarray]) -> list[str]:
    """For each input, a class other than A's own answer, cycling through the classes."""
    classes, targets = net.classes, []
    for i, wave in enumerate(waves):
        own = int(class_probs([net], wave).argmax())
        targets.append(classes[(own + 1 + i % (len(classes) - 1)) % len(classes)])
    return targets


def run(
    model_a,
    model_b,
    inputs: Sequence,
    targets: str | Sequence[str] | None = None,
    config: DreamConfig | None = None,
) -> dict:
    """Dream every input toward its target with A; measure A's and B's argmax agreement.

    inputs: waveforms (L,) or audio file paths; targets: one class for all, one per input, or
    None (a class other than A's answer, cycling). B's classes must include each target.
    """
    nets_a, net_b = as_models(model_a), as_models(model_b)[0]
    net_a = nets_a[0]
    config = config or DreamConfig()
    waves, names, kept = _waves(inputs, net_a.features)
    if isinstance(targets, str):
        targets = [targets] * len(waves)
    elif targets is not None:
        targets = [list(targets)[i] for i in kept]
    else:
        targets = _default_targets(net_a, waves)
    rows, seconds = [], []
    for name, wave, target in zip(names, waves, targets):
        start = time.perf_counter()
        result = dream(nets_a, wave, target, config)
        seconds.append(time.perf_counter() - start)
        before_b, after_b = class_probs([net_b], wave), class_probs([net_b], result.audio)
        ib, ia = net_b.classes.index(target), net_a.classes.index(target)
        rows.append(
            {
                "input": name,
                "target": target,
                "a_before": float(result.probs_before[ia]),
                "a_after": float(result.probs_after[ia]),
                "b_before": float(before_b[ib]),
                "b_after": float(after_b[ib]),
                "a_hit": result.label_after == target,
                "b_hit": net_b.classes[int(after_b.argmax())] == target,
                "b_hit_before": net_b.classes[int(before_b.argmax())] == target,
            }
        )
    n = max(1, len(rows))
    return {
        "n": len(rows),
        "rate_a": sum(r["a_hit"] for r in rows) / n,
        "rate_b": sum(r["b_hit"] for r in rows) / n,
        "rate_b_before": sum(r["b_hit_before"] for r in rows) / n,
        "mean_target_prob_a": float(np.mean([r["a_after"] for r in rows])) if rows else 0.0,
        "mean_target_prob_b": float(np.mean([r["b_after"] for r in rows])) if rows else 0.0,
        "seconds_per_dream": float(np.mean(seconds)) if seconds else 0.0,
        "config": asdict(config),
        "rows": rows,
    }


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model-a", required=True, help="model that dreams")
    p.add_argument("--model-b", required=True, help="independent model that judges")
    p.add_argument("--inputs", required=True, type=Path, help="folder of audio files")
    p.add_argument("--targets", help="comma-separated classes, cycled over the inputs")
    p.add_argument("--limit", type=int, default=40, help="at most this many inputs")
    p.add_argument("--steps", type=int, default=DreamConfig.steps)
    p.add_argument("--strength", type=float, default=DreamConfig.strength)
    p.add_argument("--json", type=Path, help="also write the full result here")
    args = p.parse_args(argv)
    files = sorted(f for f in args.inputs.rglob("*") if f.is_file() and is_audio_path(f))
    files = files[: args.limit]
    if not files:
        print(f"no audio files under {args.inputs}", file=sys.stderr)
        return 1
    targets = None
    if args.targets:
        cycle = args.targets.split(",")
        targets = [cycle[i % len(cycle)] for i in range(len(files))]
    config = DreamConfig(steps=args.steps, strength=args.strength)
    a, b = load_model(args.model_a, device="cpu"), load_model(args.model_b, device="cpu")
    result = run(a, b, files, targets, config)
    if args.json:
        args.json.write_text(json.dumps(result, indent=2))
    summary = {k: v for k, v in result.items() if k not in ("rows", "config")}
    print(json.dumps(summary, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
