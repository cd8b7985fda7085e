"""The `drumnet` command: a thin layer that parses arguments and calls the library.

Each sub-module owns a group of sub-commands and exposes `register(subparsers)`; every
handler returns the process exit status (0 ok, 1 some inputs failed, 2 usage error).
"""

from __future__ import annotations

import argparse
import importlib
import io
import sys

from drumnet import __version__
from drumnet.disk import DiskFull
from drumnet.errors import IndexUnavailable, ModelFileError
from drumnet.runtime import interrupt_on_sigterm, tune_malloc

# Everyday commands first, then generation, then training: the order `drumnet --help` lists.
# Each module imports its heavy parts (torch, scikit-learn, matplotlib) inside its handlers,
# so the parser, --help and usage errors start at once.
COMMAND_MODULES = (
    "drumnet.cli.classify",
    "drumnet.cli.organize",
    "drumnet.cli.similar",
    "drumnet.cli.label",
    "drumnet.cli.browse",
    "drumnet.cli.kit",
    "drumnet.cli.review",
    "drumnet.cli.dream",
    "drumnet.cli.data",
    "drumnet.cli.train",
    "drumnet.cli.demo",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="drumnet", description="Listen to drum samples and know what they are."
    )
    parser.add_argument("--version", action="version", version=f"drumnet {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    tune_malloc()  # this process is drumnet's own: see drumnet.runtime
    for stream in (sys.stdout, sys.stderr):
        if isinstance(stream, io.TextIOWrapper):
            # A file name that is not valid UTF-8 is printed as the bytes it is, as `ls` does.
            stream.reconfigure(errors="surrogateescape")
    try:
        with interrupt_on_sigterm():
            return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("drumnet: interrupted", file=sys.stderr)
        return 130
    except (ValueError, FileNotFoundError, ModelFileError) as exc:
        # Bad settings, a missing input or model named on the command line: a usage error.
        print(f"drumnet {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except DiskFull as exc:  # what was written is kept; the message says what and where
        print(f"drumnet {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except IndexUnavailable as exc:  # the user's setup, like a bad model file: exit 2
        instead = ", or run with --no-index" if hasattr(args, "no_index") else ""
        print(f"drumnet {args.command}: error: {exc}{instead}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
