"""Which notes of a SoundFont to render, and with which labels: the drum kits and the melodic
instruments, minus what the exclusion table forbids and what would only repeat a sound.

A note repeats a sound when it starts the same voices (samples and generators, attenuation
aside) as a note planned before it: another velocity that only changes the level, or the
same drum in a sibling kit. Keeping the first keeps near-copies out of other libraries, where
they would leak a kit's sound across a split by library.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from drumnet.taxonomy import OTHER
from drumnet.training.soundfont import sf2
from drumnet.training.soundfont.exclusions import Exclusion, excluded
from drumnet.training.soundfont.gm import GM_KEYS, kit_drum
from drumnet.training.soundfont.sf2 import SoundFont, Voice

DRUM_BANK, MELODIC_BANK = 128, 0
VELOCITIES = (40, 80, 127)
# GM families of eight programs, for the melodic libraries ("GeneralUser/melodic-piano").
FAMILIES = (
    "piano", "chromatic", "organ", "guitar", "bass", "strings", "ensemble", "brass", "reed",
    "pipe", "lead", "pad", "synth-effects", "ethnic", "percussive", "effects",
)  # fmt: skip
# Melodic programs that are drums or hits, never `other`: 47 Timpani, 112-119 the GM
# "percussive" family (agogo, steel drums, woodblock, taiko, melodic tom, synth drum, reverse
# cymbal), 127 Gunshot.
DRUM_LIKE_PROGRAMS = frozenset({47, *range(112, 120), 127})
NOTE_SECONDS = (0.3, 0.6, 1.0, 1.5)  # melodic note lengths, taken in turn

Skip = tuple[str, str]
_IGNORED = {sf2.ATTENUATION, 15, 16, 17}  # level, chorus, reverb, pan: not rendered or level only


@dataclass(frozen=True)
class Note:
    """One render: preset (bank, program), key, velocity, held `seconds`, and its labels."""

    bank: int
    program: int
    key: int
    velocity: int
    seconds: float
    label: str
    subclass: str
    instrument: str  # "38 Acoustic Snare", "Piano 1 key 60"
    library: str  # "GeneralUser/Standard"
    file: str  # relative path of the WAV: "Standard/038-acoustic-snare-v127.wav"
    layer: int  # index of the velocity among the note's renders


def slug(text: str) -> str:
    """'808/909 Drums' -> '808-909-drums': safe in a file name and a library name."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unnamed"


def _signature(voices: list[Voice], key: int) -> tuple:
    """What the voices sound like, level aside: sample, pitch and the generators that shape it."""
    parts = []
    for v in voices:
        shaping = tuple(sorted((n, a) for n, a in v.generators.items() if n not in _IGNORED))
        played = v.gen(sf2.KEYNUM) if v.gen(sf2.KEYNUM) >= 0 else key
        parts.append((v.sample.start, v.sample.end, played, shaping))
    return tuple(sorted(parts))


def drum_plan(
    font: SoundFont,
    font_name: str,
    prefix: str,
    exclusions: tuple[Exclusion, ...],
    velocities: tuple[int, ...] = VELOCITIES,
    seconds: float = 1.0,
) -> tuple[list[Note], list[Skip]]:
    """Every GM key (35-81) of every kit on bank 128, at each velocity, labelled from the GM
    map (gm.kit_drum); library f"{prefix}/{kit name}"."""
    notes: list[Note] = []
    skipped: list[Skip] = []
    seen: dict[tuple, str] = {}
    kits = sorted((p for p in font.presets if p.bank == DRUM_BANK), key=lambda p: p.program)
    for preset in kits:
        named = preset.name and not preset.name.isdigit()  # OPL3 names its kit "128"
        kit = preset.name if named else f"Drums {preset.program}"
        library = f"{prefix}/{kit.replace('/', '-')}"
        why = excluded(exclusions, font_name, DRUM_BANK, preset.program)
        if why:
            skipped.append((why, library))
            continue
        for key in GM_KEYS:
            drum = kit_drum(preset.program, key)
            where = f"{library} key {key} ({drum.name if drum else '?'})"
            why = excluded(exclusions, font_name, DRUM_BANK, preset.program, key)
            if why:
                skipped.append((why, where))
                continue
            if drum is None or drum.label is None:
                skipped.append(("not a drum hit (whistle, brush swirl)", where))
                continue
            layer = 0
            for velocity in sorted(velocities, reverse=True):  # loudest first: kept
                voices = font.voices(preset, key, velocity)
                if not voices:
                    skipped.append(("no zone plays the key", f"{where} velocity {velocity}"))
                    continue
                signature = _signature(voices, key)
                if signature in seen:
                    what = f"{where} velocity {velocity}: as {seen[signature]}"
                    skipped.append(("plays what an earlier note plays (level aside)", what))
                    continue
                seen[signature] = f"{library} key {key} velocity {velocity}"
                file = f"{slug(kit)}/{key:03d}-{slug(drum.name)}-v{velocity}.wav"
                instrument = f"{key} {drum.name}"
                notes.append(
                    Note(DRUM_BANK, preset.program, key, velocity, seconds, drum.label, drum.sub,
                         instrument, library, file, layer)
                )  # fmt: skip
                layer += 1
    return notes, skipped


def melodic_plan(
    font: SoundFont,
    font_name: str,
    prefix: str,
    exclusions: tuple[Exclusion, ...],
    keys: tuple[int, ...] = (43, 60, 77),
    velocity: int = 100,
) -> tuple[list[Note], list[Skip]]:
    """Short notes (NOTE_SECONDS in turn) of every melodic program on bank 0 as `other`, at
    `keys` moved up by program % 5 semitones so pitches vary; library f"{prefix}/melodic-
    <GM family>". DRUM_LIKE_PROGRAMS are left out."""
    notes: list[Note] = []
    skipped: list[Skip] = []
    seen: set[tuple] = set()
    presets = sorted((p for p in font.presets if p.bank == MELODIC_BANK), key=lambda p: p.program)
    for i, preset in enumerate(presets):
        family = FAMILIES[preset.program // 8] if preset.program < 128 else "other"
        library = f"{prefix}/melodic-{family}"
        where = f"{library}: {preset.name}"
        why = excluded(exclusions, font_name, MELODIC_BANK, preset.program)
        if why or preset.program in DRUM_LIKE_PROGRAMS:
            skipped.append((why or "a drum or hit among the melodic programs", where))
            continue
        for j, base in enumerate(keys):
            key = base + preset.program % 5
            voices = font.voices(preset, key, velocity)
            signature = _signature(voices, key)
            if not voices or signature in seen:
                skipped.append(("no new sound at this key", f"{where} key {key}"))
                continue
            seen.add(signature)
            seconds = NOTE_SECONDS[(i + j) % len(NOTE_SECONDS)]
            file = f"melodic/{preset.program:03d}-{slug(preset.name)}-k{key}.wav"
            notes.append(
                Note(MELODIC_BANK, preset.program, key, velocity, seconds, OTHER, "",
                     f"{preset.name} key {key}", library, file, j)
            )  # fmt: skip
    return notes, skipped
