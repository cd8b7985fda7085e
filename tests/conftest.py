"""Shared fixtures: synthesised drum sounds written as WAVs, an isolated cache, the real kits.

Every test gets its own empty cache (`_own_cache`, autouse): no test can write into the user's
library index or cache. The fetched Debian kits stay where they are ($DRUMNET_DATA points at
the real cache), so the tests on real data fetch them once, not once per test.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from drumnet.cache import data_dir

RATE = 44100  # Hz; files are written at a common studio rate so loading must resample
KINDS = ("kick", "snare", "hat", "tom")


def synth_drum(kind: str, seed: int = 0, rate: int = RATE, seconds: float = 0.5) -> np.ndarray:
    """A recognisable drum hit, float32 (rate * seconds,), peak 0.9.

    kick: sine sweeping 150 -> 45 Hz, fast decay; snare: noise plus a 180 Hz tone; hat: short
    high-passed (first-difference) noise; tom: a 120-200 Hz sine with a slower decay.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(int(rate * seconds)) / rate
    if kind == "kick":
        freq = 45 + 105 * np.exp(-t / 0.04)  # Hz, the pitch drop of a kick
        x = np.sin(2 * np.pi * np.cumsum(freq) / rate) * np.exp(-t / 0.12)
    elif kind == "snare":
        x = (0.6 * rng.standard_normal(t.size) + np.sin(2 * np.pi * 180 * t)) * np.exp(-t / 0.08)
    elif kind == "hat":
        noise = np.diff(rng.standard_normal(t.size + 1))  # first difference: a high-pass
        x = noise * np.exp(-t / 0.02)
    elif kind == "tom":
        x = np.sin(2 * np.pi * rng.uniform(120, 200) * t) * np.exp(-t / 0.25)
    else:
        raise ValueError(f"unknown drum kind {kind!r}")
    return (0.9 * x / np.max(np.abs(x))).astype(np.float32)


def synth_pattern(hits: list[tuple[float, str, float]], seconds: float = 3.0) -> np.ndarray:
    """Hits of synth_drum (start seconds, kind, gain) mixed into one float32 signal at RATE."""
    out = np.zeros(int(seconds * RATE), np.float32)
    for start, kind, gain in hits:
        hit = gain * synth_drum(kind, seed=int(start * 1000))
        a = int(start * RATE)
        out[a : a + hit.size] += hit[: out.size - a]
    return out


BEAT = [(0.0, "kick", 0.9), (0.5, "hat", 0.9), (1.0, "kick", 0.9), (1.5, "hat", 0.9)]  # a loop


@pytest.fixture
def write_drum() -> Callable[..., Path]:
    """write_drum(path, kind, seed=0) -> path: a synthesised hit as a 16-bit WAV."""

    def write(path: str | Path, kind: str, seed: int = 0) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        sf.write(str(path), synth_drum(kind, seed), RATE, subtype="PCM_16")
        return path

    return write


@pytest.fixture
def drum_sounds(tmp_path: Path, write_drum) -> dict[str, Path]:
    """One WAV per kind in tmp_path/drums: {'kick': .../kick.wav, ...}."""
    return {kind: write_drum(tmp_path / "drums" / f"{kind}.wav", kind) for kind in KINDS}


# Where the user's fetched data is, read before any test changes the environment.
_REAL_DATA = str(data_dir(create=False))


@pytest.fixture(autouse=True)
def _own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """DRUMNET_CACHE (index, tensors, synthesised sets) in this test's tmp_path; fetched data
    (DRUMNET_DATA) in the real cache, shared by every test and run."""
    cache = tmp_path / "cache"
    monkeypatch.setenv("DRUMNET_CACHE", str(cache))
    monkeypatch.setenv("DRUMNET_DATA", _REAL_DATA)
    return cache


@pytest.fixture
def isolated_cache(_own_cache: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The test's own cache, with the fetched data in it too (empty: nothing fetched yet)."""
    monkeypatch.setenv("DRUMNET_DATA", str(_own_cache))
    return _own_cache


def _need_apt() -> None:
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        pytest.skip("apt-get/dpkg-deb not available")


@pytest.fixture(scope="session")
def hydrogen_kits() -> Path:
    """The real Debian Hydrogen kits, fetched once into the user's cache (DRUMNET_DATA)."""
    _need_apt()
    from drumnet.training.datasets.hydrogen import fetch_hydrogen

    return fetch_hydrogen()


@pytest.fixture(scope="session")
def hydrogen_effects() -> Path:
    """The Debian Hydrogen effects kit (guitar strums), fetched once into the shared cache."""
    _need_apt()
    from drumnet.training.datasets.hydrogen import fetch_hydrogen_effects

    return fetch_hydrogen_effects()


@pytest.fixture(scope="session")
def lmms_dir() -> Path:
    """LMMS's samples folder, fetched once into the shared (default) cache."""
    _need_apt()
    from drumnet.training.datasets.lmms import fetch_lmms

    return fetch_lmms()
