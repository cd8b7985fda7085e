"""`drumnet demo`: reproduce the study on the default kits (what `make demo` runs)."""

from __future__ import annotations

import argparse

from drumnet.cli.args import positive_int


def demo_command(args: argparse.Namespace) -> int:
    from drumnet.training.demo import run_demo

    run_demo(args.out_dir, epochs=args.epochs)
    return 0


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("demo", help="the study end to end on the default kits, with a report")
    p.add_argument("--out-dir", default="runs/demo", help="report folder (default runs/demo)")
    p.add_argument(
        "--epochs", type=positive_int, help="override the recipes' epoch limit (at least 1)"
    )
    p.set_defaults(func=demo_command)
