"""`drumnet similar QUERY PATH...`: the files under PATHs that sound most like QUERY.

Results go to stdout (rank, similarity, label, path), one line per failed file to stderr, like
`drumnet classify`. Formats: `table` (default on a terminal), `jsonl` (default otherwise:
`{rank, path, similarity, label}` per match), `csv`.
"""

from __future__ import annotations

import argparse
import csv
import sys
from collections.abc import Iterable, Iterator
from contextlib import closing
from typing import TYPE_CHECKING

from drumnet.cli.args import positive_int
from drumnet.cli.common import (
    FORMATS,
    add_model_options,
    json_line,
    load_cli_model,
    open_index,
    output_format,
    report_error,
    require_some_path,
    shown,
)
from drumnet.cli.outputs import reader_left
from drumnet.cli.terminal import progress, report_empty_folders
from drumnet.taxonomy import CLASSES, LOOP, parse_classes
from drumnet.words import plural

if TYPE_CHECKING:
    from drumnet.library.embed import Embedded
    from drumnet.library.similar import Match

DEFAULT_TOP = 10


def write_matches(matches: list[Match], fmt: str) -> None:
    if fmt == "jsonl":
        for m in matches:
            print(json_line(m.to_record()))
    elif fmt == "csv":
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(["rank", "similarity", "label", "path", "copies"])  # copies: how many
        out.writerows(
            [m.rank, f"{m.similarity:.3f}", m.label, m.path, len(m.copies)] for m in matches
        )
    else:
        for m in matches:
            same = f"  (+{len(m.copies)} with the same bytes)" if m.copies else ""
            print(f"{m.rank:>3}  {m.similarity:6.3f}  {m.label:<8} {shown(m.path)}{same}")


class _Failures:
    """Passes embedded files on; reports each failed one on stderr and counts it. A silent
    file is no failure (classify answers it, `unsure`): it is counted apart, as left out."""

    def __init__(self):
        self.count = 0
        self.silent = 0

    def report(self, items: Iterable[Embedded]) -> Iterator[Embedded]:
        from drumnet.library.embed import SILENT

        for item in items:
            if item.error == SILENT:
                self.silent += 1
            elif not item.ok:
                self.count += 1
                report_error(item, "similar")
            yield item


def cmd_similar(args: argparse.Namespace) -> int:
    from drumnet.library.embed import embed_paths, embed_query
    from drumnet.library.similar import nearest

    classes = parse_classes(args.classes, (*CLASSES, LOOP))  # a loop's label is `loop`
    fmt = output_format(args)
    require_some_path(args.paths)
    model = load_cli_model(args, "similar")
    if model is None:
        return 2
    # A class this model does not know is a usage error.
    model.class_indices([c for c in classes or () if c != LOOP] or None)
    report_empty_folders("similar", args.paths)
    index = open_index(args)
    failures = _Failures()
    try:
        sound = not args.network_only
        query = embed_query(args.query, model, index, with_descriptors=sound)
        found = embed_paths(
            args.paths, model, args.workers, args.batch_size, index, args.threads, sound
        )
        if index is not None and sound and not args.no_adapt:  # (adapts on the joined kind)
            from drumnet.library.corrected import adapt_embedded

            found = adapt_embedded(found, model, index)
        with closing(found):  # stops the workers even on Ctrl-C, before the index closes
            matches = nearest(
                query, failures.report(progress(found, args.paths)), args.top, classes
            )
        write_matches(matches, fmt)
        if failures.silent:
            silent = plural(failures.silent, "silent file")
            print(f"drumnet similar: left out {silent}", file=sys.stderr)
        if not matches:
            print(
                "drumnet similar: nothing to rank: no other audio file"
                + (" of those classes" if classes else "")
                + " was found under the PATHs (the query and its copies are left out)",
                file=sys.stderr,
            )
        sys.stdout.flush()
    except BrokenPipeError:  # `drumnet similar q.wav . | head`: the reader left
        reader_left()
        return 1
    finally:
        if index is not None:
            index.close()
    return 1 if failures.count else 0


def register(subparsers) -> None:
    from drumnet.config import DEFAULT_BATCH_SIZE

    p = subparsers.add_parser(
        "similar",
        help="find the files that sound most like one",
        description="Rank the audio files under PATHs by how similar they sound to QUERY "
        "(cosine of the network's penultimate features joined with classical sound "
        "descriptors; cached in the library index). "
        "Exit status: 0 all files compared, 1 some files failed (each reported on stderr), "
        "2 usage error.",
    )
    p.add_argument("query", metavar="QUERY", help="the audio file to find sounds like")
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders (recursive)")
    p.add_argument(
        "--top", type=positive_int, default=DEFAULT_TOP, metavar="N", help="matches to list"
    )
    p.add_argument("--classes", help="only files heard as one of these, e.g. kick,snare")
    p.add_argument("--format", choices=FORMATS, help="table on a terminal, else jsonl")
    p.add_argument(
        "--network-only",
        action="store_true",
        help="rank by the network's features alone: more of the query's class among other "
        "drums, fewer of its own drum's other layers (BENCHMARKS.md)",
    )
    add_model_options(p)
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help=argparse.SUPPRESS)
    p.set_defaults(func=cmd_similar)
