"""What the commands share: model and decision options, the index, progress, paths in messages."""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from typing import TYPE_CHECKING

from drumnet.errors import ModelFileError

if TYPE_CHECKING:
    from drumnet.inference.classifier import DrumClassifier
    from drumnet.inference.decision import Result
    from drumnet.library.embed import Embedded
    from drumnet.library.index import Index

FORMATS = ("table", "csv", "jsonl")


def output_format(args: argparse.Namespace) -> str:
    """--format as given, else a table on a terminal and JSON lines for a pipe or a file."""
    return args.format or ("table" if sys.stdout.isatty() else "jsonl")


class FailedFiles:
    """The per-file failure callback the library takes (`on_error(path, reason)`): one line on
    stderr for each file, counted, so the command can exit 1 when some failed."""

    def __init__(self, command: str):
        self.command, self.count = command, 0

    def __call__(self, path: str, reason: str) -> None:
        self.count += 1
        print(f"drumnet {self.command}: {shown(path)}: {reason}", file=sys.stderr)


def require_some_path(paths: list[str]) -> None:
    """FileNotFoundError (a usage error) when none of the PATHs named exists."""
    if not any(os.path.lexists(p) for p in paths):
        raise FileNotFoundError(f"no such file or folder: {', '.join(paths)}")


def add_model_options(parser: argparse.ArgumentParser) -> None:
    """--model, --workers and --no-index: shared by classify, organize and similar."""
    parser.add_argument(
        "--model",
        help="model name or .safetensors file (default: the shipped net; 'ensemble': three "
        "nets averaged, slower)",
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
    from drumnet.library.index import Index

    return None if args.no_index else Index()


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
    from tqdm import tqdm

    tqdm.write(f"drumnet {command}: {shown(result.path)}: {result.error}", file=sys.stderr)


def load_cli_model(args: argparse.Namespace, command: str) -> DrumClassifier | None:
    """The --model (or shipped) model; None after printing why it cannot be loaded."""
    from drumnet.inference.classifier import load_model

    try:
        return load_model(args.model)
    except ModelFileError as exc:
        print(f"drumnet {command}: error: {exc}", file=sys.stderr)
        return None
