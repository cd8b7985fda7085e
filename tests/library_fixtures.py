"""A small synthesised sample library on disk: two packs, the main drum classes, one broken file."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import soundfile as sf

from drumnet.training.synth.drums import synth_drum

RATE = 44100  # Hz
KINDS = ("kick", "snare", "hihat", "tom", "cymbal", "clap")


def write_library(root: Path, per_kind: int = 2) -> Path:
    """root/Pack A and root/Pack B: per_kind sounds of each of KINDS, and a broken file."""
    for p, pack in enumerate(("Pack A", "Pack B")):
        for k, kind in enumerate(KINDS):
            for seed in range(per_kind):
                path = root / pack / f"{kind}_{seed}.wav"
                path.parent.mkdir(parents=True, exist_ok=True)
                sound = synth_drum(kind, np.random.default_rng([26, p, k, seed]), RATE)
                sf.write(str(path), sound, RATE, subtype="PCM_16")
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    return root
