"""A user's folder of samples as a data set: a `labels.csv`, or classes read from the tree.

With `labels.csv` at the root (columns path,label[,library]; paths relative to the root) the
labels are taken as given. Otherwise an audio file's class is said by the innermost folder whose
name is a class (`Kicks`, `BD`, `HH`, `Snare Drums`: taxonomy.class_for_folder), else by its
file name (`808/kick_01.wav`). Its library is the first folder under the root that is not a
class folder, so splitting by library never puts one pack on both sides.
"""

from __future__ import annotations

from pathlib import Path

from drumnet.audio import is_audio_path
from drumnet.datasets.manifest import Sample, csv_rows
from drumnet.taxonomy import CLASSES, UNKNOWN, class_for_folder, class_for_path

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


def _from_labels_csv(root: Path) -> tuple[list[Sample], list[Skip]]:
    samples: list[Sample] = []
    skipped: list[Skip] = []
    fieldnames, rows = csv_rows(root / LABELS_FILE)
    if not {"path", "label"} <= set(fieldnames):
        raise ValueError(f"{root / LABELS_FILE} needs the columns path,label[,library]")
    for line, row in enumerate(rows, start=2):
        relative, label = Path((row["path"] or "").strip()), (row["label"] or "").strip().lower()
        where = f"{LABELS_FILE} line {line}: {relative}"
        if label not in CLASSES:
            skipped.append((f"label not one of {', '.join(CLASSES)}", f"{where} ({label!r})"))
            continue
        path = (root / relative).resolve()
        if not path.is_file():
            skipped.append(("file missing", where))
            continue
        library = (row.get("library") or "").strip() or _library_for(root, relative)
        samples.append(Sample(str(path), label, library, relative.stem, 0, "folder"))
    return samples, skipped


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


def folder_samples(root: str | Path) -> tuple[list[Sample], list[Skip]]:
    """Labelled samples under `root`, and (reason, file) for each audio file left out.

    Raises FileNotFoundError when root is not a folder, ValueError for a malformed labels.csv.
    """
    root = Path(root).expanduser()
    if not root.is_dir():
        raise FileNotFoundError(f"{root} is not a folder")
    if (root / LABELS_FILE).is_file():
        return _from_labels_csv(root)
    return _from_tree(root)
