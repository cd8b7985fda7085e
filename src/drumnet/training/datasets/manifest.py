"""A manifest: one row per labelled sample file, the common currency of every data source."""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import unicodedata
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

FIELDS = ("path", "label", "library", "instrument", "layer", "source")  # a manifest has these
OPTIONAL_FIELDS = ("subclass",)  # written too; a manifest without them still reads


@dataclass(frozen=True)
class Sample:
    """One labelled sound file.

    library: the collection it came from (a kit, a pack); splits by library never mix them.
    source: the data source that produced it (hydrogen, lmms, drumsynth, synth, espeak, folder,
    generaluser, opl3, sonivox); splits by source hold out all of a source's libraries at once.
    subclass: a finer label where the source names one ("hihat/open", "cymbal/ride"), else "".
    """

    path: str
    label: str
    library: str
    instrument: str = ""
    layer: int = 0
    source: str = ""
    subclass: str = ""


DELIMITERS = ",;\t"  # what spreadsheets write: comma, semicolon (European Excel), tab


def write_manifest(samples: list[Sample], path: str | os.PathLike) -> Path:
    """Write samples as a CSV manifest, atomically: a failed or killed run leaves neither half a
    manifest nor its temporary file.

    A file name that is not valid UTF-8 (Linux names are bytes) is written as its own bytes
    (surrogateescape), so `read_manifest` gives back the very same path.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    try:
        with open(tmp, "w", newline="", encoding="utf-8", errors="surrogateescape") as f:
            writer = csv.DictWriter(f, fieldnames=FIELDS + OPTIONAL_FIELDS)
            writer.writeheader()
            for s in samples:
                writer.writerow(dataclasses.asdict(s))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _delimiter(first_line: str) -> str:
    """The header's delimiter among DELIMITERS (a comma when it cannot tell)."""
    try:
        return csv.Sniffer().sniff(first_line, delimiters=DELIMITERS).delimiter
    except csv.Error:
        return ","


def csv_rows(
    path: str | os.PathLike, errors: str = "strict"
) -> tuple[list[str], list[tuple[int, dict[str, str]]]]:
    """The header (names stripped and lower-cased) and the (line number, row) of each row that
    is not blank in a UTF-8 CSV file; a short row's missing cells are "".

    Accepts what spreadsheets save: a byte-order mark (Excel's "CSV UTF-8"), `Path,Label`
    headers, and semicolons or tabs instead of commas. Raises ValueError naming the file if the
    text is not UTF-8 (unless `errors` is "surrogateescape": a manifest's raw file names).
    """
    try:
        with open(path, newline="", encoding="utf-8-sig", errors=errors) as f:
            text = f.read()
    except UnicodeDecodeError as exc:
        raise ValueError(f"{path}: not UTF-8 text (byte {exc.start}: {exc.reason})") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text.split("\n")[0]))
    header = [name.strip().lower() for name in next(reader, [])]
    rows = []
    for row in reader:
        if any(cell.strip() for cell in row):
            row += [""] * (len(header) - len(row))
            rows.append((reader.line_num, dict(zip(header, row))))
    return header, rows


def read_manifest(path: str | os.PathLike) -> list[Sample]:
    """The samples of a manifest written by `write_manifest` (paths as written)."""
    _, rows = csv_rows(path, errors="surrogateescape")
    return [
        Sample(
            path=r["path"],
            label=r["label"],
            library=r["library"],
            instrument=r.get("instrument", ""),
            layer=int(r.get("layer") or 0),
            source=r.get("source", ""),
            subclass=r.get("subclass", ""),
        )
        for _, r in rows
    ]


def display_width(text: str) -> int:
    """Columns `text` takes on a terminal: wide (CJK) characters take two, combining marks none."""
    return sum(
        0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1
        for ch in text
    )


def count_table(samples: list[Sample], classes: tuple[str, ...] | None = None) -> str:
    """A plain-text table of samples per library x class, with totals."""
    counts = Counter((s.library, s.label) for s in samples)
    libraries = sorted({s.library for s in samples})
    labels = list(classes) if classes else sorted({s.label for s in samples})
    width = max([len("library")] + [display_width(lib) for lib in libraries] + [5])
    head = f"{'library':<{width}} " + " ".join(f"{c:>6}" for c in labels) + f" {'total':>6}"
    lines = [head, "-" * len(head)]
    for lib in libraries + ["total"]:
        row = [
            sum(counts[(lb, c)] for lb in libraries) if lib == "total" else counts[(lib, c)]
            for c in labels
        ]
        if lib == "total":
            lines.append("-" * len(head))
        pad = " " * (width - display_width(lib))
        lines.append(f"{lib}{pad} " + " ".join(f"{n:>6}" for n in row) + f" {sum(row):>6}")
    return "\n".join(lines)
