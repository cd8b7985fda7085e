"""Robustness: the shipped ensemble's answers on the Hydrogen kits' sounds, each file changed
the ways files in producers' libraries differ (a DC offset, level, rate, bit depth, format,
leading silence, clipping, polarity, stereo that cancels), against its answer on the file as it
is. `drumnet classify` as a user runs it (`classify_paths`, no index).

    python benchmarks/bench_robustness.py [--limit N]

The shipped nets trained on these kits, so their accuracy here is higher than on libraries
they never heard; the figure to read is how far each change moves the answers.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from unittest import mock

import numpy as np
import soundfile as sf
import soxr

from drumnet.inference.classifier import load_model
from drumnet.inference.pipeline import classify_paths
from drumnet.training.datasets.hydrogen import hydrogen_samples

Change = Callable[[np.ndarray, int], tuple[np.ndarray, int, str, str]]  # -> frames, rate, ...


def _plain(x: np.ndarray, rate: int) -> tuple[np.ndarray, int, str, str]:
    return x, rate, "wav", "FLOAT"


def _dc(share: float) -> Change:
    return lambda x, rate: (x + share * np.abs(x).max(), rate, "wav", "FLOAT")


def _gain(db: float, polarity: int = 1) -> Change:
    return lambda x, rate: (polarity * x * 10 ** (db / 20), rate, "wav", "FLOAT")


def _rate(target: int) -> Change:
    return lambda x, rate: (soxr.resample(x, rate, target), target, "wav", "FLOAT")


def _lead(seconds: float) -> Change:
    def change(x, rate):
        return np.concatenate([np.zeros((round(seconds * rate), x.shape[1]), x.dtype), x]), rate

    return lambda x, rate: (*change(x, rate), "wav", "FLOAT")


def _clipped(x: np.ndarray, rate: int) -> tuple[np.ndarray, int, str, str]:
    return np.clip(4 * x / np.abs(x).max(), -1, 1), rate, "wav", "FLOAT"  # +12 dB into 0 dBFS


def _cancel(x: np.ndarray, rate: int) -> tuple[np.ndarray, int, str, str]:
    mono = x.mean(axis=1)
    return np.stack([mono, -mono], axis=1), rate, "wav", "FLOAT"


def _normalised(subtype: str, ext: str) -> Change:
    return lambda x, rate: (0.9 * x / np.abs(x).max(), rate, ext, subtype)


# (name, change, DC removal on): each file is written as the change makes it and classified.
CHANGES: list[tuple[str, Change, bool]] = [
    ("as it is (32-bit float WAV)", _plain, True),
    ("DC offset of 3 % of the peak", _dc(0.03), True),
    ("DC offset of 10 % of the peak", _dc(0.10), True),
    ("DC offset of 30 % of the peak", _dc(0.30), True),
    ("DC offset of 3 % of the peak, without DC removal", _dc(0.03), False),
    ("DC offset of 10 % of the peak, without DC removal", _dc(0.10), False),
    ("DC offset of 30 % of the peak, without DC removal", _dc(0.30), False),
    ("polarity inverted", _gain(0.0, polarity=-1), True),
    ("40 dB quieter", _gain(-40.0), True),
    ("resampled to 22,050 Hz", _rate(22050), True),
    ("resampled to 8,000 Hz", _rate(8000), True),
    ("8-bit WAV (normalised to -1 dB)", _normalised("PCM_U8", "wav"), True),
    (
        "MP3, libsndfile's default quality (normalised to -1 dB)",
        _normalised("MPEG_LAYER_III", "mp3"),
        True,
    ),
    ("1 s of silence before it", _lead(1.0), True),
    ("5 s of silence before it", _lead(5.0), True),
    ("clipped: 12 dB too loud", _clipped, True),
    ("stereo whose channels cancel (right = -left)", _cancel, True),
]


def _answers(paths: list[Path], model) -> list[str]:
    # workers=0: decoded in this process, where `run` may have patched the DC removal out.
    results = list(classify_paths(paths, model, workers=0))
    return [r.label if r.ok else "error" for r in results]


def run(tmpdir: str, limit: int | None = None) -> dict:
    samples, _ = hydrogen_samples()
    samples = samples[:limit] if limit else samples
    labels = np.array([s.label for s in samples])
    model = load_model()  # the shipped ensemble, as classify uses by default
    originals = [sf.read(s.path, dtype="float32", always_2d=True) for s in samples]
    rows, clean = [], None
    for name, change, dc_removal in CHANGES:
        folder = Path(tmpdir) / f"change{len(rows)}"
        folder.mkdir()
        paths = []
        for i, (x, rate) in enumerate(originals):
            y, out_rate, ext, subtype = change(x, rate)
            paths.append(folder / f"{i}.{ext}")
            sf.write(str(paths[-1]), y.astype(np.float32), out_rate, subtype=subtype)
        if dc_removal:
            answers = np.array(_answers(paths, model))
        else:
            with mock.patch("drumnet.audio.sound.dc_offset", return_value=0.0):
                answers = np.array(_answers(paths, model))
        clean = answers if clean is None else clean
        rows.append(
            {
                "change": name,
                "files": len(paths),
                "accuracy": float((answers == labels).mean()),
                "same_answer": float((answers == clean).mean()),
                "errors": int((answers == "error").sum()),
                "unsure": int((answers == "unsure").sum()),
            }
        )
        print(json.dumps(rows[-1]), flush=True)
        for p in paths:
            p.unlink()
    return {"model": model.model_id, "rows": rows}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="the first N kit sounds only")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="drumnet-bench-") as tmp:
        print(json.dumps(run(tmp, args.limit), indent=2))


if __name__ == "__main__":
    main()
