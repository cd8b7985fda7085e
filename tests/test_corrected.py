"""Classify with corrections, and `drumnet review`, end to end on synthesised WAVs."""

from __future__ import annotations

import csv
import io
import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import RATE, synth_drum

from drumnet.cli import main
from drumnet.inference.classifier import load_model
from drumnet.inference.pipeline import classify_paths
from drumnet.library.corrected import corrected_sounds
from drumnet.library.embed import embed_paths
from drumnet.library.index import Index
from drumnet.library.organize import organize
from drumnet.library.review import review

LAYERS = 8  # velocity layers of the pack's tom


def tom_layer(i: int) -> np.ndarray:
    """Layer i of one pack's tom: a 150 Hz sine, a little higher and louder each layer."""
    t = np.arange(int(0.5 * RATE)) / RATE
    x = np.sin(2 * np.pi * 150 * (1 + 0.004 * i) * t) * np.exp(-t / (0.25 + 0.01 * i))
    return (0.4 + 0.06 * i) * x.astype(np.float32)


@pytest.fixture
def pack(tmp_path) -> Path:
    """tmp_path/pack: 8 layers of one tom, and 4 kicks, 4 snares and 4 hats."""
    root = tmp_path / "pack"
    (root / "toms").mkdir(parents=True)
    for i in range(LAYERS):
        sf.write(str(root / "toms" / f"tom{i}.wav"), tom_layer(i), RATE, subtype="PCM_16")
    for kind in ("kick", "snare", "hat"):
        (root / kind).mkdir()
        for seed in range(4):
            x = synth_drum(kind, seed) * (1 - 0.1 * seed)  # a kick differs only by its level
            sf.write(str(root / kind / f"{kind}{seed}.wav"), x, RATE, subtype="PCM_16")
    return root


@pytest.fixture(scope="module")
def clf():
    return load_model("default")


def answers(root: Path, clf, index, **kwargs) -> dict[str, object]:
    return {
        Path(r.path).name: r for r in classify_paths([root], clf, workers=0, index=index, **kwargs)
    }


def test_three_corrections_teach_the_other_layers_and_nothing_else(pack, clf, tmp_path):
    with Index(tmp_path / "index.sqlite") as index:
        before = answers(pack, clf, index)
        assert before["tom5.wav"].label != "perc"  # the model's answer for the pack's tom
        for i in range(3):
            index.correct(pack / "toms" / f"tom{i}.wav", "perc")
        after = answers(pack, clf, index)
        stored = {e.path: e.scores for e in index.entries(clf.model_id)}
    rest = [f"tom{i}.wav" for i in range(3, LAYERS)]
    assert all(after[name].label == "perc" and after[name].adapted for name in rest)
    assert all(after[f"tom{i}.wav"].corrected for i in range(3))
    others = [name for name in after if not name.startswith("tom")]
    assert len(others) == 12
    for name in others:
        assert (after[name].label, after[name].adapted) == (before[name].label, False)
        assert after[name].scores == pytest.approx(before[name].scores)
    # The stored answers are the model's: adaptation is applied on top, never written over.
    assert stored[str(pack / "toms" / "tom5.wav")] == pytest.approx(before["tom5.wav"].scores)
    # Without adaptation the corrected files alone change.
    with Index(tmp_path / "index.sqlite") as index:
        plain = answers(pack, clf, index, adapt=False)
    assert [plain[name].label for name in rest] == [before[name].label for name in rest]
    assert not any(r.adapted for r in plain.values())


def test_contradictory_corrections_change_nothing_else(pack, clf, tmp_path):
    with Index(tmp_path / "index.sqlite") as index:
        before = answers(pack, clf, index)
        for i, label in enumerate(("perc", "kick", "cymbal", "clap")):
            index.correct(pack / "toms" / f"tom{i}.wav", label)
        after = answers(pack, clf, index)
    for name, r in after.items():
        if not r.corrected:
            assert (r.label, r.adapted) == (before[name].label, False), name


def test_a_correction_counts_once_however_many_copies(pack, clf, tmp_path):
    for i in range(3):
        shutil.copy(pack / "toms" / f"tom{i}.wav", pack / f"copy-of-tom{i}.wav")
    with Index(tmp_path / "index.sqlite") as index:
        for i in range(3):
            index.correct(pack / "toms" / f"tom{i}.wav", "perc")
            index.correct(pack / f"copy-of-tom{i}.wav", "perc")
        labels, vectors, _, hashes = corrected_sounds(clf, index)
        assert labels == ["perc"] * 3 and len(set(hashes)) == 3 and vectors.shape[0] == 3
        assert len(index.corrections()) == 3


def test_cli_marks_adapted_answers_and_no_adapt_turns_it_off(pack, isolated_cache, capsys):
    argv = ["classify", str(pack), "--model", "default", "--workers", "0"]
    assert main(["label", *[str(pack / "toms" / f"tom{i}.wav") for i in range(3)], "perc"]) == 0
    capsys.readouterr()
    assert main([*argv, "--format", "jsonl"]) == 0
    records = {
        Path(r["path"]).name: r for r in map(json.loads, capsys.readouterr().out.splitlines())
    }
    assert records["tom6.wav"]["label"] == "perc" and records["tom6.wav"]["adapted"] is True
    assert "adapted" not in records["kick0.wav"] and records["tom0.wav"]["corrected"] is True
    assert main([*argv, "--format", "csv"]) == 0
    rows = {Path(r["path"]).name: r for r in csv.DictReader(io.StringIO(capsys.readouterr().out))}
    assert rows["tom6.wav"]["adapted"] == "true" and rows["kick0.wav"]["adapted"] == "false"
    assert main([*argv, "--format", "table"]) == 0
    table = capsys.readouterr().out
    assert any("tom6.wav" in line and "(adapted)" in line for line in table.splitlines())
    assert main([*argv, "--format", "jsonl", "--no-adapt"]) == 0
    plain = {Path(r["path"]).name: r for r in map(json.loads, capsys.readouterr().out.splitlines())}
    assert plain["tom6.wav"]["label"] != "perc" and "adapted" not in plain["tom6.wav"]


def test_organize_and_similar_answer_with_the_corrections(
    pack, clf, tmp_path, isolated_cache, capsys
):
    with Index() as index:
        for i in range(3):
            index.correct(pack / "toms" / f"tom{i}.wav", "perc")
        placed = list(organize(pack, tmp_path / "out", model=clf, workers=0, index=index))
    assert all(p.result.label == "perc" for p in placed if "tom" in Path(p.result.path).name)
    assert (tmp_path / "out" / "perc" / "toms" / "tom7.wav").exists()
    query = str(pack / "toms" / "tom7.wav")
    argv = [
        "similar",
        query,
        str(pack),
        "--model",
        "default",
        "--workers",
        "0",
        "--format",
        "jsonl",
    ]
    assert main([*argv, "--classes", "perc"]) == 0
    found = [Path(json.loads(line)["path"]).name for line in capsys.readouterr().out.splitlines()]
    assert set(found) == {f"tom{i}.wav" for i in range(LAYERS - 1)}
    assert main([*argv, "--classes", "perc", "--no-adapt"]) == 0
    found = [Path(json.loads(line)["path"]).name for line in capsys.readouterr().out.splitlines()]
    assert set(found) == {f"tom{i}.wav" for i in range(3)}  # the corrected ones alone


def test_review_suggests_each_kind_of_sound_once_and_skips_corrected_files(pack, clf, tmp_path):
    with Index(tmp_path / "index.sqlite") as index:
        index.correct(pack / "toms" / "tom0.wav", "perc")
        suggestions = review([pack], clf, index, top=4, workers=0)
        assert len(list(embed_paths([pack], clf, workers=0, index=index))) == 20  # stored
    kinds = [Path(s.path).parent.name for s in suggestions]
    assert len(suggestions) == 4 and len(set(kinds)) == 4, kinds  # toms, kicks, snares, hats
    assert "tom0.wav" not in [Path(s.path).name for s in suggestions]
    assert [s.rank for s in suggestions] == [1, 2, 3, 4]
    assert all(s.reason and 0 <= s.confidence <= 1 for s in suggestions)


def test_cli_review_formats_and_a_bad_file(pack, isolated_cache, capsys):
    (pack / "broken.wav").write_bytes(b"not audio")
    argv = ["review", str(pack), "--top", "3", "--model", "default", "--workers", "0"]
    assert main([*argv, "--format", "jsonl"]) == 1
    captured = capsys.readouterr()
    records = [json.loads(line) for line in captured.out.splitlines()]
    assert len(records) == 3 and all(
        {"path", "label", "confidence", "reason"} <= set(r) for r in records
    )
    errors = captured.err.strip().splitlines()
    assert len(errors) == 1 and "broken.wav" in errors[0] and "Traceback" not in captured.err
    assert main([*argv, "--format", "csv"]) == 1
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert [r["path"] for r in rows] == [r["path"] for r in records]
    assert main([*argv, "--format", "table"]) == 1
    assert len(capsys.readouterr().out.splitlines()) == 3
    assert main(["review", str(pack / "nothing-here")]) == 2


def test_once_corrections_exist_classify_embeds_in_the_same_pass(pack, clf, tmp_path):
    with Index(tmp_path / "plain.sqlite") as plain:
        model_only = answers(pack, clf, plain)
        assert plain.embedding_count() == 0  # no corrections: nothing more is stored
    with Index(tmp_path / "index.sqlite") as index:
        for i in range(3):
            index.correct(pack / "toms" / f"tom{i}.wav", "perc")
        adapted = answers(pack, clf, index)
        again = list(embed_paths([pack], clf, workers=0, index=index))
    assert len(again) == 20 and all(e.cached for e in again)  # stored by classify itself
    for name, r in model_only.items():
        if not name.startswith("tom"):
            assert adapted[name].scores == pytest.approx(r.scores, abs=1e-6)
