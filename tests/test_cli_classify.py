"""The classify, duplicates, label and organize commands, run end to end on real files."""

from __future__ import annotations

import csv
import errno
import io
import json
import os
import shutil
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import BEAT, RATE, synth_pattern
from test_classify import random_model_file, train_kick_hat

from drumnet.cli import main
from drumnet.library.index import Index
from drumnet.nets.checkpoint import save_model


@pytest.fixture
def model_file(tmp_path) -> str:
    return str(random_model_file(tmp_path))


@pytest.fixture(scope="module")
def kick_hat_file(tmp_path_factory) -> str:
    path = tmp_path_factory.mktemp("model") / "kick-hat.safetensors"
    return str(save_model(train_kick_hat().model_, path))


@pytest.fixture
def lib(tmp_path, write_drum) -> Path:
    write_drum(tmp_path / "lib" / "kick.wav", "kick")
    write_drum(tmp_path / "lib" / "sub" / "hat.wav", "hat", seed=3)
    return tmp_path / "lib"


def records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def test_jsonl_schema_and_exit_0(lib, model_file, isolated_cache, capsys):
    assert main(["classify", str(lib), "--model", model_file]) == 0
    out, err = capsys.readouterr()
    rows = records(out)
    assert [Path(r["path"]).name for r in rows] == ["kick.wav", "hat.wav"]
    # The test hat is noise high-passed above the model's 5.5 kHz band: flagged, as it should be.
    assert [r.get("warning") for r in rows] == [None, "above-band"]
    for r in rows:
        assert set(r) - {"warning"} == {"path", "label", "confidence", "scores"}
        assert r["label"] in r["scores"] and r["confidence"] == max(r["scores"].values())
        assert sum(r["scores"].values()) == pytest.approx(1.0, abs=1e-4)
    assert err == ""
    assert (isolated_cache / "index.sqlite").exists() and not list(lib.glob("*.sqlite*"))


def test_bad_file_gives_exit_1_error_record_and_one_stderr_line(
    lib, model_file, isolated_cache, capsys
):
    (lib / "bad.wav").write_bytes(b"\x00" * 100)
    assert main(["classify", str(lib), "--model", model_file]) == 1
    out, err = capsys.readouterr()
    bad = [r for r in records(out) if "error" in r]
    assert len(bad) == 1 and set(bad[0]) == {"path", "error"}
    assert len(records(out)) == 3
    assert err.count("\n") == 1 and "bad.wav" in err


def test_on_a_terminal_a_bad_file_is_shown_once_in_its_table_row(
    lib, model_file, isolated_cache, capsys, monkeypatch
):
    (lib / "bad.wav").write_bytes(b"\x00" * 100)
    for stream in (sys.stdout, sys.stderr):  # both on the same terminal
        monkeypatch.setattr(stream, "isatty", lambda: True)
    assert main(["classify", str(lib), "--model", model_file]) == 1  # a table by default
    out, err = capsys.readouterr()
    assert [line.split()[0] for line in out.splitlines()].count("ERROR") == 1
    assert "bad.wav" in out and "bad.wav" not in err
    assert "1 file could not be classified (the ERROR rows)" in err


@pytest.mark.parametrize(
    "argv",
    [
        ["--min-confidence", "x"],
        ["--classes", "kick,banjo"],
        ["--format", "xml"],
        ["--model", "/no/such.safetensors"],
        ["--threads", "0"],
    ],
)
def test_usage_errors_exit_2(lib, model_file, isolated_cache, argv, capsys):
    args = ["classify", str(lib), "--model", model_file, *argv]
    try:
        code = main(args)
    except SystemExit as exc:  # argparse rejects bad option values itself
        code = exc.code
    assert code == 2
    assert capsys.readouterr().out == ""


def test_labels_classes_and_min_confidence(lib, kick_hat_file, isolated_cache, capsys):
    assert main(["classify", str(lib), "--model", kick_hat_file, "--no-index"]) == 0
    assert [r["label"] for r in records(capsys.readouterr().out)] == ["kick", "hihat"]
    assert main(["classify", str(lib), "--model", kick_hat_file, "--threads", "2"]) == 0
    assert [r["label"] for r in records(capsys.readouterr().out)] == ["kick", "hihat"]
    main(["classify", str(lib), "--model", kick_hat_file, "--classes", "kick"])
    assert [r["label"] for r in records(capsys.readouterr().out)] == ["kick", "kick"]
    main(["classify", str(lib), "--model", kick_hat_file, "--min-confidence", "1.0"])
    rows = records(capsys.readouterr().out)
    assert all(r["label"] == "unsure" or r["confidence"] == 1.0 for r in rows)


def test_csv_and_table_formats(lib, model_file, isolated_cache, capsys):
    main(
        ["classify", str(lib), "--model", model_file, "--format", "csv", "--classes", "kick,snare"]
    )
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert [r["label"] in ("kick", "snare") for r in rows] == [True, True]
    fields = ["path", "label", "confidence", "warning", "error", "corrected", "duplicate_of"]
    assert list(rows[0]) == [*fields, "same_file_as", "adapted", "kick", "snare"]
    main(["classify", str(lib), "--model", model_file, "--format", "table"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2 and lines[0].endswith("kick.wav")


def test_csv_says_which_answers_are_corrections_and_which_files_are_copies(
    lib, model_file, isolated_cache, capsys
):
    (lib / "sub" / "copy.wav").write_bytes((lib / "sub" / "hat.wav").read_bytes())
    os.link(lib / "kick.wav", lib / "sub" / "kick-link.wav")  # one file, two names
    os.symlink(lib / "sub" / "hat.wav", lib / "sub" / "zz-hat-link.wav")
    assert main(["label", str(lib / "sub" / "hat.wav"), "perc"]) == 0
    capsys.readouterr()
    for fmt in ("csv", "jsonl"):  # the same facts in both
        assert main(["classify", str(lib), "--model", model_file, "--format", fmt]) == 0
        out = capsys.readouterr().out
        rows = list(csv.DictReader(io.StringIO(out))) if fmt == "csv" else records(out)
        got = {Path(r["path"]).name: r for r in rows}
        corrected = {n for n in got if got[n].get("corrected") in ("true", True)}
        assert corrected == {"copy.wav", "hat.wav", "zz-hat-link.wav"}
        assert got["copy.wav"].get("duplicate_of") in ("", None)  # found first
        assert got["hat.wav"]["duplicate_of"] == str(lib / "sub" / "copy.wav"), fmt
        # A link is its target's other name, not a copy: same_file_as, not duplicate_of.
        link, hat = got["zz-hat-link.wav"], str(lib / "sub" / "hat.wav")
        assert link.get("duplicate_of") in ("", None) and link["same_file_as"] == hat, fmt
        assert got["kick-link.wav"]["same_file_as"] == str(lib / "kick.wav"), fmt
        assert got["kick.wav"].get("same_file_as") in ("", None), fmt


def test_label_corrects_and_exports(lib, kick_hat_file, isolated_cache, tmp_path, capsys):
    assert main(["label", str(lib / "sub" / "hat.wav"), "perc"]) == 0
    capsys.readouterr()
    main(["classify", str(lib), "--model", kick_hat_file])
    hat = records(capsys.readouterr().out)[1]
    assert (hat["label"], hat["confidence"], hat["corrected"]) == ("perc", 1.0, True)
    assert main(["label", "--export", str(tmp_path / "ds")]) == 0
    (row,) = csv.DictReader((tmp_path / "ds" / "labels.csv").open())
    assert (row["label"], row["library"]) == ("perc", "sub")
    exported = tmp_path / "ds" / row["path"]
    assert exported.parent.name == "perc"
    assert exported.read_bytes() == (lib / "sub" / "hat.wav").read_bytes()
    assert main(["label", str(lib / "kick.wav"), "banjo"]) == 2
    assert main(["label", str(lib / "kick.wav"), "BD"]) == 0  # the aliases folder names use
    assert capsys.readouterr().out.startswith("kick ")


def test_label_export_onto_a_full_disk_stops_once_and_keeps_no_cut_short_copy(
    lib, isolated_cache, tmp_path, capsys, monkeypatch
):
    assert main(["label", str(lib / "kick.wav"), str(lib / "sub" / "hat.wav"), "perc"]) == 0
    copy2, copies = shutil.copy2, []

    def full_after_one(source, target):
        copies.append(target)
        if len(copies) == 1:
            return copy2(source, target)
        Path(target).write_bytes(Path(source).read_bytes()[:100])
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(shutil, "copy2", full_after_one)
    monkeypatch.setattr("drumnet.cli.label.free_bytes", lambda path: 0)
    out = tmp_path / "ds"
    capsys.readouterr()
    assert main(["label", "--export", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"drumnet label: error: no space left on the disk of {out}; ")
    assert "exported 1 of 2 files, labels.csv not written; about " in err
    (kept,) = out.rglob("*.wav")  # the whole first copy; the cut-short second is gone
    assert kept == Path(copies[0]) and kept.stat().st_size == Path(lib / "kick.wav").stat().st_size


def test_duplicates_command(lib, isolated_cache, capsys):
    assert main(["duplicates", str(lib)]) == 0
    assert capsys.readouterr().out == "no files with identical contents\n"
    (lib / "again.wav").write_bytes((lib / "kick.wav").read_bytes())
    assert main(["duplicates", str(lib), "--format", "jsonl"]) == 0
    (group,) = records(capsys.readouterr().out)
    assert sorted(Path(p).name for p in group["paths"]) == ["again.wav", "kick.wav"]
    assert main(["duplicates", str(lib), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows[0] == ["group", "path", "same_file_as"]
    assert sorted((g, Path(p).name, a) for g, p, a in rows[1:]) == [
        ("1", "again.wav", ""),
        ("1", "kick.wav", ""),
    ]


def test_duplicates_marks_links_as_the_same_file_in_every_format(lib, isolated_cache, capsys):
    kick = lib / "kick.wav"
    (lib / "link.wav").symlink_to(kick)
    os.link(kick, lib / "hard.wav")
    assert main(["duplicates", str(lib)]) == 0  # one file under three names: no duplicates
    assert capsys.readouterr().out == "no files with identical contents\n"
    (lib / "sub" / "copy.wav").write_bytes(kick.read_bytes())
    assert main(["duplicates", str(lib)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "2 identical files:",
        f"  {lib / 'hard.wav'}",
        f"    {kick}  (the same file: a hard link)",
        f"    {lib / 'link.wav'}  (the same file: a symbolic link)",
        f"  {lib / 'sub' / 'copy.wav'}",
    ]
    assert main(["duplicates", str(lib), "--format", "jsonl"]) == 0
    (group,) = records(capsys.readouterr().out)
    assert group["paths"] == [str(lib / "hard.wav"), str(lib / "sub" / "copy.wav")]
    assert group["same_file_as"] == {
        str(p): str(lib / "hard.wav") for p in (kick, lib / "link.wav")
    }
    assert main(["duplicates", str(lib), "--format", "csv"]) == 0
    rows = list(csv.reader(io.StringIO(capsys.readouterr().out)))
    assert rows == [
        ["group", "path", "same_file_as"],
        ["1", str(lib / "hard.wav"), ""],
        ["1", str(kick), str(lib / "hard.wav")],
        ["1", str(lib / "link.wav"), str(lib / "hard.wav")],
        ["1", str(lib / "sub" / "copy.wav"), ""],
    ]


def break_the_index(problem: str, cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Leave the index at cache/index.sqlite unusable in one of the ways users meet."""
    if problem == "corrupt":
        cache.mkdir()
        (cache / "index.sqlite").write_bytes(np.random.default_rng(0).bytes(20000))
    elif problem == "cache is a file":
        cache.write_text("not a folder")
    elif problem == "on a read-only disk":  # SQLite cannot make its WAL files there
        Index(cache / "index.sqlite").close()
        access = os.access

        def read_only_disk(path, mode, **kwargs):
            inside = Path(path) in (cache, cache / "index.sqlite")
            return False if inside and mode & os.W_OK else access(path, mode, **kwargs)

        def unable(*args, **kwargs):
            raise sqlite3.OperationalError("unable to open database file")

        monkeypatch.setattr(os, "access", read_only_disk)
        monkeypatch.setattr(sqlite3, "connect", unable)
    else:  # read-only; chmod would not stop root, so SQLite is told to open it read-only
        Index(cache / "index.sqlite").close()
        connect = sqlite3.connect

        def read_only(path, **kwargs):
            return connect(f"file:{path}?mode=ro", uri=True, **kwargs)

        monkeypatch.setattr(sqlite3, "connect", read_only)


@pytest.mark.parametrize(
    "problem", ["corrupt", "cache is a file", "read-only", "on a read-only disk"]
)
def test_every_command_says_in_one_line_what_is_wrong_with_the_index(
    lib, model_file, isolated_cache, tmp_path, capsys, monkeypatch, problem
):
    break_the_index(problem, isolated_cache, monkeypatch)
    before = isolated_cache.read_bytes() if isolated_cache.is_file() else None
    kick, model = str(lib / "kick.wav"), ["--model", model_file]
    for argv in (
        ["classify", str(lib), *model],
        ["organize", str(lib), str(tmp_path / "kit"), "--dry-run", *model],
        ["label", kick, "kick"],
        ["duplicates", str(lib)],
        ["similar", kick, str(lib), *model],
    ):
        assert main(argv) == 2, argv
        out, err = capsys.readouterr()
        assert out == "" and err.count("\n") == 1, argv
        assert err.startswith(f"drumnet {argv[0]}: error: cannot use the library index "), err
        assert str(isolated_cache / "index.sqlite") in err
        assert ("--no-index" in err) == (argv[0] != "label")  # label has no such option
        assert ("move it away" in err) == (problem == "corrupt"), err  # only a broken file
    if problem == "corrupt":  # it may hold corrections: never replaced
        corrupt = (isolated_cache / "index.sqlite").read_bytes()
        assert corrupt == np.random.default_rng(0).bytes(20000)
    assert before is None or isolated_cache.read_bytes() == before


class FullDisk:
    """An index connection whose writes fail as SQLite's do when the disk fills up."""

    def __init__(self, db: sqlite3.Connection):
        self._db = db

    def __getattr__(self, name):
        return getattr(self._db, name)

    def __enter__(self):
        return self._db.__enter__()

    def __exit__(self, *exc):
        return self._db.__exit__(*exc)

    def execute(self, sql: str, *args):
        if sql.lstrip().upper().startswith(("INSERT", "DELETE", "UPDATE")):
            raise sqlite3.OperationalError("database or disk is full")
        return self._db.execute(sql, *args)

    def executemany(self, sql: str, rows):
        raise sqlite3.OperationalError("database or disk is full")


def test_a_disk_that_fills_up_mid_run_is_one_line_too(
    lib, model_file, isolated_cache, capsys, monkeypatch
):
    opened = Index.__init__

    def full(self, *args, **kwargs):
        opened(self, *args, **kwargs)
        self._db = FullDisk(self._db)

    monkeypatch.setattr(Index, "__init__", full)
    kick = str(lib / "kick.wav")
    for argv in (["classify", str(lib), "--model", model_file], ["label", kick, "kick"]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "disk is full): free space on its disk" in err, err


@pytest.mark.parametrize("how", ["disk I/O error", "ENOSPC"])
def test_an_index_on_a_full_disk_is_told_from_a_damaged_one(
    lib, model_file, isolated_cache, capsys, monkeypatch, how
):
    """SQLite often says "disk I/O error" when a full disk stops it growing its WAL or
    shared-memory file: with next to no space free, that is a full disk, not a damaged index."""
    Index().close()  # a healthy index, with a correction it must keep
    monkeypatch.setattr("drumnet.library.index.free_bytes", lambda path: 4096)

    def full(*args, **kwargs):
        if how == "ENOSPC":
            raise OSError(errno.ENOSPC, "No space left on device")
        raise sqlite3.OperationalError("disk I/O error")

    monkeypatch.setattr(sqlite3, "connect", full)
    assert main(["classify", str(lib), "--model", model_file]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "move it away" not in err, err
    assert "free space on its disk (the index itself is fine), or run with --no-index" in err


def test_organize_and_undo_commands(lib, kick_hat_file, isolated_cache, tmp_path, capsys):
    dest = tmp_path / "kit"
    assert main(["organize", str(lib), str(dest), "--model", kick_hat_file]) == 0
    out = capsys.readouterr().out
    assert (dest / "kick" / "kick.wav").is_file() and (dest / "hihat" / "sub" / "hat.wav").is_file()
    manifest = next(dest.glob("drumnet-manifest-*.jsonl"))
    assert str(manifest) in out
    assert main(["organize", "--undo", str(manifest)]) == 0
    assert not dest.exists()
    assert main(["organize", str(lib), str(lib / "inside"), "--model", kick_hat_file]) == 2


def test_organize_puts_loops_apart_unless_told_not_to(
    lib, kick_hat_file, isolated_cache, tmp_path, capsys
):
    sf.write(str(lib / "beat.wav"), synth_pattern(BEAT, 2.0), RATE, subtype="FLOAT")
    main(["classify", str(lib / "beat.wav"), "--model", kick_hat_file, "--format", "table"])
    line = capsys.readouterr().out.strip()
    assert line.startswith("loop ") and line.endswith("(multi-hit; first second: kick)")
    for flags, folder in (([], "loop"), (["--no-loops"], "kick")):
        dest = tmp_path / folder
        assert main(["organize", str(lib), str(dest), "--model", kick_hat_file, *flags]) == 0
        assert (dest / folder / "beat.wav").is_file() and (dest / "kick" / "kick.wav").is_file()


def test_shipped_models_classify_real_drums(lib, isolated_cache, capsys):
    """The shipped default model and ensemble hear a synthesised kick and hat as such."""
    for model in ("default", "ensemble"):
        assert main(["classify", str(lib), "--model", model]) == 0
        labels = {Path(r["path"]).stem: r["label"] for r in records(capsys.readouterr().out)}
        assert labels == {"kick": "kick", "hat": "hihat"}, model


def test_a_name_that_is_not_utf8_is_classified_indexed_and_printed_as_its_bytes(
    lib, model_file, isolated_cache, capfdbinary
):
    odd = os.fsdecode(bytes(lib / "sub") + b"/odd\xffname.wav")  # any bytes but / are legal
    os.rename(lib / "kick.wav", odd)
    for _ in range(2):  # the second run reads the index
        assert main(["classify", str(lib), "--model", model_file, "--format", "csv"]) == 0
        out, err = capfdbinary.readouterr()
        assert b"odd\xffname.wav" in out and b"hat.wav" in out and err == b""
    assert main(["duplicates", str(lib)]) == 0
    assert main(["label", odd, "perc"]) == 0
    capfdbinary.readouterr()
    with open(bytes(lib) + b"/broken\xff.wav", "wb") as f:  # its error line names it as it is
        f.write(b"RIFF")
    assert main(["classify", str(lib), "--model", model_file, "--format", "csv"]) == 1
    out, err = capfdbinary.readouterr()
    assert b"broken\xff.wav: " in err and b"\\udcff" not in err
    rows = list(csv.reader(io.StringIO(out.decode("utf-8", "surrogateescape"))))
    assert {len(row) for row in rows} == {len(rows[0])}  # an ERROR row has every column too


def test_json_lines_are_utf8_and_give_back_a_name_that_is_not(
    lib, model_file, isolated_cache, capfdbinary
):
    odd = bytes(lib) + b"/odd\xffname.wav"
    os.link(lib / "kick.wav", odd)  # a second name too, so that duplicates reports it
    (lib / "kick-copy.wav").write_bytes((lib / "kick.wav").read_bytes())
    model = ["--model", model_file, "--format", "jsonl"]
    for argv in (
        ["classify", str(lib), *model],
        ["duplicates", str(lib), "--format", "jsonl"],
        ["similar", str(lib / "sub" / "hat.wav"), str(lib), *model],
    ):
        assert main(argv) == 0, argv
        out = capfdbinary.readouterr().out
        assert b"\xff" not in out and b"\\udcff" in out, argv
        lines = [json.loads(line) for line in out.decode("utf-8").splitlines()]  # strict UTF-8
        names = {os.fsencode(p) for r in lines for p in r.get("paths", [r.get("path")])}
        names |= {os.fsencode(p) for r in lines for p in r.get("same_file_as", {})}
        names |= {os.fsencode(p) for r in lines for p in r.get("copies", [])}  # similar's
        assert odd in names, argv


def test_table_and_error_lines_escape_a_newline_in_a_name(lib, model_file, isolated_cache, capsys):
    (lib / "kick.wav").rename(lib / "two\nlines.wav")
    (lib / "bad\n.wav").write_bytes(b"not audio")
    assert main(["classify", str(lib), "--model", model_file, "--format", "table"]) == 1
    out, err = capsys.readouterr()
    assert len(out.splitlines()) == 3 and "two\\x0alines.wav" in out
    assert err.count("\n") == 1 and "bad\\x0a.wav: not an audio file" in err


def test_duplicates_reports_what_it_cannot_read_and_never_reads_a_pipe(lib, isolated_cache, capsys):
    (lib / "again.wav").write_bytes((lib / "kick.wav").read_bytes())
    os.mkfifo(lib / "pipe.wav")  # reading it would wait for a writer forever
    (lib / "zero.wav").symlink_to("/dev/zero")  # and this would never end
    assert main(["duplicates", str(lib), str(lib / "gone"), "--format", "jsonl"]) == 1
    out, err = capsys.readouterr()
    (group,) = records(out)
    assert sorted(Path(p).name for p in group["paths"]) == ["again.wav", "kick.wav"]
    lines = err.splitlines()
    assert len(lines) == 3 and all(line.startswith("drumnet duplicates: ") for line in lines)
    assert sum("not a regular file" in line for line in lines) == 2
    assert any("gone: no such file or folder" in line for line in lines)


def test_duplicates_and_classify_describe_a_broken_link_alike(
    lib, model_file, isolated_cache, capsys
):
    (lib / "dangling.wav").symlink_to(lib / "deleted.wav")
    assert main(["duplicates", str(lib)]) == 1
    duplicates_err = capsys.readouterr().err
    assert main(["classify", str(lib), "--model", model_file]) == 1
    classify_err = capsys.readouterr().err
    assert duplicates_err.endswith("dangling.wav: broken symbolic link\n")
    assert classify_err.endswith("dangling.wav: broken symbolic link\n")


def test_label_goes_on_past_bad_files_and_labels_only_audio(lib, isolated_cache, capsys):
    (lib / "notes.wav").write_text("not audio")
    (lib / "empty.wav").write_bytes(b"")
    kick, hat = lib / "kick.wav", lib / "sub" / "hat.wav"
    argv = ["label", str(kick), str(lib / "gone.wav"), str(lib / "notes.wav")]
    assert main([*argv, str(lib / "empty.wav"), str(lib / "sub"), str(hat), "perc"]) == 1
    out, err = capsys.readouterr()
    assert [Path(line.split()[-1]).name for line in out.splitlines()] == ["kick.wav", "hat.wav"]
    assert len(err.splitlines()) == 4
    for reason in ("no such file", "not an audio file", "empty file", "is a directory"):
        assert reason in err
    assert main(["label", "--list"]) == 0
    listed = records(capsys.readouterr().out)
    assert sorted(Path(r["path"]).name for r in listed) == ["hat.wav", "kick.wav"]
    assert main(["label", "--forget", str(kick), str(lib / "gone.wav"), str(kick)]) == 1
    out = capsys.readouterr().out.splitlines()
    assert [line.split(str(lib))[0].strip() for line in out] == ["forgot perc", "had no label"]
    assert main(["label", "--list"]) == 0
    assert [Path(r["path"]).name for r in records(capsys.readouterr().out)] == ["hat.wav"]
    os.mkfifo(lib / "pipe.wav")  # would be read for ever
    assert main(["label", "--forget", str(lib / "pipe.wav"), "/dev/zero", str(lib / "sub")]) == 1
    err = capsys.readouterr().err.splitlines()
    assert len(err) == 3 and all("not a regular file" in line for line in err)


def rewrite_quieter(path: Path) -> None:
    """Replace a WAV's content with the same sound at a third of its level."""
    x, rate = sf.read(str(path))
    sf.write(str(path), x * 0.3, rate)


def test_label_export_exports_only_the_bytes_that_were_labelled(
    lib, model_file, isolated_cache, tmp_path, capsys
):
    kick, copy = lib / "kick.wav", lib / "sub" / "copy.wav"
    labelled = kick.read_bytes()
    copy.write_bytes(labelled)
    assert main(["label", str(kick), "clap"]) == 0
    assert main(["classify", str(lib), "--model", model_file]) == 0  # the index learns of copy
    rewrite_quieter(kick)  # a re-render under the old name: no longer the labelled sound
    assert main(["label", "--export", str(tmp_path / "ds")]) == 0
    (exported,) = (tmp_path / "ds" / "clap").iterdir()
    assert exported.read_bytes() == labelled  # from the unchanged copy, not the new kick.wav
    copy.unlink()
    capsys.readouterr()
    assert main(["label", "--export", str(tmp_path / "ds2")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 2 and "kick.wav: changed since it was labelled" in err
    assert not (tmp_path / "ds2" / "clap").exists()


@pytest.mark.parametrize("change", ["rewrite", "delete"])
def test_label_forget_drops_the_correction_listed_for_a_changed_or_deleted_file(
    lib, isolated_cache, capsys, change
):
    kick = lib / "kick.wav"
    assert main(["label", str(kick), "clap"]) == 0
    if change == "rewrite":
        rewrite_quieter(kick)
    else:
        kick.unlink()
    capsys.readouterr()
    assert main(["label", "--forget", str(kick)]) == 0
    assert capsys.readouterr().out.split() == ["forgot", "clap", str(kick)]
    assert main(["label", "--list"]) == 0
    assert capsys.readouterr().out == ""


def test_label_export_never_replaces_a_file(lib, isolated_cache, tmp_path, capsys):
    assert main(["label", str(lib / "kick.wav"), "kick"]) == 0
    ds = tmp_path / "ds"
    ds.mkdir()
    (ds / "labels.csv").write_text("mine\n")
    assert main(["label", "--export", str(ds)]) == 2
    assert "not an empty folder" in capsys.readouterr().err
    assert (ds / "labels.csv").read_text() == "mine\n" and len(list(ds.iterdir())) == 1
    assert main(["label", "--export", str(tmp_path / "new")]) == 0
    assert (tmp_path / "new" / "labels.csv").exists()


def test_evaluate_names_every_sound_it_leaves_out_and_exits_1(
    model_file, write_drum, isolated_cache, tmp_path, capsys
):
    ds = tmp_path / "ds"
    for kind, seed in (("kick", 0), ("kick", 1), ("hat", 2), ("hat", 3)):
        write_drum(ds / ("hihat" if kind == "hat" else kind) / f"{kind}{seed}.wav", kind, seed)
    (ds / "kick" / "empty.wav").write_bytes(b"")
    (ds / "hihat" / "notes.wav").write_text("not audio")
    write_drum(ds / "misc" / "mystery.wav", "kick")  # no name says a class
    assert main(["evaluate", "--model", model_file, "--data", str(ds)]) == 1
    out, err = capsys.readouterr()
    assert "   n=4   " in out
    lines = err.splitlines()
    assert len(lines) == 3 and all(line.startswith("drumnet evaluate: ") for line in lines)
    for words in ("empty.wav: empty file", "notes.wav: not an audio file", "mystery.wav"):
        assert any(words in line for line in lines), words


def test_table_gives_an_unsure_answer_no_confidence_of_its_own(
    lib, model_file, isolated_cache, capsys
):
    sf.write(str(lib / "quiet.wav"), [0.0] * 4410, RATE)
    argv = ["classify", str(lib), "--model", model_file, "--format", "table"]
    main([*argv, "--min-confidence", "1.0"])
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 3 and all(line.startswith("unsure      ") for line in lines)
    quiet = "quiet.wav  (silent: nothing to hear in the first 30 s)"
    assert [line.endswith(quiet) for line in lines] == [False, True, False]
    assert sum("best guess: " in line for line in lines) == 2 and "(above-band; best" in lines[2]


def test_usage_errors_of_models_and_workers_are_exit_2(lib, isolated_cache, tmp_path, capsys):
    assert main(["classify", str(lib), "--workers", "-1", "--model", "default"]) == 2
    assert main(["evaluate", "--model", "nosuch", "--data", str(lib)]) == 2
    err = capsys.readouterr().err.splitlines()
    assert "workers must be 0 or more" in err[0] and "no model named 'nosuch'" in err[1]


def test_label_export_keeps_labels_csv_utf8_for_a_name_that_is_not(lib, isolated_cache, tmp_path):
    odd = os.fsdecode(bytes(lib) + b"/k\xff.wav")
    os.rename(lib / "kick.wav", odd)
    assert main(["label", odd, "kick"]) == 0
    assert main(["label", "--export", str(tmp_path / "ds")]) == 0
    (row,) = csv.DictReader((tmp_path / "ds" / "labels.csv").open(encoding="utf-8"))
    assert row["path"].endswith("-k\ufffd.wav") and (tmp_path / "ds" / row["path"]).is_file()


def test_label_export_names_the_pack_not_the_class_folder(lib, isolated_cache, tmp_path):
    kicks = lib / "808 Kit" / "Kicks"
    kicks.mkdir(parents=True)
    shutil.copy(lib / "kick.wav", kicks / "boom.wav")
    assert main(["label", str(kicks / "boom.wav"), "tom"]) == 0
    assert main(["label", "--export", str(tmp_path / "ds")]) == 0
    (row,) = csv.DictReader((tmp_path / "ds" / "labels.csv").open())
    assert (row["label"], row["library"]) == ("tom", "808 Kit")


def test_a_loop_the_detector_missed_can_be_labelled_loop(
    lib, kick_hat_file, isolated_cache, tmp_path, capsys
):
    assert main(["label", str(lib / "kick.wav"), "Loop"]) == 0
    capsys.readouterr()
    main(["classify", str(lib / "kick.wav"), "--model", kick_hat_file, "--format", "table"])
    row = capsys.readouterr().out
    assert row.startswith("loop") and "(corrected)" in row and "None" not in row
    dest = tmp_path / "kit"
    assert main(["organize", str(lib), str(dest), "--model", kick_hat_file]) in (0, 1)
    assert (dest / "loop" / "kick.wav").exists()
    assert main(["label", "--export", str(tmp_path / "ds")]) == 0  # a loop is no sample
    assert "a loop, not exported" in capsys.readouterr().err
