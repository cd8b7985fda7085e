"""The procedural drum synthesiser: one random, library-coloured sound per call, per class.

    >>> x = synth_drum("kick", np.random.default_rng(0))  # float32, peak <= 1, 44.1 kHz

Every class (taxonomy.CLASSES: eight drum classes and `other`) has a voice in SYNTHS. A voice
draws the raw sound; `synth_drum` then runs it through a `LibraryColour` (drawn at random unless
given, so that callers can share one colour across a pseudo-library).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from drumnet.training.synth.colour import LibraryColour, apply_colour, random_colour
from drumnet.training.synth.metal import cymbal, hihat
from drumnet.training.synth.other import other
from drumnet.training.synth.percussion import perc
from drumnet.training.synth.signals import normalise
from drumnet.training.synth.skins import clap, kick, rim, snare, tom

Voice = Callable[[np.random.Generator, int, float], np.ndarray]

# Bumped whenever a voice changes what it draws, so that cached renders are made anew.
# 2: djembe / dunun / conga-bongo / cajon / tabla-darbuka / glass / scrape in perc, side-stick
# rim, hats with a low clang and half-open sizzle, cymbal wash, finger snaps, longer toms.
# 3: band shares moved toward the Hydrogen kits': acoustic hats with more 150 Hz-1 kHz body and
# fewer machine hats, darker acoustic snares (wires 1.5-5 kHz, less of them), side sticks with
# a brighter, shorter tok and a louder stick ring.
# 4: open and half-open hats brighter and open hats longer (their band shares and decay now
# match the kits' open hats, not their closed ones); cymbals brighter with a 1.5 kHz dip, and
# longer (2-6.5 s to -60 dB).
SYNTH_VERSION = 4

SYNTHS: dict[str, Voice] = {
    "kick": kick,
    "snare": snare,
    "tom": tom,
    "hihat": hihat,
    "cymbal": cymbal,
    "clap": clap,
    "rim": rim,
    "perc": perc,
    "other": other,
}


def synth_drum(
    label: str,
    rng: np.random.Generator,
    sample_rate: int = 44100,
    colour: LibraryColour | None = None,
) -> np.ndarray:
    """One random sound of class `label` at `sample_rate` Hz.

    Returns float32 of shape (n,), finite, peak between -6.5 and -0.5 dBFS; n depends on the
    class (a closed hat ~0.05 s, a crash up to ~4 s with its room).
    """
    if label not in SYNTHS:
        raise ValueError(f"no synthesiser for {label!r}; choose from {', '.join(SYNTHS)}")
    colour = colour if colour is not None else random_colour(rng)
    raw = normalise(SYNTHS[label](rng, sample_rate, colour.electronic), 0.0)
    return apply_colour(raw, colour, rng, sample_rate)
