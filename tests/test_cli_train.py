"""`drumnet train`, `evaluate` and `demo` end to end on the real Hydrogen kits."""

from __future__ import annotations

import json

import pytest

from drumnet.cli import main
from drumnet.nets.checkpoint import read_metadata

pytestmark = [pytest.mark.slow, pytest.mark.hydrogen]


def test_train_then_evaluate_kick_vs_snare_on_held_out_kits(hydrogen_kits, tmp_path, capsys):
    out = tmp_path / "run" / "model.safetensors"
    args = ["train", "--model", "mlp", "--classes", "kick,snare", "--split", "library"]
    assert main(args + ["--epochs", "8", "--seed", "0", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "split: library" in printed
    meta = read_metadata(out)
    assert meta["classes"] == ["kick", "snare"]
    assert meta["split"]["kind"] == "library" and meta["split"]["test_libraries"]
    assert meta["metrics"]["accuracy"] >= 0.9
    held_out = set(meta["split"]["test_libraries"])
    assert not held_out & set(meta["data"]["libraries"]) - held_out
    assert (out.parent / "history.csv").read_text().count("\n") >= 2
    assert (out.parent / "confusion.png").read_bytes()[:4] == b"\x89PNG"

    report_dir = tmp_path / "eval"
    code = main(["evaluate", "--model", str(out), "--held-out-only", "--out-dir", str(report_dir)])
    assert code == 0
    report = json.loads((report_dir / "report.json").read_text())
    assert report["accuracy"] == pytest.approx(meta["metrics"]["accuracy"], abs=1e-4)
    assert (report_dir / "confusion.png").exists()


def test_train_rejects_unknown_classes(capsys):
    assert main(["train", "--classes", "kick,banjo"]) == 2
    assert "banjo" in capsys.readouterr().err


def test_demo_writes_a_report_beside_the_study_figures(hydrogen_kits, tmp_path, capsys):
    assert main(["demo", "--out-dir", str(tmp_path), "--epochs", "2"]) == 0
    report = (tmp_path / "report.md").read_text()
    assert "| MLP, kick vs snare | 100 % |" in report
    assert "Highway net" in report and "98 %" in report
    # The cross-validation's pooled matrices; the random split's tiny one is text only.
    assert sorted(p.name for p in tmp_path.glob("*.png")) == [
        "study-highway-folds.png",
        "study-mlp-folds.png",
    ]
