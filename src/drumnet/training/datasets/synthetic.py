"""Synthetic training data: procedural drum sounds and rendered DrumSynth presets, as WAVs.

Both sources render once into the cache and return `Sample`s; a second call finds the files
and does no work. Procedural sounds are grouped into pseudo-libraries that share one
`LibraryColour` (and one bit depth), so that splitting by library tests generalisation to a
differently processed "pack", as it would with real sample libraries.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from drumnet.audio.write import save_audio
from drumnet.cache import cache_dir
from drumnet.taxonomy import CLASSES, UNKNOWN, class_for_name
from drumnet.training.datasets.manifest import Sample, read_manifest, write_manifest
from drumnet.training.synth.colour import LibraryColour, random_colour
from drumnet.training.synth.drums import SYNTH_VERSION, SYNTHS, synth_drum
from drumnet.training.synth.drumsynth import DrumSynthError, render_ds

MANIFEST = "manifest.csv"


@dataclass(frozen=True)
class _Job:
    """One procedural sound to render (picklable, so workers can take it)."""

    path: str
    label: str
    seed: tuple[int, int, int]  # (seed, class index, sound index) -> the sound's own rng
    colour: LibraryColour
    sample_rate: int
    subtype: str


def _render_job(job: _Job) -> str:
    if not Path(job.path).exists():
        x = synth_drum(job.label, np.random.default_rng(job.seed), job.sample_rate, job.colour)
        tmp = Path(job.path).with_suffix(".part.wav")
        save_audio(tmp, x, job.sample_rate, job.subtype)
        os.replace(tmp, job.path)  # a killed run never leaves a half-written WAV behind
    return job.path


def _run(func, jobs: list, workers: int | None) -> list:
    """Map func over jobs, in worker processes when there are several cores and many jobs."""
    workers = workers if workers is not None else (os.cpu_count() or 1)
    if workers <= 1 or len(jobs) < 16:
        return [func(j) for j in jobs]
    context = multiprocessing.get_context("spawn")  # never fork a process that holds torch
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        return list(pool.map(func, jobs, chunksize=max(1, len(jobs) // (workers * 8))))


def synth_samples(
    n_per_class: int = 300,
    seed: int = 0,
    root: Path | None = None,
    sample_rate: int = 22050,
    n_libraries: int = 8,
    workers: int | None = None,
) -> list[Sample]:
    """Render n_per_class procedural sounds of every class in taxonomy.CLASSES (drums + other).

    Files go to root (default cache_dir("synth")/"v<SYNTH_VERSION>-<seed>-<n_per_class>") as
    <label>/synth<k>-<label>-<i>.wav; sound i of each class belongs to pseudo-library
    "synth<k>", k = i % n_libraries, whose colour and bit depth (16 or 24) it shares.
    Deterministic for a seed; a finished folder is read back from its manifest.
    sample_rate defaults to 22,050 Hz: twice the model's 11,025 Hz, at half the time and disk
    of 44.1 kHz (2,700 sounds: ~130 MB). root should differ per sample_rate.
    """
    default = cache_dir("synth") / f"v{SYNTH_VERSION}-{seed}-{n_per_class}"
    root = Path(root) if root is not None else default
    manifest = root / MANIFEST
    if manifest.exists():
        samples = read_manifest(manifest)
        if all(Path(s.path).exists() for s in samples):
            return samples
    colours = [random_colour(np.random.default_rng([seed, 10_000 + k])) for k in range(n_libraries)]
    jobs, samples = [], []
    for c, label in enumerate(CLASSES):
        if label not in SYNTHS:
            continue
        (root / label).mkdir(parents=True, exist_ok=True)
        for i in range(n_per_class):
            k = i % n_libraries
            path = str(root / label / f"synth{k}-{label}-{i:04d}.wav")
            subtype = "PCM_24" if k % 2 else "PCM_16"
            jobs.append(_Job(path, label, (seed, c, i), colours[k], sample_rate, subtype))
            samples.append(Sample(path, label, f"synth{k}", label, 0, "synth"))
    _run(_render_job, jobs, workers)
    write_manifest(samples, manifest)
    return samples


def preset_label(preset: Path) -> str:
    """Class of a preset from its file name, else its folder name; UNKNOWN if neither says."""
    label = class_for_name(preset.stem)
    return label if label != UNKNOWN else class_for_name(preset.parent.name)


def _render_preset(job: tuple[str, str, int]) -> str | None:
    """Render one preset to its WAV unless already there; the error message on failure."""
    preset, out, sample_rate = job
    if Path(out).exists():
        return None
    try:
        x = render_ds(preset, sample_rate)
    except DrumSynthError as exc:
        return str(exc)
    tmp = Path(out).with_suffix(".part.wav")
    save_audio(tmp, x, sample_rate)
    os.replace(tmp, out)
    return None


def drumsynth_samples(
    preset_dir: Path,
    root: Path | None = None,
    sample_rate: int = 44100,
    workers: int | None = None,
) -> tuple[list[Sample], list[tuple[str, str]]]:
    """Render every .ds preset under preset_dir (recursively) into root/<folder>/<name>.wav.

    root defaults to cache_dir("drumsynth"). Returns (samples, skipped) where skipped holds
    (preset path, reason) for presets whose class the name does not give or that fail to
    render. library = "drumsynth-<folder>", source = "drumsynth".
    """
    root = Path(root) if root is not None else cache_dir("drumsynth")
    candidates, skipped = [], []
    for preset in sorted(Path(preset_dir).rglob("*.ds")):
        label = preset_label(preset)
        if label == UNKNOWN:
            skipped.append((str(preset), "name does not say which class"))
            continue
        out = root / preset.parent.name / f"{preset.stem}.wav"
        out.parent.mkdir(parents=True, exist_ok=True)
        candidates.append((preset, label, out))
    # Only presets not rendered yet go to the pool: a warm cache starts no processes.
    jobs = [(str(p), str(out), sample_rate) for p, _, out in candidates if not out.exists()]
    errors = dict(zip((j[0] for j in jobs), _run(_render_preset, jobs, workers) if jobs else []))
    samples = []
    for preset, label, out in candidates:
        error = errors.get(str(preset))
        if error is not None:
            skipped.append((str(preset), error))
            continue
        folder = preset.parent.name
        samples.append(Sample(str(out), label, f"drumsynth-{folder}", preset.stem, 0, "drumsynth"))
    return samples, skipped
