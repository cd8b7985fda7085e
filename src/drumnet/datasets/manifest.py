"""A manifest: one row per labelled sample file, the common currency of every data source."""

from __future__ import annotations

import csv
import dataclasses
import os
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

FIELDS = ("path", "label", "library", "instrument", "layer", "source")


@dataclass(frozen=True)
class Sample:
    """One labelled sound file.

    library: the collection it came from (a kit, a pack); splits by library never mix them.
    source: the data source that produced it (hydrogen, lmms, drumsynth, synth, espeak, folder).
    """

    path: str
    label: str
    library: str
    instrument: str = ""
    layer: int = 0
    source: str = ""


def write_manifest(samples: list[Sample], path: str | os.PathLike) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    with open(tmp, "w", newline="", encoding="utf-8") as f:
        writer = csv.DictWriter(f, fieldnames=FIELDS)
        writer.writeheader()
        for s in samples:
            writer.writerow(dataclasses.asdict(s))
    os.replace(tmp, path)  # atomic: a killed run never leaves half a manifest
    return path


def csv_rows(path: str | os.PathLike) -> tuple[list[str], list[dict[str, str]]]:
    """The header and rows of a UTF-8 CSV file. Raises ValueError naming the file if the
    text is not UTF-8."""
    try:
        with open(path, newline="", encoding="utf-8") as f:
            reader = csv.DictReader(f)
            return list(reader.fieldnames or ()), list(reader)
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None


def read_manifest(path: str | os.PathLike) -> list[Sample]:
    _, rows = csv_rows(path)
    return [
        Sample(
            path=r["path"],
            label=r["label"],
            library=r["library"],
            instrument=r.get("instrument", ""),
            layer=int(r.get("layer") or 0),
            source=r.get("source", ""),
        )
        for r in rows
    ]


def count_table(samples: list[Sample], classes: tuple[str, ...] | None = None) -> str:
    """A plain-text table of samples per library x class, with totals."""
    counts = Counter((s.library, s.label) for s in samples)
    libraries = sorted({s.library for s in samples})
    labels = list(classes) if classes else sorted({s.label for s in samples})
    width = max([len("library")] + [len(lib) for lib in libraries] + [5])
    head = f"{'library':<{width}} " + " ".join(f"{c:>6}" for c in labels) + f" {'total':>6}"
    lines = [head, "-" * len(head)]
    for lib in libraries + ["total"]:
        row = [
            sum(counts[(lb, c)] for lb in libraries) if lib == "total" else counts[(lib, c)]
            for c in labels
        ]
        if lib == "total":
            lines.append("-" * len(head))
        lines.append(f"{lib:<{width}} " + " ".join(f"{n:>6}" for n in row) + f" {sum(row):>6}")
    return "\n".join(lines)
