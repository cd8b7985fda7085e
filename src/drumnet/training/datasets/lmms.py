"""LMMS's sample library (Debian `lmms-common`): labelled drum hits, and non-drum `other` sounds.

`samples/drums/*.ogg` are one-shots named by what they are (`kick_hard01.ogg`). The basses,
instruments, pads, single-cycle waveforms, bass loops, latin loops and a hand-picked set of
effects are notes, chords, loops and sweeps: never a drum hit, so they teach the `other` class.
Drum loops (`beats/`), clicks, impulses, chimes, explosions and applause are left out of both.
"""

from __future__ import annotations

from pathlib import Path

from drumnet.audio.decode import is_audio_path
from drumnet.taxonomy import OTHER, UNKNOWN, class_for_name
from drumnet.training.datasets.debian import fetch_packages
from drumnet.training.datasets.manifest import Sample

PACKAGE = "lmms-common"
SAMPLES_UNDER = Path("usr/share/lmms/samples")  # inside the extraction root

# Folders whose every file is a non-drum sound, except the named stems (clicks, LFO shapes).
OTHER_FOLDERS: dict[str, frozenset[str]] = {
    "basses": frozenset(),
    "instruments": frozenset(),
    "stringsnpads": frozenset(),
    "bassloops": frozenset(),
    "latin": frozenset(),  # brass and guitar loops, despite the name
    "waveforms": frozenset({"impulse", "saw1"}),  # an impulse and a 2 ms cycle are clicks
}
# Effects chosen by name and length (1-8.5 s): sweeps, tape starts/stops, warps. Left out:
# explode01 (a boom close to a kick or crash) and wind_chimes01 (metal percussion).
OTHER_EFFECTS = frozenset(
    {"chroma_sound_effect01", "filter_sweep01", "scratch01", "start01", "start02", "stop01"}
    | {"warp01", "warp02"}
)
OTHER_MISC = frozenset({"breath01", "raving_crowd01"})  # dongs, metronomes, claps excluded

Skip = tuple[str, str]


def fetch_lmms(force: bool = False) -> Path:
    """Fetch `lmms-common` into the cache; returns its `samples` folder."""
    return fetch_packages([PACKAGE], force=force) / SAMPLES_UNDER


def drumsynth_preset_dir(samples_dir: str | Path | None = None) -> Path:
    """The folder of DrumSynth `.ds` presets (`samples/drumsynth/<bank>/*.ds`)."""
    return Path(samples_dir or fetch_lmms()) / "drumsynth"


def lmms_drum_samples(samples_dir: str | Path | None = None) -> tuple[list[Sample], list[Skip]]:
    """The one-shots in `samples/drums`, labelled by file name (library "lmms-drums")."""
    folder = Path(samples_dir or fetch_lmms()) / "drums"
    samples: list[Sample] = []
    skipped: list[Skip] = []
    for path in sorted(folder.iterdir()):
        if not is_audio_path(path):
            continue
        label = class_for_name(path.name)
        if label == UNKNOWN:
            skipped.append(("file name says no class", f"lmms-drums/{path.name}"))
            continue
        samples.append(Sample(str(path), label, "lmms-drums", path.stem, 0, "lmms"))
    return samples, skipped


def _wanted_other(folder: str, stem: str) -> bool:
    if folder in OTHER_FOLDERS:
        return stem not in OTHER_FOLDERS[folder] and not stem.startswith("lfo_")
    return stem in {"effects": OTHER_EFFECTS, "misc": OTHER_MISC}.get(folder, frozenset())


def lmms_other_samples(samples_dir: str | Path | None = None) -> tuple[list[Sample], list[Skip]]:
    """Non-drum LMMS sounds labelled `other`; library "lmms-<folder>" (e.g. "lmms-basses")."""
    root = Path(samples_dir or fetch_lmms())
    samples: list[Sample] = []
    skipped: list[Skip] = []
    for folder in sorted({*OTHER_FOLDERS, "effects", "misc"}):
        for path in sorted((root / folder).glob("*")):
            if not is_audio_path(path):
                continue
            if not _wanted_other(folder, path.stem):
                skipped.append(("not clearly a non-drum sound", f"lmms-{folder}/{path.name}"))
                continue
            samples.append(Sample(str(path), OTHER, f"lmms-{folder}", path.stem, 0, "lmms"))
    return samples, skipped


def lmms_samples(samples_dir: str | Path | None = None) -> tuple[list[Sample], list[Skip]]:
    """Drum one-shots and `other` sounds together."""
    root = Path(samples_dir or fetch_lmms())
    drums, skipped_drums = lmms_drum_samples(root)
    other, skipped_other = lmms_other_samples(root)
    return drums + other, skipped_drums + skipped_other
