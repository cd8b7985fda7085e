"""The SQLite library index: storage, corrections, duplicates, surviving kill -9."""

from __future__ import annotations

import os
import shutil
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

from drumnet.library.hashing import file_hash
from drumnet.library.index import Embedding, Entry, Index
from drumnet.library.schema import SCHEMA_VERSION


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
        index.put(entry("/lib/b.wav"))  # not measured (an Entry made without them)
    with Index(tmp_path / "i.sqlite") as index:
        assert measured(index.lookup("/lib/a.wav", 10, 123, "m1")) == (21.5, 3, 0.75, 8000)
        assert measured(index.lookup("/lib/b.wav", 10, 123, "m1")) == unmeasured
        index.put(replace(entry("/lib/a.wav"), size=11))  # the file changed, not measured
        index.commit()
        assert measured(index.lookup("/lib/a.wav", 11, 123, "m1")) == unmeasured
        assert [measured(e) for e in index.entries()] == [unmeasured] * 2


def test_embeddings_round_trip(tmp_path):
    db = tmp_path / "i.sqlite"
    vector = np.random.default_rng(0).standard_normal(64).astype(np.float32)
    with Index(db) as index:
        index.put_embedding(Embedding("/lib/a.wav", "m1", 10, 123, "ab" * 16, "kick", vector))
        index.put(entry("/lib/b.wav"))  # both kinds of row pending: one commit writes both
    with Index(db) as index:
        got = index.lookup_embedding("/lib/a.wav", 10, 123, "m1")
        assert got.label == "kick" and got.hash == "ab" * 16
        np.testing.assert_array_equal(got.vector, vector)  # float32, bit for bit
        assert index.lookup_embedding("/lib/a.wav", 10, 124, "m1") is None  # mtime changed
        assert index.lookup_embedding("/lib/a.wav", 10, 123, "m2") is None  # other model
        assert index.embedding_count() == 1 and index.count() == 1


def test_answers_another_reader_made_are_dropped_and_corrections_kept(tmp_path):
    db = tmp_path / "i.sqlite"
    a = tmp_path / "a.wav"
    a.write_bytes(b"RIFF some bytes")
    vector = np.ones(4, np.float32) / 2
    with Index(db) as index:
        index.put(entry("/lib/a.wav"))
        index.put_embedding(Embedding("/lib/a.wav", "m1", 10, 123, "ab" * 16, "kick", vector))
        index.correct(a, "snare")
        index.commit()
        index._db.execute("UPDATE meta SET value = '1' WHERE key = 'reader_version'")
        index._db.commit()
    with Index(db) as index:  # as if the audio reader changed since these were made
        assert index.lookup("/lib/a.wav", 10, 123, "m1") is None  # made again when met
        assert index.lookup_embedding("/lib/a.wav", 10, 123, "m1") is None
        assert index.correction(file_hash(a)) == "snare"
        index.put(entry("/lib/a.wav"))
    with Index(db) as index:
        assert index.lookup("/lib/a.wav", 10, 123, "m1").label == "kick"
        assert index.count() == 1


# tests/fixtures/index-schema1.sqlite was written by drumnet with index schema 1 (one table
# per measurement beside `results` and `embeddings`): /tmp/fixlib/samples/{kick,snare,hat}.wav
# (conftest's synth_drum, 16-bit at RATE) classified and embedded by the shipped `default`
# model, then hat.wav labelled tom and kick.wav labelled loop.
SCHEMA1 = Path(__file__).parent / "fixtures" / "index-schema1.sqlite"


def test_an_index_of_schema_1_migrates_and_keeps_its_corrections(tmp_path, write_drum):
    db = tmp_path / "index.sqlite"
    shutil.copyfile(SCHEMA1, db)  # the fixture itself is never changed
    hat, kick = write_drum(tmp_path / "hat.wav", "hat"), write_drum(tmp_path / "kick.wav", "kick")
    with Index(db) as index:
        assert index.integrity_ok()
        assert index.count() == 0 and index.embedding_count() == 0  # made again as files are met
        assert {(Path(c.path).name, c.label) for c in index.corrections()} == {
            ("hat.wav", "tom"),
            ("kick.wav", "loop"),
        }
        assert index.correction(file_hash(hat)) == "tom"  # the same bytes, by content
        assert index.correction(file_hash(kick)) == "loop"
        index.put(entry(str(hat)))
    with sqlite3.connect(db) as con:
        tables = {name for (name,) in con.execute("SELECT name FROM sqlite_master")}
        meta = dict(con.execute("SELECT key, value FROM meta"))
    assert not tables & {"results", "embeddings", "bands", "hits", "rates", "inodes"}
    assert meta["schema_version"] == str(SCHEMA_VERSION)
    with Index(db) as index:  # opened again: nothing more to migrate, nothing lost
        assert index.count() == 1 and len(index.corrections()) == 2


def test_an_answer_over_other_classes_is_stale_not_an_error(tmp_path):
    with Index(tmp_path / "i.sqlite") as index:
        index.put(entry("/lib/a.wav"))  # over kick and snare
        index.commit()
        assert index.lookup("/lib/a.wav", 10, 123, "m1", classes=("kick", "snare")) is not None
        assert index.lookup("/lib/a.wav", 10, 123, "m1", classes=("kick", "banjo")) is None


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


@pytest.mark.slow
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
                    rows = con.execute("SELECT COUNT(*) FROM classified").fetchone()[0]
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
        paths = [p for (p,) in con.execute("SELECT path FROM classified")]
    assert sorted(paths) == sorted(str(p) for p in lib.iterdir())  # every file, once
