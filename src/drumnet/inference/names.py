"""Which names of one run are copies of each other, and which are links to the very same file."""

from __future__ import annotations

import os


class Names:
    """This run's names for one content: the first, and once a second comes, the first name of
    each file among them by (device, inode), so a link is told from a copy in one stat."""

    __slots__ = ("by_file", "first")

    def __init__(self, first: str):
        self.first = first
        self.by_file: dict[tuple[int, int], str] | None = None

    def meet(self, path: str) -> tuple[str | None, str | None]:
        """(duplicate_of, same_file_as) for `path`, a later name with this content."""
        if self.by_file is None:
            self.by_file = {}
            self._add(self.first)
        key = file_key(path)
        same = self.by_file.get(key) if key else None
        if same is None:
            self._add(path, key)
            return self.first, None
        return None, (same if same != path else None)  # a path met twice is no link

    def _add(self, path: str, key: tuple[int, int] | None = None) -> None:
        key = key or file_key(path)
        if key:
            self.by_file.setdefault(key, path)


def file_key(path: str) -> tuple[int, int] | None:
    """(device, inode) of the file a path leads to (links followed); None if it is gone."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return st.st_dev, st.st_ino
