"""Open or closed: the kit builder's decay rule on the hats the soundfonts name.

GeneralUser GS, OPL3 and Sonivox name their hats (GM notes 42 closed, 44 pedal, 46 open), so
their renders carry sub-labels (`hihat/open`...). `drumnet kit` tells an open hat from a closed
one by its file name, else by how long it rings (`library.kit.decay_seconds`, to -40 dB, against
`OPEN_HAT_SECONDS`). This measures that rule on every named hat, per source and threshold.
"""

from __future__ import annotations

from collections import Counter

import numpy as np

from drumnet.library.kit import OPEN_HAT_SECONDS, decay_seconds
from drumnet.training.datasets.default import gather

SOURCES = ("generaluser", "opl3", "sonivox")
THRESHOLDS = (0.1, 0.2, OPEN_HAT_SECONDS, 0.5, 0.8)


def run() -> dict:
    named = [s for s in gather(SOURCES).samples if s.subclass.startswith(("hihat/", "cymbal/"))]
    hats = [s for s in named if s.subclass.startswith("hihat/")]
    is_open = np.array([s.subclass == "hihat/open" for s in hats])
    seconds = np.array([decay_seconds(s.path) for s in hats])
    source = np.array([s.source for s in hats])
    rule = {}
    for t in THRESHOLDS:
        right = (seconds >= t) == is_open
        rule[f"{t:g}"] = {
            "all": float(right.mean()) if len(right) else None,
            **{k: float(right[source == k].mean()) for k in SOURCES if (source == k).any()},
        }
    return {
        "sub_labels": dict(sorted(Counter(s.subclass for s in named).items())),
        "hats": len(hats),
        "open_seconds": sorted(round(float(x), 3) for x in seconds[is_open]),
        "closed_or_pedal_seconds_max": float(seconds[~is_open].max()) if (~is_open).any() else None,
        "threshold_used": OPEN_HAT_SECONDS,
        "rule": rule,
    }
