"""Learning from corrections: a simulated user on sounds the model never heard.

    python benchmarks/bench_adapt.py [FOLD.npz ...]

`simulate` takes any labelled pool as arrays: each sound's embedding (as `drumnet similar`
makes it), the model's probabilities and the true label. For K = 1, 5, 10 and 20 % of the
library it plays the user: classify, take the `review --top K` sounds (`review_order`), label
them with the truth, classify again (`CorrectionAdapter`); accuracy and macro-F1 are measured
on the sounds not corrected, before and after, and the same with K sounds picked at random
(mean of `repeats` draws). Last, the review's K = 10 and 20 % are labelled at random
("noisy"): the self-check must keep the answers where they were. `run` gets the arrays from
`adapt_folds.fold_arrays` (a net trained without one fold of the Hydrogen kits); any other
pool (a source no shipped model heard) goes through `simulate` the same way.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from sklearn.metrics import f1_score

from drumnet.library.adapt import AdaptConfig, CorrectionAdapter
from drumnet.library.review import review_order

FRACTIONS = (0.01, 0.05, 0.1, 0.2)


def _scores(truth: np.ndarray, probs: np.ndarray, classes: np.ndarray) -> dict[str, float]:
    pred = classes[probs.argmax(1)]
    present = np.unique(truth)
    return {
        "accuracy": round(float(np.mean(pred == truth)), 4),
        "macro_f1": round(float(f1_score(truth, pred, labels=present, average="macro")), 4),
    }


def _after(vectors, probs, labels, classes, chosen, config, given=None) -> dict:
    """Correct `chosen` (with `given` labels, default the truth); score the rest."""
    rest = np.setdiff1d(np.arange(len(labels)), chosen)
    adapter = CorrectionAdapter(config).fit(
        vectors[chosen], probs[chosen], labels[chosen] if given is None else given, classes
    )
    adapted, changed = adapter.adapt(vectors[rest], probs[rest])
    return {
        "corrected": len(chosen),
        "before": _scores(labels[rest], probs[rest], classes),
        "after": _scores(labels[rest], adapted, classes),
        "changed": int(changed.sum()),
        "active": bool(adapter.active_),
    }


def simulate(
    vectors: np.ndarray,
    probs: np.ndarray,
    labels: np.ndarray,
    classes: np.ndarray,
    fractions: tuple[float, ...] = FRACTIONS,
    config: AdaptConfig | None = None,
    repeats: int = 5,
    seed: int = 0,
) -> dict:
    """The protocol above on one pool: vectors (N, D) unit length, probs (N, C) the model's,
    labels (N,) the truth, classes (C,) the columns of probs."""
    config = config or AdaptConfig()
    classes = np.asarray(classes)
    rng = np.random.default_rng(seed)
    rows = []
    for fraction in fractions:
        k = max(1, round(fraction * len(labels)))
        start = time.perf_counter()
        chosen = review_order(vectors, probs, k, seed=seed).order
        review_seconds = time.perf_counter() - start
        reviewed = _after(vectors, probs, labels, classes, chosen, config)
        randoms = [
            _after(
                vectors, probs, labels, classes, rng.choice(len(labels), k, replace=False), config
            )
            for _ in range(repeats)
        ]
        mean = {
            part: {
                m: round(float(np.mean([r[part][m] for r in randoms])), 4)
                for m in ("accuracy", "macro_f1")
            }
            for part in ("before", "after")
        }
        rows.append(
            {
                "fraction": fraction,
                "review": reviewed,
                "random": {"corrected": k, **mean},
                "review_seconds": round(review_seconds, 3),
            }
        )
    noisy = {}
    for fraction in (0.1, 0.2):  # the head is fitted from 20 corrections on
        k = max(1, round(fraction * len(labels)))
        chosen = review_order(vectors, probs, k, seed=seed).order
        noise = rng.choice(classes, k)
        noisy[f"{fraction:.0%}"] = _after(vectors, probs, labels, classes, chosen, config, noise)
    return {"sounds": len(labels), "rows": rows, "noisy": noisy}


def speed(n: int = 50_000, m: int = 500, dim: int = 414, classes: int = 9, seed: int = 0) -> dict:
    """Seconds to re-answer `n` sounds with `m` corrections (fake unit vectors)."""
    rng = np.random.default_rng(seed)
    vectors = rng.standard_normal((n + m, dim)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    probs = rng.dirichlet(np.ones(classes), n + m)
    labels = np.array([f"c{i}" for i in rng.integers(classes, size=m)])
    names = [f"c{i}" for i in range(classes)]
    start = time.perf_counter()
    adapter = CorrectionAdapter(AdaptConfig(check=False)).fit(vectors[:m], probs[:m], labels, names)
    fit = time.perf_counter() - start
    adapter.adapt(vectors[m:], probs[m:])
    adapt = time.perf_counter() - start - fit
    start = time.perf_counter()
    review_order(vectors[m:], probs[m:], 20, corrected=vectors[:m])
    return {
        "sounds": n,
        "corrections": m,
        "fit_seconds": round(fit, 3),
        "adapt_seconds": round(adapt, 3),
        "review_top20_seconds": round(time.perf_counter() - start, 3),
    }


def pooled(folds: dict[str, dict]) -> list[dict]:
    """Each fraction's figures averaged over the folds, weighted by their sounds."""
    weights = np.array([f["sounds"] for f in folds.values()], dtype=float)
    out = []
    for i, fraction in enumerate(FRACTIONS):
        row: dict = {"fraction": fraction}
        for pick in ("review", "random"):
            for part in ("before", "after"):
                for metric in ("accuracy", "macro_f1"):
                    values = [f["rows"][i][pick][part][metric] for f in folds.values()]
                    row[f"{pick}_{part}_{metric}"] = round(
                        float(np.average(values, weights=weights)), 4
                    )
        out.append(row)
    return out


def rescan(files: int = 2000, corrections: int = 50, workers: int = 2) -> dict:
    """Seconds to re-answer a library already classified and embedded (`files` synthetic
    hits in a temporary folder, the shipped default model), with `corrections` of them
    labelled at random: `classify_paths` with adaptation against without (a plain re-scan).
    The self-check is off here, so that every file is answered again (the slowest path;
    random labels would otherwise fail it and leave the answers to the model)."""
    import tempfile
    from unittest import mock

    from bench_classify import synthesise

    from drumnet.inference.classifier import load_model
    from drumnet.inference.pipeline import classify_paths
    from drumnet.library import corrected
    from drumnet.library.embed import embed_paths
    from drumnet.library.index import Index

    model = load_model("default")
    with tempfile.TemporaryDirectory() as tmp:
        lib = synthesise(Path(tmp) / "lib", files)
        with Index(Path(tmp) / "index.sqlite") as index:
            first = list(classify_paths(lib, model, workers=workers, index=index, adapt=False))
            sum(1 for _ in embed_paths(lib, model, workers, index=index))
            rng = np.random.default_rng(0)
            for i in rng.choice(len(first), corrections, replace=False):
                index.correct(first[i].path, str(rng.choice(model.classes_)))
            fit = corrected.fit_adapter
            unchecked = AdaptConfig(check=False)
            times = {}
            with mock.patch.object(
                corrected, "fit_adapter", lambda *args: fit(*args[:3], unchecked)
            ):
                for adapt in (False, True, True):  # the first adapted run may embed some
                    start = time.perf_counter()
                    out = list(
                        classify_paths(lib, model, workers=workers, index=index, adapt=adapt)
                    )
                    times[adapt] = time.perf_counter() - start
    return {
        "files": files,
        "corrections": corrections,
        "rescan_seconds": round(times[False], 2),
        "adapted_seconds": round(times[True], 2),
        "changed": sum(r.adapted for r in out),
    }


def run(
    folds: list[str | Path], network_only: bool = False, config: AdaptConfig | None = None
) -> dict:
    """`simulate` on each fold's arrays (`adapt_folds.fold_arrays`), pooled, and `speed`."""
    out: dict = {"folds": {}}
    for path in folds:
        a = np.load(path)
        vectors = a["network"] if network_only else a["vectors"]
        out["folds"][Path(path).stem] = simulate(
            vectors, a["probs"], a["labels"], a["classes"], config=config
        )
    if out["folds"]:
        out["pooled"] = pooled(out["folds"])
        out["noisy_changed"] = sum(
            n["changed"] for f in out["folds"].values() for n in f["noisy"].values()
        )
    out["speed"] = speed()
    out["rescan"] = rescan()
    return out


if __name__ == "__main__":
    import json

    print(json.dumps(run(sys.argv[1:]), indent=1))
