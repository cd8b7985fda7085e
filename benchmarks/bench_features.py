"""How fast real files become the study's tensor: decode, features, and both together.

    python benchmarks/bench_features.py FOLDER [FOLDER ...] [--workers 2] [--json]

Decoding (`load_audio`: libsndfile + soxr) runs in a thread pool; both libraries release the
GIL. Timings are taken after one untimed pass over the files, so they are warm-page-cache
figures: disk speed is not measured. Files that fail to decode are counted and skipped.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Self

import numpy as np
import torch

from drumnet.audio.decode import is_audio_path
from drumnet.audio.sound import load_audio
from drumnet.config import FeatureConfig
from drumnet.errors import AudioError
from drumnet.features.descriptors import descriptors
from drumnet.features.stft import StftFrontend

BATCH = 256  # waveforms per front-end call, as a classifier would batch them


def find_audio(folders: list[str]) -> list[str]:
    """Every file under the folders with an audio extension, sorted."""
    found = []
    for folder in folders:
        for root, _, names in os.walk(folder):
            found += [os.path.join(root, n) for n in names if is_audio_path(n)]
    return sorted(found)


def _decode(path: str, config: FeatureConfig) -> tuple[np.ndarray | None, str | None, float]:
    """(window or None, error reason or None, seconds spent) for one file; never raises."""
    start = time.perf_counter()
    try:
        return load_audio(path, config), None, time.perf_counter() - start
    except AudioError as err:
        return None, err.reason, time.perf_counter() - start


def _decoded(paths: list[str], config: FeatureConfig, workers: int) -> Iterator[tuple]:
    """Decode results in the order of `paths`, `workers` files at a time."""
    if workers <= 1:
        yield from (_decode(p, config) for p in paths)
        return
    with ThreadPoolExecutor(max_workers=workers) as pool:
        yield from pool.map(_decode, paths, [config] * len(paths))


def _features(frontend: StftFrontend, waves: np.ndarray) -> None:
    """Run the front end over (N, n_samples) in batches, as classification does."""
    with torch.inference_mode():
        for start in range(0, len(waves), BATCH):
            frontend(torch.from_numpy(waves[start : start + BATCH]))


def _rate(n: int, seconds: float) -> float:
    return round(n / seconds, 1) if seconds > 0 else float("inf")


class _Clock:
    """Wall and process CPU seconds (all threads) of a `with` block."""

    def __enter__(self) -> Self:
        self.wall, self.cpu = time.perf_counter(), time.process_time()
        return self

    def __exit__(self, *exc) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu


def _end_to_end(paths: list[str], config: FeatureConfig, workers: int) -> None:
    """Decode every file and run the front end, batches streaming as they fill."""
    frontend = StftFrontend(config)
    batch: list[np.ndarray] = []
    for wave, _, _ in _decoded(paths, config, workers):
        if wave is not None:
            batch.append(wave)
        if len(batch) == BATCH:
            _features(frontend, np.stack(batch))
            batch = []
    if batch:
        _features(frontend, np.stack(batch))


def run(
    samples_paths: list[str],
    workers: int = 2,
    config: FeatureConfig | None = None,
    torch_threads: int | None = None,
) -> dict:
    """Measure files per second on real files (warm cache).

    Returns, for each stage, `<stage>_files_per_s` (wall clock) and `<stage>_files_per_cpu_s`
    (per second of this process's CPU time, all threads: the figure that holds up when other
    work shares the machine). Stages: decode (load_audio, `workers` threads), features
    (StftFrontend on the decoded batch), descriptors (the classical baseline's features),
    end_to_end (decode + front end, streaming). Also decode_ms_by_ext (mean wall time to decode
    one file, per extension) and failures as (path, reason). `torch_threads` sets torch's
    intra-op threads for the run (on a busy machine 1 is often faster than the default).
    """
    paths = [str(p) for p in samples_paths]
    if not paths:
        raise ValueError("no audio files to measure")
    threads = torch.get_num_threads()
    torch.set_num_threads(torch_threads or threads)
    try:
        return _measure(paths, workers, config or FeatureConfig())
    finally:
        torch.set_num_threads(threads)


def _measure(paths: list[str], workers: int, config: FeatureConfig) -> dict:
    """The body of `run`, with torch's thread count already set."""
    list(_decoded(paths, config, workers))  # warm the page cache and torch's lazy init

    with _Clock() as decode:
        results = list(_decoded(paths, config, workers))
    waves = np.stack([w for w, _, _ in results if w is not None])  # (n_ok, n_samples)
    failures = [(p, why) for p, (_, why, _) in zip(paths, results) if why is not None]
    by_ext: dict[str, list[float]] = defaultdict(list)
    for p, (_, _, seconds) in zip(paths, results):
        by_ext[Path(p).suffix.lower()].append(seconds)

    frontend = StftFrontend(config)
    _features(frontend, waves[:BATCH])  # warm-up
    descriptors(waves[:BATCH], config)  # warm-up
    with _Clock() as features:
        _features(frontend, waves)
    with _Clock() as baseline:
        descriptors(waves, config)
    with _Clock() as end_to_end:
        _end_to_end(paths, config, workers)
    stages = {
        "decode": (len(paths), decode),
        "features": (len(waves), features),
        "descriptors": (len(waves), baseline),
        "end_to_end": (len(paths), end_to_end),
    }

    return {
        "files": len(paths),
        "decoded": len(waves),
        "failed": len(failures),
        "workers": workers,
        "torch_threads": torch.get_num_threads(),
        "cpus": os.cpu_count(),
        **{f"{k}_files_per_s": _rate(n, clock.wall) for k, (n, clock) in stages.items()},
        **{f"{k}_files_per_cpu_s": _rate(n, clock.cpu) for k, (n, clock) in stages.items()},
        "decode_ms_by_ext": {
            ext: {"files": len(t), "ms_per_file": round(1000 * float(np.mean(t)), 2)}
            for ext, t in sorted(by_ext.items())
        },
        "failures": failures,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", nargs="+", help="folders searched recursively for audio")
    parser.add_argument("--workers", type=int, default=2, help="decoding threads")
    parser.add_argument("--torch-threads", type=int, help="torch intra-op threads")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    args = parser.parse_args(argv)
    paths = find_audio(args.folders)
    if not paths:
        print(f"no audio files under {', '.join(args.folders)}", file=sys.stderr)
        return 1
    result = run(paths, workers=args.workers, torch_threads=args.torch_threads)
    if args.json:
        print(json.dumps(result, indent=2, ensure_ascii=False))
        return 0
    print(
        f"{result['files']} files, {result['failed']} failed, {args.workers} decode workers, "
        f"{result['torch_threads']} torch threads"
    )
    for key in ("decode", "features", "descriptors", "end_to_end"):
        wall, cpu = result[key + "_files_per_s"], result[key + "_files_per_cpu_s"]
        print(f"  {key:<12} {wall:>9.1f} files/s  {cpu:>9.1f} files/CPU-s")
    for ext, row in result["decode_ms_by_ext"].items():
        print(f"  decode {ext:<6} {row['ms_per_file']:>8.2f} ms/file ({row['files']} files)")
    for path, why in result["failures"]:
        print(f"  failed: {path}: {why}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
