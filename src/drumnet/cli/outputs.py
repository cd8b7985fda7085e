"""Checks on the files a command is about to write, made before any work.

Nothing the user owns is overwritten unless they ask (`--overwrite`): dream, style, train and
evaluate all check each output here first, so a bad name costs nothing and leaves nothing.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path


def same_file(a: Path, b: Path) -> bool:
    """True when a and b name one file (same path once resolved, or a hard link)."""
    if a.resolve() == b.resolve():
        return True
    return a.exists() and b.exists() and os.path.samefile(a, b)


def _nearest_existing(folder: Path) -> Path:
    """`folder` itself, or its closest ancestor that exists (a folder to be made goes there)."""
    while not os.path.lexists(folder) and folder.parent != folder:
        folder = folder.parent
    return folder


def check_folder(folder: Path, path: Path, make: bool = False) -> None:
    """Raise ValueError unless files can be written in `folder` (for `path`, named in the
    message). With `make`, a missing folder is fine if it can be made where it would go."""
    where = _nearest_existing(folder) if make else folder
    if not where.is_dir():
        what = "is a file, not a folder" if where.exists() else "is no folder: it does not exist"
        raise ValueError(f"{path}: {where} {what}")
    if not os.access(where, os.W_OK):
        raise ValueError(f"{path}: cannot write in folder {where} (permission denied)")


def check_output(
    path: Path,
    fmt: Callable[[Path], object],
    inputs: list[Path],
    overwrite: bool,
    how: str,
    make_folder: bool = False,
) -> None:
    """Raise ValueError unless `path` can be written without harm: a file name in a writable
    folder (one that can be made, with `make_folder`), no input, a format fmt(path) knows,
    and new unless `overwrite`. `how` says how to choose another name."""
    if path.is_dir():
        raise ValueError(f"{path} is a folder; give a file name ({how})")
    check_folder(path.parent, path, make_folder)
    for source in inputs:
        if same_file(path, source):
            raise ValueError(f"{path} is an input file; refusing to write over it ({how})")
    fmt(path)
    if not overwrite and os.path.lexists(path):
        raise ValueError(f"{path} exists (pass --overwrite to replace it, or {how})")


def reader_left() -> None:
    """Stdout's reader went away (`| head`, a closed terminal): what is still written to it
    goes to /dev/null, so neither the rest of the output nor Python's exit raises again."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    os.close(devnull)


def say(*args, **kwargs) -> None:
    """print() to stdout that survives a reader who went away (`| head`, a closed terminal):
    the rest of the output goes to /dev/null and the work goes on, so a long training is not
    lost to a closed pipe."""
    try:
        print(*args, **kwargs, flush=True)
    except BrokenPipeError:
        reader_left()
