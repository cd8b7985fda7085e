"""Style transfer: the result's feature statistics move toward the style sound's."""

# ruff: noqa: F811  (test arguments are the pytest fixtures imported from dream_fixtures)

from __future__ import annotations

import numpy as np
import pytest
import soundfile as sf
from dream_fixtures import highway_file, highway_model, make_drum  # noqa: F401

from drumnet.audio.write import save_audio
from drumnet.cli import main
from drumnet.generate.config import DreamConfig, StyleConfig
from drumnet.generate.style import style_distance, style_transfer

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


# Loading this model would fail (exit 1): an exit 2 shows the outputs were checked first.
NO_MODEL = ["--model", "/nonexistent/model.safetensors"]


def test_cli_style_refuses_to_write_over_an_input(tmp_path, capsys):
    rng = np.random.default_rng(4)
    content = save_audio(tmp_path / "kick.wav", make_drum("kick", rng), 11025)
    style = save_audio(tmp_path / "snare.wav", make_drum("snare", rng), 11025)
    before = content.read_bytes(), style.read_bytes()
    for out in (
        ["-o", str(content)],
        ["-o", str(style)],
        ["-o", str(tmp_path / "n.wav"), "--png", str(style)],
    ):
        argv = ["style", str(content), str(style), *out, "--overwrite"]
        assert main(argv + NO_MODEL) == 2
        err = capsys.readouterr().err.strip()
        assert "is an input file" in err and len(err.splitlines()) == 1
        assert (content.read_bytes(), style.read_bytes()) == before


def test_cli_style_existing_output_needs_overwrite(highway_file, tmp_path, capsys):
    rng = np.random.default_rng(5)
    content = save_audio(tmp_path / "kick.wav", make_drum("kick", rng), 11025)
    style = save_audio(tmp_path / "snare.wav", make_drum("snare", rng), 11025)
    out = tmp_path / "o.wav"
    out.write_bytes(b"mine")
    argv = ["style", str(content), str(style), "-o", str(out), "--no-png", "--steps", "2"]
    assert main(argv + NO_MODEL) == 2
    assert "exists (pass --overwrite" in capsys.readouterr().err
    assert out.read_bytes() == b"mine"
    assert main(argv + ["--overwrite", "--model", str(highway_file)]) == 0
    assert sf.read(out)[0].shape == (11025,)


def test_silent_content_or_style_is_named(highway_model, highway_file, tmp_path, capsys):
    rng = np.random.default_rng(6)
    drum, silence = make_drum("kick", rng), np.zeros(11025, np.float32)
    with pytest.raises(ValueError, match="the style sound"):
        style_transfer(highway_model, drum, silence, FAST)
    with pytest.raises(ValueError, match="the content sound"):
        style_transfer(highway_model, silence, drum, FAST)
    content = save_audio(tmp_path / "kick.wav", drum, 11025)
    quiet = save_audio(tmp_path / "quiet.wav", silence, 11025)
    argv = ["style", str(content), str(quiet), "-o", str(tmp_path / "o.wav")]
    assert main(argv + ["--model", str(highway_file)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("drumnet style: error:") and len(err.splitlines()) == 1
    assert "quiet.wav" in err and "style" in err and "kick.wav" not in err


@pytest.mark.parametrize(
    ("weights", "words"),
    [
        ({"style_weight": -1.0}, "style_weight and content_weight must be >= 0"),
        ({"content_weight": float("nan")}, "content_weight must be a finite number"),
    ],
)
def test_weights_must_be_finite_and_not_negative(weights, words):
    with pytest.raises(ValueError, match=words):
        StyleConfig(**weights)


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--style-weight", "-1", "--style-weight must be 0 or more, not -1"),
        ("--content-weight", "nan", "--content-weight must be 0 or more, not nan"),
    ],
)
def test_cli_style_weights_are_usage_errors(highway_file, tmp_path, capsys, option, value, words):
    drum = save_audio(tmp_path / "kick.wav", make_drum("kick", np.random.default_rng(6)), 11025)
    out = tmp_path / "o.wav"
    argv = ["style", str(drum), str(drum), "-o", str(out), option, value]
    assert main(argv + ["--model", str(highway_file)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"drumnet style: error: {words}"
    assert not out.exists()


def test_stereo_style_array_is_refused_clearly(highway_model):
    drum = make_drum("kick", np.random.default_rng(6))
    with pytest.raises(ValueError, match=r"the style sound must be mono"):
        style_transfer(highway_model, drum, np.stack([drum, drum], axis=1), FAST)
