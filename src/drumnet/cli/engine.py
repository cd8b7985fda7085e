"""--engine and --address: where classify and organize do their work (light: no Ray, no torch).

`--engine local` (default) decodes and classifies in this machine's worker processes;
`--engine ray` on a Ray cluster (drumnet.inference.ray_engine; docs/scale.md), with --workers
actors of --threads CPUs each.
"""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drumnet.inference.ray_engine import RayEngine

ENGINES = ("local", "ray")


def add_engine_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--engine",
        choices=ENGINES,
        default="local",
        help="local (default): worker processes here; ray: actors on a Ray cluster, "
        "--workers of them with --threads CPUs each (needs pip install 'drumnet[ray]')",
    )
    parser.add_argument(
        "--address",
        metavar="ADDR",
        help="with --engine ray: the cluster to join, e.g. auto or ray://head:10001 "
        "(default: a local cluster for this run)",
    )


def make_engine(args: argparse.Namespace) -> RayEngine | None:
    """The engine the options ask for (None: local); ValueError, one line, when it cannot be
    had (no Ray installed: how to install it)."""
    if args.engine != "ray":
        if args.address:
            raise ValueError("--address names a Ray cluster: give --engine ray too")
        return None
    from drumnet.inference.ray_engine import RayEngine, require_ray

    try:
        require_ray()
    except ImportError as exc:
        raise ValueError(str(exc)) from None
    return RayEngine(args.address, workers=args.workers, cpus_per_worker=args.threads or 1)
