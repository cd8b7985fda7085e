"""`drumnet kit PATH... --out DIR`: a drum kit for a sampler from a library (SFZ, Hydrogen).

One line per pad on stdout (pad, key, the copied file, the original), then the kit files; one
line per file that could not be read on stderr. Exit status: 0 written, 1 written but some
files failed (or the kit could not be written: why, in one line), 2 usage error.
"""

from __future__ import annotations

import argparse
import os
import sys


def cmd_kit(args: argparse.Namespace) -> int:
    from drumnet.library.kit import PAD_BY_NAME, parse_picks
    from drumnet.library.kit_export import KitError, export_kit, parse_formats

    picks = parse_picks(args.pick or [])
    formats = parse_formats(args.format)
    if not args.paths and not picks:
        raise ValueError("give folders to choose from, or --pick PAD=FILE for every pad")
    for pad, path in picks.items():
        if not os.path.isfile(path):
            raise FileNotFoundError(f"--pick {pad}={path}: no such file")
    missing = [p for p in args.paths if not os.path.lexists(p)]
    if missing:
        raise FileNotFoundError(f"no such file or folder: {', '.join(missing)}")
    failed = 0
    kit = {pad: path for pad, path in picks.items()}
    if args.paths:
        found = suggest_from(args, picks)
        if found is None:
            return 2  # the model could not be loaded: said on stderr
        suggested, failed = found
        kit |= {pad: c.path for pad, c in suggested.items() if pad not in picks}
    try:
        done = export_kit(kit, args.out, formats, args.name)
    except KitError as exc:
        print(f"drumnet kit: {exc}", file=sys.stderr)
        return 1
    for pad, sample in done.samples.items():
        key = PAD_BY_NAME[pad].key
        print(f"{pad:<10} {key:>3}  {sample}  <- {shown(done.sources[pad])}")
    empty = [pad for pad in PAD_BY_NAME if pad not in done.samples]
    if empty:
        print(f"no sound for: {', '.join(empty)}")
    for path in done.kit_files:
        print(f"wrote {shown(str(path))}")
    return 1 if failed else 0


def suggest_from(args: argparse.Namespace, picks: dict[str, str]) -> tuple[dict, int] | None:
    """Classify PATHs and suggest the pads `picks` leaves free: (suggestion, files failed), or
    None when the model cannot be loaded."""
    from drumnet.cli.common import load_cli_model, open_index, report_error
    from drumnet.inference.decision import Result
    from drumnet.library.kit import Candidate, find_candidates, suggest_kit

    model = load_cli_model(args, "kit")
    if model is None:
        return None
    failed = 0

    def on_error(path: str, reason: str) -> None:
        nonlocal failed
        failed += 1
        report_error(Result(path, error=reason), "kit")

    index = open_index(args)
    try:
        found = find_candidates(args.paths, model, index, args.workers, args.threads, on_error)
    finally:
        if index is not None:
            index.close()
    fixed = {pad: Candidate(path, "", 1.0) for pad, path in picks.items()}
    return suggest_kit(found, fixed), failed


def shown(path: str) -> str:
    from drumnet.cli.common import shown as escape

    return escape(path)


def register(subparsers) -> None:
    from drumnet.cli.common import add_model_options
    from drumnet.library.kit import PADS

    p = subparsers.add_parser(
        "kit",
        help="build a drum kit (SFZ, Hydrogen) from a library",
        description="Choose a sound per pad from the files under PATHs (the most confident of "
        "each class, preferring one pack and sounds that sit close together), copy them into "
        "DIR and write an SFZ file and a Hydrogen drumkit.xml on General MIDI keys. The "
        "originals are only read; nothing in DIR is overwritten. Pads: "
        + ", ".join(f"{pad.name} ({pad.key})" for pad in PADS)
        + ".",
    )
    p.add_argument("paths", nargs="*", metavar="PATH", help="files and folders to choose from")
    p.add_argument("--out", required=True, metavar="DIR", help="the kit's folder (made if new)")
    p.add_argument("--format", default="sfz,hydrogen", help="sfz, hydrogen or both (default)")
    p.add_argument(
        "--pick",
        action="append",
        metavar="PAD=FILE",
        help="put FILE on PAD (repeatable); the other pads are suggested from PATHs",
    )
    p.add_argument("--name", default="drumnet kit", help="the kit's name")
    add_model_options(p)
    p.set_defaults(func=cmd_kit)
