"""`drumnet label` (corrections kept in the index) and `drumnet duplicates`: no network needed."""

from __future__ import annotations

import argparse
import csv
import os
import shutil
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from drumnet.cli.common import FORMATS, FailedFiles, json_line, open_index, shown
from drumnet.cli.terminal import report_empty_folders
from drumnet.disk import DiskFull, free_bytes, full_disk_is_fatal, is_disk_full
from drumnet.errors import AudioError
from drumnet.taxonomy import CLASSES, LOOP, UNKNOWN, class_for_word
from drumnet.training.datasets.manifest import Sample, write_manifest
from drumnet.words import plural

if TYPE_CHECKING:
    from drumnet.library.duplicates import Copy
    from drumnet.library.index import Correction, Index


def cmd_duplicates(args: argparse.Namespace) -> int:
    from drumnet.library.duplicates import duplicate_groups

    report_empty_folders("duplicates", args.paths)
    failure = FailedFiles("duplicates")

    index = open_index(args)
    try:
        groups = duplicate_groups(args.paths, index, failure)
    finally:
        if index is not None:
            index.close()
    write_duplicates(groups, args.format)
    return 1 if failure.count else 0


def write_duplicates(groups: list[list[Copy]], fmt: str) -> None:
    """Each group's copies, and under each copy its other names (links to it, hard links),
    marked as the same file so that nobody deletes one thinking it is a spare copy."""
    if fmt == "csv":
        rows = csv.writer(sys.stdout, lineterminator="\n")
        rows.writerow(["group", "path", "same_file_as"])  # a group's rows share its number
        for number, group in enumerate(groups, 1):
            for copy in group:
                rows.writerow([number, copy.path, ""])
                rows.writerows([number, alias, copy.path] for alias in copy.aliases)
    elif fmt == "jsonl":
        for group in groups:
            record = {"paths": [copy.path for copy in group]}
            aliases = {alias: copy.path for copy in group for alias in copy.aliases}
            if aliases:
                record["same_file_as"] = aliases
            print(json_line(record))
    else:
        for group in groups:
            print(f"{len(group)} identical files:")
            for copy in group:
                print(f"  {shown(copy.path)}")
                for alias in copy.aliases:
                    kind = "a symbolic link" if os.path.islink(alias) else "a hard link"
                    print(f"    {shown(alias)}  (the same file: {kind})")
        if not groups:
            print("no files with identical contents")


def cmd_label(args: argparse.Namespace) -> int:
    from drumnet.audio.sound import load_sound
    from drumnet.library.index import Index

    with Index() as index:
        if args.export:
            return export_corrections(index, Path(args.export))
        if args.list:
            for c in index.corrections():
                print(json_line({"path": c.path, "label": c.label, "hash": c.hash}))
            return 0
        if args.forget:
            return forget_corrections(index, args.items)
        if len(args.items) < 2:
            raise ValueError("give one or more files and then a class: drumnet label PATH CLASS")
        *paths, word = args.items
        # `loop` too: a file of several hits that the loop detector missed (`classify` says
        # `loop` for it from then on, `organize` puts it in loop/).
        label = LOOP if word.strip().lower() == LOOP else class_for_word(word)
        if label == UNKNOWN:
            raise ValueError(f"unknown class {word!r}; choose from {', '.join([*CLASSES, LOOP])}")
        failed = 0
        for path in paths:
            try:
                load_sound(path)  # only audio drumnet can read may carry a label
                c = index.correct(path, label)
            except (AudioError, OSError) as exc:
                failed += 1
                reason = exc.reason if isinstance(exc, AudioError) else exc.strerror or exc
                print(f"drumnet label: {shown(path)}: {reason}", file=sys.stderr)
                continue
            print(f"{c.label:<8} {shown(c.path)}")
    return 1 if failed else 0


def forget_corrections(index: Index, paths: list[str]) -> int:
    """Drop the corrections of these files, so the model answers for them again."""
    if not paths:
        raise ValueError("give the files to forget: drumnet label --forget PATH...")
    failed = 0
    for path in paths:
        try:
            labels = index.forget(path)
        except OSError as exc:
            failed += 1
            print(f"drumnet label: {shown(path)}: {exc.strerror or exc}", file=sys.stderr)
            continue
        said = f"forgot {', '.join(labels)}" if labels else "had no label"
        print(f"{said:<13} {shown(path)}")
    return 1 if failed else 0


def export_corrections(index: Index, out: Path) -> int:
    """Copy each corrected sound to out/<class>/<name> + labels.csv; 1 if some were not found.

    Only the bytes that were labelled are exported: a file changed since then is not, but an
    unchanged copy of the sound elsewhere (one the index knows) is. `out` must be new or
    empty: an export never replaces a file.
    """
    if out.exists() and (not out.is_dir() or any(out.iterdir())):
        raise ValueError(f"{out} exists and is not an empty folder; export into a new one")
    corrections = [c for c in index.corrections() if c.label != LOOP]
    for c in index.corrections():
        if c.label == LOOP:  # the models learn one-shots: a loop is no training sample
            print(f"drumnet label: {shown(c.path)}: a loop, not exported", file=sys.stderr)
    samples = []
    for n, c in enumerate(corrections):
        try:
            sample = export_one(index, c, out)
        except OSError as exc:
            if not is_disk_full(exc):
                raise
            rest, free = sum(r.size for r in corrections[n:]), free_bytes(out) or 0
            done = f"exported {len(samples)} of {len(corrections)} files, labels.csv not written"
            raise DiskFull(out, rest - free if rest > free else None, done) from exc
        if sample is not None:
            samples.append(sample)
    out.mkdir(parents=True, exist_ok=True)
    with full_disk_is_fatal(out / "labels.csv"):
        write_manifest(samples, out / "labels.csv")
    print(f"exported {plural(len(samples), 'corrected file')} to {out}", file=sys.stderr)
    return 1 if len(samples) < len(corrections) else 0


def export_one(index: Index, c: Correction, out: Path) -> Sample | None:
    """Copy the labelled sound of `c` to out/<class>/; its Sample, or None (after saying why)
    when no file holds those bytes any more. A copy cut short (a full disk) is removed."""
    from drumnet.training.datasets.folders import pack_of

    source = labelled_bytes(index, c)
    if source is None:
        why = "changed since it was labelled" if os.path.lexists(c.path) else "gone"
        print(
            f"drumnet label: {shown(c.path)}: {why}, and no copy of the labelled sound is "
            "known; not exported",
            file=sys.stderr,
        )
        return None
    # Unique per sound; a name that is not UTF-8 gets U+FFFD, so labels.csv stays UTF-8.
    name = Path(c.path).name.encode(errors="surrogateescape").decode(errors="replace")
    target = out / c.label / f"{c.hash[:8]}-{name}"
    target.parent.mkdir(parents=True, exist_ok=True)
    try:
        shutil.copy2(source, target)
    except BaseException:
        target.unlink(missing_ok=True)  # `out` was empty: whatever is at target is ours
        raise
    library = pack_of(c.path)  # not a class folder: a split by library would hold out a class
    return Sample(str(target.relative_to(out)), c.label, library, source="label")


def labelled_bytes(index: Index, c: Correction) -> str | None:
    """A file that holds exactly the sound `c` labelled: its own path if unchanged, else a
    copy the index knows of; None if there is none."""
    from drumnet.library.hashing import file_hash

    for path in (c.path, *index.paths_with_hash(c.hash)):
        try:
            if os.path.isfile(path) and file_hash(path) == c.hash:
                return path
        except OSError:
            continue
    return None


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "duplicates",
        help="list files with identical contents",
        description="Group audio files with identical bytes (reuses hashes from the index). "
        "A symbolic or hard link is listed under its file as the same file, not as a copy.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH")
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--no-index", action="store_true", help="hash every file afresh")
    p.set_defaults(func=cmd_duplicates)

    p = subparsers.add_parser(
        "label",
        help="correct the class of files (kept in the index)",
        description="drumnet label PATH... CLASS records corrections that classify and "
        "organize then honour; --export DIR writes them as a labelled data set.",
    )
    p.add_argument("items", nargs="*", metavar="PATH... CLASS")
    p.add_argument("--export", metavar="DIR", help="write DIR/<class>/<file> and labels.csv")
    p.add_argument("--list", action="store_true", help="print the corrections as JSON lines")
    p.add_argument(
        "--forget", action="store_true", help="drumnet label --forget PATH...: drop corrections"
    )
    p.set_defaults(func=cmd_label)
