"""Undo an organize run: remove what it created and is unchanged, keep and report the rest."""

from __future__ import annotations

import contextlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from drumnet.library.hashing import file_hash
from drumnet.library.manifest import (
    append_records,
    other_manifests,
    read_manifest,
    read_records,
    unchanged,
    within_dest,
)
from drumnet.library.place import inside, remove_empty_dirs, remove_stale_partials


@dataclass(frozen=True)
class UndoReport:
    removed: tuple[str, ...]  # files deleted from DEST (dry run: that would be)
    kept: tuple[str, ...]  # files changed since organize: left in place
    missing: tuple[str, ...]  # files already gone
    removed_dirs: tuple[str, ...]  # empty folders organize had created (dry run: would go)
    failed: tuple[tuple[str, str], ...] = ()  # (file, why) that could not be checked or removed
    later: tuple[str, ...] = ()  # placed again by a later run at the same name: that run's now
    damaged: int = 0  # manifest lines that could not be read: the manifest is kept
    # Copies and hard links left in place because the file they were made from is gone or
    # holds other bytes now: each may be the only one left of its sound.
    sole: tuple[str, ...] = ()
    moved_from: str | None = None  # DEST as the manifest recorded it, when DEST has moved since
    unfound: bool = False  # DEST moved, and none of its files found there: manifest kept


def undo(manifest: str | os.PathLike, dry_run: bool = False) -> UndoReport:
    """Remove what an organize run created and is unchanged (same size and content hash, and
    its original still holds the same bytes); keep and report the rest, then remove the
    folders the run made once empty. The rules: docs/organize-and-undo.md.
    dry_run: change nothing, report what would be done.
    """
    records, damaged = read_records(manifest)
    records, moved_from = _rebased(records, manifest)
    later = _placed_by_later_runs(manifest, records[0])
    removed, kept, sole, missing, failed, handed = [], [], [], [], [], []
    places = [r for r in records[1:] if r["action"] == "place"]
    for record in places:
        dest = record["dest"]
        try:
            if os.path.normpath(dest) in later:
                handed.append(dest)
            elif not os.path.lexists(dest):
                missing.append(dest)
            elif not unchanged(record):
                kept.append(dest)
            elif not _source_holds(record):
                sole.append(dest)
            else:
                if not dry_run:
                    os.unlink(dest)
                removed.append(dest)
        except OSError as exc:  # e.g. a read-only folder: report it, undo the rest
            failed.append((dest, exc.strerror or str(exc)))
    dirs = {r["dest"] for r in records[1:] if r["action"] == "mkdir"}
    unfound = moved_from is not None and bool(places) and len(missing) == len(places)
    whole = not (kept or sole or failed or damaged or unfound)  # then the manifest goes too
    if dry_run:
        removed_dirs = _would_empty(dirs, {*removed, *([os.fspath(manifest)] if whole else [])})
    else:
        if whole:
            os.unlink(manifest)  # DEST goes back to exactly how it was
        for folder in dirs | {os.path.dirname(r["dest"]) for r in places}:
            remove_stale_partials(Path(folder))
        removed_dirs = remove_empty_dirs(dirs)
        _hand_over(dirs - set(removed_dirs), records[0]["dest"], manifest)
    return UndoReport(
        tuple(removed), tuple(kept), tuple(missing), tuple(removed_dirs), tuple(failed),
        tuple(handed), damaged, tuple(sole), moved_from, unfound,
    )  # fmt: skip


def _rebased(records: list[dict], manifest: str | os.PathLike) -> tuple[list[dict], str | None]:
    """The records with DEST where the manifest lies now, if DEST was moved or renamed since
    (the folder the header names is gone), and the DEST they named; else as they are, None."""
    old, here = records[0]["dest"], os.path.dirname(os.path.abspath(manifest))
    if os.path.isdir(old) or os.path.realpath(here) == os.path.realpath(old):
        return records, None

    def moved(record: dict) -> dict:
        path = os.path.normpath(record["dest"])
        if not inside(Path(path), Path(os.path.normpath(old))):
            return record  # a parent organize made for DEST: where it was
        return {**record, "dest": os.path.normpath(os.path.join(here, os.path.relpath(path, old)))}

    return [{**records[0], "dest": here}, *map(moved, records[1:])], old


def _source_holds(record: dict) -> bool:
    """Whether the file a placed copy or hard link was made from still holds the same bytes,
    so that removing what was placed loses nothing. A symlink holds no sound of its own."""
    if record["mode"] == "symlink":
        return True
    src = record["src"]
    try:
        if record["mode"] == "hardlink" and os.path.samefile(src, record["dest"]):
            return True
        st = os.stat(src)
        if not stat.S_ISREG(st.st_mode) or st.st_size != record["size"]:
            return False
        return file_hash(src) == record["hash"]
    except OSError:  # gone, or unreadable: it cannot be counted on
        return False


def _placed_by_later_runs(manifest: str | os.PathLike, header: dict) -> set[str]:
    """The names in DEST where runs that started after this one placed files."""
    names = set()
    for other in other_manifests(manifest, header["dest"]):
        with contextlib.suppress(ValueError):  # not a manifest: it owns nothing
            records = read_manifest(other)
            if records[0].get("started", 0) > header.get("started", 0):
                names |= {
                    os.path.normpath(r["dest"]) for r in records if r.get("action") == "place"
                }
    return names


def _would_empty(folders: set[str], removing: set[str]) -> list[str]:
    """Which of `folders` would be empty, and so removed, once `removing` is gone."""
    gone = {os.path.abspath(p) for p in removing}
    empty = []
    for folder in sorted(folders, key=lambda d: (-d.count(os.sep), d)):
        if not os.path.isdir(folder) or os.path.islink(folder):
            continue
        with contextlib.suppress(OSError), os.scandir(folder) as entries:
            if all(os.path.abspath(e.path) in gone for e in entries):
                empty.append(folder)
                gone.add(os.path.abspath(folder))
    return empty


def _hand_over(folders: set[str], dest: str, manifest: str | os.PathLike) -> None:
    """Record the folders an undone run made that are not empty yet in DEST's other manifests.

    Whichever run is undone last then removes them, so runs into one DEST can be undone in
    any order. A folder too many in a manifest does no harm: undo removes only empty ones.
    """
    records = [{"action": "mkdir", "dest": f} for f in sorted(folders) if os.path.isdir(f)]
    for other in other_manifests(manifest, dest) if records else ():
        with contextlib.suppress(ValueError, OSError):  # not a manifest, or not writable
            other_dest = read_manifest(other)[0]["dest"]
            append_records(other, [r for r in records if within_dest(r, other_dest)])
