"""Speech for the `other` class: seeded plans, real eSpeak NG output, graceful failure."""

from __future__ import annotations

import shutil

import pytest

from drumnet.audio.sound import load_sound
from drumnet.training.datasets import speech
from drumnet.training.datasets.debian import FetchError


def test_plan_is_seeded_and_varied():
    plan = speech.speech_plan(50, seed=3)
    assert plan == speech.speech_plan(50, seed=3) and plan != speech.speech_plan(50, seed=4)
    assert len({voice for voice, *_ in plan}) > 10
    assert all(120 <= wpm <= 320 and 10 <= pitch <= 90 for _, _, wpm, pitch in plan)


def test_unavailable_espeak_yields_nothing_and_says_why(isolated_cache, monkeypatch):
    def fail(*args, **kwargs):
        raise FetchError("apt has no package lists")

    monkeypatch.setattr(speech, "fetch_packages", fail)
    samples, skipped = speech.speech_samples(5)
    assert samples == [] and skipped == [
        ("speech synthesis unavailable", "apt has no package lists")
    ]


@pytest.mark.slow
def test_real_espeak_writes_audible_speech():
    if shutil.which("apt-get") is None:
        pytest.skip("apt-get not available")
    samples, skipped = speech.speech_samples(8, seed=1)
    assert skipped == [] and len(samples) == 8
    assert {s.label for s in samples} == {"other"} and {s.library for s in samples} == {"espeak-ng"}
    for s in samples:
        sound = load_sound(s.path)
        assert not sound.silent and 0.1 < sound.source_seconds < 3.0
    again, _ = speech.speech_samples(8, seed=1)
    assert [s.path for s in again] == [s.path for s in samples]  # reused, not re-spoken
