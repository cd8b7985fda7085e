"""class_for_name against a human-reviewed table of every Hydrogen instrument, plus pack names."""

from __future__ import annotations

import csv
from importlib import resources

import pytest

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
