"""Writing to a disk that may fill up: one clear `DiskFull` error instead of a traceback.

Every writer of user-visible files (organize, label --export, dream, style) lets a full disk
end in `DiskFull`, which the CLI prints as one line (docs/broken-files.md).
"""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

_FULL = {errno.ENOSPC, errno.EDQUOT}  # no space left; over the user's disk quota


class DiskFull(Exception):
    """A write stopped for want of space. `str(err)` is one line: where, what was done, and
    how much more space is needed when that is known."""

    def __init__(self, path: str | os.PathLike, needed: int | None = None, done: str = ""):
        self.path, self.needed, self.done = str(path), needed, done
        more = f"; about {human_bytes(needed)} more is needed" if needed else ""
        so_far = f"; {done}" if done else ""
        super().__init__(f"no space left on the disk of {self.path}{so_far}{more}")


def is_disk_full(exc: BaseException) -> bool:
    """Whether `exc` is an OSError saying the disk (or the user's quota) is full."""
    return isinstance(exc, OSError) and exc.errno in _FULL


def free_bytes(path: str | os.PathLike) -> int | None:
    """Bytes free for this user on the disk holding `path` (its nearest existing folder)."""
    path = Path(os.path.abspath(path))
    for folder in (path, *path.parents):
        with contextlib.suppress(OSError):
            return shutil.disk_usage(folder).free
    return None


def human_bytes(n: int) -> str:
    """1536 -> '1.5 KB'; decimal units, as disk sizes are sold."""
    for unit in ("bytes", "KB", "MB", "GB"):
        if n < 1000 or unit == "GB":
            return f"{n} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    raise AssertionError  # unreachable


@contextlib.contextmanager
def full_disk_is_fatal(path: str | os.PathLike, size: int | None = None) -> Iterator[None]:
    """Turn a full disk while writing `path` (`size` bytes in all, when known) into DiskFull."""
    try:
        yield
    except OSError as exc:
        if not is_disk_full(exc):
            raise
        free = free_bytes(Path(path).parent)
        needed = size - free if size is not None and free is not None and size > free else None
        raise DiskFull(path, needed) from exc


def write_whole(path: str | os.PathLike, data: bytes) -> Path:
    """Write `data` to `path` whole or not at all: through a hidden file beside it, renamed
    into place when complete, so a full disk or a kill never leaves half a file. DiskFull
    when the disk fills."""
    path = Path(path)
    with full_disk_is_fatal(path, len(data)):
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".partial", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
            umask = os.umask(0)
            os.umask(umask)
            os.chmod(tmp, 0o666 & ~umask)  # an ordinary file, not a private temporary one
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise
    return path
