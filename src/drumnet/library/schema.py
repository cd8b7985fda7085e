"""The index's tables, and the one staleness rule: cached answers are valid for the schema
and the audio reader (`READER_VERSION`) that made them. An index of another version has them
dropped and made again as files are met; people's corrections are always kept.
"""

from __future__ import annotations

import sqlite3

from drumnet.audio.sound import READER_VERSION

SCHEMA_VERSION = 2

CORRECTIONS_SQL = """
CREATE TABLE IF NOT EXISTS corrections (  -- people's labels: never dropped by a migration
    hash TEXT PRIMARY KEY,       -- blake2b-128 of the labelled file's bytes, hex
    path TEXT NOT NULL,          -- where the corrected file was when it was labelled
    size INTEGER NOT NULL,
    label TEXT NOT NULL,
    labelled_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""
# Cached answers, one row per file version (path, size, mtime, inode) and model. Measurements
# are NULL only in rows written through the Python API without them.
ANSWERS_SQL = """
CREATE TABLE classified (
    path TEXT NOT NULL,          -- absolute path as found (symlinks not resolved)
    model_id TEXT NOT NULL,      -- what the model is: checkpoint.model_identity
    size INTEGER NOT NULL,       -- bytes
    mtime_ns INTEGER NOT NULL,
    ino INTEGER,                 -- a file renamed onto the path has another inode
    hash TEXT NOT NULL,          -- blake2b-128 of the file's bytes, hex
    scores TEXT NOT NULL,        -- JSON {class: probability} over all the model's classes
    silent INTEGER NOT NULL,
    above_band_db REAL,          -- dB of the file's energy above the model's band
    hits INTEGER,                -- separate hits heard after the onset
    hit_span REAL,               -- seconds from the first of them to the last
    source_rate INTEGER,         -- the file's own sample rate, Hz
    classified_at REAL NOT NULL, -- unix seconds
    PRIMARY KEY (path, model_id)
);
CREATE INDEX classified_hash ON classified (hash);
CREATE TABLE embedded (
    path TEXT NOT NULL,
    model_id TEXT NOT NULL,      -- the model's identity plus the embedding's kind
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    ino INTEGER,
    hash TEXT NOT NULL,
    label TEXT NOT NULL,         -- the model's most probable class
    hits INTEGER,
    hit_span REAL,
    vector BLOB NOT NULL,        -- float32 little-endian, unit length
    PRIMARY KEY (path, model_id)
);
CREATE INDEX embedded_hash ON embedded (hash);
"""
OLD_TABLES = ("results", "embeddings", "bands", "hits", "rates", "inodes")  # schema 1


def _meta(db: sqlite3.Connection, key: str) -> str | None:
    row = db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
    return row[0] if row else None


def prepare(db: sqlite3.Connection) -> None:
    """WAL mode; the tables of this schema, made afresh (cached answers dropped, corrections
    kept) when the file was written by another schema or audio reader."""
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")  # WAL + NORMAL: a crash loses no commit
    db.isolation_level = None  # explicit transactions: DDL inside one, all or nothing
    try:
        db.execute("BEGIN IMMEDIATE")  # one process migrates; the others wait, then see it done
        _run(db, CORRECTIONS_SQL)
        version = (_meta(db, "schema_version"), _meta(db, "reader_version"))
        if version != (str(SCHEMA_VERSION), str(READER_VERSION)):
            for table in ("classified", "embedded", *OLD_TABLES):
                db.execute(f"DROP TABLE IF EXISTS {table}")
            _run(db, ANSWERS_SQL)
            db.execute("DELETE FROM meta")
            db.executemany(
                "INSERT INTO meta VALUES (?, ?)",
                [("schema_version", str(SCHEMA_VERSION)), ("reader_version", str(READER_VERSION))],
            )
        # Written at every open, so that an index SQLite may only read fails here, not later.
        db.execute(
            "INSERT OR IGNORE INTO meta VALUES ('schema_version', ?)", (str(SCHEMA_VERSION),)
        )
        db.execute("COMMIT")
    except BaseException:
        if db.in_transaction:
            db.execute("ROLLBACK")
        raise
    finally:
        db.isolation_level = ""


def _run(db: sqlite3.Connection, script: str) -> None:
    """Each statement of `script` inside the open transaction (executescript would commit)."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)
