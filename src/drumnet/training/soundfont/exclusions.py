"""Notes of a SoundFont that must never be rendered for training, read from a table.

Some fonts copy sounds kept aside for judging drumnet (the project's reserved-copies list):
`data/soundfont_exclusions.csv` names them by font file, bank, program and key, `*` for any.
Keeping the rule in data, not code, means one table to check against that list.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from importlib import resources

TABLE = "data/soundfont_exclusions.csv"


@dataclass(frozen=True)
class Exclusion:
    font: str  # the .sf2 file name
    bank: int | None  # None: any
    program: int | None
    key: int | None
    why: str

    def covers(self, font: str, bank: int, program: int, key: int) -> bool:
        return (
            self.font == font
            and self.bank in (None, bank)
            and self.program in (None, program)
            and self.key in (None, key)
        )


def _number(text: str) -> int | None:
    text = text.strip()
    return None if text == "*" else int(text)


def parse_exclusions(text: str) -> tuple[Exclusion, ...]:
    """Rows of a `font,bank,program,key,why` CSV; `*` stands for any bank, program or key."""
    rows = csv.DictReader(io.StringIO(text))
    return tuple(
        Exclusion(
            r["font"].strip(),
            _number(r["bank"]),
            _number(r["program"]),
            _number(r["key"]),
            r["why"],
        )
        for r in rows
    )


def load_exclusions() -> tuple[Exclusion, ...]:
    """The packaged table."""
    return parse_exclusions(resources.files("drumnet").joinpath(TABLE).read_text("utf-8"))


def excluded(
    exclusions: tuple[Exclusion, ...], font: str, bank: int, program: int, key: int | None = None
) -> str | None:
    """Why (font, bank, program, key) must not be rendered, or None. With key None, only a
    rule for the whole preset (any key) counts."""
    for rule in exclusions:
        whole_preset = rule.key is None
        if (key is not None or whole_preset) and rule.covers(font, bank, program, key or 0):
            return rule.why
    return None
