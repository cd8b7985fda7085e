"""Model files: exact round trips, and clear refusals of files drumnet cannot use."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

import drumnet
from drumnet.cli import main
from drumnet.config import FeatureConfig
from drumnet.errors import ModelFileError
from drumnet.inference.classifier import load_model
from drumnet.inference.pipeline import classify_paths
from drumnet.library.index import Index
from drumnet.nets import build_model
from drumnet.nets.checkpoint import load_checkpoint, read_metadata, save_model
from drumnet.taxonomy import CLASSES


@pytest.mark.parametrize("name", ["mlp", "highway"])
def test_round_trip_gives_identical_logits(tmp_path, name):
    torch.manual_seed(1)
    model = build_model(name, ("kick", "snare", "other"), overrides={"dropout": 0.1}).eval()
    # Move batch-norm statistics away from their defaults so they are checked too.
    model.train()
    model(torch.randn(8, FeatureConfig().n_samples))
    model.eval()
    path = save_model(model, tmp_path / "m.safetensors", {"metrics": {"accuracy": 0.5}})
    loaded, meta = load_checkpoint(path)
    wave = torch.randn(3, FeatureConfig().n_samples)
    assert torch.equal(model(wave), loaded(wave))
    assert meta["classes"] == ["kick", "snare", "other"]
    assert meta["model_config"]["dropout"] == 0.1
    assert meta["metrics"] == {"accuracy": 0.5}


def test_load_model_gives_a_classifier(tmp_path):
    model = build_model("mlp", ("kick", "hihat")).eval()
    path = save_model(model, tmp_path / "m.safetensors")
    clf = drumnet.load_model(path)
    assert clf.classes_ == ("kick", "hihat")
    probs = clf.predict_proba_waves(np.zeros((2, FeatureConfig().n_samples), np.float32))
    assert probs.shape == (2, 2)
    assert np.allclose(probs.sum(1), 1)


def test_refuses_files_it_does_not_understand(tmp_path):
    text = tmp_path / "notes.safetensors"
    text.write_text("hello")
    with pytest.raises(ModelFileError, match="not a drumnet model file"):
        load_checkpoint(text)
    with pytest.raises(ModelFileError, match="no such model file"):
        load_checkpoint(tmp_path / "missing.safetensors")
    with pytest.raises(ModelFileError, match="no model named 'nosuch'.* ensemble, default, "):
        load_model("nosuch")


def test_refuses_newer_format_and_damaged_weights(tmp_path):
    model = build_model("mlp", ("kick", "hihat"))
    path = save_model(model, tmp_path / "m.safetensors")
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["drumnet"])
    meta["format_version"] = 99
    header["__metadata__"]["drumnet"] = json.dumps(meta)
    blob = json.dumps(header).encode()
    blob += b" " * (n - len(blob)) if len(blob) <= n else b""
    newer = tmp_path / "newer.safetensors"
    newer.write_bytes(len(blob).to_bytes(8, "little") + blob + raw[8 + n :])
    with pytest.raises(ModelFileError, match="version 99"):
        read_metadata(newer)
    truncated = tmp_path / "truncated.safetensors"
    truncated.write_bytes(raw[: len(raw) // 2])
    with pytest.raises(ModelFileError, match="damaged"):
        load_checkpoint(truncated)


def test_a_folder_is_named_as_a_folder_not_a_missing_file(tmp_path):
    with pytest.raises(ModelFileError, match="is a folder, not a model file"):
        load_model(tmp_path)


def test_a_save_that_fails_leaves_no_partial_file(tmp_path):
    (tmp_path / "m.safetensors").mkdir()  # os.replace cannot put a file there
    with pytest.raises(OSError):
        save_model(build_model("mlp", ("kick", "hihat")), tmp_path / "m.safetensors")
    assert [p.name for p in tmp_path.iterdir()] == ["m.safetensors"]


def _with_metadata(path, tmp_path, change) -> object:
    """A copy of the model file at `path` whose drumnet metadata `change` rewrites."""
    raw = path.read_bytes()
    n = int.from_bytes(raw[:8], "little")
    header = json.loads(raw[8 : 8 + n])
    meta = json.loads(header["__metadata__"]["drumnet"])
    header["__metadata__"]["drumnet"] = json.dumps(change(meta))
    blob = json.dumps(header).encode()
    blob += b" " * (-len(blob) % 8)
    out = tmp_path / "edited.safetensors"
    out.write_bytes(len(blob).to_bytes(8, "little") + blob + raw[8 + n :])
    return out


def _set(key, value, inside=None):
    def change(meta):
        (meta[inside] if inside else meta)[key] = value
        return meta

    return change


@pytest.mark.parametrize(
    "change, says",
    [
        (lambda meta: None, "no drumnet metadata"),
        (lambda meta: [1, 2], "no drumnet metadata"),
        (_set("model", ["highway"]), "unknown model type"),
        (_set("format_version", "1"), "version '1' is not supported"),
        (_set("hop_length", "128", "feature_config"), "hop_length is '128', not a int"),
        (_set("window_seconds", 1e9, "feature_config"), "window_seconds is 1000000000.0"),
        (_set("classes", ["kick", "kick"]), "not two or more distinct names"),
        (_set("classes", ["kick", "snare", "tom"]), "damaged or incompatible"),
        (_set("model_config", "x"), "model settings are not a JSON object"),
    ],
)
def test_nonsense_metadata_is_one_clear_line(tmp_path, change, says):
    path = save_model(build_model("highway", ("kick", "hihat")), tmp_path / "m.safetensors")
    edited = _with_metadata(path, tmp_path, change)
    with pytest.raises(ModelFileError, match=says) as error:
        load_checkpoint(edited)
    assert "\n" not in str(error.value) and len(str(error.value)) < 400


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_model_with_non_finite_weights_is_refused_in_one_line(tmp_path, bad, write_drum, capsys):
    model = build_model("mlp", ("kick", "hihat")).eval()
    with torch.no_grad():
        next(model.parameters())[0] = bad
    path = save_model(model, tmp_path / "m.safetensors")
    with pytest.raises(ModelFileError, match="NaN or infinite"):
        load_checkpoint(path)
    wav = write_drum(tmp_path / "kick.wav", "kick")
    assert main(["classify", str(wav), "--model", str(path), "--no-index"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1 and "NaN or infinite" in err, err


def test_answers_are_keyed_on_what_the_model_is_not_on_what_its_file_says(
    tmp_path, write_drum, isolated_cache
):
    """A file whose metadata copies another model's id (or a retrained model written with an
    old id) must not be answered with that model's stored answers, nor leave its own there."""
    wav = write_drum(tmp_path / "kick.wav", "kick")
    torch.manual_seed(0)
    a = save_model(build_model("mlp", CLASSES), tmp_path / "a.safetensors", {"model_id": "same"})
    b = save_model(build_model("mlp", CLASSES), tmp_path / "b.safetensors", {"model_id": "same"})
    first, second = load_model(a), load_model(b)
    assert first.model_id != second.model_id
    assert first.model_id == load_model(a).model_id  # the same file: the same model
    with Index() as index:
        (from_a,) = classify_paths(wav, first, workers=0, index=index)
        (from_b,) = classify_paths(wav, second, workers=0, index=index)
        assert not from_b.cached and from_b.scores != from_a.scores
        (again,) = classify_paths(wav, first, workers=0, index=index)
        assert again.cached and again.scores == from_a.scores


def test_a_model_with_other_classes_does_not_meet_stored_answers_as_an_error(
    tmp_path, write_drum, isolated_cache, capsys
):
    wav = write_drum(tmp_path / "kick.wav", "kick")
    torch.manual_seed(0)
    plain = save_model(build_model("mlp", CLASSES), tmp_path / "a.safetensors", {"model_id": "x"})
    banjo = build_model("mlp", (*CLASSES, "banjo"))
    banjo = save_model(banjo, tmp_path / "banjo.safetensors", {"model_id": "x"})
    assert main(["classify", str(wav), "--model", str(plain)]) == 0
    assert main(["classify", str(wav), "--model", str(banjo)]) == 0
    out, err = capsys.readouterr()
    last = json.loads(out.splitlines()[-1])
    assert err == "" and "banjo" in last["scores"]
