"""The General MIDI percussion map (keys 35-81 on bank 128), as drumnet classes.

Each key has its GM name, its class in `taxonomy.DRUM_CLASSES` and, where GM names the kind,
a sub-label (`hihat/closed`, `cymbal/ride`). Keys that are no drum hit (whistles) map to None
and are left out. A few GM kits put other instruments on some keys (`KIT_OVERRIDES`).
"""

from __future__ import annotations

from typing import NamedTuple


class Drum(NamedTuple):
    name: str  # the GM percussion name
    label: str | None  # a drumnet class, or None: not a drum hit, left out
    sub: str = ""  # "hihat/closed", "cymbal/crash", ... where GM names the kind


GM_DRUMS: dict[int, Drum] = {
    35: Drum("Acoustic Bass Drum", "kick"),
    36: Drum("Bass Drum 1", "kick"),
    37: Drum("Side Stick", "rim"),
    38: Drum("Acoustic Snare", "snare"),
    39: Drum("Hand Clap", "clap"),
    40: Drum("Electric Snare", "snare"),
    41: Drum("Low Floor Tom", "tom"),
    42: Drum("Closed Hi-Hat", "hihat", "hihat/closed"),
    43: Drum("High Floor Tom", "tom"),
    44: Drum("Pedal Hi-Hat", "hihat", "hihat/pedal"),
    45: Drum("Low Tom", "tom"),
    46: Drum("Open Hi-Hat", "hihat", "hihat/open"),
    47: Drum("Low-Mid Tom", "tom"),
    48: Drum("Hi-Mid Tom", "tom"),
    49: Drum("Crash Cymbal 1", "cymbal", "cymbal/crash"),
    50: Drum("High Tom", "tom"),
    51: Drum("Ride Cymbal 1", "cymbal", "cymbal/ride"),
    52: Drum("Chinese Cymbal", "cymbal", "cymbal/china"),
    53: Drum("Ride Bell", "cymbal", "cymbal/ride"),
    54: Drum("Tambourine", "perc"),
    55: Drum("Splash Cymbal", "cymbal", "cymbal/splash"),
    56: Drum("Cowbell", "perc"),
    57: Drum("Crash Cymbal 2", "cymbal", "cymbal/crash"),
    58: Drum("Vibraslap", "perc"),
    59: Drum("Ride Cymbal 2", "cymbal", "cymbal/ride"),
    60: Drum("Hi Bongo", "perc"),
    61: Drum("Low Bongo", "perc"),
    62: Drum("Mute Hi Conga", "perc"),
    63: Drum("Open Hi Conga", "perc"),
    64: Drum("Low Conga", "perc"),
    65: Drum("High Timbale", "perc"),
    66: Drum("Low Timbale", "perc"),
    67: Drum("High Agogo", "perc"),
    68: Drum("Low Agogo", "perc"),
    69: Drum("Cabasa", "perc"),
    70: Drum("Maracas", "perc"),
    71: Drum("Short Whistle", None),  # a pitched blow, no hit; taxonomy vetoes "whistle"
    72: Drum("Long Whistle", None),
    73: Drum("Short Guiro", "perc"),
    74: Drum("Long Guiro", "perc"),
    75: Drum("Claves", "perc"),
    76: Drum("Hi Wood Block", "perc"),
    77: Drum("Low Wood Block", "perc"),
    78: Drum("Mute Cuica", "perc"),
    79: Drum("Open Cuica", "perc"),
    80: Drum("Mute Triangle", "perc"),
    81: Drum("Open Triangle", "perc"),
}
GM_KEYS = range(35, 82)

# GS kits that map other instruments onto GM keys, by program (bank 128).
_ORCHESTRAL = {
    35: Drum("Concert Bass Drum 2", "kick"),
    36: Drum("Concert Bass Drum 1", "kick"),
    38: Drum("Concert Snare", "snare"),
    39: Drum("Castanets", "perc"),
    40: Drum("Concert Snare 2", "snare"),
    **{k: Drum(f"Timpani {k - 40}", "perc") for k in range(41, 54)},  # tuned kettle drums
    57: Drum("Concert Cymbal 2", "cymbal"),  # clash cymbals: no crash or ride sub-label
    59: Drum("Concert Cymbal 1", "cymbal"),
}
_BRUSH = {
    38: Drum("Brush Tap", "snare"),  # a brush on the snare: still a snare hit
    39: Drum("Brush Slap", "snare"),
    40: Drum("Brush Swirl", None),  # a swirl is a sweep, no one-shot
}
KIT_OVERRIDES: dict[int, dict[int, Drum]] = {48: _ORCHESTRAL, 40: _BRUSH}


def kit_drum(program: int, key: int) -> Drum | None:
    """What key `key` plays in the GM/GS drum kit at bank 128 `program`; None off the map."""
    return KIT_OVERRIDES.get(program, {}).get(key) or GM_DRUMS.get(key)
