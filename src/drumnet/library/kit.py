"""A drum kit from a library: the pads of a sampler, and a suggestion of a sound for each.

    picks = suggest_kit(candidates)          # {pad name: Candidate}
    export_kit({p: c.path for p, c in picks.items()}, "~/Kits/mine")  # drumnet.library.kit_export

Pads follow General MIDI percussion keys, so the exported kit plays from any GM drum pattern.
A suggestion takes, per pad, the most confident sound of its class, preferring sounds from the
pack (folder) that holds the most of the kit, and sounds close in embedding space to those
already chosen, so the kit sounds like one kit. The network has one class for hi-hats, toms and
cymbals: the file name says which hat, tom or cymbal when it can (`OH`, `Floor Tom`, `Ride`);
otherwise a hat's decay decides closed or open, a tom's pitch its place (low, mid, high), and
the first cymbal is the crash. docs/browser.md describes the kit builder that uses it.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from drumnet.audio.decode import read_head
from drumnet.audio.prepare import to_mono
from drumnet.errors import AudioError
from drumnet.taxonomy import normalise_name
from drumnet.training.datasets.folders import pack_of


@dataclass(frozen=True)
class Pad:
    """One pad of a kit: its name, General MIDI key and the class its sound comes from."""

    name: str
    key: int  # GM percussion key (MIDI note number)
    label: str  # the drumnet class of its sound
    title: str  # shown in the page and in Hydrogen


PADS = (
    Pad("kick", 36, "kick", "Kick"),
    Pad("snare", 38, "snare", "Snare"),
    Pad("closed-hat", 42, "hihat", "Closed Hat"),
    Pad("open-hat", 46, "hihat", "Open Hat"),
    Pad("tom-low", 41, "tom", "Low Tom"),
    Pad("tom-mid", 45, "tom", "Mid Tom"),
    Pad("tom-high", 48, "tom", "High Tom"),
    Pad("crash", 49, "cymbal", "Crash"),
    Pad("ride", 51, "cymbal", "Ride"),
    Pad("clap", 39, "clap", "Clap"),
    Pad("rim", 37, "rim", "Rim"),
    Pad("perc", 56, "perc", "Perc"),  # GM has no "percussion" key: 56 is the cowbell
)
PAD_BY_NAME = {pad.name: pad for pad in PADS}
CHOKED = ("closed-hat", "open-hat")  # one choke group: a closed hat cuts the open one off
# Other names people use for a pad on the command line (`--pick hat=x.wav`).
PAD_ALIASES = {"hihat": "closed-hat", "hat": "closed-hat", "closed": "closed-hat"}
PAD_ALIASES |= {"open": "open-hat", "tom": "tom-mid", "cymbal": "crash"}

PER_CLASS = 8  # candidates weighed per class: the most confident ones
PACK_BONUS = 0.15  # added to a candidate's confidence when it lies in the kit's main pack
CLOSE_BONUS = 0.3  # times its mean cosine similarity to the sounds chosen so far
# A hat still sounding this long after its peak (to -40 dB) is an open one. Closed and pedal
# hats die within about 0.2 s; open hats ring for half a second or more.
OPEN_HAT_SECONDS = 0.3
DECAY_DB = 40.0

# File-name words that say which hat, tom or cymbal a sound is.
_HINTS = {
    "open-hat": {"open", "oh", "ohh", "opn"},
    "closed-hat": {"closed", "close", "ch", "chh", "cl", "pedal", "phh", "ped"},
    "tom-low": {"low", "lo", "floor", "ft", "lt"},
    "tom-mid": {"mid", "mt", "med"},
    "tom-high": {"high", "hi", "ht"},
    "crash": {"crash", "cr", "splash", "china"},
    "ride": {"ride", "rd", "bell"},
}


@dataclass(frozen=True)
class Candidate:
    """A sound that may go on a pad. vector: its unit-length embedding, or None."""

    path: str
    label: str
    confidence: float
    vector: np.ndarray | None = None
    id: int | None = None  # the browser's id for it, when it has one


def pad_name(text: str) -> str:
    """A pad's name from what a person typed (`kick`, `Open-Hat`, `hat`); ValueError if none."""
    name = text.strip().lower().replace("_", "-").replace(" ", "-")
    name = PAD_ALIASES.get(name, name)
    if name not in PAD_BY_NAME:
        raise ValueError(f"unknown pad {text!r}; choose from {', '.join(PAD_BY_NAME)}")
    return name


def parse_picks(items: Iterable[str]) -> dict[str, str]:
    """['kick=a.wav', 'snare=b.wav'] -> {'kick': 'a.wav', 'snare': 'b.wav'}; ValueError."""
    picks: dict[str, str] = {}
    for item in items:
        pad, sep, path = item.partition("=")
        if not sep or not path:
            raise ValueError(f"--pick {item!r}: give PAD=FILE, e.g. kick=BD01.wav")
        picks[pad_name(pad)] = path
    return picks


def decay_seconds(path: str | os.PathLike, max_seconds: float = 4.0) -> float:
    """Seconds from a sound's peak until its envelope stays DECAY_DB below it (at most
    `max_seconds`, read from the file's start). Raises AudioError."""
    frames, rate, _, _ = read_head(path, max_seconds)
    x = np.abs(to_mono(frames))
    block = max(1, rate // 200)  # 5 ms envelope steps
    env = np.maximum.reduceat(x, np.arange(0, len(x), block))  # (n_blocks,)
    peak = int(env.argmax())
    if env[peak] <= 0:
        return 0.0
    loud = np.flatnonzero(env[peak:] >= env[peak] * 10 ** (-DECAY_DB / 20))
    return float((loud[-1] + 1) * block / rate)


def pitch_hz(path: str | os.PathLike) -> float:
    """The strongest frequency (Hz, 30-1000) in a sound's first half second: a tom's pitch.
    Raises AudioError."""
    frames, rate, _, _ = read_head(path, 0.5)
    x = to_mono(frames) * np.hanning(len(frames))
    spectrum = np.abs(np.fft.rfft(x, n=max(len(x), rate)))  # >= 1 Hz resolution
    freqs = np.fft.rfftfreq(max(len(x), rate), 1 / rate)
    band = (freqs >= 30) & (freqs <= 1000)
    return float(freqs[band][spectrum[band].argmax()])


def _hinted(path: str, pads: Iterable[str]) -> str | None:
    """The pad among `pads` that the file name names (`OH_01.wav` -> open-hat), else None."""
    words = set(normalise_name(os.path.basename(path)).split())
    found = [p for p in pads if _HINTS.get(p, set()) & words]
    return found[0] if len(found) == 1 else None


def main_pack(candidates: Iterable[Candidate]) -> str | None:
    """The pack (folder, `pack_of`) holding the most classes among `candidates` (ties: the
    higher summed confidence), or None when they come from no folder at all."""
    classes: dict[str, set[str]] = {}
    weight: dict[str, float] = {}
    for c in candidates:
        pack = pack_of(c.path)
        classes.setdefault(pack, set()).add(c.label)
        weight[pack] = weight.get(pack, 0.0) + c.confidence
    if not classes:
        return None
    return max(classes, key=lambda p: (len(classes[p]), weight[p]))


class _Scorer:
    """A candidate's score: confidence, plus bonuses for the main pack and for sounding close
    to the sounds chosen so far."""

    def __init__(self, pack: str | None):
        self.pack = pack
        self.chosen: list[np.ndarray] = []

    def __call__(self, c: Candidate) -> float:
        score = c.confidence + (PACK_BONUS if self.pack and pack_of(c.path) == self.pack else 0)
        if c.vector is not None and self.chosen:
            score += CLOSE_BONUS * float(np.mean(np.stack(self.chosen) @ c.vector))
        return score

    def take(self, c: Candidate) -> Candidate:
        if c.vector is not None:
            self.chosen.append(np.asarray(c.vector, np.float32))
        return c


def suggest_kit(
    candidates: Iterable[Candidate],
    fixed: Mapping[str, Candidate] | None = None,
    decay: Callable[[str], float] = decay_seconds,
    pitch: Callable[[str], float] = pitch_hz,
) -> dict[str, Candidate]:
    """A sound per pad, {pad name: Candidate}, in PADS order; pads with no candidate of their
    class are left out. `fixed` pads (a person's picks) are kept and steer the rest towards
    their pack and sound. `decay` and `pitch` measure a file (seconds, Hz); a file they
    cannot read is passed over."""
    by_class: dict[str, list[Candidate]] = {}
    for c in sorted(candidates, key=lambda c: -c.confidence):
        if len(by_class.setdefault(c.label, [])) < PER_CLASS:
            by_class[c.label].append(c)
    fixed = dict(fixed or {})
    top = [c for cs in by_class.values() for c in cs]
    score = _Scorer(main_pack([*fixed.values(), *top]))
    for c in fixed.values():
        score.take(c)
    used = {os.path.abspath(c.path) for c in fixed.values()}
    kit = dict(fixed)
    for label in dict.fromkeys(pad.label for pad in PADS):
        pads = [p.name for p in PADS if p.label == label and p.name not in kit]
        pool = [c for c in by_class.get(label, []) if os.path.abspath(c.path) not in used]
        if not pads or not pool:
            continue
        if label == "hihat":
            placed = _hats(pads, pool, score, decay)
        elif label == "tom":
            placed = _toms(pads, pool, score, pitch)
        else:
            placed = _in_order(pads, pool, score)
        for pad, c in placed.items():
            kit[pad] = score.take(c)
            used.add(os.path.abspath(c.path))
    return {p.name: kit[p.name] for p in PADS if p.name in kit}


def _in_order(pads: list[str], pool: list[Candidate], score: _Scorer) -> dict[str, Candidate]:
    """Best scores first; a file name that names a pad (`Ride 02`) goes on that pad."""
    placed: dict[str, Candidate] = {}
    ranked = sorted(pool, key=score, reverse=True)
    for c in ranked:
        pad = _hinted(c.path, pads)
        if pad and pad not in placed:
            placed[pad] = c
    rest = [c for c in ranked if c not in placed.values()]
    for pad in pads:
        if pad not in placed and rest:
            placed[pad] = rest.pop(0)
    return placed


def _measured(pool: list[Candidate], measure: Callable[[str], float]) -> dict[str, float]:
    """{path: measure(path)} of the files it can read."""
    out = {}
    for c in pool:
        try:
            out[c.path] = measure(c.path)
        except (AudioError, OSError, ValueError):
            continue
    return out


def _hats(pads, pool, score: _Scorer, decay) -> dict[str, Candidate]:
    """Closed and open hats: by file name, else by decay (OPEN_HAT_SECONDS)."""
    lengths = _measured([c for c in pool if _hinted(c.path, CHOKED) is None], decay)
    kinds: dict[str, list[Candidate]] = {"closed-hat": [], "open-hat": []}
    for c in pool:
        kind = _hinted(c.path, CHOKED)
        if kind is None and c.path in lengths:
            kind = "open-hat" if lengths[c.path] >= OPEN_HAT_SECONDS else "closed-hat"
        if kind:
            kinds[kind].append(c)
    placed = {}
    for pad in pads:
        if kinds[pad]:
            placed[pad] = max(kinds[pad], key=score)
    alone = len(pool) == 1 and _hinted(pool[0].path, CHOKED) is None
    if alone and "open-hat" in placed and "closed-hat" in pads:
        placed = {"closed-hat": placed["open-hat"]}  # one hat, whatever it is: the closed pad
    for pad, pick in (("closed-hat", min), ("open-hat", max)):
        # No hat of this kind: the shortest (longest) of the rest is the closest there is.
        rest = [c for c in pool if c not in placed.values() and c.path in lengths]
        if pad in pads and pad not in placed and rest:
            placed[pad] = pick(rest, key=lambda c: lengths[c.path])
    return placed


def _toms(pads, pool, score: _Scorer, pitch) -> dict[str, Candidate]:
    """The best toms, low to high by pitch (a file name that says `floor`, `hi` wins)."""
    chosen = sorted(pool, key=score, reverse=True)[: len(pads)]
    placed = {}
    for c in chosen:
        pad = _hinted(c.path, pads)
        if pad and pad not in placed:
            placed[pad] = c
    rest = [c for c in chosen if c not in placed.values()]
    heights = _measured(rest, pitch)
    rest.sort(key=lambda c: heights.get(c.path, 0.0))
    free = [p for p in pads if p not in placed]  # low to high, as PADS lists them
    if rest and len(rest) < len(free):  # spread out: one tom -> mid, two -> low and high
        n = len(rest)
        free = [free[round((i + 0.5) * len(free) / n - 0.5)] for i in range(n)]
    for pad, c in zip(free, rest):
        placed[pad] = c
    return placed


def find_candidates(
    paths: Iterable[str | os.PathLike],
    model,
    index=None,
    workers: int = 2,
    threads: int | None = None,
    on_error: Callable[[str, str], None] | None = None,
) -> list[Candidate]:
    """Classify the files under `paths` (a `DrumClassifier`, reusing `index`) and embed the
    most confident PER_CLASS of each drum class: the candidates `suggest_kit` weighs. A file
    that fails is passed to `on_error(path, reason)` and left out; loops, silent and `other`
    sounds are no candidates."""
    from drumnet.inference.pipeline import classify_paths  # torch: only when it is needed
    from drumnet.library.embed import embed_paths
    from drumnet.taxonomy import DRUM_CLASSES

    found: list[Candidate] = []
    results = classify_paths(paths, model, workers=workers, index=index, threads=threads)
    try:
        for r in results:
            if not r.ok:
                if on_error:
                    on_error(r.path, r.error)
            elif r.label in DRUM_CLASSES and r.warning not in ("silent", "multi-hit"):
                found.append(Candidate(r.path, r.label, r.confidence))
    finally:
        results.close()
    best: list[Candidate] = []
    for label in DRUM_CLASSES:
        best += sorted((c for c in found if c.label == label), key=lambda c: -c.confidence)[
            :PER_CLASS
        ]
    if not best:
        return []
    vectors = {
        e.path: e.vector
        for e in embed_paths([c.path for c in best], model, 0, index=index, threads=threads)
        if e.ok
    }
    return [Candidate(c.path, c.label, c.confidence, vectors.get(c.path), c.id) for c in best]
