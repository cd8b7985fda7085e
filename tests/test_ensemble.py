"""The ensemble: the mean of its members' probabilities, usable wherever one model is."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drumnet.config import FeatureConfig
from drumnet.generate.dream import as_models
from drumnet.inference.classifier import DrumClassifier, load_model
from drumnet.nets import build_model
from drumnet.nets.ensemble import MEMBERS, EnsembleNet

CLASSES = ("kick", "snare", "hihat")


def _members(n: int = 3):
    out = []
    for seed in range(n):
        torch.manual_seed(seed)
        out.append(build_model("highway", CLASSES).eval())
    return out


def test_ensemble_output_is_the_mean_probability():
    members = _members()
    ensemble = EnsembleNet(members).eval()
    wave = torch.randn(4, FeatureConfig().n_samples) * 0.1
    with torch.no_grad():
        mean = torch.stack([torch.softmax(m(wave), 1) for m in members]).mean(0)
        got = torch.softmax(ensemble(wave), 1)
    torch.testing.assert_close(got, mean)
    # A classifier restricted to two classes renormalises the mean over them.
    clf = DrumClassifier(ensemble, device="cpu")
    sub = clf.predict_proba_waves(wave.numpy(), ["kick", "hihat"])
    expect = mean[:, [0, 2]] / mean[:, [0, 2]].sum(1, keepdim=True)
    np.testing.assert_allclose(sub, expect.numpy(), rtol=1e-5, atol=1e-6)


def test_ensemble_refuses_members_that_disagree_on_classes():
    with pytest.raises(ValueError, match="share class names"):
        EnsembleNet([build_model("highway", CLASSES), build_model("highway", ("kick", "snare"))])


def test_shipped_ensemble_loads_and_dreams_with_its_members():
    clf = load_model("ensemble")
    assert clf.model_id.startswith("ensemble-")
    assert len(clf.metadata["members"]) == len(MEMBERS)
    assert clf.classes_ == load_model().classes_
    assert len(as_models(clf)) == len(MEMBERS)
