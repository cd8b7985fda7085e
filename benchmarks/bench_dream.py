"""Do dreams fool only the network that dreamed them? Transfer of dreams to a second model.
And how long a dream takes when another program keeps one core busy (`busy_core`).

Each input is dreamed toward a target class with model A; then both A and an independently
trained model B (other seed, ideally other architecture) classify the dreamed sound. Reported:
the rate at which A and B assign the target (argmax), B's rate on the undreamed inputs (the
baseline a dream must beat), mean target probabilities and seconds per dream.

    python benchmarks/bench_dream.py --model-a A.safetensors --model-b B.safetensors \
        --inputs DIR [--targets snare,hihat] [--limit 40] [--steps 120] [--strength 1]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import asdict, replace
from pathlib import Path

import numpy as np

from drumnet.audio.decode import is_audio_path
from drumnet.audio.sound import load_audio
from drumnet.errors import AudioError
from drumnet.generate.config import DreamConfig
from drumnet.generate.dream import as_models, class_probs, dream
from drumnet.inference.classifier import load_model
from drumnet.runtime import available_cores, solo_threads


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


@contextlib.contextmanager
def _spinning(busy: bool) -> Iterator[None]:
    """Within the block, one core is kept busy by a process that only spins (when `busy`)."""
    if not busy:
        yield
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    try:
        time.sleep(0.5)  # let it start and take its core
        yield
    finally:
        spinner.kill()
        spinner.wait()


def busy_core(model, wave: np.ndarray, target: str, config: DreamConfig, repeats: int = 2) -> dict:
    """Seconds per dream of `wave` toward `target`, with the machine as it is and with one core
    kept busy by a spinning process, for drumnet's thread choice (`solo_threads`, taken just
    before each dream as `drumnet dream` does) and for one thread per core (torch's default,
    what dream used before). Each figure is the median of `repeats` dreams; the ratios
    (busy / as it is, and each setting / drumnet's choice) come from the same run, so a
    loaded machine affects both sides."""
    rows = []
    for busy in (False, True):
        with _spinning(busy):
            for setting in ("drumnet's choice", "one per core"):
                seconds, chosen = [], []
                for _ in range(repeats):
                    threads = solo_threads() if setting == "drumnet's choice" else available_cores()
                    start = time.perf_counter()
                    dream(model, wave, target, replace(config, threads=threads))
                    seconds.append(time.perf_counter() - start)
                    chosen.append(threads)
                rows.append(
                    {
                        "threads": setting,
                        "busy_core": busy,
                        "seconds": float(np.median(seconds)),
                        "threads_used": chosen,
                    }
                )
    idle = {r["threads"]: r["seconds"] for r in rows if not r["busy_core"]}
    chosen = {r["busy_core"]: r["seconds"] for r in rows if r["threads"] == "drumnet's choice"}
    for r in rows:
        r["ratio_to_not_busy"] = r["seconds"] / idle[r["threads"]]
        r["ratio_to_choice"] = r["seconds"] / chosen[r["busy_core"]]
    return {
        "cores": available_cores(),
        "steps": config.steps,
        "repeats": repeats,
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
