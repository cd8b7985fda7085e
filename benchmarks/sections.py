"""The benchmark sections behind `make bench`; each returns JSON-friendly figures."""

from __future__ import annotations

import functools
import multiprocessing
import os
import tempfile
from concurrent.futures import ProcessPoolExecutor
from dataclasses import replace

import bench_accuracy as acc
import numpy as np
import sections_new
import torch

from drumnet.nets.checkpoint import default_model_path, read_metadata, resolve_model_path
from drumnet.nets.ensemble import MEMBERS
from drumnet.taxonomy import CLASSES, DRUM_CLASSES, STUDY_FOUR, STUDY_TWO
from drumnet.training.config import RECIPES, TrainConfig
from drumnet.training.datasets.default import gather
from drumnet.training.experiments import load_pool, make_splits, run_split

EXTRAS = RECIPES["hydrogen"].extra_sources
ENSEMBLE_SEEDS = (0, 1, 2, 3, 4)  # the shipped ensemble: default, default-seed1..4


def _epochs(config: TrainConfig, quick: bool) -> TrainConfig:
    return replace(config, epochs=3, patience=3) if quick else config


def data(quick: bool = False) -> dict:
    """Samples per source and class, and what each source left out."""
    out = {}
    for name in ("hydrogen",) + EXTRAS + TEST_ONLY:
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


@functools.cache
def _taxonomy_pool():
    """The taxonomy's data, read from the tensor cache once per worker process."""
    return load_pool(("hydrogen",), EXTRAS)


def _taxonomy_run(trainer: TrainConfig | str) -> acc.Measured:
    """One trainer on the taxonomy's 4 folds by kit (a worker process, one torch thread)."""
    torch.set_num_threads(1)
    return acc.measure(
        _taxonomy_pool(), CLASSES, "folds", trainer, extra_weight=RECIPES["hydrogen"].extra_weight
    )


def taxonomy(quick: bool = False) -> dict:
    """The default recipe (all extra sources, full taxonomy) on 4 folds of held-out kits, with
    the study's two- and four-class decisions read off the same predictions; the shipped
    ensemble (the recipe with seeds 0-4, probabilities averaged); networks vs baselines
    trained on the same data. The runs share out over the CPU cores, one process each."""
    load_pool(("hydrogen",), EXTRAS)  # decode once, before the workers read the cache
    highway = _epochs(RECIPES["hydrogen"].train, quick)
    trainers = [replace(highway, seed=seed) for seed in ENSEMBLE_SEEDS]
    trainers += [replace(highway, model="mlp"), *acc.BASELINES]
    workers = max(1, min(len(trainers), os.cpu_count() or 1))
    context = multiprocessing.get_context("spawn")  # never fork a process that holds torch
    with ProcessPoolExecutor(workers, mp_context=context) as pool:
        runs = list(pool.map(_taxonomy_run, trainers))
    seeds = runs[: len(ENSEMBLE_SEEDS)]
    measured = [
        ("highway", seeds[0]),
        (f"highway, ensemble of seeds {', '.join(map(str, ENSEMBLE_SEEDS))}", acc.ensemble(seeds)),
        ("mlp", runs[len(ENSEMBLE_SEEDS)]),
        *zip(acc.BASELINES, runs[len(ENSEMBLE_SEEDS) + 1 :]),
    ]
    rows = []
    for name, m in measured:
        rows.append(
            {
                "model": name,
                **m.row(),
                "per_class_f1": dict(zip(m.report.classes, (round(f, 4) for f in m.report.f1))),
                "confusion": m.report.confusion.tolist(),
                "two": m.restricted(STUDY_TWO),
                "four": m.restricted(STUDY_FOUR),
                "drums": m.restricted(DRUM_CLASSES),
            }
        )
    single = [s.restricted(DRUM_CLASSES)["macro_f1"] for s in seeds]
    shipped = measured[1][1]  # the ensemble, as every command uses it by default
    return {
        "rows": rows,
        "single_seed_drums_macro_f1": single,
        "confidence": {
            measured[1][0]: acc.confidence(shipped),
            measured[0][0]: acc.confidence(seeds[0]),
        },
        "errors": acc.errors_by_group(shipped),
    }


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
    default = RECIPES["hydrogen"]
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


# Non-drum libraries kept out of training one at a time, with the source that holds each:
# speech, LMMS's instruments, and the Hydrogen effects kit's guitar strums (a sharp attack, the
# nearest thing to a drum hit), which the default recipe does not train on at all.
OTHER_HELD_OUT = {
    "espeak-ng": "speech",
    "lmms-instruments": "lmms",
    "belofilms_GuitarStrums": "effects",
}
# The sources of those libraries that the recipe does not train on: loaded only to be tested.
TEST_ONLY = tuple(dict.fromkeys(s for s in OTHER_HELD_OUT.values() if s not in EXTRAS))


def other(quick: bool = False) -> dict:
    """How the `other` answer behaves: non-drum material the model never heard (each library of
    OTHER_HELD_OUT kept out of training in turn) and real drums wrongly called `other`, with
    the unsure rate at several confidence thresholds."""
    default = RECIPES["hydrogen"]
    config = _epochs(default.train, quick)
    pool = load_pool(("hydrogen",), EXTRAS + TEST_ONLY)
    unheard = [library for library, source in OTHER_HELD_OUT.items() if source in TEST_ONLY]
    never = np.isin(pool.libraries, unheard)
    rows = []
    for held_out in OTHER_HELD_OUT:
        drums = make_splits(pool, "library", seed=0)[0]
        keep_out = pool.libraries == held_out
        train = np.setdiff1d(drums.train, np.flatnonzero(keep_out | never))
        test = np.union1d(drums.test, np.flatnonzero(keep_out))
        split = replace(drums, train=train, test=test, kind=f"library + {held_out} held out")
        outcome = run_split(pool, CLASSES, split, config, extra_weight=default.extra_weight)
        rows.append(_other_rates(outcome, pool, held_out))
    return {"rows": rows, "shipped": _shipped_on_unheard(pool, unheard)}


def _shipped_on_unheard(pool, libraries: list[str]) -> list[dict]:
    """The shipped ensemble on each non-drum library that none of its nets trained on."""
    from drumnet.inference.classifier import load_model

    shipped = load_model()
    out = []
    for library in libraries:
        probs = shipped.predict_proba_waves(pool.waves[pool.libraries == library])
        other = probs.argmax(1) == shipped.classes_.index("other")
        out.append(
            {
                "library": library,
                "model": shipped.model_id,
                "n": len(probs),
                "called_other": float(other.mean()),
                "other_or_unsure_0.7": float((other | (probs.max(1) < 0.7)).mean()),
            }
        )
    return out


def _other_rates(outcome, pool, held_out: str) -> dict:
    from drumnet.training.train import predict_logits

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
                "feature_config",
            )
        },
        "seed_models": [_seed_model(name) for name in MEMBERS[1:]],
    }


def _seed_model(name: str) -> dict:
    """Training time and held-out figures of one more member of the shipped ensemble."""
    meta = read_metadata(resolve_model_path(name))
    metrics = meta.get("metrics") or {}
    return {
        "name": name,
        "model_id": meta.get("model_id"),
        "train_seconds": meta.get("train_seconds"),
        "epochs": meta.get("epochs"),
        "torch_threads": meta.get("torch_threads"),
        "seed": (meta.get("train_config") or {}).get("seed"),
        "accuracy": metrics.get("accuracy"),
        "macro_f1": metrics.get("macro_f1"),
    }


def classify(quick: bool = False) -> dict:
    """Streaming classification speed vs decode-only, re-scan speed, peak memory at 50k."""
    import bench_classify

    with tempfile.TemporaryDirectory(prefix="drumnet-bench-") as tmp:
        return bench_classify.run(
            n_files=1000 if quick else 5000, tmpdir=tmp, large=None if quick else 50_000
        )


def similar(quick: bool = False) -> dict:
    """Search by sound: precision@1 and @5 on synthesised sounds of a seed no model trained on
    (shipped model, shipped ensemble, descriptor baseline); embedding and search speed."""
    import bench_similar

    with tempfile.TemporaryDirectory(prefix="drumnet-bench-") as tmp:
        return bench_similar.run(
            per_class=10 if quick else 40, n_files=300 if quick else 2000, tmpdir=tmp
        )


def similar_kits(quick: bool = False) -> dict:
    """Search by sound on real kits no model heard: precision@1 and @5 on the Hydrogen kits,
    each fold of kits embedded by nets of the shipped recipe trained without it (4 folds): the
    first seed's net alone, and the five seeds' ensemble as shipped."""
    import bench_similar

    return bench_similar.unheard_kits(
        folds=4, seeds=(0, 1) if quick else ENSEMBLE_SEEDS, epochs=1 if quick else None
    )


def loops(quick: bool = False) -> dict:
    """One-shots taken for loops (kits, LMMS drums, synthesiser) and loops found (LMMS's
    drum loops, beats built from the kits' one-shots); what the shipped model answers."""
    import bench_loops

    with tempfile.TemporaryDirectory(prefix="drumnet-bench-") as tmp:
        return bench_loops.run(
            per_class=20 if quick else 200, patterns=20 if quick else 200, tmpdir=tmp
        )


def robustness(quick: bool = False) -> dict:
    """The shipped ensemble's answers on the kits' sounds changed the ways libraries differ
    (DC offset, level, rate, bit depth, MP3, leading silence, clipping, polarity, cancelling
    stereo), against its answers on the files as they are."""
    import bench_robustness

    with tempfile.TemporaryDirectory(prefix="drumnet-bench-") as tmp:
        return bench_robustness.run(tmp, limit=60 if quick else None)


DREAM_VARIANTS = (
    # (name, dreaming models, DreamConfig changes)
    ("shipped model alone, shift/gain/noise variants", ("default",), {"library_eot": False}),
    ("shipped model alone, + training augmentation as variants", ("default",), {}),
    ("dreaming ensemble (3 highway nets), + training augmentation (the default)", None, {}),
)


def dream(quick: bool = False) -> dict:
    """Dreams from real kit sounds toward other classes, by the shipped model alone and by the
    shipped dreaming ensemble; the rate at which an independently trained model B (MLP, other
    seed, same data, never used for dreaming) also hears the target, and seconds per dream."""
    import bench_dream

    from drumnet.generate.config import DreamConfig
    from drumnet.generate.dream import dream_ensemble
    from drumnet.inference.classifier import load_model

    default = RECIPES["default"]  # model B hears what the shipped nets heard
    pool = load_pool(default.sources, default.extra_sources)
    b_config = replace(default.train, model="mlp", seed=1, epochs=2 if quick else 12)
    everything = make_splits(pool, "none")[0]
    model_b = run_split(pool, CLASSES, everything, b_config, extra_weight=default.extra_weight)
    rng = np.random.default_rng(0)
    real = np.flatnonzero(~pool.extra & (pool.sources == "hydrogen"))
    picks = rng.choice(real, size=3 if quick else 30, replace=False)
    waves = [pool.waves[i] for i in picks]
    # The same target per input in every variant: a class other than the shipped model's answer.
    targets = bench_dream._default_targets(load_model("default").model_, waves)
    variants = []
    for name, members, changes in DREAM_VARIANTS:
        models = [load_model(m) for m in members] if members else dream_ensemble()
        config = replace(DreamConfig(steps=20 if quick else 120), **changes)
        out = bench_dream.run(models, model_b.model, waves, targets, config)
        for row, i in zip(out["rows"], picks):
            row["input"] = f"{pool.libraries[i]} ({pool.labels[i]})"
        out["variant"] = name
        out["models"] = [m.model_id for m in models]
        variants.append(out)
    return {"variants": variants}


def startup(quick: bool = False) -> dict:
    """Wall times of a fresh `drumnet` process: --help, usage errors, one-file classify."""
    import bench_startup

    return bench_startup.run(repeats=3)


def dream_busy(quick: bool = False) -> dict:
    """Seconds per dream (the shipped dreaming ensemble, a noise start toward snare) with one
    core kept busy by a spinning process and without, by thread choice (bench_dream.busy_core)."""
    import bench_dream

    from drumnet.generate.dream import DreamConfig, as_models, dream_ensemble, start_sound

    models = dream_ensemble()
    feats = as_models(models)[0].features
    wave = start_sound("noise", feats.n_samples, feats.sample_rate, seed=0)
    # 60 steps, one dream per setting: torch's default threads on a busy core take minutes
    config = DreamConfig(steps=20 if quick else 60)
    return bench_dream.busy_core(models, wave, "snare", config, repeats=1)


SECTIONS = {
    "data": data,
    "features": features,
    "study": study,
    "taxonomy": taxonomy,
    "ablation": ablation,
    "other": other,
    "default_model": default_model,
    "classify": classify,
    "loops": loops,
    "robustness": robustness,
    "similar": similar,
    "similar_kits": similar_kits,
    "dream": dream,
    "startup": startup,
    "window": sections_new.window,
    "hats": sections_new.hats,
    "sources": sections_new.sources,
    "adapt": sections_new.adapt,
    "browser": sections_new.browser,
    "scale": sections_new.scale,
    "dream_busy": dream_busy,
}
