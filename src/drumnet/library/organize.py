"""Sort a sample library into DEST/<class>/... without ever touching the source, and undo it.

`organize` classifies SRC (through `classify_paths`, so the index and people's corrections
apply) and places each file at DEST/<label>/<its path relative to SRC> (or DEST/<label>/<name>
with flat=True) by copying, hard-linking or symlinking. Nothing in DEST is overwritten: a
taken name gets a suffix, `kick (2).wav`. Every folder and file created is appended to
DEST/drumnet-manifest-<time>.jsonl as it happens (flushed per line), so even a killed run can
be undone: `undo(manifest)` removes exactly what was created and is still unchanged (size and
content hash) and whose original in SRC still holds the same bytes (else it may be the last
of its sound), keeps and reports the rest, then removes the folders it created if they are
empty (and a killed run's hidden partial copies in them); a folder another run's files still
use is handed over to that run's manifest, so runs into one DEST can be undone in any order.
Files that cannot be decoded, or not placed (DEST full, a name taken by a plain file...), are
reported. A copy is written
under a hidden name and linked (or renamed) to its real name only when whole, so even a killed
run never leaves a cut-short file under a sample's name; the next run into the folder removes
a killed run's hidden leftover. Undo leaves a file that a later run placed again at the same
name (it is that run's), and keeps a manifest it could not read whole. Files of SRC that lie
inside DEST (through a symlink) are skipped. Organizing the same SRC again places only what is
new or changed: a file an earlier run placed is left where it is, also when someone renamed,
moved or edited it within DEST since (`_EarlierCopies`).
"""

from __future__ import annotations

import contextlib
import dataclasses
import errno
import hashlib
import itertools
import json
import os
import shutil
import stat
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from drumnet.inference.decision import Result
from drumnet.library.index import Index, file_hash

if TYPE_CHECKING:
    from drumnet.inference.classifier import DrumClassifier
    from drumnet.inference.ray_engine import RayEngine

MODES = ("copy", "hardlink", "symlink")
MANIFEST_FORMAT = "drumnet-organize"
MANIFEST_GLOB = "drumnet-manifest-*.jsonl"
# What undo needs of each kind of record (version 1), by key and type.
RECORD_KEYS = {
    "mkdir": {"dest": str},
    "place": {"src": str, "dest": str, "mode": str, "size": int, "hash": str},
}


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


def _inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


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
    if _inside(dest_path.resolve(), src_path.resolve()):
        raise ValueError("DEST must not lie inside SRC (SRC is never changed)")
    return src_path, dest_path


class Manifest:
    """Append-only JSON-lines log of what one organize run created; each line is flushed."""

    def __init__(self, dest: Path, header: dict):
        stamp = time.strftime("%Y%m%d-%H%M%S")
        for n in range(1, 1000):
            name = f"drumnet-manifest-{stamp}" + (f"-{n}" if n > 1 else "") + ".jsonl"
            try:
                # Kept open for the whole run (closed by close()): one line per action.
                self.file = open(dest / name, "x", encoding="utf-8")  # noqa: SIM115
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
        self.file.write(json.dumps(record) + "\n")
        self.file.flush()

    def close(self) -> None:
        self.file.close()

    def discard(self) -> None:
        """Close and delete the manifest: the run could not start."""
        with contextlib.suppress(OSError):
            self.file.close()
        self.path.unlink(missing_ok=True)


def _candidates(target: Path) -> Iterator[Path]:
    yield target
    for n in range(2, 100_000):
        yield target.with_name(f"{target.stem} ({n}){target.suffix}")


# A copy in progress: .drumnet-partial-<pid>-<8 hex digits of its name>. Short whatever the
# sample's name, so that a name near the file system's limit (255 bytes) can be copied too.
# Earlier versions wrote .<name>.drumnet-partial-<pid>, which is still cleaned up.
PARTIAL_TAG = ".drumnet-partial-"


def _partial_name(target: Path) -> Path:
    tag = hashlib.blake2b(os.fsencode(target.name), digest_size=4).hexdigest()
    return target.with_name(f"{PARTIAL_TAG}{os.getpid()}-{tag}")


def _partial_pid(name: str) -> int | None:
    """The process that wrote a hidden partial copy of this name, None for any other name."""
    if name.startswith(PARTIAL_TAG):  # .drumnet-partial-<pid>-<tag>
        pid = name[len(PARTIAL_TAG) :].partition("-")[0]
    else:  # an older drumnet's .<name>.drumnet-partial-<pid>
        head, _, pid = name.rpartition(PARTIAL_TAG)
        pid = pid if head.startswith(".") else ""
    return int(pid) if pid.isdigit() else None


def _copy_aside(src: Path, target: Path) -> Path:
    """Copy `src` to a hidden temporary name beside `target`; that name.

    Only a whole copy ever takes a real name (`_claim` links it there), so a run killed
    mid-copy leaves at most this hidden file, which the next run into the folder removes
    (`_remove_stale_partials`), never a cut-short sample under the sample's name.
    """
    partial = _partial_name(target)
    try:
        with open(partial, "xb") as out, open(src, "rb") as fin:
            shutil.copyfileobj(fin, out, 1 << 20)
        shutil.copystat(src, partial)  # keep the mtime a producer sorts by
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(partial)
        raise
    return partial


def _remove_stale_partials(folder: Path) -> None:
    """Remove the temporary copies that killed runs left in `folder` (their process is gone)."""
    with contextlib.suppress(OSError), os.scandir(folder) as entries:
        for entry in entries:
            pid = _partial_pid(entry.name)
            if pid is not None and not _alive(pid):
                with contextlib.suppress(OSError):
                    os.unlink(entry.path)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def _claim(src: Path, target: Path, mode: str, copy: Path | None) -> None:
    """Create `target` exclusively: a symlink to `src`, a hard link to it, or (copy mode) a
    hard link to the finished copy `copy`, atomically. FileExistsError, with nothing created,
    when the name is taken; once this returns, `target` is ours.
    """
    if mode == "symlink":
        os.symlink(src, target)
    elif copy is None:
        # The real file, not a symlink in SRC: os.link would link the symlink itself.
        os.link(os.path.realpath(src), target)
    else:
        try:
            os.link(copy, target)
        except FileExistsError:
            raise
        except OSError:  # no hard links on this file system (FAT, exFAT, some shares)
            if os.path.lexists(target):
                raise FileExistsError(target) from None
            os.rename(copy, target)


def _size_and_hash(result: Result, src: Path) -> tuple[int, str]:
    """The source file's size and content hash, as classify measured them (else measured now)."""
    size = os.stat(src).st_size if result.size is None else result.size
    return size, result.hash or file_hash(src)


def _holds(target: Path, result: Result) -> bool:
    """Whether `target` already holds `result`'s file as an earlier run left it, in any mode:
    a symlink to it, a hard link to it, or a copy of the same size and content hash (checked
    as undo checks its own files, `_unchanged`, against what classify measured). So
    organizing the same SRC again, in the same mode or another, adds nothing."""
    src = Path(result.path).absolute()
    try:
        if os.path.samefile(target, src):  # a link to it, however SRC was spelled, or a hard link
            return True
        size, digest = _size_and_hash(result, src)
        record = {"dest": str(target), "src": str(src), "mode": "copy", "size": size}
        return _unchanged({**record, "hash": digest})
    except OSError:
        return False


class _EarlierCopies:
    """Where a file that an earlier run placed in DEST lies now, after people renamed or moved it.

    DEST's manifests say which SRC file (path and content hash) each run placed where. A
    recorded name that holds other bytes now was edited there by hand: the file is there. A
    file whose every recorded copy is gone from its recorded name, while a file of the same bytes
    (a copy or hard link) or a symlink to it lies elsewhere in DEST, was renamed or moved by
    hand: organizing the same SRC again leaves it there instead of placing a second copy. A
    recorded copy still in place means the label changed (a correction): that file is placed
    anew, as before. DEST is walked once, and only when some file needs it; files of a size
    some moved copy could have are hashed once, into a table by hash. Each DEST file stands
    for one SRC file only: a file at a name some run recorded stands for that run's file, and
    `taken` holds what this run has placed or found already.
    """

    def __init__(self, dest: Path, taken: set[str], src: Path):
        self.dest, self.src = dest, src  # src: real path; when it lies in DEST, not searched
        self.placed: dict[tuple[str, str], list[dict]] = {}  # (src, hash) -> its place records
        for manifest in dest.glob(MANIFEST_GLOB):
            with contextlib.suppress(ValueError):  # not a manifest: nothing to learn from it
                for record in read_manifest(manifest)[1:]:
                    if record["action"] == "place":
                        self.placed.setdefault((record["src"], record["hash"]), []).append(record)
        self.sources = {source for source, _ in self.placed}
        self.at_name: dict[str, list[dict]] = {}  # recorded name -> the place records there
        for r in itertools.chain.from_iterable(self.placed.values()):
            self.at_name.setdefault(os.path.normpath(r["dest"]), []).append(r)
        self.recorded = set(self.at_name)
        self.taken = taken
        self._by_size: dict[int, list[str]] | None = None  # regular files of DEST by size
        self._links: dict[str, list[str]] = {}  # symlink target -> symlinks in DEST
        self._hashed_sizes: set[int] = set()
        self._by_hash: dict[str, list[str]] = {}  # content hash -> regular files of DEST

    def find(self, src: Path, size: int, digest: str) -> Path | None:
        records = self.placed.get((str(src), digest))
        if not records or any(_still_there(r) for r in records):
            return None
        for record in records:  # a copy someone edited (trimmed, faded...) where it was placed
            path = os.path.normpath(record["dest"])
            if os.path.lexists(path) and path not in self.taken and not self._holds_other(record):
                self.taken.add(path)
                return Path(path)
        if self._by_size is None:
            self._walk()
        links = self._links.get(str(src), [])
        for path in itertools.chain(links, self._same_bytes(size, digest)):
            if path not in self.taken and path not in self.recorded:
                self.taken.add(path)
                return Path(path)
        return None

    def _holds_other(self, record: dict) -> bool:
        """Whether another file a run placed at `record`'s name lies there unchanged."""
        return any(
            (other["src"], other["hash"]) != (record["src"], record["hash"]) and _still_there(other)
            for other in self.at_name.get(os.path.normpath(record["dest"]), ())
        )

    def _walk(self) -> None:
        self._by_size = {}
        for folder, dirs, names in os.walk(self.dest):
            # SRC inside DEST (DEST/incoming): its files are the originals, not moved copies.
            dirs[:] = [
                d for d in dirs if not _inside(Path(os.path.realpath(Path(folder, d))), self.src)
            ]
            for name in names:
                if PARTIAL_TAG in name:  # a copy in progress, or a killed run's
                    continue
                path = os.path.join(folder, name)
                with contextlib.suppress(OSError):
                    if os.path.islink(path):
                        self._links.setdefault(os.readlink(path), []).append(path)
                    elif os.path.isfile(path):
                        self._by_size.setdefault(os.stat(path).st_size, []).append(path)

    def _same_bytes(self, size: int, digest: str) -> list[str]:
        """DEST's regular files of this size and hash; each size's files are hashed once."""
        if size not in self._hashed_sizes:
            self._hashed_sizes.add(size)
            for path in self._by_size.get(size, []):
                with contextlib.suppress(OSError):
                    self._by_hash.setdefault(file_hash(path), []).append(path)
        return self._by_hash.get(digest, [])


def _still_there(record: dict) -> bool:
    try:
        return _unchanged(record)
    except OSError:
        return False


def _where(exc: OSError) -> str:
    """': <the path that failed>' for a placing error (a hidden partial copy: its folder)."""
    name = exc.filename2 or exc.filename  # for a link, the name it was to take
    if not isinstance(name, str):
        return ""
    return f": {os.path.dirname(name) if PARTIAL_TAG in name else name}"


def _remove_empty_dirs(folders: Iterable[str | os.PathLike]) -> list[str]:
    """rmdir each of `folders` that exists and is empty, deepest first; those removed."""
    removed = []
    for folder in sorted({os.fspath(f) for f in folders}, key=lambda d: (-d.count(os.sep), d)):
        try:
            os.rmdir(folder)  # only succeeds when empty
            removed.append(folder)
        except OSError:
            pass
    return removed


def _check_folders(folder: Path) -> None:
    """Raise as `_make_dirs` would when a name on the way to `folder` is taken by a file (for
    a dry run, which makes no folder)."""
    for path in [folder, *folder.parents]:
        if path.is_dir():
            return
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))


def _make_dirs(folder: Path, manifest: Manifest | None, made: set[Path]) -> None:
    """mkdir -p, logging each folder created so undo can remove it again."""
    missing = []
    for parent in [folder, *folder.parents]:
        if parent in made or parent.is_dir():
            break
        missing.append(parent)
    for path in reversed(missing):
        path.mkdir(exist_ok=True)
        made.add(path)
        if manifest:
            manifest.write({"action": "mkdir", "dest": str(path)})


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
        self._planned: set[Path] = set()  # dry run: names already given out
        self._earlier: _EarlierCopies | None = None  # read from DEST's manifests at first need
        self._accounted: set[str] = set()  # DEST files this run placed or found present
        self._swept: set[Path] = set()  # folders cleared of killed runs' partial copies

    def target_for(self, result: Result) -> Path:
        path = Path(result.path).absolute()
        rel = Path(path.name) if self.flat or path == self.src else path.relative_to(self.src)
        return self.dest / result.label / rel

    def run(self, results: Iterator[Result]) -> Iterator[Placement]:
        """One Placement per result; ValueError naming DEST when it cannot be written to.

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
                    _remove_empty_dirs(self._made)
                    self.manifest_path = None

    def _start(self) -> Manifest:
        """Create DEST (when missing) and the manifest; on failure, undo that and ValueError."""
        manifest = None
        try:
            _make_dirs(self.dest, None, self._made)
            header = {"src": str(self.src), "dest": str(self.dest), "mode": self.mode}
            manifest = Manifest(self.dest, {**header, "started": time.time()})
            for folder in sorted(self._made):  # DEST and its parents, when organize made them
                manifest.write({"action": "mkdir", "dest": str(folder)})
        except OSError as exc:
            if manifest:
                manifest.discard()
            _remove_empty_dirs(self._made)
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
            _inside(p, self._dest_real) and not _inside(p, self._src_real) for p in (here, real)
        )

    def _outcome(self, result: Result, manifest: Manifest | None) -> Placement:
        if self._in_dest(result.path):
            return Placement(result, None, "skipped")
        if not result.ok:
            return Placement(result, None, "unreadable")
        try:
            dest, made = self._place(result, manifest)
            self._accounted.add(os.path.normpath(dest))
            return Placement(result, str(dest), "placed" if made else "present")
        except OSError as exc:  # e.g. DEST full or read-only: report, go on
            if exc.errno == errno.EXDEV and self.mode == "hardlink":  # so would every file
                raise ValueError(
                    f"{self.dest}: hard links cannot reach another file system than SRC's; "
                    "use --mode copy or --mode symlink"
                ) from exc
            reason = f"not placed ({exc.strerror or exc}{_where(exc)})"
            return Placement(dataclasses.replace(result, error=reason), None, "unplaced")

    def _place(self, result: Result, manifest: Manifest | None) -> tuple[Path, bool]:
        """Where the file goes, and whether this run made it there (False: already there)."""
        target, src = self.target_for(result), Path(result.path).absolute()
        if self.dry_run:
            _check_folders(target.parent)
            for c in _candidates(target):
                if c in self._planned:
                    continue
                if os.path.lexists(c) and _holds(c, result):
                    self._planned.add(c)
                    return c, False
                if not os.path.lexists(c):
                    moved = self._moved(result, src)
                    self._planned.add(moved or c)
                    return moved or c, moved is None
            raise OSError(f"no free name for {target}")
        if _inside(Path(os.path.realpath(target.parent)), self._src_real):  # e.g. DEST/tom -> SRC
            raise OSError(f"{target.parent} lies inside SRC, which is never changed")
        try:
            _make_dirs(target.parent, manifest, self._made)
            return self._create(result, src, target, manifest)
        except BaseException:
            # Folders made for this file alone go again: DEST as if it had never been tried.
            chain = [p for p in (target.parent, *target.parents) if p != self.dest]
            self._made.difference_update(map(Path, _remove_empty_dirs(self._made & set(chain))))
            raise

    def _moved(self, result: Result, src: Path) -> Path | None:
        """Where an earlier run's copy of this file lies now that it was renamed or moved
        within DEST (see `_EarlierCopies`), or None: then it is placed."""
        if self._earlier is None:
            self._earlier = _EarlierCopies(self.dest, self._accounted, self._src_real)
        if str(src) not in self._earlier.sources:
            return None
        return self._earlier.find(src, *_size_and_hash(result, src))

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
            _remove_stale_partials(target.parent)
        copy = None
        try:
            for candidate in _candidates(target):
                if not os.path.lexists(candidate):
                    moved = self._moved(result, src)
                    if moved:
                        return moved, False
                    if self.mode == "copy" and copy is None:
                        copy = _copy_aside(src, target)
                try:
                    _claim(src, candidate, self.mode, copy)
                except FileExistsError:
                    if _holds(candidate, result):
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
                return candidate, True
            raise OSError(f"no free name for {target}")
        finally:
            if copy is not None:
                with contextlib.suppress(OSError):
                    os.unlink(copy)


def read_manifest(path: str | os.PathLike) -> list[dict]:
    """The records of a manifest; a line cut short by a killed run is left out.

    ValueError "<path>: not a drumnet organize manifest (why)" for anything undo could not
    follow safely: a folder, an unreadable or binary file, a record it does not understand.
    """
    return _read_manifest(path)[0]


def _read_manifest(path: str | os.PathLike) -> tuple[list[dict], int]:
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
        if not _within_dest(record, header["dest"]):
            return f"{record['dest']} lies outside DEST {header['dest']}"
    return None


def _within_dest(record: dict, dest: str) -> bool:
    """Whether a record stays where undo may act: files in DEST, folders in DEST or above it
    (organize creates DEST's missing parents too)."""
    path, dest_path = Path(os.path.normpath(record["dest"])), Path(os.path.normpath(dest))
    return _inside(path, dest_path) or record["action"] == "mkdir" and _inside(dest_path, path)


def _unchanged(record: dict) -> bool:
    dest = Path(record["dest"])
    if record["mode"] == "symlink":
        return dest.is_symlink() and os.readlink(dest) == record["src"]
    if dest.is_symlink() or not dest.is_file():
        return False
    return dest.stat().st_size == record["size"] and file_hash(dest) == record["hash"]


def undo(manifest: str | os.PathLike, dry_run: bool = False) -> UndoReport:
    """Remove what an organize run created and is unchanged; see the module docstring.

    A copy or hard link whose source file is gone or holds other bytes is kept (`sole`): it
    may be the last of its sound. A file a later run placed again at the same name (after the
    first copy was deleted) is that run's: it stays, and goes with that run's undo. When DEST
    has been moved or renamed since (its recorded folder is gone), the records are read
    relative to the folder the manifest is in now. The manifest is deleted once everything
    it recorded is gone; it stays when files were kept, could not be removed, none of them
    was found there after such a move, or some of its lines could not be read (a run killed
    while writing one, or damage since). Hidden partial copies a killed run left in its
    folders are removed.
    dry_run: change nothing, report what would be done.
    """
    records, damaged = _read_manifest(manifest)
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
            elif not _unchanged(record):
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
            _remove_stale_partials(Path(folder))
        removed_dirs = _remove_empty_dirs(dirs)
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
        if not _inside(Path(path), Path(os.path.normpath(old))):
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


def _other_manifests(manifest: str | os.PathLike, dest: str) -> list[Path]:
    own = os.path.realpath(manifest)
    return [m for m in Path(dest).glob(MANIFEST_GLOB) if os.path.realpath(m) != own]


def _placed_by_later_runs(manifest: str | os.PathLike, header: dict) -> set[str]:
    """The names in DEST where runs that started after this one placed files."""
    names = set()
    for other in _other_manifests(manifest, header["dest"]):
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
    for other in _other_manifests(manifest, dest) if records else ():
        with contextlib.suppress(ValueError, OSError):  # not a manifest, or not writable
            other_dest = read_manifest(other)[0]["dest"]
            _append(other, [r for r in records if _within_dest(r, other_dest)])


def _append(manifest: Path, records: list[dict]) -> None:
    """Append records to a closed manifest, after a newline that ends any line cut short."""
    if records:
        with open(manifest, "a", encoding="utf-8") as f:
            f.write("\n" + "".join(json.dumps(r) + "\n" for r in records))
