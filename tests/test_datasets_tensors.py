"""The tensor cache: right shapes, reused without decoding, rebuilt when a file changes."""

from __future__ import annotations

import os

import numpy as np
import pytest
import torch

from drumnet.config import FeatureConfig
from drumnet.features.stft import StftFrontend
from drumnet.training.datasets import tensors as tensors_module
from drumnet.training.datasets.manifest import Sample
from drumnet.training.datasets.tensors import build_tensors


@pytest.fixture
def samples(drum_sounds, tmp_path):
    broken = tmp_path / "drums" / "broken.wav"
    broken.write_bytes(b"RIFF\x00\x00\x00\x00WAVEnot really")
    labels = {"kick": "kick", "snare": "snare", "hat": "hihat", "tom": "tom"}
    good = [Sample(str(p), labels[k], "synth") for k, p in drum_sounds.items()]
    return good + [Sample(str(broken), "kick", "synth")]


def test_build_shapes_and_errors(samples, isolated_cache):
    config = FeatureConfig()
    ts = build_tensors(samples, config, progress=False)
    assert ts.waves.shape == (4, config.n_samples) and ts.waves.dtype == np.float32
    assert ts.labels == ["kick", "snare", "hihat", "tom"]
    assert ts.libraries == ["synth"] * 4
    assert len(ts.errors) == 1 and "broken.wav" in ts.errors[0]
    assert not ts.from_cache
    tensor = ts.tensor(batch=3)  # batches that do not divide N
    assert tensor.shape == (4, 87, 129, 2)
    expected = StftFrontend(config)(torch.from_numpy(ts.waves)).numpy()
    np.testing.assert_allclose(tensor, expected, atol=1e-5)
    assert (ts.folder / "tensor.npy").is_file() and ts.folder.parent == isolated_cache / "tensors"


def test_second_build_loads_without_decoding(samples, isolated_cache, monkeypatch):
    first = build_tensors(samples, FeatureConfig(), progress=False)
    first.tensor()

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded although nothing changed")

    monkeypatch.setattr(tensors_module, "load_sound", no_decoding)
    second = build_tensors(samples, FeatureConfig(), progress=False)
    assert second.from_cache and second.folder == first.folder
    np.testing.assert_array_equal(second.waves, first.waves)
    assert second.errors == first.errors and second.paths == first.paths
    np.testing.assert_array_equal(second.tensor(), first.tensor())


def test_changed_file_or_setting_rebuilds(samples, isolated_cache, write_drum):
    first = build_tensors(samples, FeatureConfig(), progress=False)
    kick = samples[0].path
    write_drum(kick, "kick", seed=5)
    os.utime(kick, ns=(1, 1))  # a new mtime even on coarse file systems
    changed = build_tensors(samples, FeatureConfig(), progress=False)
    assert not changed.from_cache and changed.folder != first.folder
    other = build_tensors(samples, FeatureConfig(window_seconds=0.5), progress=False)
    assert other.folder not in (first.folder, changed.folder)
    assert other.waves.shape == (4, 5512)


def test_relabelling_rebuilds(samples, isolated_cache):
    first = build_tensors(samples, FeatureConfig(), progress=False)
    relabelled = [Sample(samples[0].path, "tom", "synth")] + samples[1:]
    second = build_tensors(relabelled, FeatureConfig(), progress=False)
    assert second.folder != first.folder and second.labels[0] == "tom"
