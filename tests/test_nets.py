"""Every registered network: right shape, finite output, every parameter learns."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from drumnet.config import FeatureConfig
from drumnet.inference.classifier import DrumClassifier
from drumnet.library.embed import embed_waves
from drumnet.nets import MODELS, build_model, make_config
from drumnet.nets.ensemble import EnsembleNet
from drumnet.nets.fused import fuse_for_inference
from drumnet.nets.layers import REPRESENTATIONS, HighwayConv

CLASSES = ("kick", "snare", "hihat")


@pytest.mark.parametrize("name", sorted(MODELS))
@pytest.mark.parametrize("representation", REPRESENTATIONS)
def test_model_shape_finite_and_all_parameters_get_gradients(name, representation):
    torch.manual_seed(0)
    model = build_model(name, CLASSES, overrides={"representation": representation})
    wave = torch.randn(4, FeatureConfig().n_samples) * 0.1
    logits = model(wave)
    assert logits.shape == (4, len(CLASSES))
    assert torch.isfinite(logits).all()
    logits.logsumexp(1).mean().backward()
    missing = [n for n, p in model.named_parameters() if p.grad is None or not p.grad.abs().sum()]
    assert not missing, f"parameters without gradient: {missing}"


@pytest.mark.parametrize("name", sorted(MODELS))
def test_silence_and_loud_input_stay_finite(name):
    model = build_model(name, CLASSES).eval()
    n = FeatureConfig().n_samples
    wave = torch.stack([torch.zeros(n), torch.ones(n) * 1e3])
    assert torch.isfinite(model(wave)).all()


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_is_level_invariant(name):
    """The log-mel input is relative to each sound's own peak: gain changes nothing."""
    torch.manual_seed(0)
    model = build_model(name, CLASSES).eval()
    wave = torch.randn(2, FeatureConfig().n_samples) * torch.linspace(1, 0, 11025)
    assert torch.allclose(model(wave), model(wave * 0.01), atol=1e-4)


def test_stages_expose_intermediate_activations():
    model = build_model("highway", CLASSES).eval()
    stages = model.stages(torch.randn(2, FeatureConfig().n_samples))
    assert len(stages) == 1 + len(model.config.channels)
    assert [s.shape[1] for s in stages[1:]] == list(model.config.channels)


def test_highway_gate_starts_by_carrying_the_input():
    block = HighwayConv(4, gate_bias=-20.0).eval()
    x = torch.randn(1, 4, 8, 8)
    assert torch.allclose(block(x), x, atol=1e-6)


def test_config_overrides_are_validated():
    assert make_config("highway", {"channels": [4, 8]}).channels == (4, 8)
    with pytest.raises(ValueError, match="unknown settings"):
        make_config("mlp", {"depth": 3})
    with pytest.raises(ValueError, match="unknown model"):
        make_config("transformer")


def _with_trained_statistics(model: torch.nn.Module) -> torch.nn.Module:
    """Batch norms with non-trivial affine weights and running statistics, as after training."""
    g = torch.Generator().manual_seed(1)
    for m in model.modules():
        if isinstance(m, torch.nn.modules.batchnorm._BatchNorm):
            n = m.num_features
            m.weight.data, m.bias.data = 1 + torch.rand(n, generator=g), torch.randn(n, generator=g)
            m.running_mean, m.running_var = torch.randn(n, generator=g), 0.5 + torch.rand(n)
    return model.eval()


@pytest.mark.parametrize("representation", REPRESENTATIONS)
def test_the_fused_network_computes_the_same_function(representation):
    torch.manual_seed(0)
    overrides = {"representation": representation, "blocks_per_stage": 2}
    model = _with_trained_statistics(build_model("highway", CLASSES, overrides=overrides))
    fused = fuse_for_inference(model)
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in fused.body.stages_.modules())
    wave = torch.randn(4, FeatureConfig().n_samples) * 0.1
    with torch.no_grad():
        assert torch.allclose(fused(wave), model(wave), atol=1e-4)
    assert model.body.stages_[0][1].__class__.__name__ == "BatchNorm2d"  # original untouched


def test_the_classifier_predicts_with_the_fused_ensemble():
    torch.manual_seed(0)
    members = [_with_trained_statistics(build_model("highway", CLASSES)) for _ in range(2)]
    clf = DrumClassifier(EnsembleNet(members), device="cpu")
    waves = torch.randn(5, FeatureConfig().n_samples) * 0.1
    with torch.no_grad():
        expected = torch.softmax(clf.model_(waves), dim=1).numpy()
    assert np.allclose(clf.predict_proba_waves(waves.numpy()), expected, atol=1e-5)
    assert np.allclose(
        embed_waves(clf, waves.numpy()), embed_waves(clf.model_, waves.numpy()), atol=1e-5
    )
    assert clf.fused_model_ is clf.fused_model_  # made once
