"""`drumnet train --split source`: one fold per data source, end to end on a small manifest."""

from __future__ import annotations

import json

import pytest

from drumnet.cli import main
from drumnet.training.datasets.manifest import Sample, write_manifest

TINY = ["--model", "mlp", "--set", "hidden=[8]", "--epochs", "1", "--batch-size", "4"]
KIND = {"kick": "kick", "snare": "snare"}


@pytest.fixture(autouse=True)
def _own_cache_and_folder(isolated_cache, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)


def _manifest(tmp_path, write_drum, sources: dict[str, str]):
    """A manifest of kits (kit -> source), 3 kicks and 3 snares each."""
    samples = []
    for kit, source in sources.items():
        for label, kind in KIND.items():
            for i in range(3):
                path = write_drum(tmp_path / kit / f"{label}{i}.wav", kind, seed=i)
                samples.append(Sample(str(path), label, kit, label, 0, source))
    return write_manifest(samples, tmp_path / "data.csv")


def test_source_folds_hold_out_each_source(tmp_path, write_drum, capsys):
    kits = {"A1": "alpha", "A2": "alpha", "B1": "beta", "C1": "gamma", "C2": "gamma"}
    data = _manifest(tmp_path, write_drum, kits)
    out = tmp_path / "run" / "model.safetensors"
    assert main(["train", "--data", str(data), "--split", "source", "--out", str(out), *TINY]) == 0
    report = json.loads((tmp_path / "run" / "source.json").read_text())
    assert set(report["folds"]) == {"A1,A2", "B1", "C1,C2"}  # a source's kits tested together
    assert 0 <= report["pooled"]["accuracy"] <= 1 and report["split"] == "source"
    assert not out.exists()  # cross-validation keeps no model


def test_one_source_is_a_one_line_usage_error(tmp_path, write_drum, capsys):
    data = _manifest(tmp_path, write_drum, {"A1": "alpha", "A2": "alpha", "A3": "alpha"})
    assert main(["train", "--data", str(data), "--split", "source", *TINY]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "two sources or more" in err[0]
