"""User folders: classes from the tree, or from a labels.csv."""

from __future__ import annotations

from pathlib import Path

import pytest

from drumnet.training.datasets.default import load_data
from drumnet.training.datasets.folders import folder_samples


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
        "a/one.wav,gong,\n"
    )
    samples, skipped = folder_samples(tmp_path)
    assert [(Path(s.path).name, s.label, s.library) for s in samples] == [
        ("one.wav", "kick", "a"),
        ("kick.wav", "snare", "my-pack"),
    ]
    assert skipped[0] == ("file missing", "labels.csv line 4: b/missing.wav")
    assert skipped[1][0].startswith("label not one of") and "gong" in skipped[1][1]


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


def _csv_folder(tmp_path, write_drum, text: str, encoding: str = "utf-8") -> Path:
    """tmp_path/set with a.wav (kick), b.wav (snare) and a labels.csv of `text`."""
    root = tmp_path / "set"
    write_drum(root / "a.wav", "kick")
    write_drum(root / "b.wav", "snare")
    (root / "labels.csv").write_bytes(text.encode(encoding))
    return root


@pytest.mark.parametrize(
    "text",
    [
        "\ufeffpath,label\r\na.wav,kick\r\nb.wav,snare\r\n",  # Excel's "CSV UTF-8"
        "Path,Label\na.wav,kick\nb.wav,snare\n",
        "path;label\na.wav;kick\nb.wav;snare\n",  # European Excel
        "path\tlabel\na.wav\tkick\nb.wav\tsnare\n",
    ],
    ids=["bom", "capitals", "semicolons", "tabs"],
)
def test_labels_csv_as_spreadsheets_save_it(tmp_path, write_drum, text):
    samples, skipped = folder_samples(_csv_folder(tmp_path, write_drum, text))
    assert [(Path(s.path).name, s.label) for s in samples] == [
        ("a.wav", "kick"),
        ("b.wav", "snare"),
    ]
    assert skipped == []


def test_labels_csv_labels_go_through_the_taxonomy(tmp_path, write_drum):
    root = _csv_folder(tmp_path, write_drum, "path,label\na.wav,BD\nb.wav, SNARE \n")
    samples, _ = folder_samples(root)
    assert [s.label for s in samples] == ["kick", "snare"]


def test_labels_csv_row_in_another_delimiter_is_explained(tmp_path, write_drum):
    root = _csv_folder(tmp_path, write_drum, "path,label\na.wav,kick\nb.wav;snare\n")
    _, skipped = folder_samples(root)
    assert skipped[0][0].startswith("no label (columns must be separated")


def test_labels_csv_duplicates_and_conflicts(tmp_path, write_drum):
    """The same file twice with one label: kept once; with two labels: nobody can tell which
    is right, so every row of that file is left out."""
    text = "path,label\na.wav,kick\nb.wav,snare\na.wav,kick\nb.wav,tom\n"
    samples, skipped = folder_samples(_csv_folder(tmp_path, write_drum, text))
    assert [(Path(s.path).name, s.label) for s in samples] == [("a.wav", "kick")]
    assert skipped == [
        (
            "listed twice (the first row is kept)",
            "labels.csv line 4: a.wav (first: labels.csv line 2)",
        ),
        ("labelled differently by another row (both left out)", "labels.csv line 3: b.wav (snare)"),
        ("labelled differently by another row (both left out)", "labels.csv line 5: b.wav (tom)"),
    ]


def test_labels_csv_paths_stay_in_its_folder(tmp_path, write_drum):
    root = _csv_folder(tmp_path, write_drum, "")
    write_drum(tmp_path / "outside.wav", "kick")
    inside = root / "b.wav"
    text = f"path,label\n../outside.wav,kick\n{tmp_path / 'outside.wav'},kick\n{inside},snare\n"
    (root / "labels.csv").write_text(text)
    samples, skipped = folder_samples(root)
    assert [Path(s.path).name for s in samples] == ["b.wav"]  # an absolute path inside is fine
    assert [reason for reason, _ in skipped] == ["outside the folder of labels.csv"] * 2


def test_the_labels_csv_itself_reads_like_its_folder(tmp_path, write_drum, monkeypatch):
    """`--data DIR/labels.csv` is DIR: paths from the CSV's folder (not the current one), the
    same labels and the same rows left out."""
    root = _csv_folder(tmp_path, write_drum, "path,label\na.wav,KICK\nb.wav,bd\nc.wav,tom\n")
    monkeypatch.chdir(tmp_path)
    from_csv = load_data(root / "labels.csv")
    from_folder = load_data(root)
    assert [(s.path, s.label) for s in from_csv.samples] == [
        (str((root / "a.wav").resolve()), "kick"),
        (str((root / "b.wav").resolve()), "kick"),
    ]
    assert from_csv.samples == from_folder.samples
    assert from_csv.skipped == from_folder.skipped == [("file missing", "labels.csv line 4: c.wav")]
