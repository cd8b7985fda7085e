"""Style transfer: the result's feature statistics move toward the style sound's."""

# ruff: noqa: F811  (test arguments are the pytest fixtures imported from dream_fixtures)

from __future__ import annotations

import numpy as np
import soundfile as sf
from dream_fixtures import highway_file, highway_model, make_drum  # noqa: F401

from drumnet.audio import save_audio
from drumnet.cli import main
from drumnet.dream import DreamConfig
from drumnet.style import StyleConfig, style_distance, style_transfer

FAST = StyleConfig(edit=DreamConfig(steps=40, eot_samples=1, closeness=0.0, margin=0.0))


def test_style_transfer_moves_toward_the_style_and_keeps_the_envelope(highway_model):
    rng = np.random.default_rng(1)
    content, style = make_drum("tom", rng), make_drum("hihat", rng)
    result = style_transfer(highway_model, content, style, FAST)
    assert result.audio.shape == content.shape
    assert np.isfinite(result.audio).all() and np.abs(result.audio).max() <= 1.0
    assert result.style_distance_before == style_distance(highway_model, content, style)
    assert result.style_distance_after < 0.5 * result.style_distance_before
    # The result keeps the tom's envelope better than simply taking the hat would.
    assert result.envelope_distance_after < result.envelope_distance_style


def test_cli_style_writes_wav_and_png(highway_file, tmp_path, capsys):
    rng = np.random.default_rng(2)
    content = save_audio(tmp_path / "kick.wav", make_drum("kick", rng), 11025)
    style = save_audio(tmp_path / "snare.wav", make_drum("snare", rng), 11025)
    out = tmp_path / "styled.wav"
    argv = ["style", str(content), str(style), "-o", str(out), "--steps", "8"]
    assert main(argv + ["--model", str(highway_file)]) == 0
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 11025 and audio.shape == (11025,) and np.abs(audio).max() <= 1.0
    assert out.with_suffix(".png").stat().st_size > 1000
    assert "style distance" in capsys.readouterr().out


def test_cli_style_missing_file_exit_1(highway_file, tmp_path, capsys):
    content = save_audio(tmp_path / "k.wav", make_drum("kick", np.random.default_rng(3)), 11025)
    argv = ["style", str(content), str(tmp_path / "nope.wav"), "-o", str(tmp_path / "o.wav")]
    assert main(argv + ["--model", str(highway_file)]) == 1
    assert "no such file" in capsys.readouterr().err
