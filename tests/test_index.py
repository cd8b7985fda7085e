"""The SQLite library index: storage, corrections, duplicates, surviving kill -9."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from test_classify import random_model_file

from drumnet.library.index import Copy, Embedding, Entry, Index, duplicate_groups, file_hash


def entry(path: str, digest: str = "ab" * 16) -> Entry:
    return Entry(path, "m1", 10, 123, digest, {"kick": 0.75, "snare": 0.25}, False, time.time())


def test_put_lookup_and_staleness(tmp_path):
    with Index(tmp_path / "i.sqlite") as index:
        index.put(entry("/lib/a.wav"))
    with Index(tmp_path / "i.sqlite") as index:  # committed on close, read back
        got = index.lookup("/lib/a.wav", 10, 123, "m1")
        assert got.scores == {"kick": 0.75, "snare": 0.25} and got.label == "kick"
        assert index.lookup("/lib/a.wav", 11, 123, "m1") is None  # size changed
        assert index.lookup("/lib/a.wav", 10, 124, "m1") is None  # mtime changed
        assert index.lookup("/lib/a.wav", 10, 123, "m2") is None  # other model
        index.put(entry("/lib/a.wav", "cd" * 16))  # replaces, never duplicates
        index.commit()
        assert index.count() == 1 and index.integrity_ok()
        mode = index._db.execute("PRAGMA journal_mode").fetchone()[0]
        assert mode == "wal"


def test_a_file_renamed_onto_the_path_is_another_file(tmp_path):
    with Index(tmp_path / "i.sqlite") as index:
        index.put(replace(entry("/lib/a.wav"), ino=7))
        index.put(entry("/lib/b.wav"))  # no inode recorded (an older drumnet)
        index.commit()
        assert index.lookup("/lib/a.wav", 10, 123, "m1", 7).ino == 7
        assert index.lookup("/lib/a.wav", 10, 123, "m1", 8) is None  # same size and time
        assert index.lookup("/lib/a.wav", 10, 123, "m1") is not None  # not asked: not checked
        assert index.lookup("/lib/b.wav", 10, 123, "m1", 7) is None  # made again, once
        assert index.known_hash("/lib/a.wav", 10, 123, 7) == "ab" * 16
        assert index.known_hash("/lib/a.wav", 10, 123, 8) is None


def test_the_file_measurements_are_stored_and_dropped_with_a_changed_file(tmp_path):
    def measured(e):
        return (e.above_band_db, e.hits, e.hit_span, e.source_rate)

    unmeasured = (None, None, None, None)
    with Index(tmp_path / "i.sqlite") as index:
        index.put(
            replace(
                entry("/lib/a.wav"), above_band_db=21.5, hits=3, hit_span=0.75, source_rate=8000
            )
        )
        index.put(entry("/lib/b.wav"))  # not measured (as written by an older drumnet)
    with Index(tmp_path / "i.sqlite") as index:
        assert measured(index.lookup("/lib/a.wav", 10, 123, "m1")) == (21.5, 3, 0.75, 8000)
        assert measured(index.lookup("/lib/b.wav", 10, 123, "m1")) == unmeasured
        index.put(replace(entry("/lib/a.wav"), size=11))  # the file changed, not measured
        index.commit()
        assert measured(index.lookup("/lib/a.wav", 11, 123, "m1")) == unmeasured
        assert [measured(e) for e in index.entries()] == [unmeasured] * 2


def test_embeddings_round_trip_and_old_index_files_gain_the_table(tmp_path):
    db = tmp_path / "i.sqlite"
    with Index(db) as index:  # an index written before embeddings existed
        index.put(entry("/lib/a.wav"))
        index._db.execute("DROP TABLE embeddings")
    vector = np.random.default_rng(0).standard_normal(64).astype(np.float32)
    with Index(db) as index:
        assert index.count() == 1  # its results survive the upgrade
        index.put_embedding(Embedding("/lib/a.wav", "m1", 10, 123, "ab" * 16, "kick", vector))
        index.put(entry("/lib/b.wav"))  # both kinds of row pending: one commit writes both
    with Index(db) as index:
        got = index.lookup_embedding("/lib/a.wav", 10, 123, "m1")
        assert got.label == "kick" and got.hash == "ab" * 16
        np.testing.assert_array_equal(got.vector, vector)  # float32, bit for bit
        assert index.lookup_embedding("/lib/a.wav", 10, 124, "m1") is None  # mtime changed
        assert index.lookup_embedding("/lib/a.wav", 10, 123, "m2") is None  # other model
        assert index.embedding_count() == 1 and index.count() == 2


def test_answers_an_older_reader_made_are_made_again_and_corrections_kept(tmp_path):
    db = tmp_path / "i.sqlite"
    a = tmp_path / "a.wav"
    a.write_bytes(b"RIFF some bytes")
    vector = np.ones(4, np.float32) / 2
    with Index(db) as index:  # as drumnet left it before it removed DC offsets
        index.put(entry("/lib/a.wav"))
        index.put_embedding(Embedding("/lib/a.wav", "m1", 10, 123, "ab" * 16, "kick", vector))
        index.correct(a, "snare")
        index.commit()
        index._db.execute("DELETE FROM meta WHERE key LIKE 'reader%'")
        index._db.commit()
    with Index(db) as index:
        assert index.lookup("/lib/a.wav", 10, 123, "m1") is None  # made again when met
        assert index.known_hash("/lib/a.wav", 10, 123) == "ab" * 16  # its bytes still known
        assert index.lookup_embedding("/lib/a.wav", 10, 123, "m1") is None
        assert index.correction(file_hash(a)) == "snare"
        index.put(entry("/lib/a.wav"))  # made again: it counts, in place
    with Index(db) as index:
        assert index.lookup("/lib/a.wav", 10, 123, "m1").label == "kick"
        assert index.count() == 1


def test_corrections_follow_content(tmp_path):
    a = tmp_path / "a.wav"
    a.write_bytes(b"RIFF some bytes")
    with Index(tmp_path / "i.sqlite") as index:
        index.correct(a, "snare")
        index.correct(a, "clap")  # a later correction wins
        moved = tmp_path / "moved.wav"
        a.rename(moved)
        assert index.correction(file_hash(moved)) == "clap"
        assert [c.label for c in index.corrections()] == ["clap"]


def test_duplicate_groups(tmp_path):
    for name, content in [("a.wav", b"1"), ("b.wav", b"2"), ("sub/c.wav", b"1"), ("d.wav", b"1")]:
        (tmp_path / name).parent.mkdir(exist_ok=True)
        (tmp_path / name).write_bytes(content)
    groups = duplicate_groups([tmp_path])
    assert groups == [[Copy(str(tmp_path / n)) for n in ("a.wav", "d.wav", "sub/c.wav")]]


def test_names_of_one_file_are_one_copy_not_duplicates(tmp_path):
    """A symlink and its target, or two hard links, are one file: deleting one of them as a
    "duplicate" would lose the sound (or free nothing)."""
    (tmp_path / "a.wav").write_bytes(b"1")
    (tmp_path / "b-link.wav").symlink_to(tmp_path / "a.wav")
    os.link(tmp_path / "a.wav", tmp_path / "c-hard.wav")
    assert duplicate_groups([tmp_path]) == []  # all one file: nothing to report
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "0-link.wav").symlink_to(tmp_path / "a.wav")  # found before a.wav
    (tmp_path / "sub" / "copy.wav").write_bytes(b"1")  # a real copy
    (group,) = duplicate_groups([tmp_path])
    names = ("b-link.wav", "c-hard.wav", "sub/0-link.wav")
    assert group == [
        Copy(str(tmp_path / "a.wav"), tuple(str(tmp_path / n) for n in names)),
        Copy(str(tmp_path / "sub" / "copy.wav")),
    ]


@pytest.mark.slow
def _children(pid: int) -> list[int]:
    """The process ids whose parent is `pid` (Linux /proc)."""
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def _alive(pid: int) -> bool:
    """Whether `pid` runs (a zombie, dead but not yet reaped by init, does not count)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_killed_run_resumes_without_loss_or_corruption(tmp_path):
    """kill -9 a `drumnet classify` mid-run, run again: every file indexed once, DB intact."""
    lib, n = tmp_path / "lib", 400
    lib.mkdir()
    rng = np.random.default_rng(0)
    for i in range(n):
        sf.write(str(lib / f"{i:04d}.wav"), rng.uniform(-0.5, 0.5, 4410), 44100, "PCM_16")
    model = random_model_file(tmp_path, "highway")  # slow enough to be caught mid-run
    env = {**os.environ, "DRUMNET_CACHE": str(tmp_path / "cache")}
    main = "import sys; from drumnet.cli import main; sys.exit(main())"
    cmd = [sys.executable, "-c", main, "classify", str(lib), "--model", str(model)]
    db = tmp_path / "cache" / "index.sqlite"
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    rows = 0
    deadline = time.monotonic() + 120
    while proc.poll() is None and rows == 0 and time.monotonic() < deadline:
        time.sleep(0.05)
        if db.exists():
            try:
                with sqlite3.connect(db) as con:
                    rows = con.execute("SELECT COUNT(*) FROM results").fetchone()[0]
            except sqlite3.OperationalError:
                pass  # table not created yet
    workers = _children(proc.pid)
    proc.send_signal(signal.SIGKILL)
    assert proc.wait() == -signal.SIGKILL, "the run finished before it could be killed"
    deadline = time.monotonic() + 10  # the workers die with it, rather than wait for ever
    while any(_alive(w) for w in workers) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert workers and not any(_alive(w) for w in workers)
    with Index(db) as index:
        assert index.integrity_ok()
        done = index.count()
    assert 0 < done < n
    rerun = subprocess.run(cmd, check=False, env=env, capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert len(rerun.stdout.splitlines()) == n
    with sqlite3.connect(db) as con:
        assert con.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        paths = [p for (p,) in con.execute("SELECT path FROM results")]
    assert sorted(paths) == sorted(str(p) for p in lib.iterdir())  # every file, once
