"""Search by sound: retrieval quality on sounds no shipped model heard, and search speed.

    python benchmarks/bench_similar.py [--per-class 40] [--files 2000]

Quality: `per_class` sounds of every drum class from the procedural synthesiser, drawn with
seeds the training data never used (training renders `synth_samples(seed=0)`; these use
`default_rng([2026, class index, i])`, each sound with a random library colour). Every sound
queries all the others; precision@k is the share of its k nearest neighbours of its own class,
averaged over queries. Compared: the shipped model's embedding, the shipped ensemble's (each
the network's features joined with the standardised descriptors, as `drumnet similar` uses
them), the ensemble's network part alone, and the descriptors alone (standardised over these
sounds). `unheard_kits` measures the same on real kits no net heard (4 folds by kit).
Speed: embedding `files` one-shots from disk into a cold index (files/s, 2 decode workers),
then whole searches against them once cached, and the ranking step alone (ms per query).
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

import numpy as np
from bench_classify import synthesise

from drumnet.audio.prepare import prepare_waveform
from drumnet.config import FeatureConfig
from drumnet.features.descriptors import descriptors
from drumnet.inference.classifier import load_model
from drumnet.library.embed import (
    Embedded,
    descriptor_part,
    embed_paths,
    embed_query,
    embed_waves,
    join_parts,
)
from drumnet.library.index import Index
from drumnet.library.similar import nearest, top_k
from drumnet.nets.ensemble import EnsembleNet
from drumnet.taxonomy import DRUM_CLASSES
from drumnet.training.synth.drums import synth_drum

SEED = 2026  # never used to render training data (synth_samples uses seed 0)
RATE = 44100  # Hz, the synthesiser's rate; prepare_waveform resamples like decoding does
KS = (1, 5)  # precision@k reported


def unseen_sounds(per_class: int, config: FeatureConfig) -> tuple[np.ndarray, np.ndarray]:
    """(waves (N, n_samples), labels (N,)) for N = per_class * 8 drum classes."""
    waves, labels = [], []
    for c, label in enumerate(DRUM_CLASSES):
        for i in range(per_class):
            x = synth_drum(label, np.random.default_rng([SEED, c, i]), RATE)  # random colour
            waves.append(prepare_waveform(x, RATE, config))
            labels.append(label)
    return np.stack(waves), np.array(labels)


def descriptor_embedding(waves: np.ndarray, config: FeatureConfig) -> np.ndarray:
    """The classical baseline: descriptors z-scored over the set, then unit length (N, 94)."""
    d = descriptors(waves, config).astype(np.float64)
    d = (d - d.mean(0)) / np.maximum(d.std(0), 1e-12)
    return (d / np.linalg.norm(d, axis=1, keepdims=True)).astype(np.float32)


def precision_at(
    vectors: np.ndarray, labels: np.ndarray, ks=KS, groups: np.ndarray | None = None
) -> dict[str, float]:
    """Mean share of each sound's k nearest others (cosine) that share its label, per k.

    groups (N,): a query never finds a sound of its own group (e.g. the other velocity layers
    of its kit's instrument), only others."""
    sims = vectors @ vectors.T  # (N, N)
    np.fill_diagonal(sims, -np.inf)  # a query never finds itself
    if groups is not None:
        sims[groups[:, None] == groups[None, :]] = -np.inf
    hits = {k: [] for k in ks}
    for i, row in enumerate(sims):
        ranked = top_k(row, max(ks))
        same = labels[ranked] == labels[i]
        for k in ks:
            hits[k].append(same[:k].mean())
    return {f"precision_at_{k}": round(float(np.mean(h)), 4) for k, h in hits.items()}


def quality(per_class: int) -> list[dict]:
    single, ensemble = load_model("default"), load_model("ensemble")
    config = single.feature_config
    waves, labels = unseen_sounds(per_class, config)
    rows = []
    for name, vectors in (
        (f"shipped model ({single.model_id}) + descriptors", embed_waves(single, waves)),
        (
            "shipped ensemble (5 highway nets) + descriptors: the default",
            embed_waves(ensemble, waves),
        ),
        (
            "shipped ensemble, network part alone",
            embed_waves(ensemble, waves, with_descriptors=False),
        ),
        (
            "descriptors alone (MFCC, spectral, envelope), standardised over these sounds",
            descriptor_embedding(waves, config),
        ),
    ):
        rows.append({"embedding": name, "dim": vectors.shape[1], **precision_at(vectors, labels)})
    return rows


def nearest_is_same_group(vectors: np.ndarray, groups: np.ndarray) -> list[bool]:
    """For each sound whose group has another member: is its nearest other sound (cosine)
    of its own group?"""
    sims = vectors @ vectors.T
    np.fill_diagonal(sims, -np.inf)
    return [
        bool(groups[np.argmax(sims[i])] == groups[i])
        for i in range(len(groups))
        if np.sum(groups == groups[i]) > 1
    ]


def unheard_kits(
    folds: int = 4,
    seeds: tuple[int, ...] = (0,),
    epochs: int | None = None,
    weights: tuple[float, ...] = (0.0, 0.2, 0.4, 0.7, 1.0),
) -> dict:
    """Precision@k on the Hydrogen kits, each fold of kits embedded by nets of the shipped
    recipe (one per seed) that never heard it: a library as a user's would be, new to the
    model. With several seeds, their ensemble (as the shipped five) is measured as well. Each
    model's network part is joined with the descriptors at every one of `weights` (0: the
    network part alone), as `drumnet similar` joins them at `similar.DESCRIPTOR_WEIGHT`.

    Every held-out sound queries the other sounds of its fold (3-4 kits), once among all of
    them and once among other instruments only (a kit's velocity layers of one instrument are
    near copies), and "same drum": whether its nearest sound is another layer of its own
    instrument. Figures are pooled over the folds' queries; chance is each query's share of
    candidates of its own class. Compared on the same folds: the net's embedding as `drumnet
    similar` makes it, its network part alone, and the descriptors alone.
    """
    from dataclasses import replace

    from drumnet.training.config import RECIPES
    from drumnet.training.datasets.default import gather
    from drumnet.training.experiments import load_pool, make_splits, run_split

    recipe = RECIPES["hydrogen"]
    train = recipe.train if epochs is None else replace(recipe.train, epochs=epochs)
    pool = load_pool(("hydrogen",), recipe.extra_sources).select(recipe.classes)
    instrument = {s.path: (s.library, s.instrument) for s in gather(("hydrogen",)).samples}
    ids: dict[tuple[str, str], int] = {}
    groups = np.array(  # the instrument each sound is a layer of; -1 for train-only sounds
        [ids.setdefault(instrument[p], len(ids)) if p in instrument else -1 for p in pool.paths]
    )
    rows: dict[str, dict[str, list]] = {}
    chance = {"all": [], "other_instruments": []}
    same_drum: dict[str, list[bool]] = {}
    for split in make_splits(pool, "folds", seed=seeds[0], folds=folds):
        nets = [
            run_split(
                pool, recipe.classes, split, replace(train, seed=seed),
                extra_weight=recipe.extra_weight,
            ).model
            for seed in seeds
        ]  # fmt: skip
        waves, labels, g = pool.waves[split.test], pool.labels[split.test], groups[split.test]
        models = [(f"ensemble of {len(nets)} nets", EnsembleNet(nets))] if len(nets) > 1 else []
        models.append(("highway net", nets[0]))
        sound = descriptor_part(waves, FeatureConfig())
        measured = []
        for model_name, model in models:
            network = embed_waves(model, waves, with_descriptors=False)
            for w in weights:
                how = f"descriptors weighted {w}" if w else "network part alone"
                measured.append(
                    (f"{model_name}, {how}", join_parts(network, sound if w else None, w))
                )
        descriptors_alone = descriptor_embedding(waves, FeatureConfig())
        measured.append(("descriptors alone, standardised over the fold", descriptors_alone))
        for name, vectors in measured:
            for among, grouping in (("all", None), ("other_instruments", g)):
                p = precision_at(vectors, labels, groups=grouping)
                row = rows.setdefault(name, {}).setdefault(among, [])
                row.append((len(labels), p))
            same_drum.setdefault(name, []).extend(nearest_is_same_group(vectors, g))
        for i in range(len(labels)):
            for among, keep in (
                ("all", np.arange(len(labels)) != i),
                ("other_instruments", g != g[i]),
            ):
                chance[among].append(float(np.mean(labels[keep] == labels[i])))
    out = []
    for name, by in rows.items():
        row = {"embedding": name}
        for among, parts in by.items():
            n = sum(k for k, _ in parts)
            for key in parts[0][1]:
                row[f"{among}_{key}"] = round(sum(k * p[key] for k, p in parts) / n, 4)
        row["same_drum_at_1"] = round(float(np.mean(same_drum[name])), 4)
        row["same_drum_queries"] = len(same_drum[name])
        out.append(row)
    return {
        "folds": folds,
        "seeds": list(seeds),
        "weights": list(weights),
        "epochs": train.epochs,
        "sounds": int((~pool.extra).sum()),
        "kits": len(np.unique(pool.libraries[~pool.extra])),
        "chance": {k: round(float(np.mean(v)), 4) for k, v in chance.items()},
        "rows": out,
    }


def speed(n_files: int, root: Path, n_queries: int = 20, workers: int = 2) -> dict:
    """Embedding files/s from disk (cold index) and ms per search once cached, shipped model."""
    lib = synthesise(root / f"lib{n_files}", n_files)
    figures = {"files": n_files, "workers": workers}
    for name in ("default", "ensemble"):
        clf = load_model(name)
        with Index(root / f"{name}-index.sqlite") as index:
            start = time.perf_counter()
            items = [e for e in embed_paths(lib, clf, workers, index=index) if e.ok]
            figures[f"{name}_embed_files_per_s"] = round(
                len(items) / (time.perf_counter() - start), 1
            )
            if name != "default":
                continue
            queries = [e.path for e in items[:: max(1, len(items) // n_queries)]][:n_queries]
            start = time.perf_counter()
            for q in queries:
                nearest(embed_query(q, clf, index), embed_paths(lib, clf, workers, index=index))
            figures["query_ms_cached"] = round(
                1000 * (time.perf_counter() - start) / len(queries), 1
            )
            figures["rank_ms"] = _rank_ms(items, queries)
    return figures


def _rank_ms(items: list[Embedded], queries: list[str]) -> float:
    """Ranking alone: `nearest` over embeddings already in memory (ms per query)."""
    by_path = {e.path: e for e in items}
    start = time.perf_counter()
    for q in queries:
        nearest(by_path[q], items)
    return round(1000 * (time.perf_counter() - start) / len(queries), 2)


def run(per_class: int = 40, n_files: int = 2000, tmpdir: str | Path | None = None) -> dict:
    root = Path(tmpdir or tempfile.mkdtemp(prefix="drumnet-bench-"))
    return {
        "per_class": per_class,
        "classes": list(DRUM_CLASSES),
        "rows": quality(per_class),
        "speed": speed(n_files, root),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-class", type=int, default=40, help="unseen sounds per class")
    parser.add_argument("--files", type=int, default=2000, help="files for the speed figures")
    parser.add_argument("--tmpdir", help="where to synthesise (reused between runs)")
    args = parser.parse_args()
    print(json.dumps(run(args.per_class, args.files, args.tmpdir), indent=2))


if __name__ == "__main__":
    main()
