"""Scores -> an answer: `Decision` turns a file's class probabilities into a label, `Result` is
the answer for one file (docs/output.md lists its fields and warnings)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from drumnet.taxonomy import LOOP, UNSURE

if TYPE_CHECKING:
    from drumnet.library.index import Entry

# Warn "above-band" from this loss on (97 % of the energy out of the model's hearing). In the
# Hydrogen kits only electronic hi-hats pass 15 dB (9 of 148 hats); no kick, snare, tom, clap
# or rim passes 5 dB, and no cymbal or percussion 15 dB (tambourines reach 14).
ABOVE_BAND_DB = 15.0
# A file is a loop (several hits: a beat, a roll, a phrase) when a separate hit starts this
# long after its first. No one-shot of the Hydrogen kits, the LMMS drums or the synthesiser's
# drums has one (their latest second hits: 0.36 s, 0.23 s, 0.48 s); all 13 LMMS loops do.
LOOP_SPAN_SECONDS = 0.5


@dataclass(frozen=True)
class Result:
    """The answer for one file: a label, or an error saying why there is none.

    scores: probabilities over the classes the decision was restricted to (sum 1).
    confidence: the label's probability (1.0 for a person's correction); for `unsure`, the
    best class's probability, i.e. how far below the threshold it was; for `loop`, the best
    class's probability too (the scores say what the loop's first second sounds like).
    """

    path: str
    label: str | None = None
    confidence: float | None = None
    scores: dict[str, float] | None = None
    error: str | None = None
    # "silent": valid audio with nothing to hear (in its first 30 s: audio.load_sound).
    # "multi-hit": a separate hit starts at least LOOP_SPAN_SECONDS after the first (labelled
    # `loop` unless the decision keeps loops' class labels). "above-band": over 97 % of the
    # sound's energy lies above what the model hears (half its 11,025 Hz), so the label rests
    # on the rest. "low-rate": the file's sample rate is below the model's, so the top of the
    # band the model hears is missing from it (8 kHz files lack 4-5.5 kHz).
    warning: str | None = None
    corrected: bool = False  # the label is a person's correction
    cached: bool = False  # answered from the index, without decoding
    hash: str | None = None  # blake2b-128 of the file's bytes
    size: int | None = None  # bytes
    duplicate_of: str | None = None  # an earlier file of this run with identical bytes
    # An earlier name of this run for this very file (a symbolic or hard link to it, or its
    # target): the same file, not a copy of it, so not a duplicate_of.
    same_file_as: str | None = None
    adapted: bool = False  # other files' corrections changed the label (library.corrected)

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_record(self) -> dict:
        """The JSON-lines record: {path, label, confidence, scores[, warning, corrected,
        duplicate_of, same_file_as]} or {path, error}."""
        if self.error is not None:
            return {"path": self.path, "error": self.error}
        record = {
            "path": self.path,
            "label": self.label,
            "confidence": round(self.confidence, 6),
            "scores": {k: round(v, 6) for k, v in self.scores.items()},
        }
        if self.warning:
            record["warning"] = self.warning
        if self.corrected:
            record["corrected"] = True
        if self.adapted:
            record["adapted"] = True
        if self.duplicate_of:
            record["duplicate_of"] = self.duplicate_of
        if self.same_file_as:
            record["same_file_as"] = self.same_file_as
        return record


@dataclass(frozen=True)
class Decision:
    """How scores become a label: restricted to `classes`, `unsure` below `min_confidence`,
    `loop` for a file of several hits (unless `loops` is False: then its first second's
    class)."""

    classes: tuple[str, ...]
    min_confidence: float = 0.0
    loops: bool = True

    def decide(
        self, scores: dict[str, float], silent: bool, correction: str | None, loop: bool = False
    ):
        """Full-model scores -> (label, confidence, restricted scores, corrected).

        loop: the file holds several hits: answered `loop` whatever the scores say (the model
        hears most drum loops as `other` or as their first hit; the scores are still given).
        """
        # Renormalising a subset of softmax outputs equals a softmax over those logits.
        sub = np.array([scores[c] for c in self.classes], dtype=np.float64)
        sub = sub / sub.sum() if sub.sum() > 0 else np.full(len(sub), 1.0 / len(sub))
        restricted = dict(zip(self.classes, sub.tolist()))
        best = int(sub.argmax())
        if correction is not None:
            return correction, 1.0, restricted, True
        label = self.classes[best]
        if silent or sub[best] < self.min_confidence:
            label = UNSURE
        if loop and self.loops and not silent:
            label = LOOP
        return label, float(sub[best]), restricted, False


def is_loop(hit_span: float | None) -> bool:
    """A file whose hits span this long is a loop (False when the span was not measured)."""
    return hit_span is not None and hit_span >= LOOP_SPAN_SECONDS


def warning_for(entry: Entry, model_rate: int) -> str | None:
    if entry.silent:
        return "silent"
    if is_loop(entry.hit_span):
        return "multi-hit"
    if entry.above_band_db is not None and entry.above_band_db >= ABOVE_BAND_DB:
        return "above-band"
    if entry.source_rate is not None and entry.source_rate < model_rate:
        return "low-rate"
    return None
