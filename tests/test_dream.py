"""Gradient-ascent generation: dreams move sounds toward classes and stay valid audio."""

# ruff: noqa: F811  (test arguments are the pytest fixtures imported from dream_fixtures)

from __future__ import annotations

import errno
import os
import re
from dataclasses import replace

import numpy as np
import pytest
import soundfile as sf
import torch
from dream_fixtures import (  # noqa: F401  (pytest fixtures)
    highway_file,
    highway_model,
    make_drum,
    mlp_model,
)

import drumnet.generate.dream as dream_module
from drumnet.audio.write import save_audio
from drumnet.cli import main
from drumnet.generate.config import DreamConfig
from drumnet.generate.dream import (
    amplify,
    class_probs,
    dream,
    layer_index,
    layer_names,
    layer_norm,
    synthesize,
)

FAST = DreamConfig(steps=30, eot_samples=3)


def assert_valid_audio(audio: np.ndarray, length: int) -> None:
    assert audio.shape == (length,)
    assert audio.dtype == np.float32
    assert np.isfinite(audio).all()
    assert 0 < np.abs(audio).max() <= 1.0


def test_dream_raises_target_probability(highway_model):
    wave = make_drum("tom", np.random.default_rng(3))
    result = dream(highway_model, wave, "snare", FAST)
    snare = highway_model.classes.index("snare")
    assert_valid_audio(result.audio, len(wave))
    assert result.probs_after[snare] > result.probs_before[snare] + 0.3
    assert result.label_after == "snare"
    # The reported probabilities are those of the audio actually returned.
    np.testing.assert_allclose(class_probs([highway_model], result.audio), result.probs_after)


def test_dream_keeps_any_length_and_is_seeded(highway_model):
    wave = make_drum("clap", np.random.default_rng(4))[:7000]
    config = DreamConfig(steps=5, eot_samples=2, seed=7)
    a = dream(highway_model, wave, "hihat", config)
    b = dream(highway_model, wave, "hihat", config)
    assert_valid_audio(a.audio, 7000)
    np.testing.assert_array_equal(a.audio, b.audio)


def test_ensemble_dream_convinces_both_models(highway_model, mlp_model):
    wave = make_drum("tom", np.random.default_rng(5))
    result = dream([highway_model, mlp_model], wave, "snare", FAST)
    for model in (highway_model, mlp_model):
        probs = class_probs([model], result.audio)
        assert model.classes[int(probs.argmax())] == "snare"


def test_library_eot_dream_still_reaches_the_target(highway_model):
    """Variants also pass through the training augmentation (tuning, EQ, room...): the
    gradient must flow through it and the dream still lands."""
    wave = make_drum("tom", np.random.default_rng(3))
    config = DreamConfig(steps=30, eot_samples=3, library_eot=True)
    result = dream(highway_model, wave, "snare", config)
    assert_valid_audio(result.audio, len(wave))
    assert result.label_after == "snare"


def test_synthesize_from_noise_gives_the_target_class(highway_model):
    result = synthesize(highway_model, "kick", "noise", config=DreamConfig(steps=60, strength=4))
    assert_valid_audio(result.audio, highway_model.features.n_samples)
    assert result.label_after == "kick"


def test_amplify_increases_the_layer_activation(highway_model):
    wave = make_drum("snare", np.random.default_rng(6))
    result = amplify(highway_model, wave, "stage1", DreamConfig(steps=30, eot_samples=2))
    assert result.layer == "stage1"
    assert result.norm_after > 1.2 * result.norm_before
    assert result.norm_after == pytest.approx(layer_norm(highway_model, result.audio, 1))


def test_layer_names_and_indices(highway_model, mlp_model):
    assert layer_names(highway_model) == ["input", "stage1", "stage2", "stage3"]
    assert layer_names(mlp_model) == ["input", "hidden1"]
    assert layer_index(highway_model, "3") == 3 == layer_index(highway_model, -1)
    with pytest.raises(ValueError, match="unknown layer"):
        layer_index(highway_model, "stage9")


def test_unknown_class_and_silence_are_refused(highway_model):
    wave = make_drum("kick", np.random.default_rng(0))
    with pytest.raises(ValueError, match="no class 'cowbell'"):
        dream(highway_model, wave, "cowbell", FAST)
    with pytest.raises(ValueError, match="silent"):
        dream(highway_model, np.zeros(100, np.float32), "kick", FAST)


def test_cli_dream_writes_wav_and_png(highway_file, tmp_path, capsys):
    src = save_audio(tmp_path / "tom.wav", make_drum("tom", np.random.default_rng(8)), 11025)
    out = tmp_path / "dreamed.wav"
    argv = ["dream", str(src), "--toward", "snare", "-o", str(out)]
    code = main(argv + ["--model", str(highway_file), "--steps", "10"])
    assert code == 0
    audio, rate = sf.read(out, dtype="float32")
    assert rate == 11025
    assert_valid_audio(audio, 11025)
    assert out.with_suffix(".png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    printed = capsys.readouterr().out
    assert "before:" in printed and "after:" in printed


def test_cli_dream_from_noise_with_length(highway_file, tmp_path):
    out = tmp_path / "new.wav"
    argv = ["dream", "--from", "click", "--toward", "hihat", "-o", str(out), "--seconds", "0.5"]
    assert main(argv + ["--model", str(highway_file), "--steps", "8", "--no-png"]) == 0
    audio, _ = sf.read(out, dtype="float32")
    assert_valid_audio(audio, 5512)
    assert not out.with_suffix(".png").exists()


def test_cli_dream_longer_than_the_window_keeps_the_inputs_tail(highway_file, tmp_path):
    t = np.arange(3 * 11025) / 11025
    crash = 0.5 * np.random.default_rng(3).standard_normal(t.size) * np.exp(-t)
    src = save_audio(tmp_path / "crash.wav", crash.astype(np.float32), 11025)
    out = tmp_path / "long.wav"
    argv = ["dream", str(src), "--toward", "snare", "-o", str(out), "--seconds", "3"]
    assert main(argv + ["--model", str(highway_file), "--steps", "5", "--no-png"]) == 0
    audio, _ = sf.read(out, dtype="float32")
    assert audio.size == 3 * 11025
    tail = np.sqrt(np.mean(audio[2 * 11025 : int(2.1 * 11025)] ** 2))
    assert tail > 0.01  # the input's tail at 2 s (about -29 dB), not silence


def test_cli_bad_input_is_one_line_and_exit_1(highway_file, tmp_path, capsys):
    bad = tmp_path / "bad.wav"
    bad.write_text("not audio at all")
    argv = ["dream", str(bad), "--toward", "snare", "-o", str(tmp_path / "o.wav")]
    assert main(argv + ["--model", str(highway_file)]) == 1
    err = capsys.readouterr().err.strip()
    assert err.startswith("drumnet dream: error:") and "bad.wav" in err
    assert len(err.splitlines()) == 1
    assert not (tmp_path / "o.wav").exists()


# Loading this model would fail (exit 1): an exit 2 shows the outputs were checked first.
NO_MODEL = ["--model", "/nonexistent/model.safetensors"]


def assert_one_line_error(capsys, *words: str) -> str:
    err = capsys.readouterr().err.strip()
    assert err.startswith("drumnet dream: error:") and len(err.splitlines()) == 1, err
    assert all(w in err for w in words), err
    return err


def test_cli_dream_refuses_to_write_over_its_input(tmp_path, capsys):
    src = save_audio(tmp_path / "kick.wav", make_drum("kick", np.random.default_rng(9)), 11025)
    original = src.read_bytes()
    (tmp_path / "link.wav").hardlink_to(src)
    for out in (
        ["-o", str(src)],
        ["-o", str(tmp_path / "sub" / ".." / "kick.wav")],
        ["-o", str(tmp_path / "link.wav")],
        ["-o", str(tmp_path / "new.wav"), "--png", str(src)],
    ):
        argv = ["dream", str(src), "--toward", "snare", *out, "--overwrite"]
        (tmp_path / "sub").mkdir(exist_ok=True)
        assert main(argv + NO_MODEL) == 2, out
        assert_one_line_error(capsys, "is an input file")
        assert src.read_bytes() == original
    assert not (tmp_path / "new.wav").exists()


def test_cli_dream_refuses_existing_outputs_unless_overwrite(highway_file, tmp_path, capsys):
    src = save_audio(tmp_path / "tom.wav", make_drum("tom", np.random.default_rng(8)), 11025)
    out, png = tmp_path / "out.wav", tmp_path / "out.png"
    argv = ["dream", str(src), "--toward", "snare", "-o", str(out), "--steps", "2"]
    png.write_bytes(b"mine")  # a picture the user never named
    assert main(argv + NO_MODEL) == 2
    assert_one_line_error(capsys, f"{png} exists", "--overwrite", "--png PATH")
    assert png.read_bytes() == b"mine" and not out.exists()
    # Another --png, or none, keeps the existing picture and writes the WAV.
    other = tmp_path / "other.png"
    assert main(argv + ["--png", str(other), "--model", str(highway_file)]) == 0
    assert png.read_bytes() == b"mine" and other.stat().st_size > 1000
    wav = out.read_bytes()
    assert main(argv + ["--no-png"] + NO_MODEL) == 2  # the WAV now exists
    assert_one_line_error(capsys, f"{out} exists", "--overwrite")
    assert out.read_bytes() == wav
    assert main(argv + ["--overwrite", "--model", str(highway_file)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize(
    ("output", "png", "words"),
    [
        ("nodir/x.wav", [], ("folder", "nodir", "does not exist")),
        ("somedir", [], ("somedir is a folder",)),
        ("x.mp3x", [], ("cannot write audio as .mp3x", ".wav", ".flac")),
        ("x", [], ("without a file extension",)),
        ("x.wav", ["--png", "nodir/x.png"], ("folder", "does not exist")),
        ("x.wav", ["--png", "x.pngx"], ("cannot draw a picture as .pngx", ".png")),
        ("x.wav", ["--png", "x.wav"], ("would be one file",)),
        ("x.wav", ["--seconds", "0.01"], ("--seconds must be a number from 0.1 to 10",)),
    ],
)
def test_cli_dream_bad_output_path_is_refused_before_any_work(
    tmp_path, capsys, monkeypatch, output, png, words
):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "somedir").mkdir()
    argv = ["dream", "--from", "noise", "--toward", "kick", "-o", output, *png]
    assert main(argv + NO_MODEL) == 2
    assert_one_line_error(capsys, *words)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["somedir"]


def test_cli_dream_silent_input_is_a_file_error(highway_file, tmp_path, capsys):
    silent = save_audio(tmp_path / "silent.wav", np.zeros(11025, np.float32), 11025)
    out = tmp_path / "o.wav"
    argv = ["dream", str(silent), "--toward", "snare", "-o", str(out)]
    assert main(argv + ["--model", str(highway_file)]) == 1
    err = assert_one_line_error(capsys, "silent.wav", "silent", "--from noise")
    assert "synthesize" not in err
    assert not out.exists()


def test_cli_amplify_loads_one_net_not_the_ensemble(tmp_path, monkeypatch, capsys):
    """A layer belongs to one net: --amplify without --model uses the shipped default alone."""
    import drumnet.generate.dream as generate_dream

    def no_ensemble():
        raise AssertionError("--amplify loaded the whole dreaming ensemble")

    monkeypatch.setattr(generate_dream, "dream_ensemble", no_ensemble)
    src = save_audio(tmp_path / "kick.wav", make_drum("kick", np.random.default_rng(3)), 11025)
    out = tmp_path / "amp.wav"
    argv = ["dream", str(src), "--amplify", "stage1", "-o", str(out), "--steps", "2", "--no-png"]
    assert main(argv) == 0
    assert_valid_audio(sf.read(out, dtype="float32")[0], 11025)
    assert "stage1 activation:" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (
            lambda w: np.stack([w, w], axis=1),
            "must be mono, shape (samples,); got shape (11025, 2)",
        ),
        (lambda w: np.stack([w, w]), "must be mono"),
        (lambda w: w[:100], "has 100 samples; it needs at least 129"),
        (lambda w: w * 10 ** (-80 / 20) / np.abs(w).max(), "silent (peak below -70 dBFS)"),
        (lambda w: np.full_like(w, 0.5), "silent"),  # a DC offset alone, as classify says
        (lambda w: np.where(np.arange(w.size) == 5, np.nan, w), "NaN or infinite"),
    ],
    ids=["stereo", "channels-first", "short", "-80dBFS", "dc", "nan"],
)
def test_arrays_the_api_cannot_use_are_refused_clearly(highway_model, make, words):
    wave = make(make_drum("tom", np.random.default_rng(0)))
    for call in (
        lambda: dream(highway_model, wave, "kick", FAST),
        lambda: amplify(highway_model, wave, "stage1", FAST),
    ):
        with pytest.raises(ValueError, match=re.escape(words)):
            call()


def test_stereo_is_refused_but_a_mono_column_or_row_is_mono(highway_model):
    wave = make_drum("tom", np.random.default_rng(0))
    one = DreamConfig(steps=1, eot_samples=1)
    with pytest.raises(ValueError, match="must be mono"):
        dream(highway_model, np.stack([wave, wave], axis=1), "kick", one)
    assert dream(highway_model, wave[:, None], "kick", one).audio.shape == (11025,)
    assert dream(highway_model, wave[None], "kick", one).audio.shape == (11025,)


@pytest.mark.parametrize(
    "change", [{"strength": float("nan")}, {"strength": float("inf")}, {"lr": float("nan")}]
)
def test_settings_that_are_not_finite_are_refused(change):
    with pytest.raises(ValueError, match=f"{next(iter(change))} must be a finite number"):
        DreamConfig(**change)


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--strength", "nan", "--strength must be a number above 0, not nan"),
        ("--strength", "inf", "--strength must be a number above 0, not inf"),
        ("--seconds", "nan", "--seconds must be a number from 0.1 to 10, not nan"),
    ],
)
def test_cli_dream_numbers_must_be_finite(tmp_path, capsys, option, value, words):
    out = tmp_path / "x.wav"
    argv = ["dream", "--from", "noise", "--toward", "kick", "-o", str(out), option, value]
    assert main(argv + NO_MODEL) == 2  # refused before the model is even loaded
    assert_one_line_error(capsys, words)
    assert not out.exists()


@pytest.mark.parametrize(
    ("option", "value", "words"),
    [
        ("--steps", "-1", "must be 0 or more, got -1"),
        ("--seed", "-1", "must be from 0 to 2**32 - 1, got -1"),
        ("--seed", str(2**64), "must be from 0 to 2**32 - 1"),
    ],
)
def test_cli_dream_counts_are_refused_by_the_parser(tmp_path, capsys, option, value, words):
    argv = ["dream", "--from", "noise", "--toward", "kick", "-o", str(tmp_path / "x.wav")]
    with pytest.raises(SystemExit) as exit_:
        main([*argv, option, value])
    assert exit_.value.code == 2 and words in capsys.readouterr().err


def test_cli_dream_refuses_what_classify_calls_silent(highway_file, tmp_path, capsys):
    tom = make_drum("tom", np.random.default_rng(3))
    quiet = save_audio(tmp_path / "quiet.wav", tom * 10 ** (-80 / 20) / np.abs(tom).max(), 11025)
    out = tmp_path / "out.wav"
    argv = ["dream", str(quiet), "--toward", "snare", "-o", str(out), "--model", str(highway_file)]
    assert main(argv) == 1
    assert_one_line_error(capsys, "quiet.wav", "silent", "--from noise")
    assert not out.exists()


def test_cli_amplify_out_of_range_names_the_valid_layers(highway_file, tmp_path, capsys):
    src = save_audio(tmp_path / "tom.wav", make_drum("tom", np.random.default_rng(8)), 11025)
    argv = ["dream", str(src), "--amplify", "99", "-o", str(tmp_path / "o.wav"), "--no-png"]
    assert main(argv + ["--model", str(highway_file)]) == 2
    assert_one_line_error(
        capsys, "no layer 99; choose from input, stage1, stage2, stage3 (or 0 to 3)"
    )


def test_cli_dream_onto_a_full_disk_is_one_line_and_leaves_no_cut_short_file(
    highway_file, tmp_path, capsys, monkeypatch
):
    fdopen = os.fdopen

    class FullFile:  # writes 100 bytes, then the disk is full
        def __init__(self, f):
            self.f = f

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

        def write(self, data):
            self.f.write(data[:100])
            raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fdopen", lambda fd, mode: FullFile(fdopen(fd, mode)))
    monkeypatch.setattr("drumnet.disk.free_bytes", lambda path: 0)
    out = tmp_path / "new.wav"
    argv = ["dream", "--from", "click", "--toward", "hihat", "-o", str(out), "--seconds", "0.5"]
    assert main(argv + ["--model", str(highway_file), "--steps", "2"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "Traceback" not in err, err
    assert err.startswith(f"drumnet dream: error: no space left on the disk of {out}; about ")
    assert sorted(p.name for p in tmp_path.iterdir() if p.suffix != ".safetensors") == []


def _record_threads(monkeypatch) -> list[int]:
    """Torch's thread count at every step of a dream or style transfer from now on."""
    seen, augment = [], dream_module.augment

    def recording(*args, **kwargs):
        seen.append(torch.get_num_threads())
        return augment(*args, **kwargs)

    monkeypatch.setattr(dream_module, "augment", recording)
    return seen


def _other_count() -> int:
    return 3 if torch.get_num_threads() != 3 else 2  # a count torch is not using already


def test_dream_steps_run_on_the_chosen_threads_and_restore_the_callers(highway_model, monkeypatch):
    chosen, before = _other_count(), torch.get_num_threads()
    monkeypatch.setattr("drumnet.generate.dream.solo_threads", lambda: chosen)
    seen = _record_threads(monkeypatch)
    dream(highway_model, make_drum("tom", np.random.default_rng(3)), "snare", FAST)
    assert seen and set(seen) == {chosen}
    assert torch.get_num_threads() == before
    dream(
        highway_model, make_drum("tom", np.random.default_rng(3)), "snare", replace(FAST, threads=1)
    )
    assert set(seen[-FAST.steps :]) == {1}  # an explicit count wins


def test_cli_dream_and_style_run_on_the_chosen_threads(highway_file, tmp_path, monkeypatch):
    chosen = _other_count()
    monkeypatch.setattr("drumnet.cli.dream.solo_threads", lambda: chosen)
    seen = _record_threads(monkeypatch)
    src = save_audio(tmp_path / "tom.wav", make_drum("tom", np.random.default_rng(8)), 11025)
    argv = ["--model", str(highway_file), "--steps", "3", "--no-png"]
    assert main(["dream", str(src), "--toward", "snare", "-o", str(tmp_path / "d.wav"), *argv]) == 0
    assert seen and set(seen) == {chosen}
    seen.clear()
    style = ["style", str(src), str(src), "-o", str(tmp_path / "s.wav"), "--threads", "1"]
    assert main([*style, *argv]) == 0
    assert seen and set(seen) == {1}
