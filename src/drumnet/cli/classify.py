"""`drumnet classify`: a thin wrapper over `drumnet.inference.pipeline.classify_paths`.

Output goes to stdout (results only); progress and one line per failed file go to stderr.
Formats: `table` (default on a terminal), `jsonl` (default otherwise), `csv`; docs/output.md
lists the fields.
"""

from __future__ import annotations

import argparse
import csv
import sys
from typing import TYPE_CHECKING

from drumnet.cli.common import (
    FORMATS,
    add_decision_options,
    json_line,
    load_cli_model,
    open_index,
    output_format,
    report_error,
    shown,
)
from drumnet.cli.engine import add_engine_options, make_engine
from drumnet.cli.outputs import reader_left
from drumnet.cli.terminal import CurrentStdout, progress, report_empty_folders
from drumnet.config import DEFAULT_BATCH_SIZE
from drumnet.taxonomy import LOOP, UNSURE, parse_classes
from drumnet.words import plural

if TYPE_CHECKING:
    from drumnet.inference.decision import Result


def silent_note() -> str:
    """The table's words for the `silent` warning: only so much of a long file is searched."""
    from drumnet.audio.decode import SILENCE_SEARCH_SECONDS

    return f"silent: nothing to hear in the first {SILENCE_SEARCH_SECONDS:g} s"


class _Writer:
    """Writes results to stdout in one of FORMATS."""

    def __init__(self, fmt: str, classes: tuple[str, ...]):
        self.fmt, self.classes = fmt, classes
        if fmt == "csv":
            self.csv = csv.writer(CurrentStdout(), lineterminator="\n")
            head = ["path", "label", "confidence", "warning", "error", "corrected"]
            head += ["duplicate_of", "same_file_as", "adapted"]
            self.csv.writerow([*head, *classes])  # the fields of JSON lines, scores last

    def _csv_row(self, r: Result) -> list[str]:
        """One CSV row: the JSON-lines record's fields, empty where it has none."""
        if not r.ok:  # as many fields as the header: tools that import CSV insist
            return [r.path, "", "", "", r.error or "", "", "", "", "", *[""] * len(self.classes)]
        scores = [f"{r.scores[c]:.4f}" for c in self.classes]
        corrected, adapted = ("true" if flag else "false" for flag in (r.corrected, r.adapted))
        row = [r.path, r.label, f"{r.confidence:.4f}", r.warning or "", "", corrected]
        return [*row, r.duplicate_of or "", r.same_file_as or "", adapted, *scores]

    def write(self, r: Result) -> None:
        if self.fmt == "jsonl":
            print(json_line(r.to_record()))
        elif self.fmt == "csv":
            self.csv.writerow(self._csv_row(r))
        elif r.ok and r.label == LOOP and not r.corrected:  # confidence: its first second's
            best = max(r.scores, key=r.scores.__getitem__)
            print(f"{r.label:<8} {'':>6}  {shown(r.path)}  ({r.warning}; first second: {best})")
        elif r.ok and r.label == UNSURE:  # its confidence belongs to a class it did not say
            best = max(r.scores, key=r.scores.__getitem__)
            silent = r.warning == "silent"
            guess = [] if silent else [f"best guess: {best} {r.confidence:.1%}"]
            warning = silent_note() if silent else r.warning
            why = "; ".join([warning, *guess] if warning else guess)
            print(f"{r.label:<8} {'':>6}  {shown(r.path)}  ({why})")
        elif r.ok:
            notes = ["corrected"] if r.corrected else ["adapted"] if r.adapted else []
            notes += [r.warning] if r.warning else []
            note = f"  ({'; '.join(notes)})" if notes else ""
            print(f"{r.label:<8} {r.confidence:6.1%}  {shown(r.path)}{note}")
        else:
            print(f"{'ERROR':<8} {'':>6}  {shown(r.path)}: {r.error}")


def cmd_classify(args: argparse.Namespace) -> int:
    from drumnet.inference.pipeline import classify_paths

    report_empty_folders("classify", args.paths)
    classes = parse_classes(args.classes)
    fmt = output_format(args)
    engine = make_engine(args)
    model = load_cli_model(args, "classify")
    if model is None:
        return 2
    index = open_index(args)
    failed, results = 0, None
    try:
        results = classify_paths(
            args.paths, model, classes, args.min_confidence, args.workers, args.batch_size, index,
            args.threads, loops=not args.no_loops, adapt=not args.no_adapt, engine=engine,
        )  # fmt: skip
        writer = _Writer(fmt, classes or model.classes_)
        # A table on the terminal shows each failure in its ERROR row: one line, not two.
        on_screen = fmt == "table" and sys.stdout.isatty() and sys.stderr.isatty()
        for result in progress(results, args.paths):
            writer.write(result)
            if not result.ok:
                failed += 1
                if not on_screen:
                    report_error(result, "classify")
        sys.stdout.flush()
        if failed and on_screen:
            print(
                f"{plural(failed, 'file')} could not be classified (the ERROR rows)",
                file=sys.stderr,
            )
    except BrokenPipeError:  # `drumnet classify . | head`: the reader left, stop quietly
        reader_left()
        return 1
    finally:
        if results is not None:
            results.close()  # stops the workers and commits finished results first
        if index is not None:
            index.close()
    return 1 if failed else 0


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "classify",
        help="classify audio files and folders",
        description="Classify drum one-shots. Exit status: 0 all classified, 1 some files "
        "failed (each reported on stderr and as an error record), 2 usage error.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="files and folders (recursive)")
    p.add_argument("--format", choices=FORMATS, help="table on a terminal, else jsonl")
    p.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help=argparse.SUPPRESS)
    add_decision_options(p)
    add_engine_options(p)
    p.set_defaults(func=cmd_classify)
