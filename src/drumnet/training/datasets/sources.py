"""The named data sources (`drumnet data fetch --sources`, `drumnet train --sources`).

A registry of name -> "module:function"; the function returns (samples, skipped), where
skipped holds (reason, what) pairs. Light: a source's module loads only when it runs.
"""

from __future__ import annotations

import functools
import importlib
from collections.abc import Callable

SOURCES: dict[str, str | Callable] = {
    "hydrogen": "drumnet.training.datasets.hydrogen:hydrogen_samples",
    "lmms": "drumnet.training.datasets.lmms:lmms_samples",
    "drumsynth": "drumnet.training.datasets.default:drumsynth_source",
    "synth": "drumnet.training.datasets.default:synth_source",
    "speech": "drumnet.training.datasets.speech:speech_samples",
    # The Hydrogen effects kit (guitar strums), as `other`
    "effects": "drumnet.training.datasets.hydrogen:effects_samples",
    # SoundFont kits rendered note by note (docs/data-sources.md); the third part is the
    # argument the function is called with
    **{
        name: f"drumnet.training.datasets.soundfont_sources:font_samples:{name}"
        for name in ("generaluser", "generaluser-other", "opl3", "sonivox")
    },
}
DEFAULT_SOURCES = ("hydrogen",)


def parse_sources(text: str | None) -> tuple[str, ...]:
    """'hydrogen,lmms' -> ('hydrogen', 'lmms'); None -> the defaults. Raises ValueError."""
    if not text:
        return DEFAULT_SOURCES
    names = tuple(dict.fromkeys(n.strip() for n in text.split(",") if n.strip()))
    if not names:
        raise ValueError(f"no data source named in {text!r}; choose from {', '.join(SOURCES)}")
    bad = [n for n in names if n not in SOURCES]
    if bad:
        raise ValueError(f"unknown data sources {bad}; choose from {', '.join(SOURCES)}")
    return names


def load_source(name: str) -> Callable:
    """The function behind a source's name. Raises ValueError for an unknown name."""
    if name not in SOURCES:
        raise ValueError(f"unknown data source {name!r}; choose from {', '.join(SOURCES)}")
    if callable(SOURCES[name]):  # registered as a function (tests, a caller's own source)
        return SOURCES[name]
    module, attr, *args = SOURCES[name].split(":")
    function = getattr(importlib.import_module(module), attr)
    return functools.partial(function, *args) if args else function
