"""Find audio files under files and folders, lazily, without tripping over hostile trees.

`iter_audio_files` is a generator, so discovering 50,000 files never builds a list of them.
Named files are yielded whatever their extension (the decoder decides); inside folders only
names with an audio extension are taken. Symlinked folders are followed once (a loop is
entered once and then skipped), unreadable folders are reported and skipped, and a folder
named `x.wav` is walked like any other folder.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from drumnet.audio.decode import is_audio_path


@dataclass(frozen=True)
class ScanError:
    """A named path or a folder that could not be searched; `reason` is one line."""

    path: str
    reason: str


def _dir_key(path: str) -> tuple[int, int] | None:
    try:
        st = os.stat(path)  # follows symlinks: two routes to one folder share a key
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _is_dir(entry: os.DirEntry) -> bool:
    try:
        return entry.is_dir(follow_symlinks=True)
    except OSError:  # a symlink loop or a vanished target is not a folder
        return False


def _list_dir(path: str) -> tuple[list[os.DirEntry], str | None]:
    """Entries of one folder, sorted by name, or ([], reason) when it cannot be read."""
    try:
        with os.scandir(path) as it:
            return sorted(it, key=lambda e: e.name), None
    except PermissionError:
        return [], "permission denied (folder not searched)"
    except OSError as exc:
        return [], f"cannot read folder ({exc.strerror or exc})"


def _walk(root: str, seen: set[tuple[int, int]]) -> Iterator[str | ScanError]:
    """Depth-first, name-ordered walk of one folder; yields audio file paths and errors."""
    stack = [root]
    while stack:
        folder = stack.pop()
        key = _dir_key(folder)
        if key is None or key in seen:
            continue  # already walked (symlink loop or a second route): skip silently
        seen.add(key)
        entries, problem = _list_dir(folder)
        if problem:
            yield ScanError(folder, problem)
            continue
        subdirs = []
        for entry in entries:
            if _is_dir(entry):
                subdirs.append(entry.path)
            elif entry.name.startswith("._"):
                continue  # macOS AppleDouble metadata next to every file on FAT/exFAT drives
            elif is_audio_path(entry.name):
                yield entry.path
        stack.extend(reversed(subdirs))  # pop() then visits them in name order


def iter_audio_files(paths: Iterable[str | os.PathLike]) -> Iterator[str | ScanError]:
    """Yield audio file paths (as strings) under `paths`, in a stable order, each once.

    A named file is yielded as given (even without an audio extension, even if unreadable:
    decoding reports why it fails); a named folder is searched recursively; a named path
    that does not exist yields a `ScanError`.
    """
    seen_dirs: set[tuple[int, int]] = set()
    seen_files: set[str] = set()
    for path in paths:
        path = os.fspath(path)
        if os.path.isdir(path):
            items = _walk(path, seen_dirs)
        elif os.path.lexists(path):
            items = iter([path])
        else:
            items = iter([ScanError(path, "no such file or folder")])
        for item in items:
            if isinstance(item, str):
                key = os.path.abspath(item)
                if key in seen_files:
                    continue
                seen_files.add(key)
            yield item


def count_audio_files(paths: Iterable[str | os.PathLike]) -> int:
    """How many files `iter_audio_files` would yield (one cheap pass, for progress bars)."""
    return sum(1 for item in iter_audio_files(paths) if isinstance(item, str))


def has_audio_files(folder: str | os.PathLike) -> bool:
    """Whether `folder` holds an audio file at any depth (the walk stops at the first one).

    A folder that cannot be searched, or holds one that cannot, counts as holding some: the
    walk that reads it says why it could not.
    """
    return any(True for _ in _walk(os.fspath(folder), set()))


def common_root(path: str | os.PathLike) -> Path:
    """The folder a path's files are placed relative to: itself if a folder, else its parent."""
    p = Path(path)
    return p if p.is_dir() else p.parent
