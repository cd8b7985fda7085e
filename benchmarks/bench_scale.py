"""Beyond one process, measured on one machine: classify locally vs on Ray, train --nproc 1 vs 2.

    python benchmarks/bench_scale.py [--n 500] [--train-n 200] [--epochs 2]

`classify_scale`: the same synthesised files classified by the local pipeline (2 decode
workers) and by `--engine ray` with 1 and 2 actors on a local 2-CPU cluster, each run whole
(the actors' start-up and the model's trip to them included; the cluster's own start-up is
given apart). A second Ray run on a fifth of the files splits each Ray time into a fixed cost
and a marginal rate (t = fixed + files / rate). `train_scale`:
`drumnet train` on the same labelled files with --nproc 1 (torch's default threads, and one
thread) and 2 (one thread per rank): fit time from the run's summary, and the wall time. Ratios are taken within
one run, so a busy machine slows both sides alike. docs/scale.md explains the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from pathlib import Path

import torch
from bench_classify import synthesise

from drumnet.cli import main as drumnet
from drumnet.inference.classifier import load_model
from drumnet.inference.pipeline import classify_paths


def _timed(run) -> tuple[float, object]:
    start = time.perf_counter()
    out = run()
    return time.perf_counter() - start, out


def classify_scale(n: int = 500, model: str = "default", actors=(1, 2)) -> dict:
    """Files/s of local classify and of --engine ray with each count of `actors`, and the
    ratios between them (overhead: local / Ray with one actor; speed-up: 2 actors / 1)."""
    import ray

    from drumnet.inference.ray_engine import RayEngine, connect

    clf = load_model(model)
    with tempfile.TemporaryDirectory() as tmp:
        folder = synthesise(Path(tmp) / "files", n)
        local_s, results = _timed(lambda: list(classify_paths(folder, clf, workers=2)))
        labels = [r.label for r in results]
        packs = sorted(folder.iterdir())  # 100 files each
        fifth = packs[: max(1, len(packs) // 5)]
        init_s, started = _timed(lambda: connect(None, cpus=max(actors)))
        out: dict = {"files": n, "model": model, "local_files_per_s": round(n / local_s, 1)}
        out["ray_cluster_start_s"] = round(init_s, 1)
        try:
            for k in actors:
                engine = RayEngine(workers=k)
                s, got = _timed(lambda e=engine: list(classify_paths(folder, clf, engine=e)))
                assert [r.label for r in got] == labels, "Ray answered otherwise"
                small_s, few = _timed(lambda e=engine: list(classify_paths(fifth, clf, engine=e)))
                out[f"ray_{k}_files_per_s"] = round(n / s, 1)
                # t = fixed + files / rate, from the whole run and one on a fifth of the files
                rate = (n - len(few)) / (s - small_s)
                out[f"ray_{k}_marginal_files_per_s"] = round(rate, 1)
                out[f"ray_{k}_fixed_s"] = round(s - n / rate, 1)  # actors start, model loads
        finally:
            if started:
                ray.shutdown()
    one, two = out[f"ray_{actors[0]}_files_per_s"], out[f"ray_{actors[-1]}_files_per_s"]
    out["ray_1_vs_local"] = round(one / out["local_files_per_s"], 3)
    out["ray_2_vs_local"] = round(two / out["local_files_per_s"], 3)
    out["ray_2_vs_1"] = round(two / one, 3)
    return out


def _labelled(folder: Path, n: int) -> Path:
    """n synthesised hits, half under kick/ and half under snare/ (the labels only steer
    the loss: this measures time, not accuracy)."""
    synthesise(folder / "kick", n // 2, seed=1)
    synthesise(folder / "snare", n - n // 2, seed=2)
    return folder


def train_scale(n: int = 200, epochs: int = 2, model: str = "highway", nprocs=(1, 2)) -> dict:
    """Seconds to train `epochs` epochs on n files with each --nproc (the same data, split
    none, the recipe's batch size per process), fit alone and the whole command."""
    out: dict = {"files": n, "epochs": epochs, "model": model}
    with tempfile.TemporaryDirectory() as tmp:
        data = _labelled(Path(tmp) / "data", n)
        cwd = os.getcwd()
        os.chdir(tmp)  # runs/ and the tensor cache stay in tmp
        os.environ["DRUMNET_CACHE"] = str(Path(tmp) / "cache")
        try:
            for k, threads in [(k, None) for k in nprocs] + [(1, 1)]:
                name = f"nproc_{k}" + (f"_threads_{threads}" if threads else "")
                model_path = Path(tmp) / name / "model.safetensors"
                argv = ["train", "--data", str(data), "--model", model, "--split", "none"]
                argv += ["--epochs", str(epochs), "--nproc", str(k), "--out", str(model_path)]
                before = torch.get_num_threads()
                torch.set_num_threads(threads or before)  # fit keeps it: no --threads option
                try:
                    wall, status = _timed(lambda a=argv: drumnet(a))
                finally:
                    torch.set_num_threads(before)
                assert status == 0, f"train --nproc {k} failed"
                summary = json.loads((model_path.parent / "summary.json").read_text())
                out[f"{name}_fit_s"] = summary["train_seconds"]
                out[f"{name}_wall_s"] = round(wall, 1)
        finally:
            os.chdir(cwd)
    out["torch_threads_default"] = torch.get_num_threads()
    first, last = nprocs[0], nprocs[-1]
    out["fit_speedup"] = round(out[f"nproc_{first}_fit_s"] / out[f"nproc_{last}_fit_s"], 3)
    out["wall_speedup"] = round(out[f"nproc_{first}_wall_s"] / out[f"nproc_{last}_wall_s"], 3)
    # Against one process on one thread: the rank's own setting, so the fair comparison.
    out["fit_speedup_vs_1_thread"] = round(
        out["nproc_1_threads_1_fit_s"] / out[f"nproc_{last}_fit_s"], 3
    )
    return out


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=500)
    parser.add_argument("--train-n", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--model", default="default")
    args = parser.parse_args()
    print(json.dumps(classify_scale(args.n, args.model), indent=2))
    print(json.dumps(train_scale(args.train_n, args.epochs), indent=2))
