"""Hydrogen kits: every drumkit.xml generation parses; the real Debian kits give a full set."""

from __future__ import annotations

from pathlib import Path

import pytest

from drumnet.taxonomy import DRUM_CLASSES, OTHER
from drumnet.training.datasets.hydrogen import (
    effects_samples,
    hydrogen_samples,
    parse_drumkit,
    skip_counts,
)

NEW_KIT = """<?xml version="1.0" encoding="UTF-8"?>
<drumkit_info xmlns="http://www.hydrogen-music.org/drumkit">
 <name>New</name>
 <instrumentList>
  <instrument><id>0</id><name>Kick</name>
   <instrumentComponent><layer><filename>kick_soft.wav</filename></layer>
    <layer><filename>kick_hard.wav</filename></layer></instrumentComponent>
  </instrument>
  <instrument><id>1</id><name>Snare Roll</name>
   <instrumentComponent><layer><filename>roll.wav</filename></layer></instrumentComponent>
  </instrument>
  <instrument><id>2</id><name>Closed HH</name>
   <instrumentComponent><layer><filename>gone.wav</filename></layer></instrumentComponent>
  </instrument>
  <instrument><id>3</id><name>17</name></instrument>
 </instrumentList>
</drumkit_info>
"""
OLD_KIT = """<drumkit_info><name>Old</name><instrumentList>
  <instrument><name>Tom Low</name><layer><filename>tom.wav</filename></layer></instrument>
  <instrument><name>Hat</name><filename>hat.wav</filename></instrument>
  <instrument><name>Snare</name><filename>emptySample.wav</filename></instrument>
</instrumentList></drumkit_info>
"""


def _kit(root: Path, name: str, xml: str, files: list[str], write_drum) -> Path:
    for f in files:
        write_drum(root / name / f, "kick")
    (root / name).mkdir(parents=True, exist_ok=True)
    (root / name / "drumkit.xml").write_text(xml)
    return root / name / "drumkit.xml"


def test_new_format_with_namespace(tmp_path, write_drum):
    xml = _kit(
        tmp_path, "NewKit", NEW_KIT, ["kick_soft.wav", "kick_hard.wav", "roll.wav"], write_drum
    )
    samples, skipped = parse_drumkit(xml)
    assert [(s.label, s.layer, Path(s.path).name) for s in samples] == [
        ("kick", 0, "kick_soft.wav"),
        ("kick", 1, "kick_hard.wav"),
    ]
    assert all(s.library == "NewKit" and s.source == "hydrogen" for s in samples)
    assert all(Path(s.path).is_absolute() for s in samples)
    assert [r for r, _ in skipped] == [
        "instrument name says no class",
        "layer file missing",
        "instrument has no layers",
    ]


def test_old_formats_layer_and_bare_filename(tmp_path, write_drum):
    xml = _kit(tmp_path, "OldKit", OLD_KIT, ["tom.wav", "hat.wav"], write_drum)
    samples, skipped = parse_drumkit(xml)
    assert [(s.instrument, s.label) for s in samples] == [("Tom Low", "tom"), ("Hat", "hihat")]
    assert skipped == [("instrument has no layers", "OldKit/Snare")]  # the placeholder sample


def test_unreadable_kit_is_skipped_not_fatal(tmp_path, write_drum):
    _kit(tmp_path, "Good", OLD_KIT, ["tom.wav", "hat.wav"], write_drum)
    (tmp_path / "Bad").mkdir()
    (tmp_path / "Bad" / "drumkit.xml").write_text("<drumkit_info><unclosed>")
    samples, skipped = hydrogen_samples(tmp_path)
    assert len(samples) == 2
    assert skip_counts(skipped)["drumkit.xml unreadable"] == 1


# Chord names that a drum kit's instrument names would never be mistaken for, and one that
# would ("Crash" chord): the effects kit is `other` whatever its instruments are called.
STRUMS_KIT = """<drumkit_info><name>belofilms.com - AC-Guitar-Strums (flac)</name><instrumentList>
  <instrument><name>A#min7b5  \\ B7</name><layer><filename>Asharp_DOWN_00.flac</filename></layer>
   <layer><filename>Asharp_DOWN_01.flac</filename></layer></instrument>
  <instrument><name>Crash chord</name><layer><filename>crash.flac</filename></layer></instrument>
</instrumentList></drumkit_info>
"""


def test_effects_kit_is_other_and_never_a_drum_kit(tmp_path, write_drum):
    """Both Debian packages extract into one root: the strums are `other`, never drums."""
    _kit(tmp_path, "Good", OLD_KIT, ["tom.wav", "hat.wav"], write_drum)
    files = ["Asharp_DOWN_00.flac", "Asharp_DOWN_01.flac", "crash.flac"]
    _kit(tmp_path, "belofilms_GuitarStrums", STRUMS_KIT, files, write_drum)

    drums, skipped = hydrogen_samples(tmp_path)
    assert {s.library for s in drums} == {"Good"}
    assert ("an effects kit, not drums", "belofilms_GuitarStrums") in skipped

    strums, skipped = effects_samples(tmp_path)
    assert [Path(s.path).name for s in strums] == files
    assert {(s.label, s.library, s.source) for s in strums} == {
        (OTHER, "belofilms_GuitarStrums", "effects")
    }
    assert [s.layer for s in strums] == [0, 1, 0]
    assert skipped == []


@pytest.mark.hydrogen
@pytest.mark.slow
def test_real_effects_kit_is_all_other(hydrogen_effects, hydrogen_kits):
    strums, _ = effects_samples(hydrogen_effects)
    assert len(strums) >= 250
    assert {(s.label, s.library) for s in strums} == {(OTHER, "belofilms_GuitarStrums")}
    assert all(Path(s.path).is_file() for s in strums)
    assert hydrogen_effects == hydrogen_kits  # one extraction root holds both packages
    drums, _ = hydrogen_samples(hydrogen_kits)
    assert "belofilms_GuitarStrums" not in {s.library for s in drums}


@pytest.mark.hydrogen
@pytest.mark.slow
def test_real_debian_kits(hydrogen_kits):
    samples, skipped = hydrogen_samples(hydrogen_kits)
    kits = {s.library for s in samples}
    assert len(kits) >= 15
    assert len(samples) >= 400
    assert set(DRUM_CLASSES) <= {s.label for s in samples}
    assert all(Path(s.path).is_file() for s in samples)
    assert len({s.path for s in samples}) == len(samples)
    # Left out, with reasons: e.g. "Snare Roll" and the empty slots of the Millo kits.
    counts = skip_counts(skipped)
    assert counts["instrument name says no class"] > 0
    assert counts["instrument has no layers"] > 0
