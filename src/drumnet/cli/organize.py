"""`drumnet organize SRC DEST` and `drumnet organize --undo MANIFEST`."""

from __future__ import annotations

import argparse
import os
import sys
from collections import Counter

from drumnet.cli.common import (
    add_decision_options,
    load_cli_model,
    open_index,
    report_error,
    shown,
)
from drumnet.cli.engine import add_engine_options, make_engine
from drumnet.cli.terminal import progress, report_empty_folders
from drumnet.taxonomy import parse_classes
from drumnet.words import plural

# The ways `organize` places a file (drumnet.library.organize.MODES; a test keeps them equal).
MODES = ("copy", "hardlink", "symlink")


def cmd_organize(args: argparse.Namespace) -> int:
    if args.undo:
        if args.src or args.dest:
            raise ValueError("--undo takes only manifests: drumnet organize --undo MANIFEST...")
        missing = [m for m in args.undo if not os.path.lexists(m)]
        if missing:
            raise ValueError(f"{missing[0]}: no such manifest")
        manifests = {os.path.realpath(m): m for m in args.undo}.values()  # each once
        ordered = sorted(manifests, key=os.path.getmtime, reverse=True)
        return max(cmd_undo(m, args.dry_run) for m in ordered)
    if not (args.src and args.dest):
        raise ValueError("give SRC and DEST (or --undo MANIFEST)")
    from drumnet.inference.pipeline import classify_paths
    from drumnet.library.organize import Organizer

    report_empty_folders("organize", [args.src])
    classes = parse_classes(args.classes)
    organizer = Organizer(args.src, args.dest, args.mode, args.dry_run, args.flat)
    engine = make_engine(args)
    model = load_cli_model(args, "organize")
    if model is None:
        return 2
    index = open_index(args)
    counts: Counter = Counter()  # label -> files placed
    outcomes: Counter = Counter()  # Placement.outcome -> files
    placements = None
    try:
        placements = organizer.run(
            classify_paths(
                [args.src],
                model,
                classes,
                args.min_confidence,
                args.workers,
                index=index,
                threads=args.threads,
                loops=not args.no_loops,
                adapt=not args.no_adapt,
                engine=engine,
            )
        )
        for placement in progress(placements, [args.src]):
            r = placement.result
            outcomes[placement.outcome] += 1
            if placement.outcome in ("unreadable", "unplaced"):
                report_error(r, "organize")
            elif placement.outcome == "placed":
                counts[r.label] += 1
                if args.verbose or args.dry_run:
                    print(f"{r.label:<8} {shown(r.path)} -> {shown(placement.dest)}")
    finally:
        if placements is not None:
            placements.close()  # closes the manifest, stops the workers, commits results
        if index is not None:
            index.close()
    verb = "would place" if args.dry_run else f"placed ({args.mode})"
    summary = ", ".join(f"{label} {n}" for label, n in sorted(counts.items()))
    print(f"{verb} {plural(sum(counts.values()), 'file')} in {args.dest}: {summary or 'none'}")
    if outcomes["present"]:
        print(
            f"{plural(outcomes['present'], 'file')} already in DEST (placed before, also where "
            "you renamed, moved or edited them since): left as is"
        )
    if outcomes["skipped"]:
        print(f"skipped {plural(outcomes['skipped'], 'file')} of SRC that lie inside DEST")
    print_failures(outcomes)
    if organizer.manifest_path:
        print(f"manifest (for --undo): {organizer.manifest_path}")
    return 1 if outcomes["unreadable"] or outcomes["unplaced"] else 0


def print_failures(outcomes: Counter) -> None:
    """One stderr line per kind of failure: reading (or classifying) and placing."""
    for outcome, what in (
        ("unreadable", "could not be read or classified, so not placed"),
        ("unplaced", "could not be placed in DEST"),
    ):
        if outcomes[outcome]:
            print(f"{plural(outcomes[outcome], 'file')} {what}", file=sys.stderr)


def cmd_undo(manifest: str, dry_run: bool = False) -> int:
    from drumnet.library.undo import undo

    report = undo(manifest, dry_run=dry_run)
    if dry_run:
        for path in report.removed:
            print(f"would remove {shown(path)}")
    if report.moved_from:
        print(
            f"drumnet organize: DEST was moved or renamed since ({shown(report.moved_from)} is "
            f"gone): undoing in {shown(os.path.dirname(os.path.abspath(manifest)))}",
            file=sys.stderr,
        )
    for path in report.kept:
        print(f"drumnet organize: kept {shown(path)}: changed since it was placed", file=sys.stderr)
    for path in report.sole:
        print(
            f"drumnet organize: kept {shown(path)}: the file it was made from is gone or "
            "changed, so it may be the only one left",
            file=sys.stderr,
        )
    if report.unfound:
        print(
            f"drumnet organize: {shown(manifest)}: none of the files it placed was found in "
            "the folder it lies in now; the manifest is kept",
            file=sys.stderr,
        )
    for path, why in report.failed:
        print(f"drumnet organize: could not remove {shown(path)}: {why}", file=sys.stderr)
    if report.damaged:
        print(
            f"drumnet organize: {shown(manifest)}: {plural(report.damaged, 'line')} could not be read "
            "(a run killed while writing, or damage since); the files they recorded, if any, "
            "are left in DEST, and the manifest is kept",
            file=sys.stderr,
        )
    verb = "would remove" if dry_run else "removed"
    parts = [
        f"{verb} {plural(len(report.removed), 'file')} and {plural(len(report.removed_dirs), 'folder')}"
    ]
    parts.append(f"kept {plural(len(report.kept), 'changed file')}")
    if report.sole:
        parts.append(f"kept {plural(len(report.sole), 'file')} whose original is gone or changed")
    parts.append(f"{len(report.missing)} already gone")
    if report.later:
        parts.append(
            f"{plural(len(report.later), 'file')} placed again by a later run, left to its undo"
        )
    if report.failed:
        parts.append(f"{len(report.failed)} could not be removed")
    print("; ".join(parts))
    return (
        1 if report.kept or report.sole or report.failed or report.damaged or report.unfound else 0
    )


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "organize",
        help="sort a library into DEST/<class>/ (never changes SRC; undoable)",
        description="Classify SRC and place its files under DEST/<class>/<path in SRC>. "
        "Nothing is overwritten (taken names get ' (2)'); files that fail to decode are "
        "reported and not placed. Every action goes to DEST/drumnet-manifest-<time>.jsonl; "
        "--undo MANIFEST removes what is still unchanged.",
    )
    p.add_argument("src", nargs="?", metavar="SRC")
    p.add_argument("dest", nargs="?", metavar="DEST")
    p.add_argument("--mode", choices=MODES, default="copy", help="default: copy")
    p.add_argument(
        "--dry-run",
        action="store_true",
        help="print the plan, create nothing (with --undo: what undo would remove, removing nothing)",
    )
    p.add_argument("--flat", action="store_true", help="DEST/<class>/<name>, no sub-folders")
    p.add_argument(
        "--undo",
        nargs="+",
        metavar="MANIFEST",
        help="undo earlier organize runs, in any order (several at once: newest first)",
    )
    p.add_argument("-v", "--verbose", action="store_true", help="print every placement")
    add_decision_options(p)
    add_engine_options(p)
    p.set_defaults(func=cmd_organize)
