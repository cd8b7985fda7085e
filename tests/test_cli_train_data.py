"""`drumnet train` and `evaluate` end to end on small synthesised folders: what they write,
what they refuse to write over, what they warn about, and their exit status."""

from __future__ import annotations

import json
import os
import sys
import warnings
from pathlib import Path

import pytest

import drumnet.training.train
from drumnet.cli import main
from drumnet.nets import build_model
from drumnet.nets.checkpoint import read_metadata, save_model

KIND = {"kick": "kick", "snare": "snare", "tom": "tom", "hihat": "hat"}  # class -> synth_drum
TINY = ["--model", "mlp", "--set", "hidden=[8]", "--epochs", "1", "--batch-size", "4"]


@pytest.fixture(autouse=True)
def _own_cache_and_folder(isolated_cache, tmp_path, monkeypatch):
    """Tensor cache and the current folder (where runs/ goes) inside tmp_path."""
    monkeypatch.chdir(tmp_path)


def _flat(root: Path, write_drum, classes=("kick", "snare"), n: int = 4) -> Path:
    """root/<class>/<i>.wav: one library."""
    for c in classes:
        for i in range(n):
            write_drum(root / c / f"{i}.wav", KIND[c], seed=i)
    return root


def _kits(root: Path, write_drum, kits=("A", "B", "C"), classes=("kick", "snare")) -> Path:
    """root/Kit <k>/<class>/<i>.wav: one library per kit."""
    for kit in kits:
        _flat(root / f"Kit {kit}", write_drum, classes, n=3)
    return root


def _train(data: Path, *args: str) -> int:
    return main(["train", "--data", str(data), *TINY, *args])


def _untrained_model(path: Path, classes=("kick", "snare")) -> Path:
    return save_model(build_model("mlp", classes, overrides={"hidden": [8]}).eval(), path)


def test_train_refuses_an_existing_model_file_unless_overwrite(tmp_path, write_drum, capsys):
    data = _flat(tmp_path / "data", write_drum)
    out = tmp_path / "keep" / "model.safetensors"
    out.parent.mkdir()
    out.write_text("mine")
    assert _train(data, "--split", "random", "--out", str(out)) == 2
    err = capsys.readouterr().err
    assert "exists (pass --overwrite" in err and len(err.splitlines()) == 1
    assert out.read_text() == "mine" and sorted(p.name for p in out.parent.iterdir()) == [
        "model.safetensors"
    ]
    assert _train(data, "--split", "random", "--out", str(out), "--overwrite") == 0
    assert read_metadata(out)["classes"] == ["kick", "snare"]


@pytest.mark.parametrize(
    "out, says",
    [
        ("precious.txt", "must end in .safetensors"),
        ("folder", "is a folder"),
        ("precious.txt/model.safetensors", "precious.txt is a file, not a folder"),
    ],
)
def test_train_checks_out_before_any_work_and_leaves_nothing(tmp_path, capsys, out, says):
    (tmp_path / "precious.txt").write_text("precious")
    (tmp_path / "folder").mkdir()
    before = sorted(p.name for p in tmp_path.rglob("*"))
    assert main(["train", "--data", "no-such-data", "--split", "random", "--out", out]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.splitlines()) == 1
    assert (tmp_path / "precious.txt").read_text() == "precious"
    assert sorted(p.name for p in tmp_path.rglob("*")) == before  # no .tmp, no reports


def test_train_never_writes_its_reports_over_files_beside_the_model(tmp_path, write_drum, capsys):
    data = _flat(tmp_path / "data", write_drum)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "confusion.png").write_text("my picture")
    assert _train(data, "--split", "random", "--out", str(mine / "model.safetensors")) == 2
    assert "mine/confusion.png exists" in capsys.readouterr().err
    assert (mine / "confusion.png").read_text() == "my picture"
    assert not (mine / "model.safetensors").exists()


def test_each_default_run_gets_a_folder_of_its_own_and_names_what_it_wrote(
    tmp_path, write_drum, capsys
):
    data = _flat(tmp_path / "data", write_drum)
    assert _train(data, "--split", "none") == 0
    first = capsys.readouterr().out
    assert _train(data, "--split", "none") == 0
    second = capsys.readouterr().out
    runs = sorted(p.name for p in (tmp_path / "runs").iterdir())
    assert runs == ["mlp-kick-snare-none", "mlp-kick-snare-none-2"]
    assert "runs/mlp-kick-snare-none-2/model.safetensors" in second
    # --split none tests nothing: no confusion.png promised, and every file named is there.
    assert "confusion.png" not in first
    named = first.split("beside it: ")[1].rstrip(")\n").split(", ")
    assert all((tmp_path / "runs" / runs[0] / name).is_file() for name in named)


def test_train_exits_1_for_skipped_files_and_warns_of_a_named_class_with_none(
    tmp_path, write_drum, capsys
):
    data = _flat(tmp_path / "data", write_drum, ("kick", "snare", "tom"))
    (data / "kick" / "bad.wav").write_text("not audio")
    assert _train(data, "--split", "none", "--classes", "four") == 1
    err = capsys.readouterr().err
    assert "skipped:" in err and "bad.wav" in err
    assert "warning: hihat: no sounds of this class" in err


def test_a_final_fit_says_so_and_held_out_only_refuses_it(tmp_path, write_drum, capsys):
    data = _kits(tmp_path / "data", write_drum)
    measured, final = tmp_path / "m" / "model.safetensors", tmp_path / "f" / "model.safetensors"
    assert _train(data, "--split", "library", "--out", str(measured)) == 0
    assert _train(data, "--split", "library", "--final", "--out", str(final)) == 0
    capsys.readouterr()
    evaluate = ["evaluate", "--data", str(data), "--held-out-only", "--model"]
    assert main([*evaluate, str(final)]) == 2
    assert "refitted on every library" in capsys.readouterr().err
    meta = read_metadata(measured)
    held = meta["split"]["test_libraries"]
    assert main([*evaluate, str(measured)]) == 0
    captured = capsys.readouterr()
    assert f"held-out libraries {held[0]}" in captured.out and "warning" not in captured.err
    assert main(["evaluate", "--data", str(data), "--model", str(final)]) == 0
    assert "warning: the model trained on 18 of these 18 sounds" in capsys.readouterr().err
    assert meta["final_fit"] is False and not set(held) & set(meta["data"]["libraries"])
    elsewhere = _flat(tmp_path / "elsewhere", write_drum)
    assert (
        main(["evaluate", "--data", str(elsewhere), "--held-out-only", "--model", str(measured)])
        == 2
    )
    assert "none of the libraries this model's split held out" in capsys.readouterr().err
    assert meta["data"]["n_sounds"] == meta["split"]["n_train"]  # what trained, not all
    assert read_metadata(final)["final_fit"] is True


def test_held_out_only_refuses_the_shipped_model_which_trained_on_its_test_kits(
    tmp_path, write_drum, capsys
):
    # The shipped default trained on every sound of every source: it holds nothing out.
    data = tmp_path / "data"
    _flat(data / "Millo-Drums_v.1", write_drum)
    _flat(data / "Other Kit", write_drum)
    assert main(["evaluate", "--model", "default", "--data", str(data), "--held-out-only"]) == 2
    err = capsys.readouterr().err
    assert "names no held-out test libraries" in err and len(err.splitlines()) == 1


def test_classes_without_training_or_test_sounds_are_warned_of(tmp_path, write_drum, capsys):
    data = _flat(tmp_path / "data", write_drum, n=8)
    write_drum(data / "clap" / "0.wav", "snare")  # one clap: it trains, and is never tested
    assert _train(data, "--split", "random") == 0
    err = capsys.readouterr().err
    assert "warning: clap: no test sounds in split random" in err
    kits = _kits(tmp_path / "kits", write_drum)
    _flat(kits / "Kit A", write_drum, ("tom",), n=3)  # toms in one kit only
    for kit in "ABC":  # leave-one-out needs 10 sounds in a kit to test it
        _flat(kits / f"Kit {kit}", write_drum, n=5)
    _flat(kits / "Kit D", write_drum, n=1)
    assert _train(kits, "--split", "loo", "--out", str(tmp_path / "cv" / "x.safetensors")) == 0
    captured = capsys.readouterr()
    assert "warning: tom: none of its 3 sounds trains in split loo:Kit A" in captured.err
    assert "warning: library Kit D (2 sounds) is too small to be tested" in captured.err
    assert "no model written" in captured.out and not (tmp_path / "cv" / "x.safetensors").exists()
    assert (tmp_path / "cv" / "loo-confusion.png").stat().st_size > 10_000  # the folds, pooled


@pytest.mark.parametrize(
    "model, args, says",
    [
        ("mlp", ["--set", "hidden=abc"], "setting hidden takes a list"),
        ("mlp", ["--set", "hidden=[0]"], "setting hidden must be widths above 0, got [0]"),
        ("mlp", ["--set", "dropout=1.0"], "setting dropout must be at least 0 and below 1"),
        ("highway", ["--set", "kernel=4"], "setting kernel must be odd, got 4"),
        ("highway", ["--set", "channels=[]"], "setting channels must be widths above 0"),
        ("highway", ["--set", "channels=[8,8,8,8,8,8,8]"], "cannot be built"),  # pooled to 0
    ],
)
def test_bad_model_settings_are_one_line_usage_errors(tmp_path, capsys, model, args, says):
    """Settings no net can be built with fail before any data is read, with one line that
    names the setting, and without a warning from torch on the way."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert main(["train", "--data", "no-such-data", "--model", model, *args]) == 2
    err = capsys.readouterr().err
    assert says in err and len(err.splitlines()) == 1


def test_final_with_cross_validation_is_a_usage_error(tmp_path, write_drum, capsys):
    data = _kits(tmp_path / "data", write_drum)
    assert _train(data, "--split", "loo", "--final") == 2
    assert "--split loo keeps no model" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


@pytest.mark.parametrize(
    "args",
    [
        ["--epochs", "0"],
        ["--batch-size", "0"],
        ["--batch-size", "1"],  # batch norm needs two: nothing would train
        ["--seed", "-1"],
        ["--epochs", "-1"],
        ["--lr", "inf"],
        ["--lr", "nan"],
        ["--lr", "0"],
    ],
)
def test_counts_out_of_range_are_refused_by_the_parser(capsys, args):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--data", "no-such-data", *args])
    assert exit_.value.code == 2 and "must be" in capsys.readouterr().err


def test_a_flat_folder_split_by_library_points_to_random_and_leaves_no_folder(
    tmp_path, write_drum, capsys
):
    data = _flat(tmp_path / "data", write_drum)
    assert _train(data, "--split", "library") == 2
    assert "use --split random" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists()


def test_evaluate_says_which_classes_the_model_does_not_know(tmp_path, write_drum, capsys):
    data = _flat(tmp_path / "data", write_drum, ("kick", "snare", "tom", "hihat"), n=2)
    model = _untrained_model(tmp_path / "two.safetensors")
    main(["evaluate", "--model", str(model), "--data", str(data)])
    err = capsys.readouterr().err
    assert "left out 4 files of classes the model does not know (hihat 2, tom 2)" in err


def test_evaluate_out_dir_refuses_existing_reports_and_files(tmp_path, write_drum, capsys):
    data = _flat(tmp_path / "data", write_drum, n=2)
    model = str(_untrained_model(tmp_path / "two.safetensors"))
    reports = tmp_path / "reports"
    reports.mkdir()
    (reports / "report.json").write_text("mine")
    evaluate = ["evaluate", "--model", model, "--data", str(data), "--out-dir"]
    assert main([*evaluate, str(reports)]) == 2
    assert "report.json exists" in capsys.readouterr().err
    assert (reports / "report.json").read_text() == "mine"
    assert main([*evaluate, str(tmp_path / "two.safetensors" / "sub")]) == 2
    assert "is a file, not a folder" in capsys.readouterr().err
    assert main([*evaluate, str(reports), "--overwrite"]) == 0
    assert json.loads((reports / "report.json").read_text())["n"] == 4


def test_a_diverged_training_saves_no_model(tmp_path, write_drum, capsys, monkeypatch):
    data = _flat(tmp_path / "data", write_drum)
    monkeypatch.setattr(drumnet.training.train, "_epoch", lambda *a, **k: (float("nan"), 0.0))
    assert _train(data, "--split", "random", "--out", str(tmp_path / "m.safetensors")) == 2
    assert "training diverged at epoch 1" in capsys.readouterr().err
    assert not (tmp_path / "m.safetensors").exists()


def test_a_reader_who_goes_away_does_not_lose_the_model(tmp_path, write_drum, monkeypatch):
    data = _flat(tmp_path / "data", write_drum)
    read, write = os.pipe()
    os.close(read)  # as `drumnet train ... | head -1` once head has its line
    with open(write, "w") as closed:
        monkeypatch.setattr(sys, "stdout", closed)
        assert _train(data, "--split", "random", "--out", str(tmp_path / "m.safetensors")) == 0
    assert (tmp_path / "m.safetensors").exists() and (tmp_path / "confusion.png").exists()


def test_without_early_stopping_no_library_is_named_as_validating(tmp_path, write_drum):
    data = _kits(tmp_path / "data", write_drum, kits=("A", "B", "C", "D", "E"))
    out = tmp_path / "m" / "model.safetensors"
    assert _train(data, "--split", "library", "--no-early-stopping", "--out", str(out)) == 0
    split = read_metadata(out)["split"]
    assert split["n_val"] == 0 and split["val_libraries"] == []  # they trained
    assert split["n_train"] + split["n_test"] == 30


def test_seeds_are_compared_on_the_same_held_out_libraries(tmp_path, write_drum):
    data = _kits(tmp_path / "data", write_drum, kits=("A", "B", "C", "D", "E", "F"))
    held = []
    for seed in ("0", "1", "2"):
        out = tmp_path / seed / "model.safetensors"
        assert _train(data, "--split", "library", "--seed", seed, "--out", str(out)) == 0
        held.append(read_metadata(out)["split"]["test_libraries"])
    assert held[0] == held[1] == held[2]
    other = tmp_path / "other" / "model.safetensors"
    assert _train(data, "--split", "library", "--split-seed", "1", "--out", str(other)) == 0
    assert read_metadata(other)["split"]["test_libraries"] != held[0]


def test_a_longer_window_trains_into_the_model_file_and_classifies_with_it(
    tmp_path, write_drum, capsys
):
    """--window 2: the net hears 2 s of every sound; the file keeps the window, so classify
    cuts each sound as the net was trained (a cymbal's decay past the first second)."""
    from drumnet import load_model

    data = _flat(tmp_path / "data", write_drum)
    out = tmp_path / "m.safetensors"
    assert _train(data, "--split", "none", "--window", "2", "--out", str(out)) == 0
    assert read_metadata(out)["feature_config"]["window_seconds"] == 2.0
    model = load_model(out)
    assert model.feature_config.n_samples == 2 * 11025
    assert model.predict_proba(data / "kick" / "0.wav").shape == (1, 2)
    assert main(["classify", "--model", str(out), str(data)]) == 0
    assert "kick" in capsys.readouterr().out


def test_a_window_no_net_can_take_is_a_one_line_usage_error(tmp_path, capsys):
    assert main(["train", "--data", "no-such-data", "--window", "0.01"]) == 2
    err = capsys.readouterr().err
    assert "window_seconds is 0.01" in err and len(err.splitlines()) == 1


def test_a_file_that_counts_its_test_kits_among_its_training_kits_holds_none_out():
    from drumnet.training.recipes import held_out_libraries

    meta = {"split": {"test_libraries": ["A"]}, "data": {"libraries": ["A", "B"]}}
    with pytest.raises(ValueError, match=r"test libraries \(A\) among those it trained on"):
        held_out_libraries(meta)
    assert held_out_libraries({**meta, "data": {"libraries": ["B"]}}) == ["A"]
