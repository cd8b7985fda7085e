"""The library index: past classifications and people's corrections, in one SQLite file.

It lives in `cache_dir()/index.sqlite`, never inside a user's library. A file whose path, size,
mtime and model id match a stored row is not decoded again. Rows are written in batches in WAL
mode, so a run that is interrupted (Ctrl-C, kill -9, power cut) leaves a consistent database
holding every batch committed before it stopped; running again resumes from there.

Corrections are keyed by content hash, so a corrected sound stays corrected when it is moved,
renamed or copied (e.g. into an organised kit). Embeddings (`drumnet similar`) are cached like
results: by path and model, valid while the file's size and mtime are unchanged.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import sqlite3
import stat
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from drumnet.audio.decode import READER_VERSION, AudioError, stat_regular_file
from drumnet.audio.scan import iter_audio_files
from drumnet.cache import cache_dir

# Tables are only ever added (CREATE TABLE IF NOT EXISTS), so an older index file gains a new
# table the first time it is opened and older drumnet versions ignore it: no version change.
# Bump this only if an existing table ever changes shape.
SCHEMA_VERSION = 1
COMMIT_EVERY = 256  # rows per transaction: at most this much work is lost to a kill -9
COMMIT_SECONDS = 2.0  # ... or this many seconds of it, whichever comes first

_SCHEMA = """
CREATE TABLE IF NOT EXISTS results (
    path TEXT NOT NULL,          -- absolute path as found (symlinks not resolved)
    model_id TEXT NOT NULL,
    size INTEGER NOT NULL,       -- bytes
    mtime_ns INTEGER NOT NULL,
    hash TEXT NOT NULL,          -- blake2b-128 of the file's bytes, hex
    label TEXT NOT NULL,         -- most probable of all the model's classes
    scores TEXT NOT NULL,        -- JSON {class: probability} over all the model's classes
    silent INTEGER NOT NULL,
    classified_at REAL NOT NULL, -- unix seconds
    PRIMARY KEY (path, model_id)
);
CREATE INDEX IF NOT EXISTS results_hash ON results (hash);
CREATE TABLE IF NOT EXISTS corrections (
    hash TEXT PRIMARY KEY,
    path TEXT NOT NULL,          -- where the corrected file was when it was labelled
    size INTEGER NOT NULL,
    label TEXT NOT NULL,
    labelled_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS embeddings (
    path TEXT NOT NULL,          -- absolute path as found, like results.path
    model_id TEXT NOT NULL,
    size INTEGER NOT NULL,       -- bytes
    mtime_ns INTEGER NOT NULL,
    hash TEXT NOT NULL,          -- blake2b-128 of the file's bytes, hex
    label TEXT NOT NULL,         -- the model's most probable class
    dim INTEGER NOT NULL,        -- values in vector
    vector BLOB NOT NULL,        -- float32 little-endian, unit length
    PRIMARY KEY (path, model_id)
);
CREATE TABLE IF NOT EXISTS bands (  -- one row per results row (same key, size and mtime)
    path TEXT NOT NULL,
    model_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    above_band_db REAL NOT NULL, -- dB of the file's energy above the model's band (audio.py)
    PRIMARY KEY (path, model_id)
);
CREATE TABLE IF NOT EXISTS hits (  -- per results or embeddings row (same key, size, mtime)
    path TEXT NOT NULL,
    model_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    hits INTEGER NOT NULL,       -- separate hits heard after the onset (audio.hit_times)
    span REAL NOT NULL,          -- seconds from the first of them to the last
    PRIMARY KEY (path, model_id)
);
CREATE TABLE IF NOT EXISTS rates (  -- one row per results row (same key, size and mtime)
    path TEXT NOT NULL,
    model_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    source_rate INTEGER NOT NULL, -- the file's own sample rate, Hz
    PRIMARY KEY (path, model_id)
);
CREATE TABLE IF NOT EXISTS inodes (  -- one row per results or embeddings row (by kind)
    kind TEXT NOT NULL,          -- 'result' or 'embedding'
    path TEXT NOT NULL,
    model_id TEXT NOT NULL,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ino INTEGER NOT NULL,        -- the file's inode: a file renamed onto the path has another
    PRIMARY KEY (kind, path, model_id)
);
"""
_INSERT = {  # table -> statement; rows are queued per table and written in one transaction
    "results": "INSERT OR REPLACE INTO results VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "embeddings": "INSERT OR REPLACE INTO embeddings VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
    "bands": "INSERT OR REPLACE INTO bands VALUES (?, ?, ?, ?, ?)",
    "hits": "INSERT OR REPLACE INTO hits VALUES (?, ?, ?, ?, ?, ?)",
    "rates": "INSERT OR REPLACE INTO rates VALUES (?, ?, ?, ?, ?)",
    "inodes": "INSERT OR REPLACE INTO inodes VALUES (?, ?, ?, ?, ?, ?)",
}


def _same(t: str, r: str) -> str:
    """SQL: table alias t's row describes the same file version as alias r's."""
    return " AND ".join(f"{t}.{c} = {r}.{c}" for c in ("path", "model_id", "size", "mtime_ns"))


# A results row with its bands, hits, rates and inodes rows, if any (older drumnet versions
# wrote none).
_RESULTS = (
    "SELECT r.path, r.model_id, r.size, r.mtime_ns, r.hash, r.scores, r.silent, r.classified_at, "
    "b.above_band_db, h.hits, h.span, s.source_rate, i.ino FROM results r "
    f"LEFT JOIN bands b ON {_same('b', 'r')} LEFT JOIN hits h ON {_same('h', 'r')} "
    f"LEFT JOIN rates s ON {_same('s', 'r')} "
    f"LEFT JOIN inodes i ON i.kind = 'result' AND {_same('i', 'r')}"
)
_EMBEDDINGS = (
    "SELECT e.path, e.model_id, e.size, e.mtime_ns, e.hash, e.label, e.dim, e.vector, h.hits, "
    f"h.span, i.ino FROM embeddings e LEFT JOIN hits h ON {_same('h', 'e')} "
    f"LEFT JOIN inodes i ON i.kind = 'embedding' AND {_same('i', 'e')}"
)


def _db_path(path: str) -> str | bytes:
    """A path as the index stores it: text, or the raw bytes (os.fsencode) of a name that is not
    valid UTF-8. Linux allows any bytes in a file name; SQLite's text must be UTF-8."""
    try:
        path.encode()
    except UnicodeEncodeError:
        return os.fsencode(path)
    return path


def _py_path(value: str | bytes) -> str:
    """The inverse of `_db_path`."""
    return os.fsdecode(value) if isinstance(value, bytes) else value


def file_hash(path: str | os.PathLike) -> str:
    """blake2b-128 of a file's bytes as 32 hex digits, read in chunks (any file size)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def _regular_file_hash(path: str) -> str:
    """`file_hash` of a regular file; OSError for anything else (a pipe or a device would be
    read for ever)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "not a regular file (a folder, pipe or device)", path)
    return file_hash(path)


def default_index_path() -> Path:
    """$DRUMNET_CACHE/index.sqlite; its folder is created when the index is opened."""
    return cache_dir(create=False) / "index.sqlite"


def _prepare(db: sqlite3.Connection) -> float:
    """WAL mode, and the tables of this version (an older file gains any it lacks). Returns
    the time answers were last made stale (`_reader_since`)."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash loses no commit
    db.executescript(_SCHEMA)
    fresh = _meta(db, "schema_version") is None
    db.execute("INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),))
    since = _reader_since(db, fresh)
    db.commit()
    return since


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def _reader_since(db: sqlite3.Connection, fresh: bool) -> float:
    """When answers stored by an older reader (audio.READER_VERSION) stopped counting: results
    classified before it are made again as files are met, in place (their content hashes stay
    known meanwhile); embeddings, which carry no time, are dropped. Corrections are kept."""
    if _meta(db, "reader_version") != str(READER_VERSION):
        since = 0.0 if fresh else time.time()
        db.execute(
            "INSERT OR REPLACE INTO meta VALUES ('reader_version', ?)", (str(READER_VERSION),)
        )
        db.execute("INSERT OR REPLACE INTO meta VALUES ('reader_since', ?)", (repr(since),))
        if not fresh:
            db.execute("DELETE FROM embeddings")
    return float(_meta(db, "reader_since") or 0.0)


class IndexUnavailable(Exception):
    """The index file cannot be opened (damaged, read-only, no folder for it). `str(err)` is
    one line: the file, why, and what a person can do about it."""

    def __init__(self, path: str | os.PathLike, reason: str, fix: str):
        self.path, self.reason, self.fix = str(path), reason, fix
        super().__init__(f"cannot use the library index {self.path} ({reason}): {fix}")


def _unusable(path: Path, exc: sqlite3.Error) -> IndexUnavailable:
    """What to tell a person whose index SQLite refuses."""
    reason = str(exc).replace("\n", " ")
    # A healthy index on a read-only disk or in a locked folder fails to open ("unable to open
    # database file": WAL mode needs files beside it), which is no reason to move it away.
    locked = not os.access(path.parent, os.W_OK) or path.exists() and not os.access(path, os.W_OK)
    if "readonly" in reason or locked:
        return IndexUnavailable(path, reason, "make it and its folder writable")
    if "full" in reason:  # SQLITE_FULL: "database or disk is full"
        return IndexUnavailable(path, reason, "free space on its disk")
    keep = "keep it, it holds your label corrections"
    return IndexUnavailable(path, reason, f"move it away to start a new one ({keep})")


@dataclass(frozen=True)
class Entry:
    """One stored classification of one file by one model."""

    path: str
    model_id: str
    size: int
    mtime_ns: int
    hash: str
    scores: dict[str, float]  # over all the model's classes
    silent: bool
    classified_at: float
    above_band_db: float | None = None  # None: not recorded (an older drumnet classified it)
    hits: int | None = None  # separate hits and their span in seconds (audio.hit_times);
    hit_span: float | None = None  # None: not recorded, as above
    source_rate: int | None = None  # the file's own sample rate, Hz; None: not recorded
    ino: int | None = None  # the file's inode (os.stat); None: not recorded

    @property
    def label(self) -> str:
        return max(self.scores, key=self.scores.__getitem__)


@dataclass(frozen=True)
class Embedding:
    """One stored embedding of one file by one model. vector: float32 (dim,), unit length."""

    path: str
    model_id: str
    size: int
    mtime_ns: int
    hash: str
    label: str  # the model's most probable class
    vector: np.ndarray
    hits: int | None = None  # as in Entry: None when not recorded
    hit_span: float | None = None
    ino: int | None = None


@dataclass(frozen=True)
class Correction:
    """A person's label for a sound, by content hash."""

    hash: str
    path: str
    size: int
    label: str
    labelled_at: float


class Index:
    """The SQLite index. Use as a context manager, or call `close()` (which commits)."""

    def __init__(self, path: str | os.PathLike | None = None):
        """Open (or start) the index; IndexUnavailable if that cannot be done. A file that is
        not a usable index is left as it is: it may hold a person's corrections."""
        self.path = Path(path) if path else default_index_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            reason = f"cannot create its folder: {exc.strerror or exc}"
            fix = "point DRUMNET_CACHE at a folder"
            raise IndexUnavailable(self.path, reason, fix) from exc
        db = None
        try:
            db = sqlite3.connect(str(self.path), timeout=30.0)
            self._reader_since = _prepare(db)
        except sqlite3.Error as exc:
            if db is not None:
                db.close()
            raise _unusable(self.path, exc) from exc
        self._db = db
        self._pending: dict[str, list[tuple]] = {table: [] for table in _INSERT}
        self._closed = False
        self._last_commit = time.monotonic()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        """Commit and close; later commits are no-ops (a generator may finish after us)."""
        if not self._closed:
            try:
                self.commit()
            finally:
                self._db.close()
                self._closed = True

    def lookup(
        self, path: str, size: int, mtime_ns: int, model_id: str, ino: int | None = None
    ) -> Entry | None:
        """The stored result for an unchanged file (same path, size, mtime, model and, when
        `ino` is given, inode), else None; None too for a result an older reader made
        (`_reader_since`). The inode tells a file renamed onto the path from the one that was
        there, when both have one size and time (one-shots of a pack often have)."""
        row = self._db.execute(
            _RESULTS + " WHERE r.path = ? AND r.model_id = ? AND r.size = ? AND r.mtime_ns = ?",
            (_db_path(path), model_id, size, mtime_ns),
        ).fetchone()
        entry = _entry(row) if row else None
        if entry is None or entry.classified_at < self._reader_since:
            return None
        return entry if ino is None or entry.ino == ino else None

    def known_hash(self, path: str, size: int, mtime_ns: int, ino: int | None = None) -> str | None:
        """The content hash stored for an unchanged file by any model, else None (`ino` as in
        `lookup`)."""
        inode = "" if ino is None else " AND i.ino = ?"
        row = self._db.execute(
            "SELECT r.hash FROM results r LEFT JOIN inodes i ON i.kind = 'result' AND "
            f"{_same('i', 'r')} WHERE r.path = ? AND r.size = ? AND r.mtime_ns = ?{inode} LIMIT 1",
            (_db_path(path), size, mtime_ns, *([] if ino is None else [ino])),
        ).fetchone()
        return row[0] if row else None

    def put(self, entry: Entry) -> None:
        """Store a result; written in batches (see COMMIT_EVERY, COMMIT_SECONDS)."""
        self._queue(
            "results",
            (
                _db_path(entry.path),
                entry.model_id,
                entry.size,
                entry.mtime_ns,
                entry.hash,
                entry.label,
                json.dumps(entry.scores),
                int(entry.silent),
                entry.classified_at,
            ),
        )
        key = (_db_path(entry.path), entry.model_id, entry.size, entry.mtime_ns)
        if entry.above_band_db is not None:
            self._queue("bands", (*key, entry.above_band_db))
        if entry.source_rate is not None:
            self._queue("rates", (*key, entry.source_rate))
        if entry.ino is not None:
            self._queue("inodes", ("result", *key, entry.ino))
        self._put_hits(key, entry.hits, entry.hit_span)

    def lookup_embedding(
        self, path: str, size: int, mtime_ns: int, model_id: str, ino: int | None = None
    ) -> Embedding | None:
        """The stored embedding of an unchanged file (same path, size, mtime, model and, when
        given, inode), else None."""
        row = self._db.execute(
            _EMBEDDINGS + " WHERE e.path = ? AND e.model_id = ? AND e.size = ? AND e.mtime_ns = ?",
            (_db_path(path), model_id, size, mtime_ns),
        ).fetchone()
        if row is None:
            return None
        _, *head, dim, blob, hits, span, stored_ino = row
        vector = np.frombuffer(blob, dtype="<f4")
        if vector.size != dim or ino is not None and stored_ino != ino:
            return None  # damaged, or another file renamed onto the path: recompute
        return Embedding(path, *head, vector, hits, span, stored_ino)

    def put_embedding(self, e: Embedding) -> None:
        """Store an embedding; written in batches like `put`."""
        vector = np.ascontiguousarray(e.vector, dtype="<f4")
        row = (_db_path(e.path), e.model_id, e.size, e.mtime_ns, e.hash, e.label, vector.size)
        self._queue("embeddings", (*row, vector.tobytes()))
        if e.ino is not None:
            self._queue("inodes", ("embedding", *row[:4], e.ino))
        self._put_hits(row[:4], e.hits, e.hit_span)

    def _put_hits(self, key: tuple, hits: int | None, span: float | None) -> None:
        if hits is not None and span is not None:
            self._queue("hits", (*key, hits, span))

    def embedding_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0]

    def _queue(self, table: str, row: tuple) -> None:
        self._pending[table].append(row)
        due = time.monotonic() - self._last_commit > COMMIT_SECONDS
        if sum(map(len, self._pending.values())) >= COMMIT_EVERY or due:
            self.commit()

    def commit(self) -> None:
        """Write pending rows in one transaction. IndexUnavailable when that fails (a full
        disk, the file made read-only): the rows are dropped, the earlier commits kept."""
        if any(self._pending.values()) and not self._closed:
            try:
                with self._transaction():
                    for table, rows in self._pending.items():
                        if rows:
                            self._db.executemany(_INSERT[table], rows)
            finally:
                for rows in self._pending.values():
                    rows.clear()
        self._last_commit = time.monotonic()

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        """One write transaction; IndexUnavailable when SQLite refuses it (a full disk, the
        file made read-only while drumnet ran) instead of a traceback."""
        try:
            with self._db:
                yield
        except sqlite3.Error as exc:
            raise _unusable(self.path, exc) from exc

    def entries(self, model_id: str | None = None) -> Iterator[Entry]:
        """Every stored result (of one model when given), ordered by path."""
        sql = _RESULTS + (" WHERE r.model_id = ?" if model_id else "") + " ORDER BY r.path"
        yield from map(_entry, self._db.execute(sql, (model_id,) if model_id else ()))

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM results").fetchone()[0]

    def correct(self, path: str | os.PathLike, label: str) -> Correction:
        """Record that the file at `path` is a `label` (by its content hash). Replaces any earlier."""
        path = os.path.abspath(path)
        correction = Correction(
            _regular_file_hash(path), path, os.path.getsize(path), label, time.time()
        )
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO corrections VALUES (?, ?, ?, ?, ?)",
                (
                    correction.hash,
                    _db_path(correction.path),
                    correction.size,
                    correction.label,
                    correction.labelled_at,
                ),
            )
        return correction

    def forget(self, path: str | os.PathLike) -> list[str]:
        """Drop the corrections of `path`; the labels they gave (none: it had no correction).

        Both go: the one recorded at this path (what `corrections()` lists for it, whatever the
        file holds now, even when it is gone) and the one of its current content, wherever
        that was labelled. Raises OSError only for a file that cannot be read and has no
        correction recorded at its path.
        """
        path = os.path.abspath(path)
        where = ("path = ?", (_db_path(path),))
        try:
            content = ("hash = ?", (_regular_file_hash(path),))
        except OSError:
            if not self._corrections_where(*where):
                raise
            content = where  # gone or unreadable: only what was recorded here can go
        dropped = self._corrections_where(*where) + self._corrections_where(*content)
        with self._transaction():
            for sql, args in (where, content):
                self._db.execute(f"DELETE FROM corrections WHERE {sql}", args)
        return sorted({c.label for c in dropped})

    def _corrections_where(self, sql: str, args: tuple) -> list[Correction]:
        rows = self._db.execute(
            f"SELECT hash, path, size, label, labelled_at FROM corrections WHERE {sql}", args
        )
        return [Correction(h, _py_path(p), *rest) for h, p, *rest in rows]

    def paths_with_hash(self, content_hash: str) -> list[str]:
        """The paths of files classified or embedded with this content (when they were; check
        before trusting one), in path order."""
        rows = self._db.execute(
            "SELECT path FROM results WHERE hash = ? UNION "
            "SELECT path FROM embeddings WHERE hash = ? ORDER BY path",
            (content_hash, content_hash),
        )
        return [_py_path(path) for (path,) in rows]

    def correction(self, content_hash: str) -> str | None:
        """The corrected label of a sound with this content hash, if a person gave one."""
        row = self._db.execute(
            "SELECT label FROM corrections WHERE hash = ?", (content_hash,)
        ).fetchone()
        return row[0] if row else None

    def corrections(self) -> list[Correction]:
        rows = self._db.execute(
            "SELECT hash, path, size, label, labelled_at FROM corrections ORDER BY label, path"
        )
        return [Correction(h, _py_path(path), *rest) for h, path, *rest in rows]

    def stored_vectors(
        self, model_id: str, files: Iterable[tuple[str, str]]
    ) -> dict[str, np.ndarray]:
        """{path: vector} of the embeddings stored under `model_id` for these (absolute path,
        content hash) pairs, where the stored row holds that very content."""
        wanted = {_db_path(path): (path, digest) for path, digest in files}
        keys, found = list(wanted), {}
        for start in range(0, len(keys), 500):  # SQLite allows 999 parameters by default
            part = keys[start : start + 500]
            rows = self._db.execute(
                "SELECT path, hash, dim, vector FROM embeddings WHERE model_id = ? AND path IN "
                f"({', '.join('?' * len(part))})",
                (model_id, *part),
            )
            for key, digest, dim, blob in rows:
                path, want = wanted[key]
                if digest == want and len(blob) == 4 * dim:
                    found[path] = np.frombuffer(blob, dtype="<f4")
        return found

    def stored_scores(self, model_id: str, hashes: Iterable[str]) -> dict[str, dict[str, float]]:
        """{content hash: the scores `model_id` gave that sound} for those it classified."""
        found = {}
        for digest in hashes:
            row = self._db.execute(
                "SELECT scores FROM results WHERE hash = ? AND model_id = ? LIMIT 1",
                (digest, model_id),
            ).fetchone()
            if row:
                found[digest] = json.loads(row[0])
        return found

    def corrected_sounds(
        self, model_id: str, embedding_id: str
    ) -> list[tuple[Correction, dict[str, float] | None, np.ndarray | None]]:
        """Each correction with the scores `model_id` gave its sound and the embedding stored
        for it under `embedding_id` (None where none is stored), by content hash."""
        corrected = "hash IN (SELECT hash FROM corrections)"
        rows = self._db.execute(
            f"SELECT hash, scores FROM results WHERE model_id = ? AND {corrected}", (model_id,)
        )
        scores = dict(rows.fetchall())
        rows = self._db.execute(
            f"SELECT hash, dim, vector FROM embeddings WHERE model_id = ? AND {corrected}",
            (embedding_id,),
        )
        vectors = {
            digest: np.frombuffer(blob, dtype="<f4")
            for digest, dim, blob in rows
            if len(blob) == 4 * dim
        }
        return [
            (c, json.loads(scores[c.hash]) if c.hash in scores else None, vectors.get(c.hash))
            for c in self.corrections()
        ]

    def integrity_ok(self) -> bool:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


@dataclass(frozen=True)
class Copy:
    """One file on disk (one device and inode) among files with identical bytes.

    `aliases` are its other names found: symbolic links to it and hard links. They are not
    copies: deleting one frees nothing and loses nothing. `path` is a name that is not a
    symbolic link whenever the file has one, so it is the name its links point to.
    """

    path: str
    aliases: tuple[str, ...] = ()


def duplicate_groups(
    paths: Iterable[str | os.PathLike],
    index: Index | None = None,
    on_error: Callable[[str, str], None] | None = None,
) -> list[list[Copy]]:
    """Groups of 2+ distinct files under `paths` with identical bytes, largest first.

    Names that lead to one file (same st_dev and st_ino once symlinks are followed) are one
    `Copy`, so a symlink and its target are never offered as two copies, one of them to delete.
    Hashes stored in the index for unchanged files are reused, so after a `classify` run
    this reads no audio at all. A path that cannot be read is left out and passed to
    `on_error(path, reason)`; so is anything but a regular file (a pipe would never end).
    """
    names: dict[tuple[int, int], list[str]] = {}  # (st_dev, st_ino) -> the file's names found
    by_hash: dict[str, list[tuple[int, int]]] = {}  # content -> the files holding it
    for path in iter_audio_files(paths):
        if not isinstance(path, str):
            if on_error:
                on_error(path.path, path.reason)
            continue
        try:
            st = stat_regular_file(path)  # says what a broken link or a pipe is, as classify does
            key = (st.st_dev, st.st_ino)
            if key not in names:  # a file's other names need no hashing
                by_hash.setdefault(_content_hash(path, st, index), []).append(key)
        except (AudioError, OSError) as exc:
            reason = exc.reason if isinstance(exc, AudioError) else exc.strerror or str(exc)
            if on_error:
                on_error(path, reason)
            continue
        names.setdefault(key, []).append(path)
    groups = [[_copy(names[key]) for key in keys] for keys in by_hash.values() if len(keys) > 1]
    return sorted(groups, key=lambda g: (-len(g), g[0].path))


def _content_hash(path: str, st: os.stat_result, index: Index | None) -> str:
    """The file's hash: from the index while the file is unchanged, else read afresh."""
    known = index and index.known_hash(os.path.abspath(path), st.st_size, st.st_mtime_ns, st.st_ino)
    return known or file_hash(path)


def _copy(names: list[str]) -> Copy:
    """One file's names (in the order found) -> a Copy named by its first real name."""
    real = [name for name in names if not os.path.islink(name)]
    path = (real or names)[0]
    return Copy(path, tuple(name for name in names if name != path))


def _entry(row: Iterable) -> Entry:
    path, model_id, size, mtime_ns, digest, scores, silent, at, *measured = row
    # measured: above_band_db, hits, hit_span, source_rate, ino (None where not recorded)
    return Entry(
        _py_path(path), model_id, size, mtime_ns, digest, json.loads(scores), bool(silent), at,
        *measured,
    )  # fmt: skip
