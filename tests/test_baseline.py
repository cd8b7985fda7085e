"""baseline.py: descriptors measure what they claim, and the forest separates kicks/snares/hats."""

from __future__ import annotations

import numpy as np
import pytest

from drumnet.config import FeatureConfig
from drumnet.features.descriptors import dct_matrix, descriptor_names, descriptors
from drumnet.training.baseline import fit_baseline, make_baseline

CONFIG = FeatureConfig()
SR = CONFIG.sample_rate
N = CONFIG.n_samples
T = np.arange(N) / SR  # seconds


def kick(rng: np.random.Generator) -> np.ndarray:
    """Decaying sine sweeping from ~150 Hz down to ~50 Hz."""
    f0, f1, tau = rng.uniform(130, 170), rng.uniform(40, 60), rng.uniform(0.1, 0.3)
    freq = f1 + (f0 - f1) * np.exp(-T / 0.05)  # Hz, falls within ~100 ms
    phase = 2 * np.pi * np.cumsum(freq) / SR
    return np.exp(-T / tau) * np.sin(phase)


def snare(rng: np.random.Generator) -> np.ndarray:
    """Noise burst plus a 180 Hz body."""
    tau_noise, tau_tone = rng.uniform(0.06, 0.15), rng.uniform(0.03, 0.08)
    body = np.sin(2 * np.pi * rng.uniform(170, 190) * T) * np.exp(-T / tau_tone)
    return 0.6 * rng.standard_normal(N) * np.exp(-T / tau_noise) + 0.5 * body


def hat(rng: np.random.Generator) -> np.ndarray:
    """Short noise, high-passed (FFT mask) above 3-4.5 kHz."""
    spec = np.fft.rfft(rng.standard_normal(N))
    spec[np.fft.rfftfreq(N, 1 / SR) < rng.uniform(3000, 4500)] = 0
    return np.fft.irfft(spec, N) * np.exp(-T / rng.uniform(0.02, 0.08))


def drum_set(per_class: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(3 * per_class, N) float32 hits at random gains, and their labels, shuffled."""
    rng = np.random.default_rng(seed)
    waves, labels = [], []
    for name, make in (("kick", kick), ("snare", snare), ("hat", hat)):
        for _ in range(per_class):
            x = make(rng)
            waves.append(x / np.abs(x).max() * rng.uniform(0.1, 1.0))
            labels.append(name)
    order = rng.permutation(len(labels))
    return np.asarray(waves, np.float32)[order], np.asarray(labels)[order]


def column(d: np.ndarray, name: str) -> np.ndarray:
    return d[:, descriptor_names().index(name)]


def test_dct_matrix_is_orthonormal_dct_ii() -> None:
    d = dct_matrix(40, 40).astype(np.float64)
    np.testing.assert_allclose(d.T @ d, np.eye(40), atol=1e-5)
    x = np.random.default_rng(0).standard_normal(40)
    n = np.arange(40)
    direct = np.cos(np.pi / 40 * (n + 0.5) * 3) @ x * np.sqrt(2 / 40)  # coefficient 3 by hand
    assert (x @ d)[3] == pytest.approx(direct, rel=1e-5)
    assert dct_matrix(40, 20).shape == (40, 20)


def test_descriptors_shape_names_and_batch_independence() -> None:
    waves, _ = drum_set(4, seed=1)
    d = descriptors(waves)
    assert d.shape == (12, len(descriptor_names())) == (12, 94) and d.dtype == np.float32
    assert np.isfinite(d).all()
    np.testing.assert_allclose(descriptors(waves[5:6])[0], d[5], rtol=1e-4, atol=1e-4)
    assert descriptors(np.zeros((0, N), np.float32)).shape == (0, 94)
    with pytest.raises(ValueError, match="shape"):
        descriptors(np.zeros(N, np.float32))


def test_descriptors_are_finite_for_silence() -> None:
    d = descriptors(np.zeros((3, N), np.float32))
    assert np.isfinite(d).all()
    assert (column(d, "attack_s") == 0).all() and (column(d, "decay_20db_s") == 0).all()


def test_descriptors_measure_what_they_say() -> None:
    tau = 0.1  # s; an exponential falls 20 dB in tau * ln(10) = 230 ms and 40 dB in 460 ms
    decaying = np.exp(-T / tau) * np.sin(2 * np.pi * 1000 * T)
    low = 0.5 * np.sin(2 * np.pi * 200 * T)
    high = 0.5 * np.sin(2 * np.pi * 3000 * T)
    noise = np.random.default_rng(0).uniform(-0.5, 0.5, N)
    ramp = np.minimum(T / 0.05, 1.0) * np.sin(2 * np.pi * 1000 * T)  # 50 ms linear fade-in
    d = descriptors(np.stack([decaying, low, high, noise, ramp]).astype(np.float32))

    assert column(d, "decay_20db_s")[0] == pytest.approx(tau * np.log(10), abs=0.01)
    assert column(d, "decay_40db_s")[0] == pytest.approx(2 * tau * np.log(10), abs=0.01)
    assert column(d, "attack_s")[0] < 0.005
    assert column(d, "temporal_centroid_s")[0] == pytest.approx(tau / 2, abs=0.01)
    assert column(d, "temporal_centroid_s")[1] == pytest.approx(0.5, abs=0.01)  # steady tone
    assert column(d, "attack_s")[1] < 0.005 and column(d, "decay_20db_s")[1] > 0.95  # sustained
    assert column(d, "attack_s")[4] == pytest.approx(0.8 * 0.05, abs=0.006)  # 10 % -> 90 %
    assert column(d, "centroid_hz_mean")[1:3] == pytest.approx([200, 3000], rel=0.05)
    assert column(d, "zcr_mean")[1:3] == pytest.approx([400 / SR, 6000 / SR], rel=0.05)
    flat = column(d, "flatness_mean")
    assert flat[3] > 0.3 and flat[1] < 0.01  # white noise is flat, a sine is not
    assert column(d, "rolloff_hz_mean")[3] == pytest.approx(0.85 * SR / 2, rel=0.05)


@pytest.mark.parametrize("kind", ["forest", "svm"])
def test_baseline_separates_synthetic_kicks_snares_and_hats(kind: str) -> None:
    waves, labels = drum_set(60, seed=0)
    train, test = slice(0, 120), slice(120, 180)

    model = fit_baseline(kind, waves[train], labels[train], seed=0)
    accuracy = (model.predict(waves[test]) == labels[test]).mean()

    assert accuracy > 0.95
    assert list(model.classes_) == ["hat", "kick", "snare"]


def test_make_baseline_builds_the_promised_pipelines() -> None:
    forest = make_baseline("forest", seed=3)
    assert [name for name, _ in forest.steps] == ["scale", "classify"]
    params = forest.get_params()
    assert params["classify__n_estimators"] == 300
    assert params["classify__class_weight"] == "balanced"
    assert params["classify__random_state"] == 3
    svm = make_baseline("svm", seed=3)
    params = svm.get_params()
    assert (params["classify__kernel"], params["classify__C"]) == ("rbf", 10.0)
    assert params["classify__class_weight"] == "balanced"
    assert not hasattr(svm, "predict_proba")  # probability=False: no Platt scaling
    with pytest.raises(ValueError, match="unknown baseline"):
        make_baseline("knn")
