"""Drum classes, and the table that maps instrument and file names onto them.

A name maps to a class only when the evidence is one-sided: names that point at two classes
(`snare_rim`), at none, or at things that are not one-shot hits (`Snare Roll`, `Zap`) map to
UNKNOWN and are left out of training rather than guessed.
"""

from __future__ import annotations

import re

DRUM_CLASSES = ("kick", "snare", "tom", "hihat", "cymbal", "clap", "rim", "perc")
OTHER = "other"  # sounds that are not drum hits: speech, tones, instruments, effects
CLASSES = DRUM_CLASSES + (OTHER,)
UNKNOWN = "unknown"  # the name does not say; never used as a training label
UNSURE = "unsure"  # a classifier's answer below its confidence threshold
LOOP = "loop"  # a classifier's answer for a file of several hits (a beat, a roll, a riff)
STUDY_TWO = ("kick", "snare")
STUDY_FOUR = ("kick", "snare", "tom", "hihat")

# Phrases checked first, in order; the first that matches decides.
PHRASES: tuple[tuple[str, str], ...] = (
    (r"\broll\b", UNKNOWN),  # a roll is not a one-shot
    (r"\brim ?shot\b", "snare"),  # a rimshot is a loud snare hit
    (r"\b(side ?stick|cross ?stick|rim ?click|x ?stick)\b", "rim"),
    (r"\bbass ?drum\b|\bkick ?drum\b", "kick"),
    (r"\bhi ?-?hat\b|\bhigh ?hat\b", "hihat"),
    (r"\bfloor ?tom\b|\btom ?(hi|lo|low|mid|high|floor)\b", "tom"),
    (r"\b(hand ?clap|finger ?snaps?)\b", "clap"),
    (r"\bride ?(bell|cup|bow)\b", "cymbal"),
    (r"\bcow ?bell\b|\bwood ?block\b|\bwater ?glass\b", "perc"),
)

# Single words (after splitting camelCase, digits and punctuation); all that match must agree.
WORDS: dict[str, tuple[str, ...]] = {
    "kick": ("kick", "kicks", "kik", "kck", "kd", "bd", "bassdrum", "bdrum", "kickdrum"),
    "snare": ("snare", "snr", "sd", "sn", "snar", "snares"),
    "tom": ("tom", "toms", "tomhi", "tomlo", "tommid", "lt", "mt", "ht", "ft", "floortom"),
    "hihat": ("hihat", "hh", "chh", "ohh", "phh", "hat", "hats", "ch", "oh", "hihats"),
    "cymbal": (
        "cymbal", "cymbals", "cym", "cy", "crash", "crashes", "ride", "rides", "splash", "china",
        "cr", "rd",
    ),
    "clap": ("clap", "claps", "clp", "cp", "handclap", "snap", "snaps"),
    "rim": ("rim", "rims", "rimclick", "sidestick", "stick", "rs"),
    "perc": (
        "perc", "percs", "percussion", "conga", "congas", "bongo", "bongos", "cowbell", "cb",
        "clave", "claves", "clav", "tambourine", "tamb", "tambo", "shaker", "maraca", "maracas",
        "agogo", "djembe", "cajon", "woodblock", "wood", "triangle", "guiro", "cabasa",
        "timbale", "timbales", "sangban", "dununba", "kenkeni", "dunun", "waterglass",
        "tabla", "udu", "cuica", "vibraslap", "block", "shake",
    ),
}  # fmt: skip
# Words that make a name UNKNOWN whatever else it says (effects, generic or non-hit names).
VETO = frozenset({"zap", "fx", "whistle", "click", "beats", "beat", "loop", "brush", "noise"})

_WORD_TO_CLASS = {w: c for c, words in WORDS.items() for w in words}


def normalise_name(name: str) -> str:
    """'Snare2_RimShot.wav' -> 'snare 2 rim shot': lower case, words split, extension gone."""
    name = re.sub(r"\.(wav|wave|aiff?|flac|ogg|mp3)$", "", name.strip(), flags=re.IGNORECASE)
    name = re.sub(r"([a-z])([A-Z])", r"\1 \2", name)  # camelCase -> camel Case
    name = re.sub(r"([A-Za-z])(\d)|(\d)([A-Za-z])", r"\1\3 \2\4", name)  # digits apart
    name = re.sub(r"[^A-Za-z0-9]+", " ", name).lower()
    return " ".join(name.split())


def class_for_name(name: str) -> str:
    """Map an instrument or file name to one of CLASSES, or UNKNOWN when the name does not say.

    >>> class_for_name("Hi-Hat Closed (Paiste 14\\")"), class_for_name("BD_808_long")
    ('hihat', 'kick')
    """
    text = normalise_name(name)
    # "Rim Click" is a rim sound, not the veto word "click" (Hydrogen's ForzeeStereo kit).
    words = re.sub(r"\brim ?click\b", "rimclick", text).split()
    if VETO.intersection(words):
        return UNKNOWN
    for pattern, label in PHRASES:
        if re.search(pattern, text):
            return label
    found = {_WORD_TO_CLASS[w] for w in words if w in _WORD_TO_CLASS}
    return found.pop() if len(found) == 1 else UNKNOWN


def class_for_word(word: str) -> str:
    """A class named by one word: its own name or an alias (`BD`, `HH`, `Clp`), else UNKNOWN."""
    word = word.strip().lower()
    return word if word in CLASSES else _WORD_TO_CLASS.get(word, UNKNOWN)


# Words a class folder's name may carry besides the class (`01 Kick Drums`, `Closed Hats`,
# `Lo Toms`): they describe the hits, not a pack. Numbers are allowed too.
FOLDER_FILLER = frozenset(
    {"drum", "drums", "hit", "hits", "one", "shot", "shots", "oneshot", "oneshots", "sample"}
    | {"samples", "sound", "sounds", "closed", "open", "pedal", "hi", "high", "lo", "low", "mid"}
)


# Words that make a folder a pack or a folder of loops, whatever class it mentions:
# `Big Stick Kit`, `Kick Pack Vol 1`, `Snare Rolls`, `Kick Loops`.
NOT_A_CLASS_FOLDER = VETO | frozenset(
    {"kit", "kits", "pack", "packs", "vol", "volume", "collection", "library", "bundle"}
    | {"series", "edition", "loops", "roll", "rolls", "fill", "fills", "groove", "grooves"}
    | {"break", "breaks", "pattern", "patterns"}
)


def folder_class(name: str) -> tuple[str, bool]:
    """(the class a folder's name names, whether the name IS that class), or (UNKNOWN, False).

    The name is the class (`Kicks`, `BD`, `HH`, `Snare Drums`, `02 - Hi-Hats`) when every word
    is an alias of that one class (two-word names such as `bass drum` count as their class),
    a FOLDER_FILLER word or a number. It names the class more loosely when other words
    describe it (`Acoustic Kicks`, `Trap Hi Hats`, `Snares (Acoustic)`). A name with words of
    two classes, or with a word of NOT_A_CLASS_FOLDER (`Big Stick Kit`, `Kick Pack Vol 1`,
    `Kick Loops`), is a pack or a folder of loops: no class.
    """
    text = normalise_name(name)
    for pattern, label in PHRASES:
        if label != UNKNOWN:
            text = re.sub(pattern, f" {label} ", text)
    words = [w for w in text.split() if w not in FOLDER_FILLER and not w.isdigit()]
    if NOT_A_CLASS_FOLDER.intersection(words):
        return UNKNOWN, False
    found = {_WORD_TO_CLASS[w] for w in words if w in _WORD_TO_CLASS}
    if len(found) != 1:
        return UNKNOWN, False
    return found.pop(), all(w in _WORD_TO_CLASS for w in words)


def class_for_folder(name: str) -> str:
    """The class a folder's name names (`folder_class`), else UNKNOWN: such a folder is a
    class folder, not a library."""
    return folder_class(name)[0]


def class_for_path(path_parts: list[str] | tuple[str, ...]) -> str:
    """Class of a file at `path_parts` (folders, then the file name) in a user's tree.

    The innermost folder that names a class decides, since whoever sorted the file there knew
    what it is: whatever the file's name says when the folder's name IS the class
    (`Snares/OH.wav` is a snare), and unless the file's name says a class when the folder's
    name only names it among other words (`Clap Trap Sounds/kick_01.wav` is a kick). The file
    name decides when no folder names a class.
    """
    by_name = class_for_name(path_parts[-1]) if path_parts else UNKNOWN
    for folder in reversed(path_parts[:-1]):
        label, strict = folder_class(folder)
        if label != UNKNOWN:
            return label if strict or by_name == UNKNOWN else by_name
    return by_name


def parse_classes(text: str | None, allowed: tuple[str, ...] = CLASSES) -> tuple[str, ...] | None:
    """'kick,snare' -> ('kick', 'snare'); 'four'/'two'/'all' are shorthands. None -> None."""
    if text is None:
        return None
    shorthand = {"two": STUDY_TWO, "four": STUDY_FOUR, "all": CLASSES, "drums": DRUM_CLASSES}
    if text in shorthand:
        return shorthand[text]
    names = tuple(dict.fromkeys(p.strip().lower() for p in text.split(",") if p.strip()))
    bad = [n for n in names if n not in allowed]
    if bad or not names:
        why = " ('loop' is not a class a model learns: classify finds loops by their hits)"
        allowed_text = ", ".join(allowed) + why * (LOOP in bad)
        raise ValueError(f"unknown classes {bad or text!r}; choose from {allowed_text}")
    return names
