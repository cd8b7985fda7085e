"""Counts in words for the messages people read: `plural(1, "file")` is "1 file"."""

from __future__ import annotations


def plural(count: int, noun: str, many: str | None = None) -> str:
    """'1 file', '2 files', '0 files'; `many` for a noun that does not just take an s."""
    return f"{count} {noun if count == 1 else many or noun + 's'}"
