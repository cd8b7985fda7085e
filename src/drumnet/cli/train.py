"""`drumnet train` and `drumnet evaluate`."""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

from drumnet.classifier import load_model
from drumnet.datasets.default import parse_sources
from drumnet.evaluate import format_report, make_report, plot_confusion
from drumnet.experiments import SPLITS, load_pool
from drumnet.recipes import RECIPES, Recipe, train_and_report
from drumnet.taxonomy import CLASSES, parse_classes


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
    classes = parse_classes(args.classes) or recipe.classes
    return replace(recipe, classes=classes, extra_sources=extra, train=train)


def train_command(args: argparse.Namespace) -> int:
    recipe = _recipe(args)
    pool = load_pool(
        parse_sources(args.sources), recipe.extra_sources, args.data, progress=sys.stderr.isatty()
    )
    for line in pool.errors:
        print(f"skipped: {line}", file=sys.stderr)
    present = [c for c in recipe.classes if (pool.labels == c).any()]
    if len(present) < 2:
        raise ValueError(f"need at least two classes with sounds; found {present}")
    recipe = replace(recipe, classes=tuple(present))
    out = Path(
        args.out or f"runs/{recipe.train.model}-{'-'.join(present)}-{args.split}/model.safetensors"
    )
    summary = train_and_report(pool, recipe, args.split, out, final=args.final)
    if "model" in summary:
        print(f"model: {summary['model']} (report, history and confusion.png beside it)")
    return 0


def evaluate_command(args: argparse.Namespace) -> int:
    model = load_model(args.model)
    pool = load_pool(parse_sources(args.sources), (), args.data, features=model.feature_config)
    for line in pool.errors:
        print(f"drumnet evaluate: {line}", file=sys.stderr)
    split_name = f"data={args.data or args.sources or 'hydrogen'}"
    if args.held_out_only:
        held = (model.metadata.get("split") or {}).get("test_libraries") or []
        if not held:
            raise ValueError("this model's file names no held-out test libraries")
        pool = pool.subset(np.isin(pool.libraries, held))
        split_name += f", held-out libraries {', '.join(held)}"
    classes = parse_classes(args.classes, model.classes_) or model.classes_
    pool = pool.select(classes)
    if not len(pool.labels):
        raise ValueError("no labelled sounds of the model's classes in this data")
    probs = model.predict_proba_waves(pool.waves, classes)
    report = make_report(pool.y(classes), probs.argmax(1), tuple(classes), split=split_name)
    print(format_report(report))
    if args.out_dir:
        out = Path(args.out_dir)
        plot_confusion(report, out / "confusion.png")
        (out / "report.json").write_text(json.dumps(report.to_dict(), indent=2))
        print(f"\nwrote {out / 'confusion.png'} and {out / 'report.json'}")
    return 1 if pool.errors else 0  # the report stands, but some sounds were left out


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("train", help="train a model and report it on a held-out split")
    p.add_argument("--preset", choices=sorted(RECIPES), help="a named recipe (default: none)")
    p.add_argument("--model", choices=["mlp", "highway"], help="network (default highway)")
    p.add_argument(
        "--classes", help=f"comma list, or two/four/drums/all (default: {','.join(CLASSES)})"
    )
    p.add_argument("--data", help="a labelled folder or manifest CSV instead of the Hydrogen kits")
    p.add_argument("--sources", help="evaluation sources (default hydrogen)")
    p.add_argument("--extra", help="training-only sources, e.g. lmms,drumsynth,synth,speech")
    p.add_argument("--split", choices=SPLITS, default="library", help="default: library")
    p.add_argument(
        "--final",
        action="store_true",
        help="after measuring on the split, retrain on everything and save that",
    )
    p.add_argument("--epochs", type=int)
    p.add_argument("--patience", type=int)
    p.add_argument(
        "--early-stopping",
        action=argparse.BooleanOptionalAction,
        help="stop when the validation kits stop improving (default: on, off in --preset "
        "default, which trains its whole schedule and lets the validation kits train too)",
    )
    p.add_argument("--batch-size", type=int)
    p.add_argument("--lr", type=float)
    p.add_argument("--seed", type=int)
    p.add_argument("--no-augment", action="store_true")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="model setting override")
    p.add_argument(
        "--out", help="model file (default runs/<model>-<classes>-<split>/model.safetensors)"
    )
    p.set_defaults(func=train_command)

    e = sub.add_parser("evaluate", help="accuracy, per-class F1 and confusion matrix of a model")
    e.add_argument("--model", help="model name or file (default: the shipped ensemble)")
    e.add_argument("--data", help="a labelled folder or manifest CSV (default: Hydrogen kits)")
    e.add_argument("--sources", help="data sources (default hydrogen)")
    e.add_argument("--classes", help="restrict to these classes")
    e.add_argument(
        "--held-out-only",
        action="store_true",
        help="only the libraries the model's own split held out of training",
    )
    e.add_argument("--out-dir", help="write confusion.png and report.json here")
    e.set_defaults(func=evaluate_command)
