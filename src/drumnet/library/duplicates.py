"""Files with identical bytes under some folders, one `Copy` per file on disk (not per name)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from drumnet.audio.decode import stat_regular_file
from drumnet.audio.scan import iter_audio_files
from drumnet.errors import AudioError
from drumnet.library.hashing import file_hash
from drumnet.library.index import Index


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
