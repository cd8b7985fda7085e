"""DrumSynth preset rendering: tiny inline presets, odd files, and (slow) every LMMS preset."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from drumnet.training.datasets.synthetic import drumsynth_samples
from drumnet.training.synth.drumsynth import DrumSynthError, parse_ds, render_ds

KICK = """[General]
Version=DrumSynth v2.0
Tuning=0
Stretch=100
Level=0
Filter=0
[Tone]
On=1
Level=150
F1=300
F2=45
Droop=50
Phase=0
Envelope=0,100 1000,80 6000,25 16000,0
[Noise]
On=1
Level=20
Slope=-50
Envelope=0,100 300,0
"""

# An 808-style open hat: pulse-train overtones (Method 3) and a noise band, high-passed.
HAT = """[General]
Version=DrumSynth v2.0
Filter=1
HighPass=1
Resonance=0
FilterEnv=0,59 442000,100 443000,0
[Tone]
On=0
[Noise]
On=1
Level=60
Slope=90
Envelope=0,100 500,30 3000,0
[Overtones]
On=1
Level=107
F1=453
Wave1=3
F2=589
Wave2=3
Method=3
Param=43
Envelope1=0,100 1500,30 3000,0
Envelope2=0,89 3000,89 3100,0
[NoiseBand]
On=1
Level=74
F=6800
dF=40
Envelope=0,100 1500,40 3000,0
[Distortion]
On=0
"""


def centroid(x: np.ndarray, rate: int) -> float:
    power = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    return float((power * np.fft.rfftfreq(x.size, 1 / rate)).sum() / power.sum())


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text)
    return path


def test_parse_ds_is_case_insensitive_and_keeps_first_key():
    ini = parse_ds("\ufeff[General]\r\nVersion=DrumSynth v2.0\r\n[TONE]\nF1 = 300\nF1=1\n")
    assert ini["general"]["version"] == "DrumSynth v2.0"
    assert ini["tone"]["f1"] == "300"


def test_kick_preset_is_a_low_thump_and_hat_preset_is_short_and_bright(tmp_path):
    kick = render_ds(write(tmp_path, "Kick.ds", KICK))
    hat = render_ds(write(tmp_path, "Hat.ds", HAT))
    for x in (kick, hat):
        assert x.dtype == np.float32 and np.isfinite(x).all() and 0.05 < np.abs(x).max() <= 1
    assert centroid(kick, 44100) < 250
    assert centroid(hat, 44100) > 5000
    assert hat.size < kick.size < 44100  # envelopes of 3,000 and 16,000 samples (+2,400)


def test_rendering_is_deterministic_and_resamples(tmp_path):
    path = write(tmp_path, "Hat.ds", HAT)
    np.testing.assert_array_equal(render_ds(path), render_ds(path))
    low = render_ds(path, sample_rate=11025)
    assert abs(low.size - render_ds(path).size / 4) <= 2


def test_missing_keys_fall_back_to_drumsynth_defaults(tmp_path):
    text = "[General]\nVersion=DrumSynth v1.0\n[Tone]\nOn=1\nEnvelope=0,100 4000,0\n"
    x = render_ds(write(tmp_path, "Bare.ds", text))
    assert np.isfinite(x).all() and np.abs(x).max() > 0.1  # a 200 -> 120 Hz blip at level 128
    assert 100 < centroid(x, 44100) < 250


@pytest.mark.parametrize(
    "text, reason",
    [
        ("just some text", "not a DrumSynth preset"),
        ("[General]\nVersion=Other v2\n[Tone]\nOn=1\n", "not a DrumSynth preset"),
        ("[General]\nVersion=DrumSynth v2.0\n[Tone]\nOn=0\n", "switched off"),
        ("[General]\nVersion=DrumSynth v2.0\n[Tone]\nOn=1\n", "renders silence"),
        ("[General]\n[Tone]\nOn=1\nEnvelope=0,x 10,0\n", "unreadable envelope"),
    ],
)
def test_bad_presets_raise_a_clear_error(tmp_path, text, reason):
    path = write(tmp_path, "Bad.ds", text)
    with pytest.raises(DrumSynthError, match=reason) as err:
        render_ds(path)
    assert str(path) in str(err.value)


def test_missing_file_raises_drumsynth_error(tmp_path):
    with pytest.raises(DrumSynthError, match="cannot read"):
        render_ds(tmp_path / "nope.ds")


def test_drumsynth_samples_labels_by_name_then_folder_and_skips(tmp_path):
    presets = tmp_path / "presets"
    write(presets / "tr808", "Kick.ds", KICK)
    write(presets / "misc_hats", "metal_thing.ds", HAT)  # folder says hihat
    write(presets / "tr808", "Mystery.ds", KICK)  # neither name nor folder says
    write(presets / "tr808", "Snare_off.ds", "[General]\nVersion=DrumSynth v2.0\n")
    samples, skipped = drumsynth_samples(presets, root=tmp_path / "out", workers=1)
    got = {(s.instrument, s.label, s.library, s.source) for s in samples}
    assert got == {
        ("Kick", "kick", "drumsynth-tr808", "drumsynth"),
        ("metal_thing", "hihat", "drumsynth-misc_hats", "drumsynth"),
    }
    assert all(Path(s.path).exists() for s in samples)
    reasons = {Path(p).name: r for p, r in skipped}
    assert reasons["Mystery.ds"] == "name does not say which class"
    assert "switched off" in reasons["Snare_off.ds"]


@pytest.fixture(scope="module")
def lmms_presets(tmp_path_factory) -> Path:
    """The ~760 presets of Debian's lmms-common, downloaded (no root) and unpacked."""
    if not (shutil.which("apt-get") and shutil.which("dpkg-deb")):
        pytest.skip("apt-get / dpkg-deb unavailable")
    work = tmp_path_factory.mktemp("lmms")
    fetched = subprocess.run(
        ["apt-get", "download", "lmms-common"],
        check=False,
        cwd=work,
        capture_output=True,
        timeout=300,
    )
    debs = list(work.glob("lmms-common_*.deb"))
    if fetched.returncode != 0 or not debs:
        pytest.skip(f"cannot download lmms-common: {fetched.stderr.decode()[-200:]}")
    subprocess.run(["dpkg-deb", "-x", str(debs[0]), str(work / "x")], check=True)
    presets = work / "x" / "usr" / "share" / "lmms" / "samples" / "drumsynth"
    if not presets.is_dir():
        pytest.skip("lmms-common holds no drumsynth presets")
    return presets


@pytest.mark.slow
def test_real_lmms_presets_render(lmms_presets):
    files = sorted(lmms_presets.rglob("*.ds"))
    assert len(files) > 500
    ok, centroids = 0, {"kick": [], "hihat": []}
    for path in files:
        try:
            x = render_ds(path)
        except DrumSynthError:
            continue
        ok += np.isfinite(x).all() and np.abs(x).max() <= 1.0
        for word, label in (("kick", "kick"), ("hat", "hihat")):
            if word in path.stem.lower():
                centroids[label].append(centroid(x, 44100))
    assert ok >= 0.9 * len(files)
    assert np.median(centroids["kick"]) < 300
    assert np.median(centroids["hihat"]) > 5000
