"""Speed and memory of `classify_paths` on ordinary one-shots (44.1 kHz 16-bit WAV, 0.2-1.5 s).

    python benchmarks/bench_classify.py --n 5000 [--large 50000] [--arch highway|mlp]

Measures, in one run: decode-only files/s (the same worker pool, no inference), classify
files/s with a cold index, re-scan files/s with a warm index (no decoding), and the peak RSS
(main process and largest worker) of a fresh process classifying `large` files.
Uses the shipped default model when present, else a random-weight model of `arch`.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from collections import deque
from pathlib import Path

import numpy as np
import soundfile as sf

from drumnet.audio.scan import iter_audio_files
from drumnet.config import DEFAULT_BATCH_SIZE, FeatureConfig
from drumnet.inference.classifier import load_model
from drumnet.inference.pipeline import classify_paths
from drumnet.inference.workers import _chunks, _decoder, decode_chunk
from drumnet.library.index import Index
from drumnet.nets import build_model
from drumnet.nets.checkpoint import default_model_path, save_model
from drumnet.runtime import tune_malloc
from drumnet.taxonomy import CLASSES

RATE = 44100  # Hz, the common studio rate: loading must resample to 11,025 Hz


def synthesise(folder: Path, n: int, seed: int = 0) -> Path:
    """n decaying noise/tone hits of 0.2-1.5 s in 100-file sub-folders (kept if present)."""
    rng = np.random.default_rng(seed)
    for i in range(n):
        path = folder / f"pack{i // 100:04d}" / f"hit{i:06d}.wav"
        if path.exists():
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        t = np.arange(int(RATE * rng.uniform(0.2, 1.5))) / RATE
        tone = np.sin(2 * np.pi * rng.uniform(40, 400) * t)
        x = (0.5 * rng.standard_normal(t.size) + tone) * np.exp(-t / rng.uniform(0.02, 0.4))
        sf.write(str(path), 0.9 * x / np.abs(x).max(), RATE, subtype="PCM_16")
    return folder


def model_file(folder: Path, arch: str) -> Path:
    if default_model_path().exists() and arch == "default":
        return default_model_path()
    return save_model(build_model(arch, CLASSES), folder / f"{arch}.safetensors")


def decode_only(lib: Path, workers: int = 2, batch_size: int = DEFAULT_BATCH_SIZE) -> int:
    """The classify pipeline's decoding alone (same pool, chunks and bound); returns files."""
    config, done, pending = FeatureConfig(), 0, deque()
    with _decoder(workers) as submit:
        for chunk in _chunks(iter_audio_files([lib]), batch_size):
            pending.append(submit(decode_chunk, chunk, config))
            if len(pending) > workers * 4:
                done += len(pending.popleft().result()[0])
        done += sum(len(f.result()[0]) for f in pending)
    return done


def timed(fn) -> tuple[float, int]:
    start = time.perf_counter()
    n = fn()
    return time.perf_counter() - start, n


def peak_rss_run(lib: Path, model: Path, index: Path, workers: int) -> dict:
    """Classify `lib` in a fresh process; its wall time and peak RSS (MB) of main and workers."""
    code = (
        "import json, resource, sys, time\n"
        "from drumnet.inference.pipeline import classify_paths\nfrom drumnet.library.index import Index\n"
        "from drumnet.runtime import tune_malloc\ntune_malloc()\n"
        "t = time.perf_counter()\n"
        f"with Index({str(index)!r}) as ix:\n"
        f"    n = sum(1 for _ in classify_paths([{str(lib)!r}], {str(model)!r}, "
        f"workers={workers}, index=ix))\n"
        "ru = resource.getrusage\n"
        # VmHWM, not ru_maxrss: Linux carries ru_maxrss over exec, so it would report the
        # benchmark's own peak whenever that is the larger.
        "hwm = [l for l in open('/proc/self/status') if l.startswith('VmHWM')][0]\n"
        "print(json.dumps({'files': n, 'seconds': time.perf_counter() - t,\n"
        "    'main_mb': int(hwm.split()[1]) / 1024,\n"
        "    'worker_mb': ru(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run(
    n_files: int = 5000,
    tmpdir: str | Path | None = None,
    large: int | None = None,
    arch: str = "default",
    workers: int = 2,
) -> dict:
    """Run every measurement; returns a JSON-friendly dict of figures."""
    tune_malloc()  # as the drumnet command does for itself
    root = Path(tmpdir or tempfile.mkdtemp(prefix="drumnet-bench-"))
    lib = synthesise(root / f"lib{n_files}", n_files)
    model_path = model_file(root, arch)
    model = load_model(model_path)
    decode_s, n = timed(lambda: decode_only(lib, workers))
    index_path = root / "bench-index.sqlite"
    index_path.unlink(missing_ok=True)
    with Index(index_path) as index:
        cold_s, _ = timed(
            lambda: sum(1 for _ in classify_paths(lib, model, None, 0.0, workers, index=index))
        )
        warm_s, _ = timed(
            lambda: sum(1 for _ in classify_paths(lib, model, None, 0.0, workers, index=index))
        )
    figures = {
        "files": n,
        "model": model.model_id,
        "workers": workers,
        "decode_files_per_s": round(n / decode_s, 1),
        "classify_files_per_s": round(n / cold_s, 1),
        "classify_vs_decode": round(decode_s / cold_s, 3),
        "rescan_files_per_s": round(n / warm_s, 1),
        "bench_peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }
    if arch == "default":  # the shipped ensemble (--model ensemble) on the same files, no index
        ensemble = load_model("ensemble")
        ens_s, _ = timed(lambda: sum(1 for _ in classify_paths(lib, ensemble, None, 0.0, workers)))
        figures["ensemble_classify_files_per_s"] = round(n / ens_s, 1)
        figures["ensemble_vs_decode"] = round(decode_s / ens_s, 3)
        cores = os.cpu_count() or 1  # --threads N: every core, workers' ones too
        all_s, _ = timed(
            lambda: sum(1 for _ in classify_paths(lib, ensemble, workers=workers, threads=cores))
        )
        figures[f"ensemble_threads{cores}_files_per_s"] = round(n / all_s, 1)
    if large:
        big = synthesise(root / f"lib{large}", large)
        big_index = root / "bench-index-large.sqlite"
        big_index.unlink(missing_ok=True)
        figures["large"] = peak_rss_run(big, model_path, big_index, workers)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000, help="files for the speed figures")
    parser.add_argument("--large", type=int, help="files for the peak-memory run (e.g. 50000)")
    parser.add_argument("--tmpdir", help="where to synthesise (reused between runs)")
    parser.add_argument("--arch", default="default", help="default | highway | mlp")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    print(json.dumps(run(args.n, args.tmpdir, args.large, args.arch, args.workers), indent=2))


if __name__ == "__main__":
    main()
