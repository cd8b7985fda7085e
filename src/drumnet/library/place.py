"""Placing one file safely: copies written aside and claimed whole, folders made and logged.

Nothing here overwrites: a name is taken only when it is free (`claim`), and a copy takes a
real name only once it is complete. Guarantees: docs/organize-and-undo.md.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import shutil
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from drumnet.library.manifest import Manifest


def inside(child: Path, parent: Path) -> bool:
    return child == parent or parent in child.parents


def candidates(target: Path) -> Iterator[Path]:
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


def copy_aside(src: Path, target: Path) -> Path:
    """Copy `src` to a hidden temporary name beside `target`; that name.

    Only a whole copy ever takes a real name (`claim` links it there), so a run killed
    mid-copy leaves at most this hidden file, which the next run into the folder removes
    (`remove_stale_partials`), never a cut-short sample under the sample's name.
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


def remove_stale_partials(folder: Path) -> None:
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


def claim(src: Path, target: Path, mode: str, copy: Path | None) -> None:
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


def remove_empty_dirs(folders: Iterable[str | os.PathLike]) -> list[str]:
    """rmdir each of `folders` that exists and is empty, deepest first; those removed."""
    removed = []
    for folder in sorted({os.fspath(f) for f in folders}, key=lambda d: (-d.count(os.sep), d)):
        try:
            os.rmdir(folder)  # only succeeds when empty
            removed.append(folder)
        except OSError:
            pass
    return removed


def check_folders(folder: Path) -> None:
    """Raise as `make_dirs` would when a name on the way to `folder` is taken by a file (for
    a dry run, which makes no folder)."""
    for path in [folder, *folder.parents]:
        if path.is_dir():
            return
        if os.path.lexists(path):
            raise FileExistsError(errno.EEXIST, os.strerror(errno.EEXIST), str(path))


def make_dirs(folder: Path, manifest: Manifest | None, made: set[Path]) -> None:
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
