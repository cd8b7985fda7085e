"""`drumnet demo` on synthetic kits: the cross-validation's pooled confusion matrices are drawn
whole (issue 23, item 9). The real kits' run is in test_cli_train.py (slow)."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import synth_drum

from drumnet.config import FeatureConfig
from drumnet.runtime import torch_threads
from drumnet.training import demo
from drumnet.training.datasets.default import Gathered
from drumnet.training.datasets.manifest import Sample
from drumnet.training.evaluate import make_report
from drumnet.training.experiments import Pool
from drumnet.training.plots import plot_confusion

KITS, PER_CLASS = 4, 4
CLASSES = {"kick": "kick", "snare": "snare", "tom": "tom", "hihat": "hat"}  # label -> synth


@pytest.fixture
def synthetic_kits(monkeypatch) -> Pool:
    """The demo's data replaced by 4 synthetic kits of 4 kicks, snares, toms and hats each."""
    feats = FeatureConfig()
    rows = [
        (f"kit{k}", label, synth_drum(kind, 100 * k + i, feats.sample_rate, feats.window_seconds))
        for k in range(KITS)
        for label, kind in CLASSES.items()
        for i in range(PER_CLASS)
    ]
    n = len(rows)
    pool = Pool(
        waves=np.stack([w for _, _, w in rows]),
        labels=np.array([label for _, label, _ in rows]),
        libraries=np.array([kit for kit, _, _ in rows]),
        extra=np.zeros(n, bool),
        paths=np.array([f"{kit}/{label}{i}.wav" for i, (kit, label, _) in enumerate(rows)]),
    )
    samples = [Sample(p, lab, lib) for p, lab, lib in zip(pool.paths, pool.labels, pool.libraries)]
    monkeypatch.setattr(demo, "gather", lambda sources: Gathered(samples))
    monkeypatch.setattr(demo, "load_pool", lambda sources: pool)
    return pool


@pytest.mark.slow  # ten small trainings: a minute on two busy cores
def test_demo_draws_the_pooled_cross_validation(synthetic_kits, tmp_path):
    with torch_threads(1):  # ten tiny trainings: a second thread only waits (runtime.solo_threads)
        report = demo.run_demo(tmp_path, epochs=1, log=lambda *a: None).read_text()
    pngs = sorted(p.name for p in tmp_path.glob("*.png"))
    assert pngs == ["study-highway-folds.png", "study-mlp-folds.png"]
    assert all((tmp_path / p).stat().st_size > 10_000 for p in pngs)
    assert "4-fold cross-validation" in report and "kit0" in report
    # Every sound of the kits is in the pooled matrix, tested once.
    assert f"n={KITS * PER_CLASS * 4}" in report and f"n={KITS * PER_CLASS * 2}" in report


def test_confusion_picture_of_every_class_keeps_its_title(tmp_path):
    rng = np.random.default_rng(0)
    classes = ("kick", "snare", "tom", "hihat", "cymbal", "clap", "rim", "perc", "other")
    y = rng.integers(0, len(classes), 900)
    pred = np.where(rng.random(900) < 0.8, y, rng.integers(0, len(classes), 900))
    title = "A long title that would not fit on one line of a figure this size: " * 2
    png = plot_confusion(make_report(y, pred, classes), tmp_path / "cm.png", title=title)
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
