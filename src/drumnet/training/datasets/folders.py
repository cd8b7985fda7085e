"""A user's folder of samples as a data set: a `labels.csv`, or classes read from the tree.

With `labels.csv` at the root (columns path,label[,library]; paths relative to the root) the
labels are taken as given, through the taxonomy's aliases (`BD` -> kick). Otherwise an audio
file's class is said by the innermost folder whose name is a class (`Kicks`, `BD`, `HH`,
`Snare Drums`: taxonomy.class_for_folder), else by its file name (`808/kick_01.wav`). Its
library is the first folder under the root that is not a class folder, so splitting by library
never puts one pack on both sides.
"""

from __future__ import annotations

import os
from pathlib import Path

from drumnet.audio.decode import is_audio_path
from drumnet.taxonomy import CLASSES, UNKNOWN, class_for_folder, class_for_path, class_for_word
from drumnet.training.datasets.manifest import Sample, csv_rows

LABELS_FILE = "labels.csv"

Skip = tuple[str, str]


def _library_for(root: Path, relative: Path) -> str:
    """The first folder under root that is not a class folder (`Kick/808/x.wav` -> 808), else
    root's own name: class folders are not libraries, or a split by library would hold out
    whole classes."""
    for folder in relative.parts[:-1]:
        if class_for_folder(folder) == UNKNOWN:
            return folder
    return root.name


def pack_of(path: str | os.PathLike) -> str:
    """The innermost folder above a file that is not a class folder (`808 Kit/Kicks/x.wav` ->
    808 Kit): the pack a sound came from, wherever it lies ('' at the file system's root)."""
    for folder in reversed(Path(path).parent.parts):
        if folder != os.sep and class_for_folder(folder) == UNKNOWN:
            return folder
    return ""


def _inside(root: Path, text: str) -> Path | None:
    """The path of a row, relative to root (an absolute path must lie in root), or None when
    it leaves root (`../x.wav`, `/elsewhere/x.wav`). Checked on the names, not the resolved
    files, so a symbolic link inside root may point anywhere, as in a tree."""
    top = Path(os.path.normpath(root.absolute()))
    path = Path(os.path.normpath(top / text))
    return path.relative_to(top) if path.is_relative_to(top) and path != top else None


def row_label(text: str) -> str | None:
    """A row's label as a class (`Kick`, `BD`, `Kick Drum` -> kick; `Hi-Hat` -> hihat), or
    None when it names none. Words a class folder's name may carry are read as there."""
    label = class_for_word(text)
    if label == UNKNOWN:
        label = class_for_path((text,))
    return None if label == UNKNOWN else label


def label_error(label: str) -> str:
    if not label:  # `a.wav;kick` in a comma-separated file reads as one column
        return "no label (columns must be separated like the header's: , or ; or tab)"
    return f"label not one of {', '.join(CLASSES)}"


CONFLICT = "labelled differently by another row (both left out)"
TWICE = "listed twice (the first row is kept)"


def _drop_conflicts(entries: dict[str, tuple[str, Sample]], conflicts: dict[str, list[str]]):
    """The samples of files no two rows label differently, and a skip for every row of a file
    that some do."""
    samples, skipped = [], []
    for path, (where, sample) in entries.items():
        if path in conflicts:
            skipped += [(CONFLICT, w) for w in [f"{where} ({sample.label})", *conflicts[path]]]
        else:
            samples.append(sample)
    return samples, skipped


def _from_labels_csv(csv_path: Path) -> tuple[list[Sample], list[Skip]]:
    """The rows of a labels.csv, paths relative to its folder. A row that names no class, a
    missing file or one outside the folder, or a second row for a file is left out (reason,
    where); a file two rows label differently is left out whole, as nobody can tell which is
    right."""
    root = csv_path.parent
    fieldnames, rows = csv_rows(csv_path)
    if not {"path", "label"} <= set(fieldnames):
        raise ValueError(
            f"{csv_path} needs the columns path,label[,library] (separated by , or ; or tab); "
            f"its first line has {', '.join(fieldnames) or 'nothing'}"
        )
    entries: dict[str, tuple[str, Sample]] = {}
    conflicts: dict[str, list[str]] = {}
    skipped: list[Skip] = []
    for line, row in rows:
        text, raw_label = row["path"].strip(), row["label"].strip()
        where = f"{LABELS_FILE} line {line}: {text}"
        label = row_label(raw_label)
        relative = _inside(root, text)
        path = (root / relative).resolve() if relative is not None else None
        if label is None:
            skipped.append((label_error(raw_label), f"{where} ({raw_label!r})"))
        elif path is None:
            skipped.append((f"outside the folder of {LABELS_FILE}", where))
        elif not path.is_file():
            skipped.append(("file missing", where))
        elif str(path) in entries:
            first_where, first = entries[str(path)]
            if first.label == label:
                skipped.append((TWICE, f"{where} (first: {first_where.split(':')[0]})"))
            else:
                conflicts.setdefault(str(path), []).append(f"{where} ({label})")
        else:
            library = row.get("library", "").strip() or _library_for(root, relative)
            sample = Sample(str(path), label, library, relative.stem, 0, "folder")
            entries[str(path)] = (where, sample)
    samples, more = _drop_conflicts(entries, conflicts)
    return samples, skipped + more


def _from_tree(root: Path) -> tuple[list[Sample], list[Skip]]:
    samples: list[Sample] = []
    skipped: list[Skip] = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        relative = path.relative_to(root)
        if not is_audio_path(path):
            continue
        label = class_for_path(relative.parts)
        if label == UNKNOWN:
            skipped.append(("neither file nor folder names say a class", str(relative)))
            continue
        library = _library_for(root, relative)
        samples.append(Sample(str(path.resolve()), label, library, path.stem, 0, "folder"))
    return samples, skipped


def labels_csv_samples(csv_path: str | Path) -> tuple[list[Sample], list[Skip]]:
    """Labelled samples listed by a labels.csv (paths relative to its folder), and (reason,
    row) for each row left out. Raises ValueError for a file without path and label columns."""
    return _from_labels_csv(Path(csv_path).expanduser())


def folder_samples(root: str | Path) -> tuple[list[Sample], list[Skip]]:
    """Labelled samples under `root`, and (reason, file) for each audio file left out.

    Raises FileNotFoundError when root is not a folder, ValueError for a malformed labels.csv.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    if (root / LABELS_FILE).is_file():
        return _from_labels_csv(root / LABELS_FILE)
    return _from_tree(root)
