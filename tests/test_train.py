"""Training on synthesised sounds: kicks vs hats, reproducibility, the fixed schedule."""

from __future__ import annotations

import numpy as np
from conftest import synth_drum

from drumnet.audio.prepare import prepare_waveform
from drumnet.config import FeatureConfig
from drumnet.training.config import TrainConfig
from drumnet.training.experiments import Pool, run_split
from drumnet.training.splits import Split
from drumnet.training.train import Data, fit, predict_logits, score

CFG = FeatureConfig()


def _set(n: int, seed: int) -> Data:
    waves, y = [], []
    for i in range(n):
        kind = ("kick", "hat")[i % 2]
        x = synth_drum(kind, seed=seed * 1000 + i) * (0.2 + 0.8 * (i % 5) / 4)
        waves.append(prepare_waveform(x, 44100, CFG))
        y.append(i % 2)
    return Data(np.stack(waves), np.array(y))


def test_training_separates_kicks_from_hats(tmp_path):
    train, val, test = _set(48, 0), _set(16, 1), _set(24, 2)
    config = TrainConfig(model="mlp", epochs=6, batch_size=16, seed=0)
    model, history = fit(train, val, ("kick", "hihat"), config, CFG, tmp_path / "h.jsonl")
    assert score(predict_logits(model, test.waves), test.y)["acc"] >= 0.95
    assert len(history) == 6 and (tmp_path / "h.jsonl").read_text().count("\n") == 6


def test_training_is_reproducible():
    train = _set(16, 0)
    config = TrainConfig(
        model="highway", epochs=1, batch_size=8, seed=3, model_overrides={"channels": [4, 8]}
    )
    a, _ = fit(train, None, ("kick", "hihat"), config, CFG)
    b, _ = fit(train, None, ("kick", "hihat"), config, CFG)
    assert np.array_equal(predict_logits(a, train.waves), predict_logits(b, train.waves))


def test_without_early_stopping_every_epoch_runs_and_the_last_weights_are_kept():
    train, val = _set(16, 0), _set(8, 1)
    config = TrainConfig(
        model="mlp", epochs=3, patience=1, batch_size=8, seed=0, early_stopping=False
    )
    watched, history = fit(train, val, ("kick", "hihat"), config, CFG)
    blind, _ = fit(train, None, ("kick", "hihat"), config, CFG)
    assert len(history) == 3 and all("val_bal_acc" in row for row in history)
    # Validation only records scores: the model is the last epoch's, as without validation.
    assert np.array_equal(predict_logits(watched, val.waves), predict_logits(blind, val.waves))


def test_run_split_trains_on_the_validation_sounds_when_nothing_stops_early():
    data = _set(24, 0)
    labels = np.array(["kick", "hihat"])[data.y]
    paths = np.array([f"{i}.wav" for i in range(24)])
    pool = Pool(data.waves, labels, np.array(["kit"] * 24), np.zeros(24, bool), paths)
    split = Split("library", np.arange(12), np.arange(12, 18), np.arange(18, 24))
    config = TrainConfig(model="mlp", epochs=1, batch_size=8, early_stopping=False)
    outcome = run_split(pool, ("kick", "hihat"), split, config)
    assert list(outcome.split.train) == list(range(18)) and len(outcome.split.val) == 0
    assert list(outcome.split.test) == list(range(18, 24)) and outcome.report is not None


def test_a_pool_keeps_each_sound_with_its_file_when_selected():
    waves = np.arange(5, dtype=np.float32)[:, None] * np.ones((5, 4), np.float32)
    labels = np.array(["kick", "hihat", "kick", "tom", "hihat"])
    paths = np.array([f"{label}-{i}.wav" for i, label in enumerate(labels)])
    pool = Pool(waves, labels, np.array(["kit"] * 5), np.zeros(5, bool), paths)
    hats = pool.select(("hihat",))
    assert list(hats.paths) == ["hihat-1.wav", "hihat-4.wav"]
    assert list(hats.waves[:, 0]) == [1.0, 4.0] and list(hats.labels) == ["hihat", "hihat"]
