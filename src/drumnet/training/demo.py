"""`drumnet demo`: the 2016 study reproduced end to end on the default kits.

Fetch the Hydrogen kits, decode them, train the MLP on kick vs snare and the highway net on
kick / snare / tom / hi-hat, each on the study's random split and on a split by library, then
print the figures beside the study's and write a markdown report with confusion matrices.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from drumnet.taxonomy import CLASSES
from drumnet.training.config import RECIPES
from drumnet.training.datasets.default import gather
from drumnet.training.datasets.manifest import count_table
from drumnet.training.evaluate import format_report, plot_confusion
from drumnet.training.experiments import load_pool, make_splits, run_split


@dataclass(frozen=True)
class StudyRow:
    title: str
    recipe: str
    study_figure: str  # what the paper reported (random split)


STUDY = (
    StudyRow("MLP, kick vs snare", "study-mlp", "100 %"),
    StudyRow("Highway net, kick/snare/tom/hihat", "study-highway", "98 %"),
)


def run_demo(out_dir: str | Path = "runs/demo", epochs: int | None = None, log=print) -> Path:
    """Run the study's two experiments on both splits; returns the report's path."""
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
        for kind in ("random", "library"):
            split = make_splits(sub, kind, seed=train.seed)[0]
            outcome = run_split(sub, recipe.classes, split, train)
            report = outcome.report
            png = plot_confusion(
                report, out / f"{study.recipe}-{kind}.png", title=f"{study.title} ({kind} split)"
            )
            figures[kind] = report
            log(
                f"{study.title}, {kind} split: accuracy {report.accuracy:.4f} "
                f"(n={sum(report.support)}, {outcome.seconds:.0f} s)"
            )
            held = (
                f"; held-out kits: {', '.join(split.test_libraries)}"
                if split.test_libraries
                else ""
            )
            sections.append(
                f"### {study.title} — {kind} split\n\nTrain {len(split.train)}, "
                f"validation {len(split.val)}, test {len(split.test)}{held}.\n\n"
                f"```\n{format_report(report)}\n```\n\n![confusion]({png.name})\n"
            )
        rows.append((study, figures))
    table = _table(rows)
    log("\n" + table)
    report_path = out / "report.md"
    report_path.write_text(_markdown(table, sections, time.monotonic() - started))
    log(f"\nreport: {report_path}")
    return report_path


def _table(rows) -> str:
    head = (
        "| experiment | study (random split) | drumnet, random split | drumnet, split by library |"
    )
    lines = [head, "|---|---|---|---|"]
    for study, fig in rows:
        lines.append(
            f"| {study.title} | {study.study_figure} | {fig['random'].accuracy:.1%} "
            f"| {fig['library'].accuracy:.1%} |"
        )
    return "\n".join(lines)


def _markdown(table: str, sections: list[str], seconds: float) -> str:
    when = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return (
        f"# drumnet demo: the 2016 study on the Hydrogen kits\n\n{when}, {seconds:.0f} s.\n\n"
        "Accuracy on the test part of each split. The random split shuffles every sample of "
        "every kit (as the study did), so the test set shares kits with training; the split by "
        "library holds whole kits out, which is the honest figure for new libraries. The test "
        "sets are small (tens of sounds: one error moves a figure by several points); "
        "BENCHMARKS.md has leave-one-kit-out cross-validation over every kit.\n\n"
        f"{table}\n\n" + "\n".join(sections)
    )
