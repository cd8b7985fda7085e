"""The library index: cached answers (classifications, embeddings) and people's corrections.

One SQLite file in `cache_dir()`, never inside a user's library; its tables and their
migration are `library.schema`. Guarantees: docs/organize-and-undo.md.
"""

from __future__ import annotations

import contextlib
import json
import os
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Self

import numpy as np

from drumnet.cache import cache_dir
from drumnet.disk import free_bytes, human_bytes, is_disk_full
from drumnet.errors import IndexUnavailable
from drumnet.library.hashing import regular_file_hash
from drumnet.library.schema import prepare

COMMIT_EVERY = 256  # rows per transaction: at most this much work is lost to a kill -9
COMMIT_SECONDS = 2.0  # ... or this many seconds of it, whichever comes first
SQLITE_FULL = 13  # sqlite3.Error.sqlite_errorcode: "database or disk is full"
SQLITE_IOERR = 10  # the low byte of every disk I/O error, which a full disk often gives
LOW_SPACE = 1 << 20  # bytes: a disk with less free is full as far as SQLite is concerned

_INSERT = {  # table -> statement; rows are queued per table and written in one transaction
    "classified": "INSERT OR REPLACE INTO classified VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    "embedded": "INSERT OR REPLACE INTO embedded VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
}
_ENTRY_COLUMNS = (
    "path, model_id, size, mtime_ns, hash, scores, silent, classified_at, above_band_db, hits, "
    "hit_span, source_rate, ino"
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


def default_index_path() -> Path:
    """$DRUMNET_CACHE/index.sqlite; its folder is created when the index is opened."""
    return cache_dir(create=False) / "index.sqlite"


def _unusable(path: Path, exc: sqlite3.Error | OSError) -> IndexUnavailable:
    """What to tell a person whose index SQLite refuses."""
    reason = str(exc).replace("\n", " ")
    if _disk_full(path, exc):
        free = free_bytes(path.parent)
        if "full" not in reason and free is not None:
            reason += f", {human_bytes(free)} free on its disk"
        fine = " (the index itself is fine)" if path.exists() else ""
        return IndexUnavailable(path, reason, f"free space on its disk{fine}")
    # A healthy index on a read-only disk or in a locked folder fails to open ("unable to open
    # database file": WAL mode needs files beside it), which is no reason to move it away.
    locked = not os.access(path.parent, os.W_OK) or path.exists() and not os.access(path, os.W_OK)
    if "readonly" in reason or locked:
        return IndexUnavailable(path, reason, "make it and its folder writable")
    keep = "keep it, it holds your label corrections"
    return IndexUnavailable(path, reason, f"move it away to start a new one ({keep})")


def _disk_full(path: Path, exc: sqlite3.Error | OSError) -> bool:
    """ENOSPC or SQLITE_FULL; or a disk I/O error on a disk with next to no space left, which
    is how SQLite reports a full disk when it cannot grow its WAL or shared-memory file."""
    if isinstance(exc, OSError):
        return is_disk_full(exc)
    code = getattr(exc, "sqlite_errorcode", None)
    if code == SQLITE_FULL or "disk is full" in str(exc):
        return True
    io_error = code is not None and code & 0xFF == SQLITE_IOERR or "disk I/O error" in str(exc)
    free = free_bytes(path.parent)
    return io_error and free is not None and free < LOW_SPACE


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
    above_band_db: float | None = None  # None: not measured
    hits: int | None = None  # separate hits and their span in seconds (audio.hit_times);
    hit_span: float | None = None  # None: not measured, as above
    source_rate: int | None = None  # the file's own sample rate, Hz; None: not measured
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
    hits: int | None = None  # as in Entry: None when not measured
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
        """Open (or start, or migrate) the index; IndexUnavailable if that cannot be done. A
        file that is not a usable index is left as it is: it may hold a person's corrections."""
        self.path = Path(path) if path else default_index_path()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            if is_disk_full(exc):
                raise _unusable(self.path, exc) from exc
            reason = f"cannot create its folder: {exc.strerror or exc}"
            fix = "point DRUMNET_CACHE at a folder"
            raise IndexUnavailable(self.path, reason, fix) from exc
        db = None
        try:
            db = sqlite3.connect(str(self.path), timeout=30.0)
            prepare(db)
        except (sqlite3.Error, OSError) as exc:
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
        self,
        path: str,
        size: int,
        mtime_ns: int,
        model_id: str,
        ino: int | None = None,
        classes: Sequence[str] | None = None,
    ) -> Entry | None:
        """The stored result for an unchanged file (same path, size, mtime, model and, when
        given, inode and class names), else None. The inode tells a file renamed onto the path
        from the one that was there, when both have one size and time (as a pack's often do);
        an answer over other classes than `classes` is stale, not an error."""
        row = self._db.execute(
            f"SELECT {_ENTRY_COLUMNS} FROM classified "
            "WHERE path = ? AND model_id = ? AND size = ? AND mtime_ns = ?",
            (_db_path(path), model_id, size, mtime_ns),
        ).fetchone()
        entry = _entry(row) if row else None
        if entry is None or ino is not None and entry.ino != ino:
            return None
        return entry if classes is None or set(entry.scores) == set(classes) else None

    def known_hash(self, path: str, size: int, mtime_ns: int, ino: int | None = None) -> str | None:
        """The content hash stored for an unchanged file by any model, else None (`ino` as in
        `lookup`)."""
        inode = "" if ino is None else " AND ino = ?"
        row = self._db.execute(
            f"SELECT hash FROM classified WHERE path = ? AND size = ? AND mtime_ns = ?{inode} "
            "LIMIT 1",
            (_db_path(path), size, mtime_ns, *([] if ino is None else [ino])),
        ).fetchone()
        return row[0] if row else None

    def put(self, e: Entry) -> None:
        """Store a result; written in batches (see COMMIT_EVERY, COMMIT_SECONDS)."""
        self._queue(
            "classified",
            (
                _db_path(e.path), e.model_id, e.size, e.mtime_ns, e.ino, e.hash,
                json.dumps(e.scores), int(e.silent), e.above_band_db, e.hits, e.hit_span,
                e.source_rate, e.classified_at,
            ),
        )  # fmt: skip

    def lookup_embedding(
        self, path: str, size: int, mtime_ns: int, model_id: str, ino: int | None = None
    ) -> Embedding | None:
        """The stored embedding of an unchanged file (same path, size, mtime, model and, when
        given, inode), else None."""
        row = self._db.execute(
            "SELECT hash, label, vector, hits, hit_span, ino FROM embedded "
            "WHERE path = ? AND model_id = ? AND size = ? AND mtime_ns = ?",
            (_db_path(path), model_id, size, mtime_ns),
        ).fetchone()
        if row is None:
            return None
        digest, label, blob, hits, span, stored_ino = row
        if len(blob) % 4 or ino is not None and stored_ino != ino:
            return None  # damaged, or another file renamed onto the path: recompute
        vector = np.frombuffer(blob, dtype="<f4")
        return Embedding(
            path, model_id, size, mtime_ns, digest, label, vector, hits, span, stored_ino
        )

    def put_embedding(self, e: Embedding) -> None:
        """Store an embedding; written in batches like `put`."""
        vector = np.ascontiguousarray(e.vector, dtype="<f4").tobytes()
        row = (_db_path(e.path), e.model_id, e.size, e.mtime_ns, e.ino, e.hash, e.label)
        self._queue("embedded", (*row, e.hits, e.hit_span, vector))

    def embedding_count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM embedded").fetchone()[0]

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
        where = " WHERE model_id = ?" if model_id else ""
        sql = f"SELECT {_ENTRY_COLUMNS} FROM classified{where} ORDER BY path"
        yield from map(_entry, self._db.execute(sql, (model_id,) if model_id else ()))

    def count(self) -> int:
        return self._db.execute("SELECT COUNT(*) FROM classified").fetchone()[0]

    def correct(self, path: str | os.PathLike, label: str) -> Correction:
        """Record that the file at `path` is a `label` (by its content hash). Replaces any earlier."""
        path = os.path.abspath(path)
        digest = regular_file_hash(path)
        correction = Correction(digest, path, os.path.getsize(path), label, time.time())
        with self._transaction():
            self._db.execute(
                "INSERT OR REPLACE INTO corrections VALUES (?, ?, ?, ?, ?)",
                (digest, _db_path(path), correction.size, label, correction.labelled_at),
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
            content = ("hash = ?", (regular_file_hash(path),))
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
            "SELECT path FROM classified WHERE hash = ? UNION "
            "SELECT path FROM embedded WHERE hash = ? ORDER BY path",
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
                "SELECT path, hash, vector FROM embedded WHERE model_id = ? AND path IN "
                f"({', '.join('?' * len(part))})",
                (model_id, *part),
            )
            for key, digest, blob in rows:
                path, want = wanted[key]
                if digest == want and blob and len(blob) % 4 == 0:
                    found[path] = np.frombuffer(blob, dtype="<f4")
        return found

    def stored_scores(self, model_id: str, hashes: Iterable[str]) -> dict[str, dict[str, float]]:
        """{content hash: the scores `model_id` gave that sound} for those it classified."""
        found = {}
        for digest in hashes:
            row = self._db.execute(
                "SELECT scores FROM classified WHERE hash = ? AND model_id = ? LIMIT 1",
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
            f"SELECT hash, scores FROM classified WHERE model_id = ? AND {corrected}", (model_id,)
        )
        scores = dict(rows.fetchall())
        rows = self._db.execute(
            f"SELECT hash, vector FROM embedded WHERE model_id = ? AND {corrected}",
            (embedding_id,),
        )
        vectors = {
            digest: np.frombuffer(blob, dtype="<f4")
            for digest, blob in rows
            if blob and len(blob) % 4 == 0
        }
        return [
            (c, json.loads(scores[c.hash]) if c.hash in scores else None, vectors.get(c.hash))
            for c in self.corrections()
        ]

    def integrity_ok(self) -> bool:
        return self._db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def _entry(row: Iterable) -> Entry:
    path, model_id, size, mtime_ns, digest, scores, silent, at, *measured = row
    return Entry(
        _py_path(path), model_id, size, mtime_ns, digest, json.loads(scores), bool(silent), at,
        *measured,
    )  # fmt: skip
