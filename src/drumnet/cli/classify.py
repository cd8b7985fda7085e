"""`drumnet classify`, `drumnet duplicates` and `drumnet label`: thin wrappers over the library.

Output goes to stdout (results only); progress and one line per failed file go to stderr.
Formats: `table` (default when stdout is a terminal), `jsonl` (default otherwise: one object
per file, `{path, label, confidence, scores[, warning, corrected, adapted, duplicate_of]}` or
`{path, error}`), `csv` (the same fields, a column per class's score).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import shutil
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path

from tqdm import tqdm

from drumnet.audio.decode import SILENCE_SEARCH_SECONDS, AudioError, load_sound
from drumnet.inference.classifier import DrumClassifier, load_model
from drumnet.inference.pipeline import DEFAULT_BATCH_SIZE, Result, classify_paths
from drumnet.library.index import Copy, Correction, Index, duplicate_groups, file_hash
from drumnet.library.similar import Embedded
from drumnet.nets.checkpoint import ModelFileError
from drumnet.taxonomy import CLASSES, LOOP, UNKNOWN, UNSURE, class_for_word, parse_classes
from drumnet.training.datasets.folders import pack_of
from drumnet.training.datasets.manifest import Sample, write_manifest

FORMATS = ("table", "csv", "jsonl")
# The table's words for the `silent` warning: only so much of a long file is searched for a sound.
SILENT_NOTE = f"silent: nothing to hear in the first {SILENCE_SEARCH_SECONDS:g} s"


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--model, --workers and --no-index: shared by classify, organize and similar."""
    parser.add_argument(
        "--model",
        help="model name or .safetensors file (default: the shipped ensemble of five nets; "
        "'default': one of them alone, faster)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=2,
        help="processes that decode files and, when each gets one core, run the network "
        "(default 2; 0: all in this process)",
    )
    parser.add_argument(
        "--threads",
        type=int,
        metavar="N",
        help="torch threads for the network; above 1 it runs in this process, not in the "
        "workers (default: in the workers, one thread each, when they are as many as the "
        "cores)",
    )
    parser.add_argument(
        "--no-index", action="store_true", help="neither read nor write the library index"
    )
    parser.add_argument(
        "--no-adapt",
        action="store_true",
        help="the model's answers alone: corrections (drumnet label) change only the files "
        "corrected, not the sounds like them (docs/corrections.md)",
    )


def add_decision_options(parser: argparse.ArgumentParser) -> None:
    """Options shared by classify and organize."""
    add_model_options(parser)
    parser.add_argument("--classes", help="restrict the decision, e.g. kick,snare or 'four'")
    parser.add_argument(
        "--min-confidence",
        type=float,
        default=0.0,
        metavar="P",
        help="answers below this probability become 'unsure' (default 0)",
    )
    parser.add_argument(
        "--no-loops",
        action="store_true",
        help="label files of several hits (loops, rolls) by their first second, not 'loop'",
    )


def open_index(args: argparse.Namespace) -> Index | None:
    return None if args.no_index else Index()


def progress(items: Iterable, what: str = "files") -> Iterator:
    """A tqdm bar on stderr, only when stderr is a terminal."""
    return tqdm(items, unit=f" {what}", file=sys.stderr, disable=not sys.stderr.isatty())


_CONTROL = {c: f"\\x{c:02x}" for c in (*range(32), 127)}


def shown(path: str) -> str:
    """A path for a one-line message or a table row: control characters (a newline in a file
    name) escaped as \\xNN. CSV carries paths as they are, JSON lines as `json_line` has them."""
    return path.translate(_CONTROL)


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_line(record: dict) -> str:
    """A JSON-lines record that is valid UTF-8 whatever the file names in it.

    A name that is not UTF-8 holds surrogate escapes (os.fsdecode); each is written as a
    \\udcXX escape, as the organize manifests have it, so that a script's
    `os.fsencode(json.loads(line)["path"])` gives back the name's exact bytes. Other text
    stays as it is (not \\u-escaped), so names in any alphabet remain readable.
    """
    text = json.dumps(record, ensure_ascii=False)
    return _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def report_error(result: Result | Embedded, command: str) -> None:
    tqdm.write(f"drumnet {command}: {shown(result.path)}: {result.error}", file=sys.stderr)


class _Writer:
    """Writes results to stdout in one of FORMATS."""

    def __init__(self, fmt: str, classes: tuple[str, ...]):
        self.fmt, self.classes = fmt, classes
        if fmt == "csv":
            self.csv = csv.writer(sys.stdout, lineterminator="\n")
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
            warning = SILENT_NOTE if silent else r.warning
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
    classes = parse_classes(args.classes)
    fmt = args.format or ("table" if sys.stdout.isatty() else "jsonl")
    model = load_cli_model(args, "classify")
    if model is None:
        return 2
    index = open_index(args)
    failed, results = 0, None
    try:
        results = classify_paths(
            args.paths, model, classes, args.min_confidence, args.workers, args.batch_size, index,
            args.threads, loops=not args.no_loops, adapt=not args.no_adapt,
        )  # fmt: skip
        writer = _Writer(fmt, classes or model.classes_)
        # A table on the terminal shows each failure in its ERROR row: one line, not two.
        on_screen = fmt == "table" and sys.stdout.isatty() and sys.stderr.isatty()
        for result in progress(results):
            writer.write(result)
            if not result.ok:
                failed += 1
                if not on_screen:
                    report_error(result, "classify")
        sys.stdout.flush()
        if failed and on_screen:
            print(f"{failed} files could not be classified (the ERROR rows)", file=sys.stderr)
    except BrokenPipeError:  # `drumnet classify . | head`: the reader left, stop quietly
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    finally:
        if results is not None:
            results.close()  # stops the workers and commits finished results first
        if index is not None:
            index.close()
    return 1 if failed else 0


def load_cli_model(args: argparse.Namespace, command: str) -> DrumClassifier | None:
    """The --model (or shipped) model; None after printing why it cannot be loaded."""
    try:
        return load_model(args.model)
    except ModelFileError as exc:
        print(f"drumnet {command}: error: {exc}", file=sys.stderr)
        return None


def cmd_duplicates(args: argparse.Namespace) -> int:
    failed = 0

    def failure(path: str, reason: str) -> None:
        nonlocal failed
        failed += 1
        print(f"drumnet duplicates: {shown(path)}: {reason}", file=sys.stderr)

    index = open_index(args)
    try:
        groups = duplicate_groups(args.paths, index, failure)
    finally:
        if index is not None:
            index.close()
    write_duplicates(groups, args.format)
    return 1 if failed else 0


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
    samples, missing = [], 0
    for c in index.corrections():
        if c.label == LOOP:  # the models learn one-shots: a loop is no training sample
            print(f"drumnet label: {shown(c.path)}: a loop, not exported", file=sys.stderr)
            continue
        source = labelled_bytes(index, c)
        if source is None:
            missing += 1
            why = "changed since it was labelled" if os.path.lexists(c.path) else "gone"
            print(
                f"drumnet label: {shown(c.path)}: {why}, and no copy of the labelled sound is "
                "known; not exported",
                file=sys.stderr,
            )
            continue
        # Unique per sound; a name that is not UTF-8 gets U+FFFD, so labels.csv stays UTF-8.
        name = Path(c.path).name.encode(errors="surrogateescape").decode(errors="replace")
        target = out / c.label / f"{c.hash[:8]}-{name}"
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)
        library = pack_of(c.path)  # not a class folder: a split by library would hold out a class
        samples.append(Sample(str(target.relative_to(out)), c.label, library, source="label"))
    out.mkdir(parents=True, exist_ok=True)
    write_manifest(samples, out / "labels.csv")
    print(f"exported {len(samples)} corrected files to {out}", file=sys.stderr)
    return 1 if missing else 0


def labelled_bytes(index: Index, c: Correction) -> str | None:
    """A file that holds exactly the sound `c` labelled: its own path if unchanged, else a
    copy the index knows of; None if there is none."""
    for path in (c.path, *index.paths_with_hash(c.hash)):
        try:
            if os.path.isfile(path) and file_hash(path) == c.hash:
                return path
        except OSError:
            continue
    return None


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
    p.set_defaults(func=cmd_classify)

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
