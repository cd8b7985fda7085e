"""`drumnet review PATH...`: the files whose correction would teach drumnet most.

Suggestions go to stdout, most useful first; one line per file that cannot be read to stderr.
Formats: `table` (default on a terminal), `jsonl` (default otherwise: `{rank, path, label,
confidence, reason, similar_files}` per file), `csv` (the same fields).
"""

from __future__ import annotations

import argparse
import csv
import sys

from drumnet.cli.args import positive_int
from drumnet.cli.common import (
    FORMATS,
    FailedFiles,
    add_model_options,
    json_line,
    load_cli_model,
    open_index,
    output_format,
    require_some_path,
    shown,
)
from drumnet.cli.outputs import reader_left

DEFAULT_TOP = 20
FIELDS = ("rank", "path", "label", "confidence", "reason", "similar_files")


def write_suggestions(suggestions: list, fmt: str) -> None:
    """Suggestions (library.review.Suggestion) to stdout in one of FORMATS."""
    if fmt == "jsonl":
        for s in suggestions:
            print(json_line(s.to_record()))
    elif fmt == "csv":
        out = csv.writer(sys.stdout, lineterminator="\n")
        out.writerow(FIELDS)
        out.writerows([s.to_record()[f] for f in FIELDS] for s in suggestions)
    else:
        for s in suggestions:
            print(f"{s.rank:>3}  {s.label:<8} {s.confidence:6.1%}  {shown(s.path)}  ({s.reason})")


def cmd_review(args: argparse.Namespace) -> int:
    from drumnet.library.review import review

    fmt = output_format(args)
    require_some_path(args.paths)
    model = load_cli_model(args, "review")
    if model is None:
        return 2
    failure = FailedFiles("review")

    index = open_index(args)
    try:
        suggestions = review(
            args.paths, model, index, args.top, not args.no_adapt, args.workers, args.threads,
            failure,
        )  # fmt: skip
    finally:
        if index is not None:
            index.close()
    try:
        write_suggestions(suggestions, fmt)
        if not suggestions:
            print(
                "drumnet review: nothing to suggest: no file under the PATHs is left to correct",
                file=sys.stderr,
            )
        sys.stdout.flush()
    except BrokenPipeError:  # `drumnet review . | head`: the reader left
        reader_left()
        return 1
    return 1 if failure.count else 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "review",
        help="the files whose correction would teach drumnet most",
        description="List the N files under PATHs most worth correcting (drumnet label "
        "PATH CLASS): doubtful answers, one from each kind of sound in the library, most "
        "useful first. After corrections, classify, organize and similar answer the files "
        "like them too. Exit status: 0 ok, 1 some files could not be read (each reported on "
        "stderr), 2 usage error.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders (recursive)")
    p.add_argument(
        "--top", type=positive_int, default=DEFAULT_TOP, metavar="N", help="files to list"
    )
    p.add_argument("--format", choices=FORMATS, help="table on a terminal, else jsonl")
    add_model_options(p)
    p.set_defaults(func=cmd_review)
