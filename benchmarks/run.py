"""`make bench`: measure everything and write BENCHMARKS.md.

    python benchmarks/run.py [--only study,taxonomy,...] [--quick] [--out BENCHMARKS.md]

Each section runs in a fresh process (when several are asked for); its raw figures are kept in benchmarks/results.json with the date and machine they
were measured on, so one section can be re-measured without redoing the others; BENCHMARKS.md
is always rendered from that file. Nothing in BENCHMARKS.md is typed by hand.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import torch

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # the bench_* modules beside this file

import sections
from render import render

RESULTS = HERE / "results.json"


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": cpu or platform.processor(),
        "cores": os.cpu_count(),
        "memory_gib": round(mem, 1),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "platform": platform.platform(),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help=f"comma list of sections: {', '.join(sections.SECTIONS)}")
    parser.add_argument("--quick", action="store_true", help="fewer epochs/files (smoke run)")
    parser.add_argument("--out", default="BENCHMARKS.md")
    args = parser.parse_args(argv)
    names = args.only.split(",") if args.only else list(sections.SECTIONS)
    unknown = [n for n in names if n not in sections.SECTIONS]
    if unknown:
        parser.error(f"unknown sections {unknown}")
    for name in names:
        print(f"== {name}", flush=True)
        if len(names) > 1:
            # Each section in a fresh process: one leaves state behind (torch's threads, the
            # allocator's thresholds, peak memory) that changed the next one's speed figures.
            quick = ["--quick"] if args.quick else []
            cmd = [sys.executable, __file__, "--only", name, "--out", args.out, *quick]
            subprocess.run(cmd, check=True)
            continue
        figures = sections.SECTIONS[name](quick=args.quick)
        # Re-read before writing: sections may be measured by several runs side by side.
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results[name] = {"machine": machine(), "quick": args.quick, "figures": figures}
        RESULTS.write_text(json.dumps(results, indent=2, default=str))  # after every section
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    Path(args.out).write_text(render(results))
    print(
        f"wrote {args.out} and {RESULTS.relative_to(Path.cwd()) if RESULTS.is_relative_to(Path.cwd()) else RESULTS}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
