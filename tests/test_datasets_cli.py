"""`drumnet data` end to end on a folder of synthesised WAVs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from drumnet.cli import main
from drumnet.training.datasets import manifest as manifest_module
from drumnet.training.datasets.default import gather, load_data
from drumnet.training.datasets.manifest import (
    Sample,
    count_table,
    display_width,
    read_manifest,
    write_manifest,
)
from drumnet.training.datasets.sources import parse_sources


@pytest.fixture
def library(tmp_path, write_drum):
    for i in range(2):
        write_drum(tmp_path / "lib" / "PackA" / "Kick" / f"k{i}.wav", "kick", seed=i)
        write_drum(tmp_path / "lib" / "PackA" / "Snare" / f"s{i}.wav", "snare", seed=i)
        write_drum(tmp_path / "lib" / "PackB" / "HH" / f"h{i}.wav", "hat", seed=i)
    write_drum(tmp_path / "lib" / "PackB" / "misc" / "what.wav", "tom")
    return tmp_path / "lib"


def test_info_prints_table_and_skips(library, capsys):
    assert main(["data", "info", "--data", str(library)]) == 0
    out = capsys.readouterr().out
    assert "PackA" in out and "PackB" in out
    total = next(line for line in out.splitlines() if line.startswith("total")).split()
    assert total[1:] == ["2", "2", "2", "6"]  # kick snare hihat total
    assert "neither file nor folder names say a class" in out


def test_build_writes_manifest_and_tensors_then_reuses(library, isolated_cache, tmp_path, capsys):
    manifest = tmp_path / "m.csv"
    args = ["data", "build", "--data", str(library), "--manifest", str(manifest), "--quiet"]
    assert main(args) == 0
    assert "built" in capsys.readouterr().out
    assert len(read_manifest(manifest)) == 6
    assert main(args) == 0
    assert "reused" in capsys.readouterr().out
    assert main(["data", "info", "--data", str(manifest)]) == 0  # a manifest is data too
    assert len(load_data(manifest).samples) == 6


def test_build_never_writes_its_manifest_over_a_file_it_did_not_write(
    library, isolated_cache, tmp_path, capsys
):
    mine, labels = tmp_path / "mine.csv", tmp_path / "kick.wav"
    mine.write_text("path,label,library\nx.wav,BD,pack\n")
    labels.write_bytes(b"RIFF")
    base = ["data", "build", "--data", str(library), "--quiet", "--manifest"]
    for path, why in ((mine, "exists (pass --overwrite"), (labels, "name it *.csv")):
        assert main([*base, str(path)]) == 2
        assert why in capsys.readouterr().err
    assert (
        mine.read_text().startswith("path,label,library\nx.wav") and labels.read_bytes() == b"RIFF"
    )
    assert main([*base, str(mine), "--overwrite"]) == 0
    assert len(read_manifest(mine)) == 6


def test_a_hand_edited_manifest_is_checked_row_by_row(library, isolated_cache, tmp_path, capsys):
    manifest = tmp_path / "m.csv"
    assert main(["data", "build", "--data", str(library), "--manifest", str(manifest)]) == 0
    rows = manifest.read_text().splitlines()
    edits = {1: (",kick,", ",Kick Drum,"), 2: (",kick,", ",banana,"), 3: (",snare,", ",SD,")}
    for i, (old, new) in edits.items():
        assert old in rows[i]
        rows[i] = rows[i].replace(old, new)
    rows[4] = ",".join(rows[4].split(",")[:4] + ["x"] + rows[4].split(",")[5:])  # layer
    rows[5] = rows[5].replace(".wav,", "-gone.wav,", 1)
    manifest.write_text("\n".join(rows) + "\n")
    found = load_data(manifest)
    labels = {Path(s.path).name: s.label for s in found.samples}
    assert len(labels) == 3  # Kick Drum and SD read as the taxonomy reads them, and one more
    assert labels[rows[1].split(",")[0].split("/")[-1]] == "kick"
    assert labels[rows[3].split(",")[0].split("/")[-1]] == "snare"
    reasons = sorted(reason.split(" (")[0].split(":")[0] for reason, _ in found.skipped)
    assert reasons == [
        "file missing",
        "label not one of kick, snare, tom, hihat, cymbal, clap, rim, perc, other",
        "layer is not a whole number",
    ]
    assert main(["data", "info", "--data", str(manifest)]) == 0
    assert "banana" not in capsys.readouterr().out.split("left out")[0]


def test_unknown_source_is_a_usage_error(capsys):
    assert main(["data", "info", "--sources", "nope"]) == 2
    assert "unknown data sources" in capsys.readouterr().err
    with pytest.raises(ValueError):
        parse_sources("hydrogen,nope")
    with pytest.raises(ValueError, match="no data source named in ','"):
        parse_sources(",")
    with pytest.raises(ValueError):
        gather(("nope",))


@pytest.mark.parametrize(
    "argv",
    [
        ["data", "build", "--workers", "-1"],
        ["data", "info", "--examples", "-2"],
        ["demo", "--epochs", "0"],
        ["similar", "--top", "0", "a.wav", "."],
    ],
)
def test_a_number_out_of_range_is_a_one_line_usage_error_before_any_work(argv, capsys):
    with pytest.raises(SystemExit) as stop:
        main(argv)
    assert stop.value.code == 2
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert err.startswith(f"drumnet {argv[0]}") and "must be" in err, err


def test_build_with_a_file_name_that_is_not_utf8(library, isolated_cache, tmp_path, capsys):
    """Linux names are bytes: `caf\\xff.wav` goes into the manifest as itself, and reads back
    as the same file; no temporary file is left behind."""
    name = os.fsdecode(b"caf\xff kick.wav")
    (library / "PackA" / "Kick" / "k0.wav").rename(library / "PackA" / "Kick" / name)
    manifest = tmp_path / "m.csv"
    args = ["data", "build", "--data", str(library), "--manifest", str(manifest), "--quiet"]
    assert main(args) == 0
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("m.")) == ["m.csv"]
    paths = [s.path for s in load_data(manifest).samples]
    assert str((library / "PackA" / "Kick" / name).resolve()) in paths
    assert all(os.path.isfile(p) for p in paths)


def test_a_manifest_that_cannot_be_written_leaves_no_temporary_file(tmp_path, monkeypatch):
    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(manifest_module.os, "replace", fail)
    with pytest.raises(OSError, match="disk full"):
        write_manifest([Sample("a.wav", "kick", "lib")], tmp_path / "m.csv")
    assert list(tmp_path.iterdir()) == []


def test_info_counts_unreadable_files_apart(library, capsys):
    (library / "PackA" / "Kick" / "notes.wav").write_text("not audio")
    good = (library / "PackA" / "Snare" / "s0.wav").read_bytes()
    (library / "PackA" / "Snare" / "cut.wav").write_bytes(good[: len(good) // 3])
    assert main(["data", "info", "--data", str(library)]) == 0
    out = capsys.readouterr().out
    total = next(line for line in out.splitlines() if line.startswith("total")).split()
    assert total[1:] == ["2", "2", "2", "6"]  # the two bad files are not samples
    assert "2  cannot be read as audio" in out
    assert "notes.wav: not an audio file" in out and "cut.wav: truncated" in out


def test_the_count_table_lines_up_library_names_in_any_script():
    """A kit named in Japanese takes two terminal columns a character: its counts still sit
    under the column heads, as an ASCII name's do."""
    samples = [Sample("a.wav", "kick", "ドラムキット"), Sample("b.wav", "snare", "Cafe\u0301 kit")]
    samples += [Sample("c.wav", "kick", "plain")]
    lines = count_table(samples, ("kick", "snare")).splitlines()
    rows = [line for line in lines if not line.startswith("-")]
    # every row ends in the same terminal column, so each count sits under its column head
    assert {display_width(line) for line in rows} == {display_width(rows[0])}, lines
    assert display_width("ドラム") == 6 and display_width("Cafe\u0301") == 4
