"""The procedural drum synthesiser: valid audio, determinism, and classes that sound apart."""

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf

from drumnet.taxonomy import CLASSES
from drumnet.training.datasets.synthetic import synth_samples
from drumnet.training.synth import SYNTHS, LibraryColour, dsp, synth_drum
from drumnet.training.synth.colour import apply_colour
from drumnet.training.synth.handdrums import cajon, conga_bongo, djembe, dunun, tabla_darbuka
from drumnet.training.synth.metal import cymbal, hihat
from drumnet.training.synth.percussion import PERC_VOICES
from drumnet.training.synth.skins import clap, rim, snare, tom

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


def band_share(x: np.ndarray, lo: float, hi: float, rate: int = RATE) -> float:
    """Share of the energy between lo and hi Hz."""
    power = np.abs(np.fft.rfft(x)) ** 2
    freqs = np.fft.rfftfreq(x.size, 1 / rate)
    return float(power[(freqs >= lo) & (freqs < hi)].sum() / power.sum())


@pytest.mark.parametrize("voice", [v for v, _ in PERC_VOICES], ids=lambda v: v.__name__)
@pytest.mark.parametrize("electronic", [0.0, 1.0])
def test_perc_voices_are_valid_and_deterministic(voice, electronic):
    for seed in range(4):
        x = voice(np.random.default_rng(seed), RATE, electronic)
        y = voice(np.random.default_rng(seed), RATE, electronic)
        assert x.dtype == np.float64 and x.ndim == 1
        assert np.isfinite(x).all() and np.abs(x).max() > 1e-3
        assert 0.05 <= x.size / RATE <= 3.5
        np.testing.assert_array_equal(x, y)


def test_perc_is_mostly_hand_drums_and_shakers():
    weights = {voice.__name__: w for voice, w in PERC_VOICES}
    hands = (djembe, dunun, conga_bongo, cajon, tabla_darbuka)
    assert sum(weights[v.__name__] for v in hands) >= 0.5 * sum(weights.values())
    assert weights["shaker"] >= max(weights["cowbell"], weights["bell"])


def test_hand_drums_land_softer_and_ring_shorter_than_toms():
    def onset_share(x):  # energy of the first 2 ms against the next 20 ms
        n = int(0.002 * RATE)
        return float((x[:n] ** 2).sum() / ((x[n : 11 * n] ** 2).sum() + 1e-12))

    toms = [tom(np.random.default_rng(i), RATE, 0.0) for i in range(12)]
    hands = [v(np.random.default_rng(i), RATE, 0.0) for i in range(6) for v in (conga_bongo, cajon)]
    assert np.median([decay_seconds(x) for x in hands]) < np.median(
        [decay_seconds(x) for x in toms]
    )
    assert np.median([centroid(x) for x in hands]) > np.median([centroid(x) for x in toms])
    # no stick, no 2 ms spike
    assert np.median([onset_share(x) for x in hands]) < np.median([onset_share(x) for x in toms])


def test_side_stick_has_a_low_tok_and_a_bright_click():
    sticks = [rim(np.random.default_rng(i), RATE, 0.0) for i in range(12)]
    # Dry, before any library colour: the tok holds a fifth or more of the energy, the stick's
    # click and ring most of the rest (synth v3 moved energy up, toward the Hydrogen side sticks).
    assert 0.15 < np.median([band_share(x, 0, 1000) for x in sticks]) < 0.6
    assert np.median([band_share(x, 1000, 6000) for x in sticks]) > 0.4
    assert max(x.size for x in sticks) <= 0.26 * RATE


def test_acoustic_hats_keep_a_low_clang_and_die_before_cymbals():
    hats = [hihat(np.random.default_rng(i), RATE, 0.0) for i in range(12)]
    cymbals = [cymbal(np.random.default_rng(i), RATE, 0.0) for i in range(6)]
    assert np.median([band_share(x, 300, 1000) for x in hats]) > 0.08
    assert np.median([band_share(x, 300, 3000) for x in cymbals]) > 0.25
    assert np.median([decay_seconds(x) for x in hats]) < np.median(
        [decay_seconds(x) for x in cymbals]
    )


def test_open_hats_are_brighter_than_closed_hats_and_die_before_cymbals():
    # Band shares of the Hydrogen kits: below 1 kHz, about half of a closed hat's energy and a
    # quarter of an open hat's; -30 dB after about 0.2 s, 0.65 s and 1.9 s (closed, open, cymbal).
    def hats(kind):
        return [hihat(np.random.default_rng(i), RATE, 0.0, kind=kind) for i in range(12)]

    closed, opened = hats("closed"), hats("open")
    cymbals = [cymbal(np.random.default_rng(i), RATE, 0.0) for i in range(12)]
    low = {k: np.median([band_share(x, 0, 1000) for x in v]) for k, v in
           (("closed", closed), ("open", opened), ("cymbal", cymbals))}  # fmt: skip
    assert low["open"] < low["closed"] and low["cymbal"] < 0.4
    decay = {k: np.median([decay_seconds(x) for x in v]) for k, v in
             (("closed", closed), ("open", opened), ("cymbal", cymbals))}  # fmt: skip
    assert decay["closed"] < decay["open"] < decay["cymbal"]
    with pytest.raises(ValueError, match="unknown hi-hat kind"):
        hihat(np.random.default_rng(0), RATE, 0.0, kind="")


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
