"""Loops: how often a one-shot is taken for a loop, and how often a loop is found.

    python benchmarks/bench_loops.py [--patterns 200]

A file is answered `loop` when a separate hit starts at least `LOOP_SPAN_SECONDS` after its
first (`audio.hit_times`, through `load_sound`, exactly as `drumnet classify` decodes).
One-shots: every Hydrogen kit sound, the LMMS drum samples, and `per_class` sounds of every
drum class from the procedural synthesiser (seed 2026, never used for training).
Loops: the 13 drum loops LMMS ships (`samples/beats`), and `patterns` beats built from the
Hydrogen kits' own one-shots: eighth notes at 70-180 bpm, 1-4 s long, kick on the beat, snare
on the back beat, hats on most eighths, each hit at a random level from -10 to 0 dB, every
sound from one kit. Nothing here was used to train a model; the LMMS loops and the kits were
used to choose the detector's settings (the docstring of `audio.hit_times`).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from drumnet.audio.decode import read_head
from drumnet.audio.hits import hit_times
from drumnet.audio.prepare import resample, to_mono
from drumnet.audio.sound import load_sound
from drumnet.config import FeatureConfig
from drumnet.errors import AudioError
from drumnet.inference.decision import LOOP_SPAN_SECONDS
from drumnet.inference.pipeline import classify_paths
from drumnet.taxonomy import DRUM_CLASSES
from drumnet.training.datasets.default import gather
from drumnet.training.datasets.lmms import fetch_lmms, lmms_drum_samples
from drumnet.training.synth.drums import synth_drum

SEED = 2026
RATE = 11025  # the model's rate: built loops are mixed and written at it


def _spans(paths: list[str]) -> np.ndarray:
    """hit_span of every decodable file."""
    spans = []
    for path in paths:
        try:
            spans.append(load_sound(path).hit_span)
        except AudioError:
            continue
    return np.array(spans)


def _row(name: str, spans: np.ndarray, loops: bool) -> dict:
    flagged = spans >= LOOP_SPAN_SECONDS
    return {
        "set": name,
        "n": int(spans.size),
        "kind": "loops" if loops else "one-shots",
        "answered_loop": int(flagged.sum()),
        "rate": float(flagged.mean()) if spans.size else None,
        "max_span_one_shot": None if loops else float(spans.max(initial=0.0)),
    }


def _kit_heads() -> dict[str, dict[str, list[np.ndarray]]]:
    """kit -> class -> one-shots at RATE (the first 3 s of each), for building beats."""
    kits: dict[str, dict[str, list[np.ndarray]]] = {}
    for s in gather(("hydrogen",)).samples:
        if s.label not in ("kick", "snare", "hihat"):
            continue
        frames, rate, _, _ = read_head(s.path, 3.0)
        kits.setdefault(s.library, {}).setdefault(s.label, []).append(
            resample(to_mono(frames), rate, RATE)
        )
    return {k: v for k, v in kits.items() if len(v) == 3}  # kits with all three


def _beat(kit: dict[str, list[np.ndarray]], rng: np.random.Generator) -> np.ndarray:
    step = 60 / rng.uniform(70, 180) / 2  # seconds per eighth note
    steps = max(2, int(rng.uniform(1.0, 4.0) / step))
    out = np.zeros(int(steps * step * RATE) + 3 * RATE, np.float32)
    for j in range(steps):
        for label, p in (
            ("kick", 0.9 if j % 4 == 0 else 0.15),
            ("snare", 0.9 if j % 4 == 2 else 0.1),
            ("hihat", 0.8),
        ):
            if rng.random() < p:
                hit = kit[label][rng.integers(len(kit[label]))] * 10 ** (rng.uniform(-10, 0) / 20)
                a = int(j * step * RATE)
                out[a : a + hit.size] += hit[: out.size - a]
    return out[: int(steps * step * RATE)]


def _cost(heads: dict[str, dict[str, list[np.ndarray]]]) -> float:
    """Milliseconds per call of hit_times on the kits' one-shots (3 s heads at RATE)."""
    sounds = [x for kit in heads.values() for xs in kit.values() for x in xs]
    start = time.perf_counter()
    for x in sounds:
        hit_times(x, RATE)
    return 1000 * (time.perf_counter() - start) / len(sounds)


def run(per_class: int = 200, patterns: int = 200, tmpdir: str | None = None) -> dict:
    kits = gather(("hydrogen",)).samples
    lmms = [s.path for s in lmms_drum_samples()[0]]
    beats = sorted(str(p) for p in (fetch_lmms() / "beats").glob("*.ogg"))
    rows = []
    for name, paths, loops in (
        ("Hydrogen kits", [s.path for s in kits], False),
        ("LMMS drum samples", lmms, False),
        ("LMMS drum loops (samples/beats)", beats, True),
    ):
        rows.append(_row(name, _spans(paths), loops))
    config = FeatureConfig()
    with tempfile.TemporaryDirectory(dir=tmpdir) as tmp:
        synth_spans = []
        for i, label in enumerate(DRUM_CLASSES):
            for j in range(per_class):
                rng = np.random.default_rng([SEED, i, j])
                path = Path(tmp) / f"{label}-{j}.wav"
                sf.write(str(path), synth_drum(label, rng, 44100), 44100, subtype="FLOAT")
                synth_spans.append((label, load_sound(path, config).hit_span))
        spans = np.array([s for _, s in synth_spans])
        row = _row(f"synthesiser drums ({per_class} per class, seed {SEED})", spans, False)
        row["answered_loop_by_class"] = {
            c: sum(1 for lab, s in synth_spans if lab == c and s >= LOOP_SPAN_SECONDS)
            for c in DRUM_CLASSES
        }
        rows.append(row)
        rng = np.random.default_rng(SEED)
        heads = _kit_heads()
        names = sorted(heads)
        built = []
        for j in range(patterns):
            beat = _beat(heads[names[rng.integers(len(names))]], rng)
            path = Path(tmp) / f"beat-{j}.wav"
            sf.write(str(path), beat / max(1e-9, np.abs(beat).max()), RATE, subtype="FLOAT")
            built.append(str(path))
        rows.append(
            _row(f"beats built from the kits' one-shots ({len(names)} kits)", _spans(built), True)
        )
    answers, flagged = {}, 0
    for r in classify_paths(beats, workers=0, loops=False):  # the shipped ensemble's own answer
        answers[Path(r.path).name] = r.label if r.ok else f"error: {r.error}"
        flagged += r.warning == "multi-hit"
    return {
        "loop_span_seconds": LOOP_SPAN_SECONDS,
        "rows": rows,
        "lmms_loops_model_answers": answers,
        "lmms_loops_answered_loop": flagged,
        "ms_per_file_hit_times": _cost(heads),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=200)
    parser.add_argument("--patterns", type=int, default=200)
    args = parser.parse_args(argv)
    print(json.dumps(run(args.per_class, args.patterns), indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
