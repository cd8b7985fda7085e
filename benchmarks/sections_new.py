"""`make bench` sections added with the layout, faults, corrections, browser and scale work."""

from __future__ import annotations

import tempfile
from pathlib import Path


def adapt(quick: bool = False) -> dict:
    """Learning from corrections on a source the shipped net never heard: GeneralUser GS's
    drum kits, heard by the shipped `default` net (as `drumnet classify` hears them)."""
    import adapt_folds
    import bench_adapt

    with tempfile.TemporaryDirectory(prefix="drumnet-bench-") as tmp:
        arrays = adapt_folds.shipped_arrays(Path(tmp) / "generaluser.npz", "generaluser")
        return bench_adapt.run([arrays])


def browser(quick: bool = False) -> dict:
    """Page load and map render at 5,000 and 50,000 sounds, in headless chromium."""
    import bench_browser

    return bench_browser.run((1000,) if quick else (5_000, 50_000))


def sources(quick: bool = False) -> dict:
    """The shipped recipe cross-validated by data source (recording chains never heard)."""
    import bench_sources

    return bench_sources.run(quick=quick)


def window(quick: bool = False) -> dict:
    """The default recipe by source with the study's 1 s window and with 2 s, seeds 0-1; and
    the Hydrogen kits never heard, by nets trained with and without the soundfont kits."""
    import bench_sources

    runs = [
        bench_sources.run(quick=quick, seed=seed, window=w) for w in (1.0, 2.0) for seed in (0, 1)
    ]
    return {
        "runs": runs,
        "without_soundfonts": bench_sources.without_soundfonts(0, quick, window=1.0),
        "added_alone": [
            bench_sources.without_soundfonts(0, quick, window=1.0, added=(source,))
            for source in ("generaluser", "opl3", "sonivox")
        ],
    }


def hats(quick: bool = False) -> dict:
    """The kit builder's open-or-closed decay rule on the hats the soundfonts name."""
    import bench_hats

    return bench_hats.run()


def scale(quick: bool = False) -> dict:
    """Local classify vs --engine ray with 1 and 2 actors; train --nproc 1 vs 2 (one machine)."""
    import bench_scale

    return {
        "classify": bench_scale.classify_scale(500 if quick else 2000),
        "train": bench_scale.train_scale(200, epochs=2 if quick else 4),
    }
