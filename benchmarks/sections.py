"""The benchmark sections behind `make bench`; each returns JSON-friendly figures."""

from __future__ import annotations

import tempfile
from dataclasses import replace

import bench_accuracy as acc
import numpy as np

from drumnet.checkpoint import default_model_path, read_metadata
from drumnet.datasets.default import gather
from drumnet.experiments import load_pool, make_splits, run_split
from drumnet.recipes import RECIPES
from drumnet.taxonomy import CLASSES, DRUM_CLASSES, STUDY_FOUR, STUDY_TWO
from drumnet.train import TrainConfig

EXTRAS = RECIPES["default"].extra_sources


def _epochs(config: TrainConfig, quick: bool) -> TrainConfig:
    return replace(config, epochs=3, patience=3) if quick else config


def data(quick: bool = False) -> dict:
    """Samples per source and class, and what each source left out."""
    out = {}
    for name in ("hydrogen",) + EXTRAS:
        found = gather((name,))
        out[name] = {
            "samples": len(found.samples),
            "libraries": len({s.library for s in found.samples}),
            "per_class": {c: sum(s.label == c for s in found.samples) for c in CLASSES},
            "left_out": dict(found.skip_counts()),
        }
    return out


def features(quick: bool = False) -> dict:
    """Decoding and featurising the whole default library (files per second)."""
    import bench_features

    paths = [s.path for s in gather(("hydrogen",)).samples]
    return bench_features.run(paths, workers=2, torch_threads=1)


def study(quick: bool = False) -> dict:
    """The study's two experiments on the Hydrogen kits alone, as the study did: random split,
    one split by library and leave-one-kit-out, beside the classical baselines."""
    pool = load_pool(("hydrogen",))
    rows = []
    for recipe_name, classes in (("study-mlp", STUDY_TWO), ("study-highway", STUDY_FOUR)):
        config = _epochs(RECIPES[recipe_name].train, quick)
        for split in ("random", "library", "loo"):
            for trainer in (config, *acc.BASELINES):
                m = acc.measure(pool, classes, split, trainer)
                rows.append(
                    {"model": acc.trainer_name(trainer), "classes": list(classes), **m.row()}
                )
    return {"rows": rows}


def taxonomy(quick: bool = False) -> dict:
    """The default recipe (all extra sources, full taxonomy) on 4 folds of held-out kits, with
    the study's two- and four-class decisions read off the same predictions; networks vs
    baselines trained on the same data."""
    pool = load_pool(("hydrogen",), EXTRAS)
    default = RECIPES["default"]
    rows = []
    for trainer in (
        _epochs(default.train, quick),
        _epochs(replace(default.train, model="mlp"), quick),
        *acc.BASELINES,
    ):
        m = acc.measure(pool, CLASSES, "folds", trainer, extra_weight=default.extra_weight)
        rows.append(
            {
                "model": acc.trainer_name(trainer),
                **m.row(),
                "per_class_f1": dict(zip(m.report.classes, (round(f, 4) for f in m.report.f1))),
                "confusion": m.report.confusion.tolist(),
                "two": m.restricted(STUDY_TWO),
                "four": m.restricted(STUDY_FOUR),
                "drums": m.restricted(DRUM_CLASSES),
            }
        )
    return {"rows": rows}


SYNTH_EXTRAS = ("lmms", "drumsynth", "synth")
ABLATION = (
    # (name, extra sources, TrainConfig changes)
    ("Hydrogen kits only, no augmentation", (), {"augment": False}),
    ("Hydrogen kits only, augmentation", (), {}),
    ("+ LMMS samples and DrumSynth presets", ("lmms", "drumsynth"), {}),
    ("+ procedural synthesiser", SYNTH_EXTRAS, {}),
    ("+ espeak-ng speech as `other` (the default recipe)", SYNTH_EXTRAS + ("speech",), {}),
    ("+ synthesiser (no speech), no augmentation", SYNTH_EXTRAS, {"augment": False}),
    (
        "+ synthesiser (no speech), raw complex input",
        SYNTH_EXTRAS,
        {"model_overrides": {"representation": "complex"}},
    ),
)


def ablation(quick: bool = False) -> dict:
    """Each generalisation lever's effect: highway net, 12 epochs, 2 folds of held-out kits."""
    default = RECIPES["default"]
    rows = []
    for name, extras, changes in ABLATION:
        pool = load_pool(("hydrogen",), extras)
        # 12 epochs (the default recipe allows 20): the levers are compared with each other.
        config = _epochs(replace(default.train, epochs=12, **changes), quick)
        weight = default.extra_weight if extras else 1.0
        classes = tuple(c for c in CLASSES if (pool.labels == c).any())
        m = acc.measure(pool, classes, "folds", config, extra_weight=weight, folds=2)
        rows.append(
            {
                "lever": name,
                **m.row(),
                "four": m.restricted(STUDY_FOUR),
                "drums": m.restricted(DRUM_CLASSES),
            }
        )
    return {"rows": rows}


def other(quick: bool = False) -> dict:
    """How the `other` answer behaves: non-drum material the model never heard (all espeak-ng
    speech held out, or the LMMS instruments held out) and real drums wrongly called `other`,
    with the unsure rate at several confidence thresholds."""
    default = RECIPES["default"]
    config = _epochs(default.train, quick)
    pool = load_pool(("hydrogen",), EXTRAS)
    rows = []
    for held_out in ("espeak-ng", "lmms-instruments"):
        drums = make_splits(pool, "library", seed=0)[0]
        keep_out = pool.libraries == held_out
        train = np.setdiff1d(drums.train, np.flatnonzero(keep_out))
        test = np.union1d(drums.test, np.flatnonzero(keep_out))
        split = replace(drums, train=train, test=test, kind=f"library + {held_out} held out")
        outcome = run_split(pool, CLASSES, split, config, extra_weight=default.extra_weight)
        rows.append(_other_rates(outcome, pool, held_out))
    return {"rows": rows}


def _other_rates(outcome, pool, held_out: str) -> dict:
    from drumnet.train import predict_logits

    test = outcome.split.test
    logits = predict_logits(outcome.model, pool.waves[test])
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    pred = probs.argmax(1)
    other_i = CLASSES.index("other")
    is_other = pool.labels[test] == "other"
    row = {
        "held_out": held_out,
        "n_non_drum": int(is_other.sum()),
        "n_drums": int((~is_other).sum()),
        "non_drum_called_other": float((pred[is_other] == other_i).mean()),
        "drums_called_other": float((pred[~is_other] == other_i).mean()),
        "thresholds": {},
    }
    for t in (0.5, 0.7, 0.9):
        confident = probs.max(1) >= t
        row["thresholds"][str(t)] = {
            "non_drum_other_or_unsure": float(((pred == other_i) | ~confident)[is_other].mean()),
            "drums_unsure": float((~confident[~is_other]).mean()),
            "drum_accuracy_when_sure": float(
                (pred[~is_other & confident] == pool.y(CLASSES)[test][~is_other & confident]).mean()
            ),
        }
    return row


def default_model(quick: bool = False) -> dict:
    """The shipped model's own metadata: recipe, data, training time and held-out figures."""
    meta = read_metadata(default_model_path())
    size = default_model_path().stat().st_size
    return {
        "file_mb": round(size / 2**20, 2),
        **{
            k: meta.get(k)
            for k in (
                "model",
                "model_id",
                "trained_at",
                "train_seconds",
                "torch_threads",
                "trained_note",
                "epochs",
                "data",
                "split",
                "metrics",
                "extra_sources",
                "model_config",
                "train_config",
            )
        },
    }


def classify(quick: bool = False) -> dict:
    """Streaming classification speed vs decode-only, re-scan speed, peak memory at 50k."""
    import bench_classify

    with tempfile.TemporaryDirectory(prefix="drumnet-bench-") as tmp:
        return bench_classify.run(
            n_files=1000 if quick else 5000, tmpdir=tmp, large=None if quick else 50_000
        )


def dream(quick: bool = False) -> dict:
    """Dreams with the shipped model (A) from real kit sounds toward other classes; the rate at
    which an independently trained model B (MLP, other seed, same data) also hears the target,
    and seconds per dream."""
    import bench_dream

    from drumnet.classifier import load_model
    from drumnet.dream import DreamConfig

    default = RECIPES["default"]
    pool = load_pool(("hydrogen",), default.extra_sources)
    b_config = replace(default.train, model="mlp", seed=1, epochs=2 if quick else 12)
    everything = make_splits(pool, "none")[0]
    model_b = run_split(pool, CLASSES, everything, b_config, extra_weight=default.extra_weight)
    model_a = load_model()
    rng = np.random.default_rng(0)
    real = np.flatnonzero(~pool.extra)
    picks = rng.choice(real, size=3 if quick else 10, replace=False)
    config = DreamConfig(steps=20 if quick else 120)
    out = bench_dream.run(model_a, model_b.model, [pool.waves[i] for i in picks], None, config)
    for row, i in zip(out["rows"], picks):
        row["input"] = f"{pool.libraries[i]} ({pool.labels[i]})"
    return out


SECTIONS = {
    "data": data,
    "features": features,
    "study": study,
    "taxonomy": taxonomy,
    "ablation": ablation,
    "other": other,
    "default_model": default_model,
    "classify": classify,
    "dream": dream,
}
