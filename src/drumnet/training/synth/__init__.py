"""Synthetic drum sounds: a procedural synthesiser and a renderer for DrumSynth presets."""

from drumnet.training.synth.colour import LibraryColour, random_colour
from drumnet.training.synth.drums import SYNTHS, synth_drum

__all__ = ["SYNTHS", "LibraryColour", "random_colour", "synth_drum"]
