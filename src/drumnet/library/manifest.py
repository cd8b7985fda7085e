"""The organize manifest: a JSON-lines log, one flushed line per folder or file created.

Undo follows it; a manifest it cannot follow safely is refused (ValueError), never guessed at.
"""

from __future__ import annotations

import contextlib
import json
import os
import time
from pathlib import Path

from drumnet.library.hashing import file_hash
from drumnet.library.place import inside

MANIFEST_FORMAT = "drumnet-organize"
MANIFEST_GLOB = "drumnet-manifest-*.jsonl"
# What undo needs of each kind of record (version 1), by key and type.
RECORD_KEYS = {
    "mkdir": {"dest": str},
    "place": {"src": str, "dest": str, "mode": str, "size": int, "hash": str},
}


class Manifest:
    """Append-only JSON-lines log of what one organize run created. Each line goes to the
    disk whole or not at all (unbuffered; a line cut short by a full disk is cut off again),
    so closing has nothing left to write and cannot fail."""

    def __init__(self, dest: Path, header: dict):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1, 1000):
            name = f"drumnet-manifest-{stamp}" + (f"-{n}" if n > 1 else "") + ".jsonl"
            try:
                # Kept open for the whole run (closed by close()): one line per action.
                self.file = open(dest / name, "xb", buffering=0)  # noqa: SIM115
                break
            except FileExistsError:
                continue
        self.path = dest / name
        try:
            self.write({"format": MANIFEST_FORMAT, "version": 1, **header})
        except BaseException:
            self.discard()
            raise

    def write(self, record: dict) -> None:
        # ASCII escapes: a file name that is not valid UTF-8 (a lone surrogate) survives as-is.
        line = memoryview((json.dumps(record) + "\n").encode("ascii"))
        start = self.file.tell()
        try:
            while line:
                line = line[self.file.write(line) :]
        except OSError:
            with contextlib.suppress(OSError):
                self.file.truncate(start)  # no half line: the next one starts clean
                self.file.seek(start)
            raise

    def close(self) -> None:
        with contextlib.suppress(OSError):  # nothing is buffered: nothing can be lost
            self.file.close()

    def discard(self) -> None:
        """Close and delete the manifest: the run could not start."""
        with contextlib.suppress(OSError):
            self.file.close()
        self.path.unlink(missing_ok=True)


def read_manifest(path: str | os.PathLike) -> list[dict]:
    """The records of a manifest; a line cut short by a killed run is left out.

    ValueError "<path>: not a drumnet organize manifest (why)" for anything undo could not
    follow safely: a folder, an unreadable or binary file, a record it does not understand.
    """
    return read_records(path)[0]


def read_records(path: str | os.PathLike) -> tuple[list[dict], int]:
    """(records, lines that are not JSON: cut short by a killed run, or damaged since)."""
    try:
        with open(path, encoding="utf-8") as f:
            lines = [line for line in f if line.strip()]
    except OSError as exc:
        raise _not_a_manifest(path, exc.strerror or str(exc)) from exc
    except UnicodeDecodeError as exc:
        raise _not_a_manifest(path, "not text") from exc
    records = [record for record in map(_json_or_none, lines) if record is not None]
    problem = _manifest_problem(records)
    if problem:
        raise _not_a_manifest(path, problem)
    return records, len(lines) - len(records)


def _json_or_none(line: str):
    try:
        return json.loads(line)
    except json.JSONDecodeError:
        return None


def _not_a_manifest(path: str | os.PathLike, why: str) -> ValueError:
    return ValueError(f"{os.fspath(path)}: not a drumnet organize manifest ({why})")


def _manifest_problem(records: list) -> str | None:
    """Why `records` are not a manifest undo understands, or None when they are."""
    header = records[0] if records else None
    if not isinstance(header, dict) or header.get("format") != MANIFEST_FORMAT:
        return "no drumnet-organize header"
    if header.get("version") != 1:
        return f"version {header.get('version')!r}; this drumnet reads version 1"
    if not isinstance(header.get("dest"), str):
        return "no DEST in its header"
    for record in records[1:]:
        keys = RECORD_KEYS.get(record.get("action")) if isinstance(record, dict) else None
        if keys is None or any(not isinstance(record.get(k), t) for k, t in keys.items()):
            return f"bad record {json.dumps(record, ensure_ascii=False)[:60]}"
        if not within_dest(record, header["dest"]):
            return f"{record['dest']} lies outside DEST {header['dest']}"
    return None


def within_dest(record: dict, dest: str) -> bool:
    """Whether a record stays where undo may act: files in DEST, folders in DEST or above it
    (organize creates DEST's missing parents too)."""
    path, dest_path = Path(os.path.normpath(record["dest"])), Path(os.path.normpath(dest))
    return inside(path, dest_path) or record["action"] == "mkdir" and inside(dest_path, path)


def unchanged(record: dict) -> bool:
    dest = Path(record["dest"])
    if record["mode"] == "symlink":
        return dest.is_symlink() and os.readlink(dest) == record["src"]
    if dest.is_symlink() or not dest.is_file():
        return False
    return dest.stat().st_size == record["size"] and file_hash(dest) == record["hash"]


def other_manifests(manifest: str | os.PathLike, dest: str) -> list[Path]:
    own = os.path.realpath(manifest)
    return [m for m in Path(dest).glob(MANIFEST_GLOB) if os.path.realpath(m) != own]


def append_records(manifest: Path, records: list[dict]) -> None:
    """Append records to a closed manifest, after a newline that ends any line cut short."""
    if records:
        with open(manifest, "a", encoding="utf-8") as f:
            f.write("\n" + "".join(json.dumps(r) + "\n" for r in records))
