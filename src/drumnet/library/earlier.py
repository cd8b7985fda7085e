"""What earlier organize runs placed in DEST, and where it lies now that people moved it.

Organizing the same SRC again places only what is new or changed: a file an earlier run
placed is left where it is, also when someone renamed, moved or edited it within DEST since.
"""

from __future__ import annotations

import contextlib
import itertools
import os
from pathlib import Path

from drumnet.inference.decision import Result
from drumnet.library.hashing import file_hash
from drumnet.library.manifest import MANIFEST_GLOB, read_manifest, unchanged
from drumnet.library.place import PARTIAL_TAG, inside


def size_and_hash(result: Result, src: Path) -> tuple[int, str]:
    """The source file's size and content hash, as classify measured them (else measured now)."""
    size = os.stat(src).st_size if result.size is None else result.size
    return size, result.hash or file_hash(src)


def holds(target: Path, result: Result) -> bool:
    """Whether `target` already holds `result`'s file as an earlier run left it, in any mode:
    a symlink to it, a hard link to it, or a copy of the same size and content hash (checked
    as undo checks its own files, `unchanged`, against what classify measured). So
    organizing the same SRC again, in the same mode or another, adds nothing."""
    src = Path(result.path).absolute()
    try:
        if os.path.samefile(target, src):  # a link to it, however SRC was spelled, or a hard link
            return True
        size, digest = size_and_hash(result, src)
        record = {"dest": str(target), "src": str(src), "mode": "copy", "size": size}
        return unchanged({**record, "hash": digest})
    except OSError:
        return False


class EarlierCopies:
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
        if not records or any(still_there(r) for r in records):
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
            (other["src"], other["hash"]) != (record["src"], record["hash"]) and still_there(other)
            for other in self.at_name.get(os.path.normpath(record["dest"]), ())
        )

    def _walk(self) -> None:
        self._by_size = {}
        for folder, dirs, names in os.walk(self.dest):
            # SRC inside DEST (DEST/incoming): its files are the originals, not moved copies.
            dirs[:] = [
                d for d in dirs if not inside(Path(os.path.realpath(Path(folder, d))), self.src)
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


def still_there(record: dict) -> bool:
    try:
        return unchanged(record)
    except OSError:
        return False
