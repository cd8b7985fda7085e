"""Content hashes: what identifies a sound whatever its name (corrections, duplicates, undo)."""

from __future__ import annotations

import errno
import hashlib
import os
import stat


def file_hash(path: str | os.PathLike) -> str:
    """blake2b-128 of a file's bytes as 32 hex digits, read in chunks (any file size)."""
    with open(path, "rb") as f:
        return hashlib.file_digest(f, lambda: hashlib.blake2b(digest_size=16)).hexdigest()


def regular_file_hash(path: str | os.PathLike) -> str:
    """`file_hash` of a regular file; OSError for anything else (a pipe or a device would be
    read for ever)."""
    if not stat.S_ISREG(os.stat(path).st_mode):
        raise OSError(errno.EINVAL, "not a regular file (a folder, pipe or device)", str(path))
    return file_hash(path)
