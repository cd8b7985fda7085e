"""User folders: classes from the tree, or from a labels.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from drumnet.datasets.folders import folder_samples


def test_tree_labels_from_folders_and_file_names(tmp_path, write_drum):
    write_drum(tmp_path / "Pack A" / "Kicks" / "deep.wav", "kick")
    write_drum(tmp_path / "Pack A" / "Snare" / "crack.wav", "snare")
    write_drum(tmp_path / "808" / "BD" / "x.wav", "kick")
    write_drum(tmp_path / "808" / "HH" / "closed.wav", "hat")
    write_drum(tmp_path / "808" / "misc" / "take1.wav", "tom")
    write_drum(tmp_path / "tom_low.wav", "tom")
    (tmp_path / "808" / "HH" / "notes.txt").write_text("not audio")
    samples, skipped = folder_samples(tmp_path)
    got = {Path(s.path).relative_to(tmp_path).as_posix(): (s.label, s.library) for s in samples}
    assert got == {
        "Pack A/Kicks/deep.wav": ("kick", "Pack A"),
        "Pack A/Snare/crack.wav": ("snare", "Pack A"),
        "808/BD/x.wav": ("kick", "808"),
        "808/HH/closed.wav": ("hihat", "808"),
        "tom_low.wav": ("tom", tmp_path.name),
    }
    assert skipped == [("neither file nor folder names say a class", "808/misc/take1.wav")]
    assert all(s.source == "folder" for s in samples)


def test_labels_csv_overrides_names(tmp_path, write_drum):
    write_drum(tmp_path / "a" / "one.wav", "kick")
    write_drum(tmp_path / "b" / "kick.wav", "snare")  # the CSV, not the name, decides
    (tmp_path / "labels.csv").write_text(
        "path,label,library\n"
        "a/one.wav,kick,\n"
        "b/kick.wav,Snare,my-pack\n"
        "b/missing.wav,tom,\n"
        "a/one.wav,cowbell,\n"
    )
    samples, skipped = folder_samples(tmp_path)
    assert [(Path(s.path).name, s.label, s.library) for s in samples] == [
        ("one.wav", "kick", "a"),
        ("kick.wav", "snare", "my-pack"),
    ]
    assert skipped[0] == ("file missing", "labels.csv line 4: b/missing.wav")
    assert skipped[1][0].startswith("label not one of") and "cowbell" in skipped[1][1]


def test_bad_inputs_raise_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        folder_samples(tmp_path / "nope")
    (tmp_path / "labels.csv").write_text("file,class\nx.wav,kick\n")
    with pytest.raises(ValueError, match="path,label"):
        folder_samples(tmp_path)


def test_a_labels_csv_that_is_not_utf8_is_named(tmp_path):
    (tmp_path / "labels.csv").write_bytes("path,label\nkick-\xe9.wav,kick\n".encode("latin-1"))
    with pytest.raises(ValueError, match=r"labels\.csv: not UTF-8"):
        folder_samples(tmp_path)


def test_class_folders_are_not_libraries(tmp_path, write_drum):
    """DIR/<class>/x.wav: one library (the folder), so a split by library cannot hold out a
    class; DIR/<class>/<pack>/x.wav: the pack."""
    write_drum(tmp_path / "Kicks" / "a.wav", "kick")
    write_drum(tmp_path / "HH" / "b.wav", "hat")
    write_drum(tmp_path / "Snares" / "909 Pack" / "c.wav", "snare")
    samples, _ = folder_samples(tmp_path)
    assert sorted((s.label, s.library) for s in samples) == [
        ("hihat", tmp_path.name),
        ("kick", tmp_path.name),
        ("snare", "909 Pack"),
    ]


def test_a_class_folder_beats_the_file_name(tmp_path, write_drum):
    """A producer sorted `OH.wav` (a snare's overhead mic) into Snares: the folder decides;
    the file name only where no folder names a class."""
    for name in ("OH", "ch", "ride", "cr", "stick", "snap"):
        write_drum(tmp_path / "Snares" / f"{name}.wav", "snare")
    write_drum(tmp_path / "808 Kit" / "loose" / "ride.wav", "hat")
    samples, _ = folder_samples(tmp_path)
    got = {Path(s.path).relative_to(tmp_path).as_posix(): s.label for s in samples}
    assert got == {
        f"Snares/{n}.wav": "snare" for n in ("OH", "ch", "ride", "cr", "stick", "snap")
    } | {"808 Kit/loose/ride.wav": "cymbal"}


def test_a_kit_named_with_a_class_word_is_a_library(tmp_path, write_drum):
    """Only a folder whose name IS a class (`Kicks`, `02 - Hi-Hats`, `Snare Drums`) is a class
    folder; `Big Stick Kit` merely mentions one and is a pack of its own."""
    for kit in ("Big Stick Kit", "Studio Crash Kit", "Kick Pack Vol 1"):
        write_drum(tmp_path / kit / "Snare Drums" / "a.wav", "snare")
        write_drum(tmp_path / kit / "02 - Hi-Hats" / "b.wav", "hat")
    samples, _ = folder_samples(tmp_path)
    assert sorted({(s.library, s.label) for s in samples}) == [
        (kit, label)
        for kit in ("Big Stick Kit", "Kick Pack Vol 1", "Studio Crash Kit")
        for label in ("hihat", "snare")
    ]
