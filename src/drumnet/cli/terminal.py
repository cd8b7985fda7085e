"""What a person at a terminal sees besides the results: a progress bar with a total, rows
that never share a line with it, and a word when a folder holds no audio (docs/output.md).

The bar goes to stderr and only when stderr is a terminal, so piped or redirected output is
never touched by it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Iterator, Sequence


class _AboveBar:
    """sys.stdout while a bar is drawn on the same terminal: each finished line is written
    with the bar cleared first and drawn again below it, so a row and the bar never share a
    line. Everything else (isatty, fileno, encoding) is the real stream's."""

    def __init__(self, stream, bar):
        self._stream, self._bar, self._partial = stream, bar, ""

    def write(self, text: str) -> int:
        lines, newline, self._partial = (self._partial + text).rpartition("\n")
        if newline:
            with self._bar.external_write_mode(file=self._bar.fp):
                self._stream.write(lines + newline)
                self._stream.flush()
        return len(text)

    def finish(self) -> None:
        if self._partial:
            self._stream.write(self._partial)
            self._partial = ""

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


def progress(
    items: Iterable, paths: Sequence[str | os.PathLike] | None = None, what: str = "files"
) -> Iterator:
    """`items`, with a tqdm bar on stderr when stderr is a terminal.

    With `paths`, the audio files under them are counted first (one pass over the names, no
    file is opened) so the bar shows a total and the time left. While it runs, what the command
    prints to stdout on the same terminal goes above the bar.
    """
    if not sys.stderr.isatty():
        yield from items
        return
    from tqdm import tqdm  # here: `drumnet --help` stays light

    from drumnet.audio.scan import count_audio_files

    total = count_audio_files(paths) if paths is not None else None
    bar = tqdm(items, total=total, unit=f" {what}", file=sys.stderr, dynamic_ncols=True)
    stdout = sys.stdout
    if stdout.isatty():
        sys.stdout = _AboveBar(stdout, bar)
    try:
        yield from bar
    finally:
        if sys.stdout is not stdout:
            sys.stdout.finish()
            sys.stdout = stdout
        bar.close()


class CurrentStdout:
    """A file that writes to whatever sys.stdout is at the time: a csv.writer made before the
    bar starts still writes above it."""

    def write(self, text: str) -> int:
        return sys.stdout.write(text)


def report_empty_folders(command: str, paths: Iterable[str | os.PathLike]) -> None:
    """One stderr line for each named folder that holds no audio file, however deep: the
    command would otherwise print nothing at all. Not a failure (the exit status stays 0):
    there was nothing to do."""
    from drumnet.audio.scan import has_audio_files  # here: `drumnet --help` stays light

    for path in paths:
        if os.path.isdir(path) and not has_audio_files(path):
            from drumnet.cli.common import shown

            where = shown(os.fspath(path))
            print(f"drumnet {command}: no audio files found under {where}", file=sys.stderr)
