"""What a person at a terminal sees: a bar with a total that never garbles the table, counts
in words, and a word for a folder without audio (issue 23, items 7 and 8; docs/output.md)."""

from __future__ import annotations

import errno
import fcntl
import os
import pty
import re
import struct
import subprocess
import sys
import termios
from pathlib import Path

import pytest
from test_classify import random_model_file

import drumnet
from drumnet.cli import main
from drumnet.words import plural

CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")  # terminal control sequences (cursor, colour)
RUN = "import sys; from drumnet.cli import main; sys.exit(main())"


def screen(output: str) -> list[str]:
    """The lines a terminal would show for `output`: a carriage return goes back to the start
    of the line and what follows overwrites it, as on a real terminal."""
    lines, row, col = [[]], 0, 0
    for ch in CSI.sub("", output):
        if ch == "\n":
            lines.append([])
            row, col = row + 1, 0
        elif ch == "\r":
            col = 0
        else:
            line = lines[row]
            line.extend(" " * (col + 1 - len(line)))
            line[col] = ch
            col += 1
    return ["".join(line).rstrip() for line in lines]


def run_on_terminal(args: list[str], cwd: Path) -> tuple[int, str]:
    """Run `drumnet ARGS` with stdout and stderr on one pseudo-terminal, 100 columns wide;
    returns (exit status, everything the terminal received)."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
    src = str(Path(drumnet.__file__).parents[1])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([src, os.environ.get("PYTHONPATH", "")])}
    proc = subprocess.Popen(
        [sys.executable, "-c", RUN, *args],
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=follower,
        cwd=cwd,
        env=env,
    )
    os.close(follower)
    chunks = []
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError as exc:  # EIO: the process closed the terminal
            if exc.errno != errno.EIO:
                raise
            break
        if not chunk:
            break
        chunks.append(chunk)
    os.close(leader)
    return proc.wait(timeout=120), b"".join(chunks).decode(errors="replace")


def test_table_rows_and_the_bar_never_share_a_line(tmp_path, write_drum):
    lib = tmp_path / "lib"
    for i, kind in enumerate(("kick", "snare", "hat", "tom", "kick")):
        write_drum(lib / f"{i}-{kind}.wav", kind, seed=i)
    (lib / "broken.wav").write_bytes(b"not audio at all")
    model = random_model_file(tmp_path)
    code, output = run_on_terminal(
        ["classify", "lib", "--model", str(model), "--workers", "0"], tmp_path
    )
    lines = screen(output)
    assert code == 1, output  # the broken file
    rows = [line for line in lines if "lib/" in line]
    row = re.compile(r"^(\w+ +\d+\.\d%|ERROR +)  lib/\S+\.wav(: .*|  \(.*\))?$")
    assert len(rows) == 6 and all(row.match(line) for line in rows), lines
    bars = [line for line in lines if "files/s" in line or " files [" in line]
    assert bars and all("6/6" in bar for bar in bars), lines  # a total, counted first
    assert "1 file could not be classified (the ERROR rows)" in lines


def test_plural():
    assert [plural(n, "file") for n in (0, 1, 2)] == ["0 files", "1 file", "2 files"]
    assert plural(1, "library", "libraries") == "1 library"
    assert plural(3, "library", "libraries") == "3 libraries"


@pytest.fixture
def empty(tmp_path) -> Path:
    folder = tmp_path / "empty"
    (folder / "deeper").mkdir(parents=True)
    (folder / "deeper" / "notes.txt").write_text("no audio here")
    return folder


@pytest.mark.parametrize("command", ["classify", "organize", "similar", "duplicates"])
def test_a_folder_without_audio_is_named_on_stderr(command, empty, tmp_path, write_drum, capsys):
    model = ["--model", str(random_model_file(tmp_path))]
    query = str(write_drum(tmp_path / "query.wav", "kick"))
    argv = {
        "classify": ["classify", str(empty), *model],
        "organize": ["organize", str(empty), str(tmp_path / "dest"), "--dry-run", *model],
        "similar": ["similar", query, str(empty), *model],
        "duplicates": ["duplicates", str(empty)],
    }[command]
    assert main(argv) == 0  # nothing failed: there was nothing to do
    err = capsys.readouterr().err
    assert f"drumnet {command}: no audio files found under {empty}\n" in err


def test_no_word_for_a_folder_with_audio_at_any_depth(tmp_path, write_drum, empty, capsys):
    write_drum(empty / "deeper" / "still" / "kick.wav", "kick")
    assert main(["duplicates", str(empty)]) == 0
    assert "no audio files" not in capsys.readouterr().err
