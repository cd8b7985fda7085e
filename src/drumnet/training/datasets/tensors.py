"""The tensor cache: decoded, onset-aligned windows of a sample list, built once and reused.

A set lives in `cache_dir("tensors")/<key>/` as waves.npy, meta.json and (after the first
`tensor()` call) tensor.npy. The key hashes the feature settings, the reader's version and
every sample's path, label, library, size and modification time, so editing, replacing or
relabelling one file, changing a setting or how files are decoded builds a new set; anything
else loads the old one without decoding.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch
from tqdm import tqdm

from drumnet.audio.sound import READER_VERSION, load_sound
from drumnet.cache import cache_dir
from drumnet.config import FeatureConfig
from drumnet.errors import AudioError
from drumnet.features.stft import StftFrontend
from drumnet.training.datasets.manifest import Sample

FORMAT = 1  # bump when the files' layout changes, so old sets are not misread


@dataclass
class TensorSet:
    """Decoded samples, aligned by index.

    waves: float32 (N, config.n_samples), at config.sample_rate; only files that decoded.
    errors: one line per file that could not be used ("path: reason").
    folder: where the set is cached; from_cache: True when loaded rather than decoded.
    """

    waves: np.ndarray
    labels: list[str]
    libraries: list[str]
    paths: list[str]
    errors: list[str]
    config: FeatureConfig = field(default_factory=FeatureConfig)
    folder: Path | None = None
    from_cache: bool = False

    def __len__(self) -> int:
        return len(self.labels)

    def tensor(self, batch: int = 256) -> np.ndarray:
        """The study's complex STFT tensor, float32 (N, n_frames, n_freqs, 2); cached on disk."""
        cached = self.folder / "tensor.npy" if self.folder else None
        if cached is not None and cached.is_file():
            return np.load(cached, mmap_mode="r")
        frontend = StftFrontend(self.config)
        shape = (len(self), self.config.n_frames, self.config.n_freqs, 2)
        out = np.empty(shape, dtype=np.float32)
        with torch.no_grad():
            for start in range(0, len(self), batch):
                chunk = torch.from_numpy(self.waves[start : start + batch])  # (b, n_samples)
                out[start : start + batch] = frontend(chunk).numpy()  # (b, T, F, 2)
        if cached is not None:
            _save_atomic(cached, out)
        return out


def _save_atomic(path: Path, array: np.ndarray) -> None:
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, array)
    os.replace(tmp, path)


def tensor_key(samples: list[Sample], config: FeatureConfig) -> str:
    """sha256 of the settings, the reader's version and each sample's (path, label, library,
    size, mtime)."""
    settings = [FORMAT, READER_VERSION, config.to_dict()]
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for s in samples:
        try:
            st = os.stat(s.path)
            size, mtime = st.st_size, st.st_mtime_ns
        except OSError:
            size, mtime = -1, -1
        digest.update(json.dumps([s.path, s.label, s.library, size, mtime]).encode())
    return digest.hexdigest()[:24]


def _decode(sample: Sample, config: FeatureConfig) -> np.ndarray | str:
    """One window, or an error line."""
    try:
        sound = load_sound(sample.path, config)
    except AudioError as exc:
        return str(exc)
    if sound.silent:
        return f"{sample.path}: silent (peak {sound.peak_dbfs:.0f} dBFS)"
    return sound.samples


def _load(folder: Path, config: FeatureConfig) -> TensorSet:
    meta = json.loads((folder / "meta.json").read_text())
    waves = np.load(folder / "waves.npy")
    fields = (meta["labels"], meta["libraries"], meta["paths"], meta["errors"])
    return TensorSet(waves, *fields, config=config, folder=folder, from_cache=True)


def _decode_all(samples: list[Sample], config: FeatureConfig, workers: int, progress: bool):
    bar = tqdm(
        total=len(samples), desc="decoding", unit="file", file=sys.stderr, disable=not progress
    )
    # Threads: libsndfile and soxr release the GIL, and nothing needs pickling.
    with ThreadPoolExecutor(max(1, workers)) as pool:
        results = []
        for result in pool.map(lambda s: _decode(s, config), samples):
            results.append(result)
            bar.update()
    bar.close()
    return results


def build_tensors(
    samples: list[Sample],
    config: FeatureConfig,
    cache: str | Path | None = None,
    workers: int = 2,
    progress: bool = True,
) -> TensorSet:
    """Decode every sample into a TensorSet, or load it from the cache if nothing changed.

    cache: the folder holding sets (default `cache_dir("tensors")`). Files that fail to decode
    or are silent go to `errors`; they never stop the build.
    """
    base = Path(cache) if cache is not None else cache_dir("tensors")
    folder = base / tensor_key(samples, config)
    if (folder / "meta.json").is_file():
        return _load(folder, config)
    good, errors = [], []
    for sample, result in zip(samples, _decode_all(samples, config, workers, progress)):
        if isinstance(result, str):
            errors.append(result)
        else:
            good.append((sample, result))
    waves = np.stack([w for _, w in good]) if good else np.zeros((0, config.n_samples), "f4")
    meta = {
        "format": FORMAT,
        "config": config.to_dict(),
        "labels": [s.label for s, _ in good],
        "libraries": [s.library for s, _ in good],
        "paths": [s.path for s, _ in good],
        "errors": errors,
    }
    base.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".building-", dir=base))
    np.save(tmp / "waves.npy", waves.astype(np.float32, copy=False))
    (tmp / "meta.json").write_text(json.dumps(meta))
    try:
        os.replace(tmp, folder)  # atomic: a killed build never leaves half a set
    except OSError:  # another process finished the same set first
        shutil.rmtree(tmp, ignore_errors=True)
    return TensorSet(
        waves, meta["labels"], meta["libraries"], meta["paths"], errors, config, folder
    )
