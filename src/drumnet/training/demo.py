"""`drumnet demo`: the 2016 study reproduced end to end on the default kits.

Fetch the Hydrogen kits, decode them, train the MLP on kick vs snare and the highway net on
kick / snare / tom / hi-hat, each on the study's random split and by cross-validation over
kits (FOLDS folds: every sound is tested by a net that never heard its kit), then print the
figures beside the study's and write a markdown report with the cross-validation's confusion
matrices (pooled over the folds). The random split's test set is a few dozen sounds: its
figure stands beside the study's, but its matrix is only given as text.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from drumnet.taxonomy import CLASSES
from drumnet.training.config import RECIPES, TrainConfig
from drumnet.training.datasets.default import gather
from drumnet.training.datasets.manifest import count_table
from drumnet.training.evaluate import Report, format_report
from drumnet.training.experiments import Pool, load_pool, make_splits, pooled_report, run_split
from drumnet.training.plots import plot_confusion
from drumnet.training.splits import Split


@dataclass(frozen=True)
class StudyRow:
    title: str
    recipe: str
    study_figure: str  # what the paper reported (random split)


FOLDS = 4  # folds of kits: four trainings per experiment, each on three quarters of the kits
KINDS = {"random": "random split", "folds": f"kits held out, {FOLDS}-fold cross-validation"}

STUDY = (
    StudyRow("MLP, kick vs snare", "study-mlp", "100 %"),
    StudyRow("Highway net, kick/snare/tom/hihat", "study-highway", "98 %"),
)


def run_demo(out_dir: str | Path = "runs/demo", epochs: int | None = None, log=print) -> Path:
    """Run the study's two experiments, on the random split and by cross-validation over kits;
    returns the report's path."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    found = gather(("hydrogen",))
    log(
        f"default library: {len(found.samples)} labelled samples from "
        f"{len({s.library for s in found.samples})} Hydrogen kits\n"
    )
    log(count_table(found.samples, CLASSES[:-1]) + "\n")
    pool = load_pool(("hydrogen",))
    rows, sections = [], []
    for study in STUDY:
        recipe = RECIPES[study.recipe]
        train = replace(recipe.train, epochs=epochs) if epochs else recipe.train
        sub = pool.select(recipe.classes)
        figures = {}
        for kind, name in KINDS.items():
            splits = make_splits(sub, kind, seed=train.seed, folds=FOLDS)
            report, seconds = _measure(sub, recipe.classes, splits, train)
            figures[kind] = report
            log(
                f"{study.title}, {name}: accuracy {report.accuracy:.4f} "
                f"(n={sum(report.support)}, {seconds:.0f} s)"
            )
            sections.append(_section(study, kind, splits, report, out))
        rows.append((study, figures))
    table = _table(rows)
    log("\n" + table)
    report_path = out / "report.md"
    report_path.write_text(_markdown(table, sections, time.monotonic() - started))
    log(f"\nreport: {report_path}")
    return report_path


def _measure(
    pool: Pool, classes: tuple[str, ...], splits: list[Split], train: TrainConfig
) -> tuple[Report, float]:
    """Train and test on each split; the report pooled over their test sounds, and seconds."""
    started = time.monotonic()
    outcomes = [run_split(pool, classes, split, train) for split in splits]
    report = outcomes[0].report if len(outcomes) == 1 else pooled_report(outcomes, pool, classes)
    return report, time.monotonic() - started


def _section(study: StudyRow, kind: str, splits: list[Split], report: Report, out: Path) -> str:
    """The report's part for one experiment and split: sizes, figures, matrix (a picture for
    the cross-validation, whose test set is every sound)."""
    head = f"### {study.title} — {KINDS[kind]}\n\n"
    if kind == "random":
        split = splits[0]
        sizes = f"Train {len(split.train)}, validation {len(split.val)}, test {len(split.test)}."
        return f"{head}{sizes}\n\n```\n{format_report(report)}\n```\n"
    kits = "; ".join(", ".join(s.test_libraries) for s in splits)
    title = f"{study.title}: {KINDS[kind]}, pooled over the folds"
    png = plot_confusion(report, out / f"{study.recipe}-{kind}.png", title=title)
    return (
        f"{head}Kits tested per fold: {kits}.\n\n"
        f"```\n{format_report(report)}\n```\n\n![confusion]({png.name})\n"
    )


def _table(rows) -> str:
    head = (
        f"| experiment | study (random split) | drumnet, random split | drumnet, {KINDS['folds']} |"
    )
    lines = [head, "|---|---|---|---|"]
    for study, fig in rows:
        lines.append(
            f"| {study.title} | {study.study_figure} | {fig['random'].accuracy:.1%} "
            f"| {fig['folds'].accuracy:.1%} |"
        )
    return "\n".join(lines)


def _markdown(table: str, sections: list[str], seconds: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"# drumnet demo: the 2016 study on the Hydrogen kits\n\n{when}, {seconds:.0f} s.\n\n"
        "Accuracy on the sounds each net did not train on. The random split shuffles every "
        "sample of every kit (as the study did), so its test set shares kits with training and "
        "holds a few dozen sounds (one error moves the figure by several points). The "
        f"cross-validation deals the kits into {FOLDS} folds and trains {FOLDS} nets, each "
        "tested on the kits it never heard: every sound is tested once, which is the honest "
        "figure for new libraries, and the matrices below pool the folds' answers. "
        "BENCHMARKS.md has leave-one-kit-out cross-validation of the shipped recipe.\n\n"
        f"{table}\n\n" + "\n".join(sections)
    )
