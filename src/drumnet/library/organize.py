"""Sort a sample library into DEST/<class>/... without ever touching the source.

`organize` classifies SRC and places each file under DEST/<label>/ (copy, hard link or
symlink), logging every folder and file it creates in a manifest (`library.manifest`) that
`library.undo` follows. Guarantees and edge cases: docs/organize-and-undo.md.
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drumnet.audio.scan import iter_audio_files
from drumnet.disk import DiskFull, free_bytes, human_bytes, is_disk_full
from drumnet.inference.decision import Result
from drumnet.library.earlier import EarlierCopies, holds, size_and_hash
from drumnet.library.hashing import file_hash
from drumnet.library.index import Index
from drumnet.library.manifest import Manifest
from drumnet.library.place import (
    PARTIAL_TAG,
    candidates,
    check_folders,
    claim,
    copy_aside,
    inside,
    make_dirs,
    remove_empty_dirs,
    remove_stale_partials,
)

if TYPE_CHECKING:
    from drumnet.inference.classifier import DrumClassifier
    from drumnet.inference.ray_engine import RayEngine

MODES = ("copy", "hardlink", "symlink")


@dataclass(frozen=True)
class Placement:
    """One source file's outcome; `dest` is where it was placed, None unless outcome is "placed".

    outcome: "placed"; "present" (an earlier run placed the same file there, or placed it and
    it was renamed, moved or edited within DEST since: `dest` is where it is, nothing is done);
    "unreadable" (it could not be decoded or classified: result.error says why); "unplaced"
    (DEST refused it: result.error says why); "skipped" (it already lies inside DEST, e.g.
    through a symlink in SRC, so it is not copied into DEST again).
    """

    result: Result
    dest: str | None
    outcome: str


def check_paths(src: str | os.PathLike, dest: str | os.PathLike) -> tuple[Path, Path]:
    """Absolute (src, dest); ValueError when SRC is missing, DEST is not a folder or lies
    within SRC."""
    src_path, dest_path = Path(src).absolute(), Path(dest).absolute()
    if not src_path.exists():
        raise ValueError(f"{src}: no such file or folder")
    if dest_path.exists() and not dest_path.is_dir():
        raise ValueError(f"{dest}: DEST is not a folder")
    blocker = next((p for p in dest_path.parents if p.exists() and not p.is_dir()), None)
    if blocker is not None:
        raise ValueError(f"{dest}: DEST cannot be made: {blocker} is a file, not a folder")
    if inside(dest_path.resolve(), src_path.resolve()):
        raise ValueError("DEST must not lie inside SRC (SRC is never changed)")
    return src_path, dest_path


def _where(exc: OSError) -> str:
    """': <the path that failed>' for a placing error (a hidden partial copy: its folder)."""
    name = exc.filename2 or exc.filename  # for a link, the name it was to take
    if not isinstance(name, str):
        return ""
    return f": {os.path.dirname(name) if PARTIAL_TAG in name else name}"


def organize(
    src: str | os.PathLike,
    dest: str | os.PathLike,
    mode: str = "copy",
    dry_run: bool = False,
    flat: bool = False,
    model: DrumClassifier | str | os.PathLike | None = None,
    classes: Sequence[str] | None = None,
    min_confidence: float = 0.0,
    workers: int = 2,
    index: Index | None = None,
    loops: bool = True,
    engine: RayEngine | None = None,
) -> Iterator[Placement]:
    """Classify SRC and place every file under DEST/<label>/; yields one Placement per file.

    dry_run: decide every destination (collisions included) but create nothing, not even the
    manifest. Use `Organizer` directly to learn the manifest's path.
    """
    from drumnet.inference.pipeline import classify_paths

    return Organizer(src, dest, mode, dry_run, flat).run(
        classify_paths(
            [src], model, classes, min_confidence, workers, index=index, loops=loops, engine=engine
        )
    )


class Organizer:
    """Places classified files under DEST; `manifest_path` is set once the run starts."""

    def __init__(self, src, dest, mode: str = "copy", dry_run: bool = False, flat: bool = False):
        if mode not in MODES:
            raise ValueError(f"unknown mode {mode!r}; choose from {', '.join(MODES)}")
        self.src, self.dest = check_paths(src, dest)
        self._src_real = Path(os.path.realpath(self.src))  # symlinks resolved
        self._dest_real = Path(os.path.realpath(self.dest))
        self.mode, self.dry_run, self.flat = mode, dry_run, flat
        self.manifest_path: Path | None = None
        self._made: set[Path] = set()
        self.placed = 0  # files this run has placed
        self.placed_bytes = 0  # ... and their bytes
        self._handled: set[str] = set()  # SRC files met so far, whatever their outcome
        self._planned: set[Path] = set()  # dry run: names already given out
        self._earlier: EarlierCopies | None = None  # read from DEST's manifests at first need
        self._accounted: set[str] = set()  # DEST files this run placed or found present
        self._swept: set[Path] = set()  # folders cleared of killed runs' partial copies

    def target_for(self, result: Result) -> Path:
        path = Path(result.path).absolute()
        rel = Path(path.name) if self.flat or path == self.src else path.relative_to(self.src)
        return self.dest / result.label / rel

    def run(self, results: Iterator[Result]) -> Iterator[Placement]:
        """One Placement per result; ValueError naming DEST when it cannot be written to;
        DiskFull, once, when DEST's disk fills (what was placed stays, with its manifest).

        A run that places nothing (an empty SRC, everything already there) leaves no manifest,
        and no DEST if it made it: there is nothing to undo.
        """
        manifest = None
        try:
            manifest = None if self.dry_run else self._start()
            for result in results:
                yield self._outcome(result, manifest)
        finally:
            if hasattr(results, "close"):
                results.close()  # stop the classifier's workers now, not at garbage collection
            if manifest:
                manifest.close()
                if not self.placed:
                    manifest.discard()
                    remove_empty_dirs(self._made)
                    self.manifest_path = None

    def _start(self) -> Manifest:
        """Create DEST (when missing) and the manifest; on failure, undo that and ValueError."""
        manifest = None
        try:
            make_dirs(self.dest, None, self._made)
            header = {"src": str(self.src), "dest": str(self.dest), "mode": self.mode}
            manifest = Manifest(self.dest, {**header, "started": time.time()})
            for folder in sorted(self._made):  # DEST and its parents, when organize made them
                manifest.write({"action": "mkdir", "dest": str(folder)})
        except OSError as exc:
            if manifest:
                manifest.discard()
            remove_empty_dirs(self._made)
            if is_disk_full(exc):
                raise DiskFull(self.dest, done="nothing was placed") from exc
            raise ValueError(f"{self.dest}: cannot write to DEST ({exc.strerror or exc})") from exc
        self.manifest_path = manifest.path
        return manifest

    def _in_dest(self, path: str) -> bool:
        """Whether a file found in SRC really lies in DEST, reached through a symlink out of SRC.

        Both where it is (its folder's real path) and what it is (a symlink's target) count.
        SRC may lie inside DEST (DEST/incoming): its own files are not skipped.
        """
        folder, name = os.path.split(os.path.abspath(path))
        here, real = Path(os.path.realpath(folder), name), Path(os.path.realpath(path))
        return any(
            inside(p, self._dest_real) and not inside(p, self._src_real) for p in (here, real)
        )

    def _outcome(self, result: Result, manifest: Manifest | None) -> Placement:
        self._handled.add(os.path.abspath(result.path))
        if self._in_dest(result.path):
            return Placement(result, None, "skipped")
        if not result.ok:
            return Placement(result, None, "unreadable")
        try:
            dest, made = self._place(result, manifest)
            self._accounted.add(os.path.normpath(dest))
            return Placement(result, str(dest), "placed" if made else "present")
        except OSError as exc:  # e.g. DEST read-only: report, go on
            if is_disk_full(exc):  # nothing more can fit: stop at the first
                raise self._disk_full(os.path.abspath(result.path)) from exc
            if exc.errno == errno.EXDEV and self.mode == "hardlink":  # so would every file
                raise ValueError(
                    f"{self.dest}: hard links cannot reach another file system than SRC's; "
                    "use --mode copy or --mode symlink"
                ) from exc
            reason = f"not placed ({exc.strerror or exc}{_where(exc)})"
            return Placement(dataclasses.replace(result, error=reason), None, "unplaced")

    def _disk_full(self, current: str) -> DiskFull:
        """What to tell a person whose DEST filled up while `current` was being placed."""
        done = f"placed {_files(self.placed)} ({human_bytes(self.placed_bytes)}) before it filled"
        if self.placed and self.manifest_path:
            done += f"; manifest (for --undo): {self.manifest_path}"
        needed = None
        if self.mode == "copy":  # links need next to no space: only copies can be counted
            rest = [p for p in iter_audio_files([self.src]) if isinstance(p, str)]
            rest = [p for p in map(os.path.abspath, rest) if p == current or p not in self._handled]
            free = free_bytes(self.dest) or 0
            needed = sum(_size(p) for p in rest) - free
            done += f"; {_files(len(rest))} of SRC not placed"
        return DiskFull(self.dest, needed if needed and needed > 0 else None, done)

    def _place(self, result: Result, manifest: Manifest | None) -> tuple[Path, bool]:
        """Where the file goes, and whether this run made it there (False: already there)."""
        target, src = self.target_for(result), Path(result.path).absolute()
        if self.dry_run:
            check_folders(target.parent)
            for c in candidates(target):
                if c in self._planned:
                    continue
                if os.path.lexists(c) and holds(c, result):
                    self._planned.add(c)
                    return c, False
                if not os.path.lexists(c):
                    moved = self._moved(result, src)
                    self._planned.add(moved or c)
                    return moved or c, moved is None
            raise OSError(f"no free name for {target}")
        if inside(Path(os.path.realpath(target.parent)), self._src_real):  # e.g. DEST/tom -> SRC
            raise OSError(f"{target.parent} lies inside SRC, which is never changed")
        try:
            make_dirs(target.parent, manifest, self._made)
            return self._create(result, src, target, manifest)
        except BaseException:
            # Folders made for this file alone go again: DEST as if it had never been tried.
            chain = [p for p in (target.parent, *target.parents) if p != self.dest]
            self._made.difference_update(map(Path, remove_empty_dirs(self._made & set(chain))))
            raise

    def _moved(self, result: Result, src: Path) -> Path | None:
        """Where an earlier run's copy of this file lies now that it was renamed or moved
        within DEST (see `EarlierCopies`), or None: then it is placed."""
        if self._earlier is None:
            self._earlier = EarlierCopies(self.dest, self._accounted, self._src_real)
        if str(src) not in self._earlier.sources:
            return None
        return self._earlier.find(src, *size_and_hash(result, src))

    def _create(
        self, result: Result, src: Path, target: Path, manifest: Manifest
    ) -> tuple[Path, bool]:
        """Place `src` at the first free name from `target` and record it in the manifest;
        (that name, True). A name that already holds the same file: (it, False), nothing done.

        A copy is made under a hidden name first and linked into place whole. A file this
        call placed but could not record (a manifest line that could not be written) is
        removed again before the error goes on.
        """
        if target.parent not in self._swept:
            self._swept.add(target.parent)
            remove_stale_partials(target.parent)
        copy = None
        try:
            for candidate in candidates(target):
                if not os.path.lexists(candidate):
                    moved = self._moved(result, src)
                    if moved:
                        return moved, False
                    if self.mode == "copy" and copy is None:
                        copy = copy_aside(src, target)
                try:
                    claim(src, candidate, self.mode, copy)
                except FileExistsError:
                    if holds(candidate, result):
                        return candidate, False
                    continue
                try:
                    manifest.write(
                        {
                            "action": "place",
                            "src": str(src),
                            "dest": str(candidate),
                            "mode": self.mode,
                            "size": os.stat(candidate).st_size,
                            "hash": file_hash(candidate),
                            "label": result.label,
                        }
                    )
                except BaseException:
                    with contextlib.suppress(OSError):
                        os.unlink(candidate)
                    raise
                self.placed += 1
                self.placed_bytes += os.lstat(candidate).st_size
                return candidate, True
            raise OSError(f"no free name for {target}")
        finally:
            if copy is not None:
                with contextlib.suppress(OSError):
                    os.unlink(copy)


def _files(n: int) -> str:
    return f"{n} file" + ("" if n == 1 else "s")


def _size(path: str) -> int:
    try:
        return os.stat(path).st_size
    except OSError:
        return 0
