"""`drumnet data fetch|build|info`: get the default library, cache its tensors, describe it."""

from __future__ import annotations

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING

from drumnet.cache import cache_dir
from drumnet.cli.args import non_negative_int
from drumnet.cli.outputs import check_output
from drumnet.config import FeatureConfig
from drumnet.taxonomy import CLASSES
from drumnet.training.datasets.debian import FetchError
from drumnet.training.datasets.manifest import FIELDS, count_table, csv_rows, write_manifest
from drumnet.words import plural

if TYPE_CHECKING:
    from drumnet.training.datasets.default import Gathered


def _gather(args: argparse.Namespace) -> Gathered:
    from drumnet.training.datasets.default import gather, load_data
    from drumnet.training.datasets.sources import parse_sources

    if getattr(args, "data", None):
        return load_data(args.data)
    return gather(parse_sources(args.sources))


def _print_summary(found: Gathered, show_skipped: int = 0) -> None:
    labels = {s.label for s in found.samples}
    classes = tuple(c for c in CLASSES if c in labels) + tuple(sorted(labels - set(CLASSES)))
    print(count_table(found.samples, classes) if found.samples else "no labelled samples")
    subclasses = Counter(s.subclass for s in found.samples if s.subclass)
    if subclasses:  # finer labels some sources name (GM kits: open, closed and pedal hats...)
        print("\nsub-labels: " + ", ".join(f"{k} {n}" for k, n in sorted(subclasses.items())))
    if found.skipped:
        print(f"\nleft out ({len(found.skipped)}):")
        for reason, n in found.skip_counts().most_common():
            print(f"  {n:5d}  {reason}")
            examples = [what for r, what in found.skipped if r == reason][:show_skipped]
            for what in examples:
                print(f"         e.g. {what}")


def _run(handler, args: argparse.Namespace) -> int:
    try:
        return handler(args)
    except FetchError as exc:
        print(f"drumnet data: error: {exc}", file=sys.stderr)
        return 1


def fetch(args: argparse.Namespace) -> int:
    from drumnet.training.datasets.default import Gathered, gather
    from drumnet.training.datasets.soundfont_sources import UNAVAILABLE
    from drumnet.training.datasets.sources import parse_sources

    names = parse_sources(args.sources)
    status = 0
    for name in names:
        try:
            found = gather((name,))
        except FetchError as exc:  # one source that cannot be had never stops the others
            found = Gathered(skipped=[(UNAVAILABLE, f"{name}: {exc}")])
        unavailable = [what for reason, what in found.skipped if reason == UNAVAILABLE]
        if unavailable and not found.samples:
            why = unavailable[0].removeprefix(f"{name}: ")
            print(f"{name}: skipped, cannot be fetched or read ({why})", file=sys.stderr)
            status = 1
            continue
        print(f"{name}: {plural(len(found.samples), 'sample')}, {len(found.skipped)} left out")
        if not found.samples:
            status = 1
            for reason, what in found.skipped[:3]:
                print(f"  {reason}: {what}", file=sys.stderr)
    return status


def _is_manifest(path: Path) -> bool:
    """Whether `path` is a manifest `data build` wrote (its full header), so may be rebuilt."""
    try:
        header, _ = csv_rows(path, errors="surrogateescape")
    except (OSError, UnicodeDecodeError, ValueError, csv.Error):
        return False
    return set(FIELDS) <= set(header)


def _check_manifest_path(args: argparse.Namespace) -> None:
    """Refuse, before any work, a --manifest that would replace a file drumnet did not write."""
    path = args.manifest
    inputs = [args.data] if args.data and args.data.is_file() else []
    if args.data and args.data.is_dir() and (args.data / "labels.csv").exists():
        inputs.append(args.data / "labels.csv")

    def csv_name(p: Path) -> None:
        if p.suffix.lower() != ".csv":
            raise ValueError(f"{p}: a manifest is a CSV file; name it *.csv")

    replace = args.overwrite or path.is_file() and _is_manifest(path)
    check_output(path, csv_name, inputs, replace, "choose another --manifest", make_folder=True)


def build(args: argparse.Namespace) -> int:
    from drumnet.training.datasets.tensors import build_tensors

    if args.manifest:
        _check_manifest_path(args)
    found = _gather(args)
    if not found.samples:
        print("drumnet data build: no labelled samples found", file=sys.stderr)
        return 1
    manifest = write_manifest(found.samples, args.manifest or cache_dir() / "manifest.csv")
    tensors = build_tensors(
        found.samples, FeatureConfig(), workers=args.workers, progress=not args.quiet
    )
    _print_summary(found)
    state = "reused" if tensors.from_cache else "built"
    print(f"\nmanifest: {manifest} ({len(found.samples)} rows)")
    print(f"tensors:  {tensors.folder} ({state}; {len(tensors)} decoded)")
    for line in tensors.errors:
        print(f"  failed: {line}", file=sys.stderr)
    return 1 if tensors.errors else 0


def info(args: argparse.Namespace) -> int:
    from drumnet.training.datasets.default import readable

    _print_summary(readable(_gather(args)), show_skipped=args.examples)
    return 0


def register(subparsers) -> None:
    from drumnet.training.datasets.sources import SOURCES

    parser = subparsers.add_parser("data", help="fetch, build and describe training data")
    sub = parser.add_subparsers(dest="data_command", metavar="ACTION", required=True)
    sources_help = f"comma-separated data sources ({', '.join(SOURCES)}); default hydrogen"
    data_help = "a folder of samples or a manifest CSV, instead of the default sources"

    p = sub.add_parser("fetch", help="download the default data sources into the cache")
    p.add_argument("--sources", default=None, help=sources_help)
    p.set_defaults(func=lambda a: _run(fetch, a))

    p = sub.add_parser("build", help="write the manifest and the tensor cache")
    p.add_argument("--data", type=Path, default=None, help=data_help)
    p.add_argument("--sources", default=None, help=sources_help)
    p.add_argument(
        "--manifest",
        type=Path,
        default=None,
        help="where to write the manifest CSV (an earlier manifest there is rebuilt; any other "
        "file only with --overwrite)",
    )
    p.add_argument("--overwrite", action="store_true", help="replace a --manifest file")
    workers_help = "parallel decoders (default 2; 0 or 1: one at a time)"
    p.add_argument("--workers", type=non_negative_int, default=2, help=workers_help)
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(func=lambda a: _run(build, a))

    p = sub.add_parser(
        "info", help="samples per library and class, and what was left out (unreadable files too)"
    )
    p.add_argument("--data", type=Path, default=None, help=data_help)
    p.add_argument("--sources", default=None, help=sources_help)
    p.add_argument(
        "--examples", type=non_negative_int, default=2, help="examples per left-out reason"
    )
    p.set_defaults(func=lambda a: _run(info, a))
