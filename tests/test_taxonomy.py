"""class_for_name against a human-reviewed table of every Hydrogen instrument, plus pack names."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

from drumnet import taxonomy
from drumnet.taxonomy import CLASSES, UNKNOWN, class_for_name, class_for_path


def _table() -> list[dict[str, str]]:
    text = resources.files("drumnet").joinpath("data/hydrogen_instruments.csv").read_text("utf-8")
    return list(csv.DictReader(text.splitlines()))


def test_table_covers_the_default_kits():
    rows = _table()
    assert len({r["kit"] for r in rows}) == 16
    assert len(rows) > 400
    assert {r["expected_class"] for r in rows} <= set(CLASSES) | {UNKNOWN}


def test_every_hydrogen_instrument_maps_as_a_person_would():
    wrong = [
        (r["kit"], r["instrument"], r["expected_class"], class_for_name(r["instrument"]))
        for r in _table()
        if class_for_name(r["instrument"]) != r["expected_class"]
    ]
    assert wrong == []


@pytest.mark.parametrize(
    "name, expected",
    [
        ("BD", "kick"), ("BD_808_long.wav", "kick"), ("Kick", "kick"), ("kick_hard01", "kick"),
        ("Bass Drum 1", "kick"), ("SD", "snare"), ("Snr_03", "snare"), ("Snare Rimshot", "snare"),
        ("HH", "hihat"), ("CH", "hihat"), ("OH", "hihat"), ("Hi-Hat Open", "hihat"),
        ("CHH_1", "hihat"), ("Clp", "clap"), ("Hand Clap", "clap"), ("Crash", "cymbal"),
        ("Ride", "cymbal"), ("Ride Bell", "cymbal"), ("Rim", "rim"), ("Rim Click", "rim"),
        ("SideStick", "rim"), ("Perc", "perc"), ("Cowbell", "perc"), ("Tom Hi", "tom"),
        ("LT", "tom"), ("floor tom", "tom"), ("Kicks", "kick"), ("Cymbals", "cymbal"),
        ("snare_rim", UNKNOWN), ("Snare Roll", UNKNOWN), ("Zap 1", UNKNOWN), ("FX", UNKNOWN),
        ("kick_loop", UNKNOWN), ("Drum 1", UNKNOWN), ("", UNKNOWN), ("17", UNKNOWN),
    ],
)  # fmt: skip
def test_sample_pack_names(name, expected):
    assert class_for_name(name) == expected


def test_path_falls_back_to_folders_innermost_first():
    assert class_for_path(("808", "BD", "x.wav")) == "kick"
    assert class_for_path(("Kicks", "Snare", "01.wav")) == "snare"
    assert class_for_path(("misc", "take1.wav")) == UNKNOWN


def test_a_class_folder_beats_the_file_name():
    assert class_for_path(("Snares", "OH.wav")) == "snare"
    assert class_for_path(("Kicks", "808 Kit", "ride.wav")) == "kick"
    assert class_for_path(("Big Stick Kit", "ride.wav")) == "cymbal"  # no class folder: the name


def test_a_folder_that_describes_its_class_decides_unless_the_file_name_names_one():
    assert class_for_path(("Acoustic Kicks", "x01.wav")) == "kick"
    assert class_for_path(("Clap Trap Sounds", "kick_01.wav")) == "kick"
    assert class_for_path(("Kicks", "Acoustic Snares", "x01.wav")) == "snare"  # the innermost


@pytest.mark.parametrize(
    "name, expected",
    [
        ("Kicks", "kick"), ("BD", "kick"), ("HH", "hihat"), ("Snare", "snare"),
        ("Snare Drums", "snare"), ("02 - Hi-Hats", "hihat"), ("Closed Hats", "hihat"),
        ("Bass Drum", "kick"), ("Lo Toms", "tom"), ("808 Kicks", "kick"),
        ("Big Stick Kit", UNKNOWN), ("Studio Crash Kit", UNKNOWN), ("Kick Pack Vol 1", UNKNOWN),
        ("808 Kit", UNKNOWN), ("Snare Roll", UNKNOWN), ("Kick Loops", UNKNOWN),
        ("Kicks and Snares", UNKNOWN), ("Drums", UNKNOWN), ("FX", UNKNOWN),
        ("Acoustic Kicks", "kick"), ("Electronic Snares", "snare"), ("Trap Hi Hats", "hihat"),
        ("Big Room Kicks", "kick"), ("Snares (Acoustic)", "snare"), ("Snare Rolls", UNKNOWN),
    ],
)  # fmt: skip
def test_a_folder_names_a_class_only_when_its_name_is_one(name, expected):
    assert taxonomy.class_for_folder(name) == expected


def test_parse_classes_takes_shorthands_and_says_why_a_loop_is_no_class() -> None:
    assert taxonomy.parse_classes("Kick, snare,kick") == ("kick", "snare")
    assert taxonomy.parse_classes("four") == taxonomy.STUDY_FOUR
    with pytest.raises(ValueError, match=r"unknown classes \['bongo'\]; choose from kick") as e:
        taxonomy.parse_classes("kick,bongo")
    assert "loop" not in str(e.value)
    with pytest.raises(
        ValueError, match="'loop' is not a class a model learns: classify finds loops by"
    ):
        taxonomy.parse_classes("kick,loop")
