"""The procedural drum synthesiser: valid audio, determinism, and classes that sound apart."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from drumnet.datasets.synthetic import synth_samples
from drumnet.synth import SYNTHS, LibraryColour, dsp, synth_drum
from drumnet.synth.colour import apply_colour
from drumnet.synth.metal import hihat
from drumnet.synth.skins import clap, snare
from drumnet.taxonomy import CLASSES

RATE = 22050  # Hz; half the default keeps the tests fast


def centroid(x: np.ndarray, rate: int = RATE) -> float:
    """Spectral centroid in Hz."""
    power = np.abs(np.fft.rfft(x)) ** 2
    return float((power * np.fft.rfftfreq(x.size, 1 / rate)).sum() / power.sum())


def decay_seconds(x: np.ndarray, rate: int = RATE, drop_db: float = 30.0) -> float:
    """Seconds from the loudest 10 ms frame until the RMS falls drop_db below it."""
    frame = int(0.01 * rate)
    n = x.size // frame
    rms = np.sqrt((x[: n * frame].reshape(n, frame).astype(np.float64) ** 2).mean(axis=1))
    peak = int(rms.argmax())
    below = np.flatnonzero(rms[peak:] < rms[peak] * 10 ** (-drop_db / 20))
    return (below[0] if below.size else n - peak) * 0.01


def attacks(x: np.ndarray, rate: int = RATE) -> int:
    """Re-attacks above 700 Hz in the first 100 ms: envelope peaks twice their preceding dip."""
    x = dsp.highpass(x, 700, rate)[: int(0.1 * rate)]
    frame = int(0.001 * rate)
    n = x.size // frame
    env = np.sqrt((x[: n * frame].reshape(n, frame) ** 2).mean(axis=1))
    env /= env.max()
    peaks = [i for i in range(n) if env[i] > 0.2 and env[i] == env[max(0, i - 2) : i + 3].max()]
    count, last = 0, None
    for p in peaks:
        count += last is None or env[p] > 2 * env[last:p].min()
        last = p
    return count


def draw(label: str, n: int = 12, seed: int = 0) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    return [synth_drum(label, rng, RATE) for _ in range(n)]


def test_every_class_has_a_synth():
    assert set(SYNTHS) == set(CLASSES)


@pytest.mark.parametrize("label", list(SYNTHS))
def test_sounds_are_valid_and_deterministic(label):
    sounds = draw(label, 6, seed=3)
    again = draw(label, 6, seed=3)
    for x, y in zip(sounds, again):
        assert x.dtype == np.float32 and x.ndim == 1
        assert np.isfinite(x).all()
        assert 10 ** (-7 / 20) <= np.abs(x).max() <= 1.0  # normalised to -6.5 .. -0.5 dBFS
        assert 0.01 <= x.size / RATE <= 4.0
        np.testing.assert_array_equal(x, y)
    assert not np.array_equal(sounds[0], sounds[1])  # a fresh draw is a different sound


def test_kick_is_far_darker_than_hats_and_cymbals():
    kick = np.median([centroid(x) for x in draw("kick")])
    tom = np.median([centroid(x) for x in draw("tom")])
    hat = np.median([centroid(x) for x in draw("hihat")])
    cym = np.median([centroid(x) for x in draw("cymbal")])
    assert kick < 300 and tom < 500
    assert hat > 10 * kick and cym > 10 * kick
    assert hat > 3000


def test_decay_times_order_rim_hat_cymbal_other():
    med = {c: np.median([decay_seconds(x) for x in draw(c)]) for c in ("rim", "hihat", "cymbal")}
    med["other"] = np.median([decay_seconds(x) for x in draw("other")])
    assert med["rim"] < 0.1
    assert med["hihat"] < med["cymbal"]
    assert med["cymbal"] > 0.3
    assert med["other"] > med["hihat"]  # tones and textures are sustained


def test_clap_has_several_bursts_unlike_snare_and_hat():
    count = {
        voice.__name__: np.median(
            [attacks(voice(np.random.default_rng(i), RATE)) for i in range(12)]
        )
        for voice in (clap, snare, hihat)
    }
    assert count["clap"] >= 3
    assert count["clap"] > count["snare"] and count["clap"] > count["hihat"]


def test_iir_filter_matches_a_direct_recursion():
    x = np.random.default_rng(0).standard_normal(500)
    b, a = np.array([0.2, 0.1]), np.array([1.0, -0.7, 0.1])
    y = np.zeros_like(x)
    for n in range(x.size):
        y[n] = b[0] * x[n] + (b[1] * x[n - 1] if n else 0)
        y[n] -= a[1] * (y[n - 1] if n else 0) + a[2] * (y[n - 2] if n > 1 else 0)
    np.testing.assert_allclose(dsp.iir_filter(x, b, a), y, atol=1e-9)


def test_colour_quantises_delays_and_sets_the_level():
    x = np.sin(np.linspace(0, 200, 4000))
    colour = LibraryColour(peak_dbfs=-6.0, bits=6, onset_seconds=0.01)
    y = apply_colour(x, colour, np.random.default_rng(0), 8000)
    assert len(np.unique(y)) <= 2**6 + 1
    assert np.all(y[:40] == 0)  # at least 5 ms (half the jittered delay) of silence first
    assert -7.0 < 20 * np.log10(np.abs(y).max()) < -5.0


def test_synth_samples_writes_pseudo_libraries_once(tmp_path):
    samples = synth_samples(n_per_class=3, seed=1, root=tmp_path, n_libraries=2, workers=1)
    assert len(samples) == 3 * len(CLASSES)
    assert {s.label for s in samples} == set(CLASSES)
    assert {s.library for s in samples} == {"synth0", "synth1"}
    assert {s.source for s in samples} == {"synth"}
    subtypes = {s.library: sf.info(s.path).subtype for s in samples}
    assert subtypes == {"synth0": "PCM_16", "synth1": "PCM_24"}
    stamp = {s.path: (tmp_path / s.path).stat().st_mtime_ns for s in samples}
    again = synth_samples(n_per_class=3, seed=1, root=tmp_path, n_libraries=2, workers=1)
    assert again == samples
    assert {s.path: (tmp_path / s.path).stat().st_mtime_ns for s in again} == stamp
