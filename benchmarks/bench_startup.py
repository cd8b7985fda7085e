"""How fast the command starts: `drumnet --help`, a command's --help, and one-file classify.

Each is the wall time of a fresh process (`python -m drumnet ...` through the installed
console script's interpreter), the median of `repeats` runs; "heavy" lists the heavy libraries
that the parser alone imports (none is the goal: torch, scikit-learn, scipy, matplotlib).
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import soundfile as sf

HEAVY = ("torch", "sklearn", "scipy", "matplotlib")


def _wall(argv: list[str], env: dict) -> float:
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "drumnet", *argv], env=env, capture_output=True, check=False
    )
    return time.perf_counter() - start


def _median(argv: list[str], env: dict, repeats: int) -> float:
    return statistics.median(_wall(argv, env) for _ in range(repeats))


def parser_imports() -> list[str]:
    """The heavy libraries loaded once the whole parser is built (in a fresh process)."""
    code = (
        "import sys, json; from drumnet.cli import build_parser; build_parser(); "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def run(repeats: int = 3) -> dict:
    with tempfile.TemporaryDirectory(prefix="drumnet-bench-") as tmp:
        env = {**os.environ, "DRUMNET_CACHE": str(Path(tmp) / "cache")}
        wav = Path(tmp) / "kick.wav"
        t = np.arange(22050) / 22050
        sf.write(wav, (np.sin(2 * np.pi * 60 * t) * np.exp(-t * 12)).astype(np.float32), 22050)
        one = [str(wav), "--no-index", "--workers", "0"]
        start = time.perf_counter()
        subprocess.run([sys.executable, "-c", "pass"], capture_output=True, check=False)
        bare = time.perf_counter() - start
        return {
            "repeats": repeats,
            "python_start_s": bare,
            "help_s": _median(["--help"], env, repeats),
            "classify_help_s": _median(["classify", "--help"], env, repeats),
            "usage_error_s": _median(["classify"], env, repeats),
            "classify_one_default_s": _median(
                ["classify", *one, "--model", "default"], env, repeats
            ),
            "classify_one_ensemble_s": _median(
                ["classify", *one, "--model", "ensemble"], env, repeats
            ),
            "heavy_after_parser": parser_imports(),
        }
