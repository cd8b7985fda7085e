"""`drumnet train` and `drumnet evaluate`."""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from drumnet.cli.args import batch_size, positive_float, positive_int, seed
from drumnet.cli.outputs import check_output, say
from drumnet.errors import ModelFileError
from drumnet.taxonomy import CLASSES, parse_classes
from drumnet.training.config import CROSS_VALIDATION
from drumnet.words import plural

if TYPE_CHECKING:
    from drumnet.config import FeatureConfig
    from drumnet.training.config import Recipe, TrainConfig
    from drumnet.training.experiments import Pool


def _overrides(pairs: list[str]) -> dict:
    """['channels=[8,16]', 'dropout=0.2'] -> {'channels': [8, 16], 'dropout': 0.2}."""
    out = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise ValueError(f"--set takes KEY=VALUE, got {pair!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value
    return out


def _recipe(args: argparse.Namespace) -> Recipe:
    from drumnet.training.config import RECIPES, Recipe
    from drumnet.training.datasets.sources import parse_sources

    recipe = RECIPES[args.preset] if args.preset else Recipe()
    train = recipe.train
    changes = {
        "model": args.model,
        "epochs": args.epochs,
        "patience": args.patience,
        "early_stopping": args.early_stopping,
        "batch_size": args.batch_size,
        "lr": args.lr,
        "seed": args.seed,
    }
    train = replace(train, **{k: v for k, v in changes.items() if v is not None})
    if args.no_augment:
        train = replace(train, augment=False)
    if args.set:
        train = replace(train, model_overrides={**train.model_overrides, **_overrides(args.set)})
    extra = parse_sources(args.extra) if args.extra else recipe.extra_sources
    sources = parse_sources(args.sources) if args.sources else recipe.sources
    classes = parse_classes(args.classes) or recipe.classes
    features = recipe.features
    if args.window is not None:
        features = replace(features, window_seconds=args.window)
        features.check()  # ValueError: one line
    _check_model_settings(train, classes, features)
    return replace(
        recipe,
        classes=classes,
        sources=sources,
        extra_sources=extra,
        train=train,
        features=features,
    )


def _check_model_settings(
    train: TrainConfig, classes: tuple[str, ...], features: FeatureConfig
) -> None:
    """Build the network and run it on a batch of silence, so that a --set it cannot take
    fails now, with one line, rather than as a traceback once the data is decoded."""
    import torch

    from drumnet.nets import build_model

    try:
        net = build_model(train.model, classes, features, train.model_overrides)
        net(torch.zeros(2, net.features.n_samples))
    except (TypeError, RuntimeError, IndexError) as exc:
        raise ValueError(
            f"--set: the {train.model} net cannot be built with these settings ({exc})"
        ) from None


def _model_file(path: Path) -> None:
    """--out names the model file; checking its suffix keeps it off every other file."""
    if path.suffix != ".safetensors":
        raise ValueError(f"{path}: --out names the model file, which must end in .safetensors")


def _new_run_path(recipe: Recipe, split: str) -> Path:
    """runs/<model>-<classes>-<split>/model.safetensors, in a folder no earlier run used
    (-2, -3... appended), so a run never replaces another's model and reports."""
    base = f"runs/{recipe.train.model}-{'-'.join(recipe.classes)}-{split}"
    folder, n = Path(base), 1
    while os.path.lexists(folder):
        n += 1
        folder = Path(f"{base}-{n}")
    return folder / "model.safetensors"


def _check_run_files(files: list[Path], overwrite: bool) -> None:
    """Every file the run will write must be new (or --overwrite): checked before training."""
    for path in files:
        fmt = _model_file if path.suffix == ".safetensors" else lambda p: None
        check_output(path, fmt, [], overwrite, "choose another --out", make_folder=True)


def _classes_with_sounds(recipe: Recipe, pool: Pool, named: bool) -> tuple[Recipe, Pool]:
    """The recipe and the pool restricted to the classes that have sounds; one warning per
    class left out when the user `named` the classes."""
    present = tuple(c for c in recipe.classes if (pool.labels == c).any())
    if named:
        for c in recipe.classes:
            if c not in present:
                print(
                    f"warning: {c}: no sounds of this class in the data; trained without it",
                    file=sys.stderr,
                )
    if len(present) < 2:
        raise ValueError(f"need at least two classes with sounds; found {list(present)}")
    return replace(recipe, classes=present), pool.select(present)


def _say_written(summary: dict, split: str) -> None:
    """Name the model (or say there is none) and the reports beside it."""
    files = [Path(f) for f in summary["files"]]
    names = ", ".join(f.name for f in files if f.suffix != ".safetensors")
    if "model" in summary:
        say(f"model: {summary['model']} (beside it: {names})")
    else:
        say(f"no model written: {split} trains one per fold and keeps none")
        say(f"reports in {files[0].parent}: {names}")


def train_command(args: argparse.Namespace) -> int:
    """Train in this process, or as one rank of several (torchrun, or --nproc: launched here)."""
    from drumnet.training.distributed import from_environment, process_group

    ranks = from_environment()  # set by torchrun, or by `launch` for --nproc
    if ranks is None and args.nproc > 1:
        return _launch(args)
    if ranks is not None and ranks.distributed:
        with process_group(ranks):
            return _train(args)
    return _train(args)


def _launch(args: argparse.Namespace) -> int:
    """`--nproc N`: the settings and --out checked once, here, then N ranks train."""
    from drumnet.training.distributed import launch

    _recipe(args)  # a usage error is one line, before any process starts
    if args.out and args.split not in CROSS_VALIDATION:
        check_output(Path(args.out), _model_file, [], args.overwrite, "choose another --out", True)
    return launch(run_rank, args, args.nproc)


def run_rank(args: argparse.Namespace) -> int:
    """One rank of `train --nproc`: train_command, its errors one line (from rank 0) and
    exit status 2, as `drumnet.cli.main` has them."""
    try:
        return train_command(args)
    except (ValueError, FileNotFoundError, ModelFileError) as exc:
        if os.environ.get("RANK", "0") == "0":
            print(f"drumnet train: error: {exc}", file=sys.stderr)
        return 2


def _train(args: argparse.Namespace) -> int:
    from drumnet.training.experiments import load_pool, make_splits
    from drumnet.training.recipes import class_gaps, run_files, train_and_report

    recipe = _recipe(args)
    cross = args.split in CROSS_VALIDATION
    if cross and args.final:
        raise ValueError(
            f"--final refits one measured model on everything; --split {args.split} keeps no "
            "model (use --split library --final)"
        )
    if args.out:  # before any work; cross-validation writes no model, so none is replaced
        out = Path(args.out)
        check_output(out, _model_file, [], args.overwrite or cross, "choose another --out", True)
    pool = load_pool(
        recipe.sources,
        recipe.extra_sources,
        args.data,
        features=recipe.features,
        progress=sys.stderr.isatty(),
    )
    for line in pool.errors + pool.extra_errors:
        print(f"skipped: {line}", file=sys.stderr)
    recipe, pool = _classes_with_sounds(recipe, pool, named=bool(args.classes))
    splits = make_splits(pool, args.split, seed=args.split_seed)
    out = Path(args.out) if args.out else _new_run_path(recipe, args.split)
    _check_run_files(run_files(out, args.split, splits), args.overwrite)
    for line in class_gaps(pool, recipe.classes, splits, not recipe.train.early_stopping):
        print(f"warning: {line}", file=sys.stderr)
    summary = train_and_report(
        pool, recipe, args.split, out, final=args.final, splits=splits, log=say
    )
    _say_written(summary, args.split)
    return 1 if pool.errors else 0  # the model stands, but some of the data was left out


def _check_report_dir(folder: Path, overwrite: bool) -> list[Path]:
    """report.json and confusion.png in `folder`, checked before any work; returns them."""
    files = [folder / "report.json", folder / "confusion.png"]
    for path in files:
        check_output(path, lambda p: None, [], overwrite, "choose another --out-dir", True)
    return files


def _left_out(pool: Pool, classes: tuple[str, ...]) -> str | None:
    """A line naming the labelled sounds of classes the model does not know, if any."""
    import numpy as np

    names, counts = np.unique(pool.labels[~np.isin(pool.labels, classes)], return_counts=True)
    if not len(names):
        return None
    each = ", ".join(f"{c} {n}" for c, n in zip(names, counts))
    left_out = plural(int(counts.sum()), "file")
    return f"left out {left_out} of classes the model does not know ({each})"


def _heard(meta: dict) -> set[str]:
    """The libraries a model file (or every member of an ensemble) trained on."""
    metas = meta.get("members") or [meta]
    return {lib for m in metas for lib in ((m.get("data") or {}).get("libraries") or [])}


def evaluate_command(args: argparse.Namespace) -> int:
    import numpy as np

    from drumnet.inference.classifier import load_model
    from drumnet.training.datasets.sources import parse_sources
    from drumnet.training.evaluate import format_report, make_report
    from drumnet.training.experiments import load_pool
    from drumnet.training.plots import plot_confusion
    from drumnet.training.recipes import held_out_libraries

    out_files = _check_report_dir(Path(args.out_dir), args.overwrite) if args.out_dir else []
    model = load_model(args.model)
    held = held_out_libraries(model.metadata) if args.held_out_only else None
    pool = load_pool(parse_sources(args.sources), (), args.data, features=model.feature_config)
    for line in pool.errors:
        print(f"drumnet evaluate: {line}", file=sys.stderr)
    split_name = f"data={args.data or args.sources or 'hydrogen'}"
    if held is not None:
        pool = pool.subset(np.isin(pool.libraries, held))
        if not len(pool.labels):
            raise ValueError(
                f"none of the libraries this model's split held out ({', '.join(held)}) is "
                "in this data"
            )
        split_name += f", held-out libraries {', '.join(held)}"
    left_out = _left_out(pool, model.classes_)
    if left_out:
        print(f"drumnet evaluate: {left_out}", file=sys.stderr)
    classes = parse_classes(args.classes, model.classes_) or model.classes_
    pool = pool.select(classes)
    if not len(pool.labels):
        raise ValueError("no labelled sounds of the model's classes in this data")
    heard = sorted(set(pool.libraries[~pool.extra].tolist()) & _heard(model.metadata))
    if heard and held is None:
        n = int(np.isin(pool.libraries, heard).sum())
        print(
            f"drumnet evaluate: warning: the model trained on {n} of these {len(pool.labels)} "
            f"sounds (of its libraries {', '.join(heard[:3])}{', ...' if len(heard) > 3 else ''})"
            ", so this measures what it learnt, not how it hears sounds it never heard",
            file=sys.stderr,
        )
    probs = model.predict_proba_waves(pool.waves, classes)
    report = make_report(pool.y(classes), probs.argmax(1), tuple(classes), split=split_name)
    print(format_report(report))
    if out_files:
        report_json, png = out_files
        plot_confusion(report, png)
        report_json.write_text(json.dumps(report.to_dict(), indent=2))
        print(f"\nwrote {png} and {report_json}")
    return 1 if pool.errors else 0  # the report stands, but some sounds were left out


def register(sub: argparse._SubParsersAction) -> None:
    from drumnet.training.config import RECIPES, SPLITS

    p = sub.add_parser("train", help="train a model and report it on a held-out split")
    p.add_argument("--preset", choices=sorted(RECIPES), help="a named recipe (default: none)")
    p.add_argument("--model", choices=["mlp", "highway"], help="network (default highway)")
    p.add_argument(
        "--classes", help=f"comma list, or two/four/drums/all (default: {','.join(CLASSES)})"
    )
    p.add_argument("--data", help="a labelled folder or manifest CSV instead of the Hydrogen kits")
    p.add_argument("--sources", help="evaluation sources (default: the preset's, else hydrogen)")
    p.add_argument("--extra", help="training-only sources, e.g. lmms,drumsynth,synth,speech")
    p.add_argument(
        "--split",
        choices=SPLITS,
        default="library",
        help="library (default): whole libraries held out, needs 3 or more; random: the "
        "study's shuffled split; loo, folds: cross-validation by library, one model per fold "
        "and none kept; source: the same by data source, each source's libraries held out "
        "together (needs two --sources or more); none: everything trains, nothing is tested",
    )
    p.add_argument(
        "--final",
        action="store_true",
        help="after measuring on the split, retrain on everything and save that "
        "(nothing is held out of its training then)",
    )
    p.add_argument("--epochs", type=positive_int, help="at least 1")
    p.add_argument("--patience", type=positive_int, help="at least 1")
    p.add_argument(
        "--early-stopping",
        action=argparse.BooleanOptionalAction,
        help="stop when the validation kits stop improving (default: on, off in --preset "
        "default, which trains its whole schedule and lets the validation kits train too)",
    )
    p.add_argument("--batch-size", type=batch_size, help="at least 2")
    p.add_argument("--lr", type=positive_float, help="Adam's learning rate, above 0")
    p.add_argument("--seed", type=seed, help="the training's seed, 0 to 2**32-1")
    p.add_argument(
        "--split-seed",
        type=seed,
        default=0,
        help="the split's seed (default 0): runs of different --seed test the same sounds",
    )
    p.add_argument("--no-augment", action="store_true")
    p.add_argument(
        "--window",
        type=positive_float,
        metavar="SECONDS",
        help="the analysis window every sound is cut to (default: the preset's; 2 s hears a "
        "hat's or a cymbal's decay); the model file keeps it",
    )
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="model setting override")
    p.add_argument(
        "--nproc",
        type=positive_int,
        default=1,
        metavar="N",
        help="train data-parallel in N processes on this machine (torch.distributed; each "
        "takes every Nth batch, so --batch-size is per process); for several machines run "
        "the command under torchrun instead (docs/scale.md)",
    )
    p.add_argument(
        "--out",
        help="model file, ending in .safetensors; its reports (summary.json, history.csv, "
        "history-<split>.jsonl, confusion.png) go beside it (default: "
        "runs/<model>-<classes>-<split>/model.safetensors, in a new folder each run: -2, -3...)",
    )
    p.add_argument(
        "--overwrite",
        action="store_true",
        help="replace an existing --out model file and the reports beside it",
    )
    p.set_defaults(func=train_command)

    e = sub.add_parser("evaluate", help="accuracy, per-class F1 and confusion matrix of a model")
    e.add_argument("--model", help="model name or file (default: the shipped net)")
    e.add_argument("--data", help="a labelled folder or manifest CSV (default: Hydrogen kits)")
    e.add_argument("--sources", help="data sources (default hydrogen)")
    e.add_argument("--classes", help="restrict to these classes")
    e.add_argument(
        "--held-out-only",
        action="store_true",
        help="only the libraries the model's own split held out of training (refused for "
        "a model refitted on everything with train --final, as the shipped ones are)",
    )
    e.add_argument("--out-dir", help="write confusion.png and report.json here")
    e.add_argument(
        "--overwrite", action="store_true", help="replace report.json and confusion.png there"
    )
    e.set_defaults(func=evaluate_command)
