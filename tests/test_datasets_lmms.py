"""LMMS samples: drum one-shots labelled by name, non-drum material as `other`."""

from __future__ import annotations

import pytest

from drumnet.taxonomy import OTHER
from drumnet.training.datasets.lmms import (
    drumsynth_preset_dir,
    lmms_drum_samples,
    lmms_other_samples,
)


def test_fake_library(tmp_path, write_drum):
    write_drum(tmp_path / "drums" / "kick01.ogg.wav", "kick")
    write_drum(tmp_path / "drums" / "snare_rim01.wav", "snare")
    write_drum(tmp_path / "basses" / "bass01.wav", "tom")
    write_drum(tmp_path / "waveforms" / "impulse.wav", "hat")
    write_drum(tmp_path / "effects" / "explode01.wav", "kick")
    drums, skipped = lmms_drum_samples(tmp_path)
    assert [(s.label, s.library, s.source) for s in drums] == [("kick", "lmms-drums", "lmms")]
    assert skipped == [("file name says no class", "lmms-drums/snare_rim01.wav")]
    other, left_out = lmms_other_samples(tmp_path)
    assert [(s.label, s.library) for s in other] == [(OTHER, "lmms-basses")]
    assert sorted(w for _, w in left_out) == [
        "lmms-effects/explode01.wav",
        "lmms-waveforms/impulse.wav",
    ]


@pytest.mark.slow
def test_real_lmms_samples(lmms_dir):
    drums, _ = lmms_drum_samples(lmms_dir)
    labels = {s.label for s in drums}
    assert len(drums) >= 60 and {"kick", "snare", "hihat", "tom", "clap"} <= labels
    assert not any("snare_rim" in s.path or "zap" in s.path for s in drums)
    other, _ = lmms_other_samples(lmms_dir)
    assert len(other) >= 80 and {s.label for s in other} == {OTHER}
    assert {"lmms-basses", "lmms-instruments", "lmms-stringsnpads"} <= {s.library for s in other}
    assert len(list(drumsynth_preset_dir(lmms_dir).rglob("*.ds"))) > 500
