"""The default library: a registry of named data sources, gathered into one sample list.

Each source is a callable returning (samples, skipped) where skipped holds (reason, what)
pairs; more sources (synthesised drums, DrumSynth renders) register here under a new name.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from drumnet.audio.decode import check_readable
from drumnet.errors import AudioError
from drumnet.training.datasets.folders import (
    folder_samples,
    label_error,
    labels_csv_samples,
    row_label,
)
from drumnet.training.datasets.lmms import drumsynth_preset_dir
from drumnet.training.datasets.manifest import FIELDS, Sample, csv_rows
from drumnet.training.datasets.sources import DEFAULT_SOURCES, load_source
from drumnet.training.datasets.synthetic import drumsynth_samples, synth_samples

Skip = tuple[str, str]
Source = Callable[[], tuple[list[Sample], list[Skip]]]


def synth_source() -> tuple[list[Sample], list[Skip]]:
    """The procedural synthesiser: 300 sounds of every class, seed 0, in 8 pseudo-libraries."""
    return synth_samples(n_per_class=300, seed=0), []


def drumsynth_source() -> tuple[list[Sample], list[Skip]]:
    """LMMS's DrumSynth presets, rendered by drumnet's own renderer."""
    samples, skipped = drumsynth_samples(drumsynth_preset_dir())
    return samples, [(reason, what) for what, reason in skipped]


@dataclass
class Gathered:
    """Samples from one or more sources, and what each left out and why."""

    samples: list[Sample] = field(default_factory=list)
    skipped: list[Skip] = field(default_factory=list)

    def skip_counts(self) -> Counter:
        """How many items were left out for each reason."""
        return Counter(reason for reason, _ in self.skipped)


def gather(include: tuple[str, ...] = DEFAULT_SOURCES) -> Gathered:
    """Run the named sources in order; a path seen twice is kept once (first source wins)."""
    result, seen = Gathered(), set()
    for name in include:
        samples, skipped = load_source(name)()
        result.skipped.extend(skipped)
        for sample in samples:
            if sample.path not in seen:
                seen.add(sample.path)
                result.samples.append(sample)
    return result


def default_samples(include: tuple[str, ...] = DEFAULT_SOURCES) -> list[Sample]:
    """The labelled samples of the named sources (Hydrogen kits unless told otherwise)."""
    return gather(include).samples


UNREADABLE = "cannot be read as audio"


def readable(found: Gathered) -> Gathered:
    """`found` without the samples whose files do not open as audio (audio.check_readable),
    each left out as (UNREADABLE, "path: why"), so a count of samples counts sounds."""
    result = Gathered(skipped=list(found.skipped))
    for sample in found.samples:
        try:
            check_readable(sample.path)
        except AudioError as exc:
            result.skipped.append((UNREADABLE, str(exc)))
        else:
            result.samples.append(sample)
    return result


def _csv_data(path: Path) -> Gathered:
    """A manifest written by `data build` (its full header), taken as written, relative paths
    from its folder; any other CSV is a labels.csv, read exactly as in its folder."""
    header, rows = csv_rows(path, errors="surrogateescape")
    if not set(FIELDS) <= set(header):
        return Gathered(*labels_csv_samples(path))
    samples, skipped = [], []
    for line, row in rows:  # a hand-edited manifest is checked as a labels.csv is
        where = f"{path.name} line {line}: {row['path']}"
        label = row_label(row["label"].strip())
        file = path.parent / row["path"]
        if label is None:
            skipped.append((label_error(row["label"].strip()), f"{where} ({row['label']!r})"))
        elif not (row.get("layer") or "0").strip().isdigit():
            skipped.append(("layer is not a whole number", f"{where} ({row['layer']!r})"))
        elif not file.is_file():
            skipped.append(("file missing", where))
        else:
            layer = int(row.get("layer") or 0)
            extra = (
                row.get("instrument", ""),
                layer,
                row.get("source", ""),
                row.get("subclass", ""),
            )
            samples.append(Sample(str(file), label, row["library"], *extra))
    return Gathered(samples, skipped)


def load_data(data: str | Path) -> Gathered:
    """A user's data: a folder (see folders.py), its labels.csv, or a manifest CSV written by
    `data build`."""
    path = Path(data).expanduser()
    if path.is_dir():
        return Gathered(*folder_samples(path))
    if path.is_file() and path.suffix.lower() == ".csv":
        return _csv_data(path)
    raise FileNotFoundError(f"{data} is neither a folder of samples nor a .csv file")
