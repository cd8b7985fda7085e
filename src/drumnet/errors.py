"""The exceptions the CLI catches and turns into one line each. Light: no numpy, no torch."""

from __future__ import annotations

import os


class AudioError(Exception):
    """A file that cannot be turned into audio. `str(err)` is a one-line reason."""

    def __init__(self, path: str | os.PathLike, reason: str):
        self.path = str(path)
        self.reason = reason
        super().__init__(f"{self.path}: {reason}")


class ModelFileError(Exception):
    """A model file that cannot be used; the message says why."""


class IndexUnavailable(Exception):
    """The index file cannot be used (damaged, read-only, its disk full). `str(err)` is one
    line: the file, why, and what a person can do about it."""

    def __init__(self, path: str | os.PathLike, reason: str, fix: str):
        self.path, self.reason, self.fix = str(path), reason, fix
        super().__init__(f"cannot use the library index {self.path} ({reason}): {fix}")
