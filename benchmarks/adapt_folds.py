"""Arrays for `bench_adapt`: held-out kits heard by a net that never heard them.

    python benchmarks/adapt_folds.py OUT.npz [--folds 4] [--fold 0] [--epochs 8]

Trains the default recipe's highway net on the Hydrogen kits minus one fold of kits (plus the
procedural synthesiser's sounds, which need no download), then embeds and classifies the
held-out kits in one forward pass each, as `drumnet classify` does. Written as plain arrays
(.npz, no pickle): vectors (N, D) with the descriptors, network (N, D_net) without them,
probs (N, C), labels (N,), libraries (N,), instruments (N,), paths (N,), classes (C,).
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np
import torch

from drumnet.config import FeatureConfig
from drumnet.library.embed import descriptor_part, embed_and_classify, join_parts
from drumnet.training.config import RECIPES
from drumnet.training.datasets.default import gather
from drumnet.training.experiments import load_pool, make_splits, run_split


def fold_arrays(
    out: str | Path, folds: int = 4, fold: int = 0, epochs: int = 8, seed: int = 0
) -> Path:
    """Train without fold `fold` of `folds` (by kit), embed its kits, write `out` (.npz)."""
    recipe = RECIPES["hydrogen"]
    pool = load_pool(("hydrogen",), ("synth",)).select(recipe.classes)
    split = make_splits(pool, "folds", seed=seed, folds=folds)[fold]
    config = replace(recipe.train, epochs=epochs, seed=seed)
    net = run_split(pool, recipe.classes, split, config, extra_weight=recipe.extra_weight).model
    waves = pool.waves[split.test]
    network, probs = embed_and_classify(net, waves, with_descriptors=False)
    sound = descriptor_part(waves, FeatureConfig())
    instrument = {s.path: f"{s.library}/{s.instrument}" for s in gather(("hydrogen",)).samples}
    paths = pool.paths[split.test]
    instruments = np.array([instrument.get(p, p) for p in paths])
    test = pool.labels[split.test], pool.libraries[split.test], instruments, paths
    return _write(out, network, sound, probs, *test, recipe.classes)


def _write(out, network, sound, probs, labels, libraries, instruments, paths, classes) -> Path:
    """The arrays `bench_adapt` reads, as plain .npz (no pickle)."""
    out = Path(out)
    np.savez(
        out,
        vectors=join_parts(network, sound),
        network=network,
        probs=probs,
        labels=labels,
        libraries=libraries,
        instruments=instruments,
        paths=paths,
        classes=np.array(classes),
    )
    return out


def shipped_arrays(out: str | Path, source: str = "generaluser", model: str = "default") -> Path:
    """The shipped net (which never heard `source`) embeds and classifies that source's drums,
    in one forward pass each, as `drumnet classify` does; written as `fold_arrays` writes."""
    from drumnet.inference.classifier import load_model

    clf = load_model(model)
    classes = tuple(clf.classes_)
    pool = load_pool((source,), ()).select(classes)
    network, probs = embed_and_classify(clf.model_, pool.waves, with_descriptors=False)
    sound = descriptor_part(pool.waves, FeatureConfig())
    arrays = (network, sound, probs, pool.labels, pool.libraries, pool.paths, pool.paths)
    return _write(out, *arrays, classes)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out")
    parser.add_argument("--folds", type=int, default=4)
    parser.add_argument("--fold", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    print(fold_arrays(args.out, args.folds, args.fold, args.epochs))
