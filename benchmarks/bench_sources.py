"""Recording chains never heard: the shipped recipe cross-validated by data source.

One fold per source of the default recipe (the Hydrogen kits, GeneralUser GS, OPL3, Sonivox): a
net of that recipe trains on every other source (and the train-only material, less the held
source's own, e.g. GeneralUser's melodic notes), then hears the held source's drums. Pooled
over the folds, every drum sound is heard by a net that never heard its recording chain.

Non-drums never heard: the held source's own non-drum notes (GeneralUser's melodic notes in
its fold) and the Hydrogen effects kit (guitar strums, which no recipe trains on), heard by
every fold's net. "Flagged" is what `classify --min-confidence P` does: answered `other`, or
below P (then `unsure`).

`run(window=1.0)` measures the same with the 1 s window of the study (the `window` section);
`without_soundfonts` what the soundfont kits add on the Hydrogen kits.
"""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import numpy as np
import torch

from drumnet.taxonomy import DRUM_CLASSES, OTHER, STUDY_FOUR, STUDY_TWO
from drumnet.training.config import RECIPES, Recipe
from drumnet.training.evaluate import make_report
from drumnet.training.experiments import Pool, load_pool, make_splits, run_split
from drumnet.training.splits import Split
from drumnet.training.train import predict_logits

RECIPE = "default"  # the shipped recipe (training/config.py)
THRESHOLDS = (0.0, 0.5, 0.7)  # --min-confidence values at which flagging is measured


def _recipe(window: float | None) -> Recipe:
    """The recipe measured: the default one, with another window when asked."""
    recipe = RECIPES[RECIPE]
    if window is None:
        return recipe
    return replace(recipe, features=replace(recipe.features, window_seconds=window))


def _pool(recipe: Recipe) -> tuple[Pool, Pool]:
    pool = load_pool(recipe.sources, recipe.extra_sources, features=recipe.features)
    return pool.select(recipe.classes), load_pool(("effects",), (), features=recipe.features)


def _fold(args: tuple[int, int, int, float | None]) -> dict:
    """Train fold `i` (seed, epochs, window) in a fresh process on one thread; its scores."""
    i, seed, epochs, window = args
    torch.set_num_threads(1)
    recipe = _recipe(window)
    pool, effects = _pool(recipe)
    split = make_splits(pool, "source")[i]
    held = split.kind.removeprefix("source:")
    config = replace(recipe.train, seed=seed, epochs=epochs)
    out = run_split(
        pool, recipe.classes, split, config, recipe.features, extra_weight=recipe.extra_weight
    )
    own_other = np.flatnonzero(pool.extra & (pool.sources == held))
    return {
        "held": held,
        "test": split.test,
        "logits": out.test_logits,
        "own_other": predict_logits(out.model, pool.waves[own_other]) if len(own_other) else None,
        "effects": predict_logits(out.model, effects.waves),
    }


def _probs(logits: np.ndarray) -> np.ndarray:
    return torch.softmax(torch.from_numpy(logits).double(), 1).numpy()


def _flagged(probs: np.ndarray, classes: tuple[str, ...]) -> dict[str, float]:
    """Share of sounds answered `other` or below each threshold (`unsure`)."""
    other = classes.index(OTHER)
    out = {}
    for p in THRESHOLDS:
        flag = (probs.argmax(1) == other) | (probs.max(1) < p)
        out[f"{p:g}"] = float(flag.mean()) if len(flag) else None
    return out


def _figures(truth: np.ndarray, probs: np.ndarray, classes: tuple[str, ...], name: str) -> dict:
    """8-class report over the drums, and the study's two and four classes read off it."""
    drums = [classes.index(c) for c in DRUM_CLASSES]
    keep = np.isin(truth, drums)
    report = make_report(truth[keep], probs[keep][:, drums].argmax(1), DRUM_CLASSES, split=name)

    def restricted(subset):
        cols = [classes.index(c) for c in subset]
        inside = np.isin(truth, cols)
        remap = {c: k for k, c in enumerate(cols)}
        t = np.array([remap[v] for v in truth[inside]], dtype=int)
        r = make_report(t, probs[inside][:, cols].argmax(1), subset)
        return {"n": int(inside.sum()), "accuracy": r.accuracy, "macro_f1": r.macro_f1}

    return {
        "n": int(keep.sum()),
        "accuracy": report.accuracy,
        "macro_f1": report.macro_f1,
        "per_class_f1": dict(zip(DRUM_CLASSES, (round(f, 4) for f in report.f1))),
        "min_class_f1": float(min(report.f1)),
        "confusion": report.confusion.tolist(),
        "two": restricted(STUDY_TWO),
        "four": restricted(STUDY_FOUR),
        "drums_flagged": _flagged(probs[keep], classes),
    }


def run(quick: bool = False, seed: int = 0, workers: int = 2, window: float | None = None) -> dict:
    """Every source held out once (the recipe's window, or `window` seconds)."""
    recipe = _recipe(window)
    classes = recipe.classes
    pool, _effects = _pool(recipe)  # decode once, before the workers read the tensor cache
    n_folds = len(make_splits(pool, "source"))
    epochs = 2 if quick else recipe.train.epochs
    context = multiprocessing.get_context("spawn")  # never fork a process that holds torch
    with ProcessPoolExecutor(workers, mp_context=context) as ex:
        folds = list(ex.map(_fold, [(i, seed, epochs, window) for i in range(n_folds)]))
    y = pool.y(classes)
    test = np.concatenate([f["test"] for f in folds])
    probs = _probs(np.concatenate([f["logits"] for f in folds]))
    own = [_probs(f["own_other"]) for f in folds if f["own_other"] is not None]
    fx = np.mean([_probs(f["effects"]) for f in folds], 0)
    return {
        "folds": [f["held"] for f in folds],
        "epochs": epochs,
        "seed": seed,
        "window_seconds": recipe.features.window_seconds,
        "pooled": _figures(y[test], probs, classes, "source folds, pooled"),
        "per_source": {
            f["held"]: _figures(y[f["test"]], _probs(f["logits"]), classes, f["held"])
            for f in folds
        },
        "non_drums": {
            "own_source_notes": {
                "n": int(sum(len(p) for p in own)),
                "flagged": _flagged(np.concatenate(own), classes) if own else None,
            },
            "hydrogen_effects": {"n": len(fx), "flagged": _flagged(fx, classes)},
        },
    }


def without_soundfonts(
    seed: int = 0, quick: bool = False, window: float | None = None, added: tuple[str, ...] = ()
) -> dict:
    """The Hydrogen kits never heard, by a net of the default recipe trained on the train-only
    sources (LMMS, DrumSynth, synthesiser, speech) and the soundfont kits of `added` alone (none:
    no soundfont kit). The Hydrogen fold of `run` is the same with every soundfont source."""
    torch.set_num_threads(1)
    recipe = _recipe(window)
    extra = tuple(s for s in recipe.extra_sources if s in RECIPES["hydrogen"].extra_sources)
    pool = load_pool(("hydrogen", *added), extra, features=recipe.features)
    pool = pool.select(recipe.classes)
    held = np.flatnonzero(pool.sources == "hydrogen")
    split = Split("source:hydrogen", np.flatnonzero(pool.sources != "hydrogen"), held[:0], held)
    config = replace(recipe.train, seed=seed, epochs=2 if quick else recipe.train.epochs)
    out = run_split(
        pool, recipe.classes, split, config, recipe.features, extra_weight=recipe.extra_weight
    )
    figures = _figures(pool.y(recipe.classes)[held], _probs(out.test_logits), recipe.classes, "")
    return {"sources": list(extra), "added": list(added), "seed": seed, **figures}
