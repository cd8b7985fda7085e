"""Metrics agree with hand-counted values; the confusion PNG is written."""

from __future__ import annotations

import numpy as np

from drumnet.training.evaluate import format_report, make_report
from drumnet.training.plots import plot_confusion


def test_report_matches_hand_counts(tmp_path):
    y = np.array([0, 0, 0, 1, 1, 2])
    p = np.array([0, 0, 1, 1, 1, 0])
    r = make_report(y, p, ("kick", "snare", "hihat"), split="library")
    assert r.accuracy == 4 / 6
    assert r.confusion.tolist() == [[2, 1, 0], [0, 2, 0], [1, 0, 0]]
    assert np.isclose(r.recall[0], 2 / 3) and np.isclose(r.precision[1], 2 / 3)
    assert np.isclose(r.macro_f1, np.mean([2 / 3, 0.8, 0.0]))
    text = format_report(r)
    assert "split: library" in text and "hihat" in text
    png = plot_confusion(r, tmp_path / "cm.png")
    assert png.read_bytes()[:4] == b"\x89PNG"
