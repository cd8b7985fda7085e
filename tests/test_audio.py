"""audio.py: every format decodes to the same onset-aligned window; every bad file says why."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import RATE, synth_drum, synth_pattern

import drumnet.audio.decode
from drumnet.audio.decode import is_audio_path, read_head
from drumnet.audio.hits import hit_times
from drumnet.audio.prepare import fit_window, onset_index, resample
from drumnet.audio.sound import load_audio, load_sound
from drumnet.audio.write import audio_format, save_audio
from drumnet.config import FeatureConfig
from drumnet.errors import AudioError

CONFIG = FeatureConfig()
SR = CONFIG.sample_rate  # 11,025 Hz
N = CONFIG.n_samples  # 11,025 samples


def tone(rate: int, seconds: float, freq: float = 440.0, amp: float = 0.5) -> np.ndarray:
    """A sine starting at phase 0, float32 of shape (round(seconds * rate),)."""
    t = np.arange(round(seconds * rate)) / rate
    return (amp * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def burst(rate: int, seconds: float = 0.4) -> np.ndarray:
    """A drum-like hit: 200 Hz sine with a sharp attack and a 60 ms exponential decay."""
    t = np.arange(round(seconds * rate)) / rate
    return (0.8 * np.exp(-t / 0.06) * np.sin(2 * np.pi * 200 * t + 0.5)).astype(np.float32)


def dominant_hz(x: np.ndarray, rate: int) -> float:
    """Frequency of the largest spectral peak, resolved to 0.25 Hz by zero padding."""
    n = 4 * rate
    spec = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    return float(np.argmax(spec) * rate / n)


# (file name, soundfile format, subtype, source rate, peak tolerance in dB, lossless)
FORMATS = [
    ("pcm8.wav", "WAV", "PCM_U8", 44100, 0.3, True),
    ("pcm16.wav", "WAV", "PCM_16", 44100, 0.05, True),
    ("pcm24.wav", "WAV", "PCM_24", 48000, 0.05, True),
    ("pcm32.wav", "WAV", "PCM_32", 96000, 0.05, True),
    ("float32.wav", "WAV", "FLOAT", 22050, 0.05, True),
    ("extensible.wav", "WAVEX", "PCM_24", 44100, 0.05, True),
    ("pcm16.aiff", "AIFF", "PCM_16", 44100, 0.05, True),
    ("pcm24.flac", "FLAC", "PCM_24", 48000, 0.05, True),
    ("vorbis.ogg", "OGG", "VORBIS", 44100, 0.5, False),
    ("layer3.mp3", "MP3", "MPEG_LAYER_III", 44100, 0.5, False),
]


@pytest.mark.parametrize(("name", "fmt", "subtype", "rate", "peak_tol_db", "lossless"), FORMATS)
def test_every_format_decodes_to_the_same_tone(
    tmp_path: Path, name: str, fmt: str, subtype: str, rate: int, peak_tol_db: float, lossless: bool
) -> None:
    if fmt not in sf.available_formats():
        pytest.skip(f"this libsndfile ({sf.__libsndfile_version__}) cannot write {fmt}")
    path = tmp_path / name
    sf.write(str(path), tone(rate, 1.5), rate, format=fmt, subtype=subtype)
    if fmt == "WAVEX":  # the format tag really is WAVE_FORMAT_EXTENSIBLE (0xFFFE)
        assert path.read_bytes()[20:22] == b"\xfe\xff"

    sound = load_sound(path)

    assert sound.samples.shape == (N,) and sound.samples.dtype == np.float32
    assert (sound.sample_rate, sound.source_rate, sound.source_channels) == (SR, rate, 1)
    assert sound.source_seconds == pytest.approx(1.5, abs=0.06)  # MP3 adds encoder padding
    assert not sound.silent
    assert dominant_hz(sound.samples, SR) == pytest.approx(440.0, abs=1.0)
    assert sound.peak_dbfs == pytest.approx(20 * np.log10(0.5), abs=peak_tol_db)
    if lossless:
        # Sample for sample the analytic tone at 11,025 Hz, away from the resampler's edges.
        ref = tone(SR, 1.0)
        err = np.abs(sound.samples - ref)[200:-200].max()
        assert err < (0.01 if subtype == "PCM_U8" else 1e-3)


def test_stereo_is_mixed_down_to_the_mean_of_the_channels(tmp_path: Path) -> None:
    left, right = tone(44100, 1.2, amp=0.6), tone(44100, 1.2, freq=1000.0, amp=0.2)
    sf.write(str(tmp_path / "stereo.wav"), np.stack([left, right], 1), 44100, subtype="FLOAT")

    sound = load_sound(tmp_path / "stereo.wav")

    assert sound.source_channels == 2
    ref = 0.5 * (tone(SR, 1.0, amp=0.6) + tone(SR, 1.0, freq=1000.0, amp=0.2))
    assert np.abs(sound.samples - ref)[200:-200].max() < 1e-3


def test_channels_that_cancel_in_the_mix_give_the_loudest_channel_instead(tmp_path: Path) -> None:
    hit = burst(44100)
    cases = {  # right channel -> the mono signal expected
        "inverted": (-hit, hit),
        "nearly": (-0.95 * hit, hit),  # the mix keeps 0.07 % of the channels' energy
        "half": (-0.5 * hit, 0.25 * hit),  # -10 dB: quieter, but a mix that still holds it
    }
    for name, (right, expected) in cases.items():
        sf.write(str(tmp_path / "x.wav"), np.stack([hit, right], 1), 44100, subtype="FLOAT")
        sf.write(str(tmp_path / "ref.wav"), expected, 44100, subtype="FLOAT")

        sound = load_sound(tmp_path / "x.wav")

        assert not sound.silent, name
        np.testing.assert_allclose(
            sound.samples, load_audio(tmp_path / "ref.wav"), atol=1e-6, err_msg=name
        )


def test_a_hit_after_half_a_second_of_silence_starts_at_the_window_start(tmp_path: Path) -> None:
    rate = 44100
    hit = burst(rate)
    # 0.5 s (a whole number of output samples) of -80 dB hiss before the hit
    quiet = np.random.default_rng(0).normal(0, 1e-4, 22048).astype(np.float32)
    sf.write(str(tmp_path / "late.wav"), np.concatenate([quiet, hit]), rate, subtype="FLOAT")
    sf.write(str(tmp_path / "early.wav"), hit, rate, subtype="FLOAT")

    late, early = load_audio(tmp_path / "late.wav"), load_audio(tmp_path / "early.wav")

    start = int(np.argmax(np.abs(late) > 0.1))  # first sample of the attack
    preroll = int(CONFIG.preroll_seconds * SR)  # 55 samples = 5 ms kept before the onset
    assert abs(start - preroll) <= 0.002 * SR  # within 2 ms of where the onset should sit
    # Same hit, same content: the early file has no silence to keep as preroll. Its first few
    # samples differ only by the resampler's ringing at the file's abrupt start.
    lag = start - int(np.argmax(np.abs(early) > 0.1))
    assert np.abs(late[lag + 8 : lag + 4000] - early[8:4000]).max() < 0.01


def _after_silence(path: Path, x: np.ndarray, seconds: float, total: float, rate: int) -> None:
    """Write x after `seconds` of silence, in a file `total` seconds long (16-bit stereo)."""
    out = np.zeros((round(total * rate), 2), np.float32)
    at = round(seconds * rate)
    out[at : at + x.size] = x[: out.shape[0] - at, None]
    sf.write(str(path), out, rate, subtype="PCM_16")


@pytest.mark.parametrize("seconds", [2.5, 2.95, 4.0, 20.0])
def test_a_hit_after_seconds_of_silence_is_found_and_heard_as_at_the_start(
    tmp_path: Path, seconds: float
) -> None:
    rate = 44100
    _after_silence(tmp_path / "late.wav", burst(rate), seconds, seconds + 2, rate)
    _after_silence(tmp_path / "early.wav", burst(rate), 0.5, 3.0, rate)

    late, early = load_sound(tmp_path / "late.wav"), load_sound(tmp_path / "early.wav")

    assert not late.silent and late.offset_seconds == pytest.approx(seconds - 0.1, abs=1e-3)
    assert late.peak_dbfs == pytest.approx(early.peak_dbfs, abs=0.05)
    lag = int(np.argmax(np.abs(late.samples) > 0.1)) - int(np.argmax(np.abs(early.samples) > 0.1))
    assert lag == 0  # the onset sits where it sits for the same hit near the file's start
    assert np.abs(late.samples[8:4000] - early.samples[8:4000]).max() < 0.01


def test_loops_and_the_band_are_measured_from_a_late_first_hit(tmp_path: Path) -> None:
    beat = [(0.0, "kick", 0.9), (0.5, "snare", 0.9), (1.0, "kick", 0.9), (1.5, "snare", 0.9)]
    _after_silence(tmp_path / "beat.wav", synth_pattern(beat), 5.0, 9.0, RATE)
    t = np.arange(int(0.3 * 44100)) / 44100
    hat = (0.4 * np.sin(2 * np.pi * 14000 * t) * np.exp(-t / 0.05)).astype(np.float32)
    _after_silence(tmp_path / "hat.wav", hat, 5.0, 6.0, 44100)

    beat_sound, hat_sound = load_sound(tmp_path / "beat.wav"), load_sound(tmp_path / "hat.wav")

    assert beat_sound.hits == 4 and beat_sound.hit_span == pytest.approx(1.5, abs=0.015)
    assert hat_sound.above_band_db > 30  # as the same hat at the start of a file


@pytest.fixture
def frames_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The frames each `SoundFile.read` call of the test returned, in order."""
    reads: list[int] = []
    real_read = sf.SoundFile.read

    def spy(self, frames=-1, *args, **kwargs):
        out = real_read(self, frames, *args, **kwargs)
        reads.append(len(out))
        return out

    monkeypatch.setattr(sf.SoundFile, "read", spy)
    return reads


def test_the_search_for_a_first_hit_stops_at_30_s_and_reads_in_blocks(
    tmp_path: Path, frames_read: list[int]
) -> None:
    rate = 11025
    _after_silence(tmp_path / "found.wav", burst(rate), 29.0, 60.0, rate)
    _after_silence(tmp_path / "past.wav", burst(rate), 31.0, 60.0, rate)
    _after_silence(tmp_path / "silent.wav", np.zeros(1, np.float32), 0.0, 60.0, rate)
    reads = frames_read

    assert not load_sound(tmp_path / "found.wav").silent
    assert load_sound(tmp_path / "past.wav").silent  # "nothing to hear in the first 30 s"
    reads.clear()
    assert load_sound(tmp_path / "silent.wav").silent
    assert max(reads) <= 3 * rate + 1 and sum(reads) <= 30.2 * rate  # blocks, never 60 s


def test_the_energy_above_the_model_band_is_measured_and_an_offset_does_not_hide_it(
    tmp_path: Path,
) -> None:
    # A hat that lives above the model's Nyquist plus an offset, like the Hydrogen TR-808 kit's.
    t = np.arange(int(0.3 * 44100)) / 44100
    hat = 0.4 * np.sin(2 * np.pi * 14000 * t) * np.exp(-t / 0.05)
    sf.write(str(tmp_path / "hat.wav"), hat.astype(np.float32), 44100, "FLOAT")
    sf.write(str(tmp_path / "offset.wav"), (hat + 0.05).astype(np.float32), 44100, "FLOAT")
    sf.write(str(tmp_path / "tone.wav"), tone(44100, 0.3), 44100, "FLOAT")
    hat_db, offset_db, tone_db = (
        load_sound(tmp_path / f"{name}.wav").above_band_db for name in ("hat", "offset", "tone")
    )
    assert hat_db > 30 and offset_db > 30  # counting the offset as heard would give ~8 dB
    assert tone_db < 0.5  # a 440 Hz tone loses nothing


def test_onset_index_keeps_the_preroll_and_never_goes_negative() -> None:
    x = np.zeros(SR, dtype=np.float32)
    x[3000:3100] = 0.5
    assert onset_index(x, CONFIG) == 3000 - int(CONFIG.preroll_seconds * SR)
    x[:] = 0.0
    x[10] = 1.0
    assert onset_index(x, CONFIG) == 0
    assert onset_index(np.zeros(100, np.float32), CONFIG) == 0


def test_short_sounds_are_padded_and_long_ones_cut(tmp_path: Path) -> None:
    sf.write(str(tmp_path / "short.wav"), tone(SR, 0.2), SR, subtype="FLOAT")
    sf.write(str(tmp_path / "long.wav"), tone(SR, 4.0), SR, subtype="FLOAT")

    short, long = load_audio(tmp_path / "short.wav"), load_audio(tmp_path / "long.wav")

    assert short.shape == long.shape == (N,)
    np.testing.assert_allclose(short[: int(0.2 * SR)], tone(SR, 0.2), atol=1e-6)
    assert not short[int(0.2 * SR) :].any()  # zeros after the sound
    np.testing.assert_allclose(long, tone(SR, 1.0), atol=1e-6)  # the first second
    assert fit_window(np.ones(5, np.float32), 8).tolist() == [1, 1, 1, 1, 1, 0, 0, 0]
    assert fit_window(np.arange(10, dtype=np.float32), 3).tolist() == [0, 1, 2]


def _write_long(path: Path, minutes: float, rate: int = 11025) -> None:
    """A long PCM file written in blocks, so the test never holds it in memory."""
    block = tone(rate, 10.0, freq=330.0, amp=0.3)
    with sf.SoundFile(str(path), "w", rate, 1, subtype="PCM_16") as f:
        for _ in range(int(minutes * 6)):
            f.write(block)


def test_only_the_head_of_a_long_file_is_read(tmp_path: Path, frames_read: list[int]) -> None:
    path = tmp_path / "ten_minutes.wav"
    _write_long(path, 10.0)
    sound = load_sound(path)

    assert sound.source_seconds == pytest.approx(600.0)
    budget = (CONFIG.max_onset_seconds + CONFIG.window_seconds) * 11025 + 1  # 3 s of 600
    assert 0 < sum(frames_read) <= budget
    assert dominant_hz(sound.samples, SR) == pytest.approx(330.0, abs=1.0)


# --- a folder of deliberately broken files, next to valid but unusual ones ----------------

# name -> words the AudioError reason must contain; None for files that must decode.
CASES: dict[str, str | None] = {
    "zero_bytes.wav": "empty",
    "truncated_header.wav": "truncated",
    "cut_short.wav": "truncated",
    "cut_short.aiff": "truncated",
    "pipe.wav": "not a regular file",
    "random_bytes.wav": "not an audio file",
    "text.wav": "not an audio file",
    "readme.txt": "not an audio file",
    "no_frames.wav": "no audio frames",
    "nan.wav": "NaN",
    "infinity.wav": "infinite",
    "overflow.wav": "too large",
    "x.wav": "directory",
    "missing.wav": "no such file",
    "broken_link.wav": "broken symbolic link",
    "eight_channels_192k.wav": None,
    "ten_minutes.wav": None,
    "crash_ĉinelo_シンバル.wav": None,
    "silence.wav": None,
    "dc_offset.wav": None,
    "not_utf8_\udcff.wav": None,  # Linux names are bytes: b"\xff" is not UTF-8
}


def _make_folder(folder: Path) -> None:
    rate = 44100
    good = tone(rate, 1.0)
    sf.write(str(folder / "reference.wav"), good, rate, subtype="PCM_16")
    (folder / "zero_bytes.wav").write_bytes(b"")
    (folder / "truncated_header.wav").write_bytes((folder / "reference.wav").read_bytes()[:20])
    for name in ("cut_short.wav", "cut_short.aiff"):  # a download cut off mid-way
        sf.write(str(folder / "whole"), good, rate, format=name.split(".")[1], subtype="PCM_16")
        (folder / name).write_bytes((folder / "whole").read_bytes()[:30000])
    (folder / "whole").unlink()
    os.mkfifo(folder / "pipe.wav")  # reading it would wait forever for a writer
    (folder / "reference.wav").unlink()
    (folder / "random_bytes.wav").write_bytes(np.random.default_rng(0).bytes(4096))
    (folder / "text.wav").write_text("kick: 1 . . . 1 . . .\n" * 40)
    (folder / "readme.txt").write_text("These are not drums.\n" * 40)
    sf.write(str(folder / "no_frames.wav"), np.zeros((0, 1), np.float32), rate)
    for name, bad in (("nan.wav", np.nan), ("infinity.wav", np.inf)):
        x = good.copy()
        x[1000] = bad
        sf.write(str(folder / name), x, rate, subtype="FLOAT")
    huge = np.zeros(rate, np.float32)
    huge[100:200], huge[200:300] = 3e38, -3e38  # finite, but not once resampled
    sf.write(str(folder / "overflow.wav"), huge, rate, subtype="FLOAT")
    (folder / "x.wav").mkdir()
    os.symlink(folder / "gone.wav", folder / "broken_link.wav")
    eight = np.tile(tone(192000, 1.0)[:, None], (1, 8)) * np.linspace(0.2, 1.0, 8)
    sf.write(str(folder / "eight_channels_192k.wav"), eight, 192000, subtype="FLOAT")
    _write_long(folder / "ten_minutes.wav", 10.0)
    sf.write(str(folder / "crash_ĉinelo_シンバル.wav"), good, rate, subtype="PCM_24")
    sf.write(str(folder / "silence.wav"), np.zeros(rate, np.float32), rate)
    sf.write(str(folder / "dc_offset.wav"), np.full(rate, 0.5, np.float32), rate)
    sf.write(os.fsencode(folder / "not_utf8_\udcff.wav"), good, rate, subtype="PCM_16")


@pytest.fixture(scope="module")
def broken_folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("broken")
    _make_folder(folder)
    return folder


def test_a_folder_of_bad_files_gives_one_specific_error_per_bad_file(broken_folder: Path) -> None:
    paths = sorted(broken_folder.iterdir()) + [broken_folder / "missing.wav"]
    assert {p.name for p in paths} == set(CASES)
    errors: dict[str, list[str]] = {}
    decoded = {}
    for path in paths:  # the batch goes on past every bad file
        try:
            decoded[path.name] = load_sound(path)
        except AudioError as err:
            assert err.path == str(path) and str(err) == f"{path}: {err.reason}"
            assert str(path) not in err.reason  # the path is said once, not twice
            errors.setdefault(path.name, []).append(err.reason)

    assert set(errors) == {name for name, why in CASES.items() if why is not None}
    for name, reasons in errors.items():
        assert len(reasons) == 1 and CASES[name] in reasons[0], (name, reasons)
    assert set(decoded) == {name for name, why in CASES.items() if why is None}


def test_unusual_but_valid_files_decode_correctly(broken_folder: Path) -> None:
    eight = load_sound(broken_folder / "eight_channels_192k.wav")
    assert (eight.source_rate, eight.source_channels) == (192000, 8)
    assert eight.peak_dbfs == pytest.approx(20 * np.log10(0.5 * 0.6), abs=0.05)  # channel mean
    assert dominant_hz(eight.samples, SR) == pytest.approx(440.0, abs=1.0)

    named = load_sound(broken_folder / "crash_ĉinelo_シンバル.wav")
    np.testing.assert_allclose(named.samples[200:-200], tone(SR, 1.0)[200:-200], atol=1e-3)

    long = load_sound(broken_folder / "ten_minutes.wav")
    assert long.source_seconds == pytest.approx(600.0) and not long.silent

    odd = load_sound(broken_folder / "not_utf8_\udcff.wav")
    np.testing.assert_allclose(odd.samples[200:-200], tone(SR, 1.0)[200:-200], atol=1e-3)


@pytest.mark.parametrize(
    ("fmt", "subtype", "channels"),
    [("WAV", "PCM_16", 1), ("WAV", "PCM_24", 2), ("AIFF", "PCM_16", 1)],
)
def test_a_file_a_few_bytes_short_of_its_header_decodes_but_a_cut_one_does_not(
    tmp_path: Path, fmt: str, subtype: str, channels: int
) -> None:
    hit = np.tile(burst(44100)[:, None], (1, channels))
    sf.write(str(tmp_path / "whole"), hit, 44100, format=fmt, subtype=subtype)
    whole = (tmp_path / "whole").read_bytes()
    (tmp_path / "short").write_bytes(whole[:-2])  # its last sample, or part of it, lost
    ten_ms = 441 * channels * int(subtype[-2:]) // 8
    (tmp_path / "cut").write_bytes(whole[: -ten_ms - 2])  # 10 ms lost: more than tolerated

    short = load_sound(tmp_path / "short")

    np.testing.assert_allclose(short.samples, load_sound(tmp_path / "whole").samples, atol=1e-4)
    with pytest.raises(AudioError, match="truncated"):
        load_sound(tmp_path / "cut")


def test_a_variable_bitrate_mp3_cut_short_is_called_truncated(tmp_path: Path) -> None:
    if "MP3" not in sf.available_formats():
        pytest.skip(f"this libsndfile ({sf.__libsndfile_version__}) cannot write MP3")
    t = np.arange(44100) / 44100
    hit = (0.5 * np.sin(2 * np.pi * 200 * t) * np.exp(-t * 5)).astype(np.float32)
    sf.write(str(tmp_path / "hit.mp3"), hit, 44100, format="MP3")
    whole = (tmp_path / "hit.mp3").read_bytes()
    (tmp_path / "cut.mp3").write_bytes(whole[: len(whole) // 3])  # a download cut off
    assert load_sound(tmp_path / "hit.mp3").source_seconds == pytest.approx(1.0, abs=0.06)
    with pytest.raises(AudioError, match="truncated .its header promises 1.00 s"):
        load_sound(tmp_path / "cut.mp3")


def test_an_mp3_whose_header_gives_no_length_is_read_as_far_as_it_goes(tmp_path, monkeypatch):
    if "MP3" not in sf.available_formats():
        pytest.skip(f"this libsndfile ({sf.__libsndfile_version__}) cannot write MP3")
    t = np.arange(44100) / 44100
    sf.write(str(tmp_path / "hit.mp3"), (0.5 * np.sin(2 * np.pi * 200 * t)), 44100, format="MP3")
    opened = drumnet.audio.decode._open_checked

    class NoLength:  # as libsndfile reports a stream of unknown length: 0 frames
        def __init__(self, f):
            self._f = f

        def __getattr__(self, name):
            return 0 if name == "frames" else getattr(self._f, name)

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self._f.close()

    monkeypatch.setattr(drumnet.audio.decode, "_open_checked", lambda path: NoLength(opened(path)))
    frames, rate, _, seconds = read_head(tmp_path / "hit.mp3", 3.0)  # 1 s of 3: no promise
    assert rate == 44100 and seconds == pytest.approx(1.0, abs=0.06)
    assert frames.shape[0] == pytest.approx(44100, abs=2700)  # all of it, not an error


def test_a_cut_ogg_stream_is_called_damaged_and_an_empty_one_empty(tmp_path: Path) -> None:
    if "OGG" not in sf.available_formats():
        pytest.skip(f"this libsndfile ({sf.__libsndfile_version__}) cannot write OGG")
    sf.write(str(tmp_path / "hit.ogg"), burst(44100), 44100, format="OGG", subtype="VORBIS")
    sf.write(str(tmp_path / "empty.ogg"), np.zeros((0, 1), np.float32), 44100, format="OGG")
    (tmp_path / "cut.ogg").write_bytes((tmp_path / "hit.ogg").read_bytes()[:-7])

    assert not load_sound(tmp_path / "hit.ogg").silent
    with pytest.raises(AudioError, match="truncated or damaged OGG stream"):
        load_sound(tmp_path / "cut.ogg")
    with pytest.raises(AudioError, match="no audio frames"):
        load_sound(tmp_path / "empty.ogg")


def test_absurdly_loud_float_audio_is_measured_without_overflow(tmp_path: Path) -> None:
    for freq, lost in ((440.0, (0.0, 0.5)), (14000.0, (30.0, 200.0))):
        sf.write(str(tmp_path / "loud.wav"), tone(44100, 0.5, freq) * 1e20, 44100, "FLOAT")
        sound = load_sound(tmp_path / "loud.wav")  # the squares overflow float32
        assert lost[0] <= sound.above_band_db < lost[1]


def test_silence_is_valid_and_reported_as_silent(broken_folder: Path) -> None:
    sound = load_sound(broken_folder / "silence.wav")
    assert sound.silent and sound.peak_dbfs == -np.inf
    assert sound.samples.shape == (N,) and not sound.samples.any()
    sf.write(str(broken_folder / "hiss.wav"), tone(SR, 1.0, amp=1e-4), SR, subtype="FLOAT")
    assert load_sound(broken_folder / "hiss.wav").silent  # -80 dBFS is below -70 dBFS
    assert load_sound(broken_folder / "dc_offset.wav").silent  # a constant is not a sound
    (broken_folder / "hiss.wav").unlink()


def test_hits_are_counted_in_a_beat_but_not_in_one_shots(tmp_path: Path) -> None:
    beat = [(t, kind, 0.9) for t, kind in ((0.0, "kick"), (0.5, "snare"), (1.0, "kick"))]
    hats = [(t, "hat", 0.6) for t in (0.25, 0.75, 1.25)]  # over a tail: not counted (15 dB)
    flam = [(0.0, "snare", 0.5), (0.03, "snare", 0.9)]  # grace note 30 ms before: one hit
    cases = {
        "beat": (synth_pattern(beat + hats + [(1.5, "snare", 0.9)]), 4),
        "flam": (synth_pattern(flam), 1),
        "kick": (synth_drum("kick"), 1),
        "tom": (synth_drum("tom", seconds=2.0), 1),
        "quiet late hit": (synth_pattern([(0.0, "kick", 0.9), (0.6, "hat", 0.05)]), 1),
        "silence": (np.zeros(RATE, np.float32), 1),
    }
    for name, (x, hits) in cases.items():
        sf.write(str(tmp_path / "x.wav"), x, RATE, subtype="FLOAT")
        sound = load_sound(tmp_path / "x.wav")
        assert sound.hits == hits, name
        assert sound.hit_span == (pytest.approx(1.5, abs=0.015) if name == "beat" else 0.0), name
    assert list(hit_times(np.ones(10, np.float32), 11025)) == [0.0]  # shorter than a block
    times = hit_times(resample(synth_pattern(beat), RATE, 11025), 11025)
    assert times == pytest.approx([0.0, 0.5, 1.0], abs=0.015)


def test_save_audio_writes_what_the_extension_says_and_refuses_unknown_ones(tmp_path):
    x = np.sin(np.arange(1000) / 10).astype(np.float32) * 0.5
    assert audio_format(tmp_path / "a.FLAC") == "FLAC"
    written = {"a.flac": "FLAC", "a.aif": "AIFF", "a.wave": "WAV", "a.ogg": "OGG"}
    if "MP3" in sf.available_formats():  # libsndfile 1.1 and later
        written["a.mp3"] = "MP3"
    for name, fmt in written.items():
        assert sf.info(str(save_audio(tmp_path / name, x, RATE))).format == fmt
        assert is_audio_path(tmp_path / name)  # what it writes, drumnet reads back
    for name, words in [("a.mp3x", "as .mp3x"), ("a", "without a file extension")]:
        with pytest.raises(ValueError, match=words) as err:
            save_audio(tmp_path / name, x, RATE)
        assert ".wav" in str(err.value)
    with pytest.raises(ValueError, match="as .raw"):  # headerless: nothing could read it back
        save_audio(tmp_path / "a.raw", x, RATE)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(written)


@pytest.mark.parametrize("kind", ["kick", "snare", "hat", "tom"])
@pytest.mark.parametrize("offset", [0.03, 0.2, -0.4])
def test_a_dc_offset_is_removed_so_the_window_is_the_clean_sounds(
    tmp_path: Path, kind: str, offset: float
) -> None:
    # Half a second of hit and then its silence, all shifted: an old sampler's or a bad
    # converter's offset. The nets mistook it for sound (a snare at 98.5 % fell to 35 % at 0.2).
    hit = np.concatenate([synth_drum(kind, seed=3), np.zeros(RATE // 4, np.float32)])
    sf.write(str(tmp_path / "clean.wav"), hit, RATE, "FLOAT")
    stereo = np.stack([hit, hit], axis=1) + offset
    sf.write(str(tmp_path / "offset.wav"), stereo.astype(np.float32), RATE, "FLOAT")
    clean, shifted = load_sound(tmp_path / "clean.wav"), load_sound(tmp_path / "offset.wav")
    assert clean.dc_offset == 0.0
    assert shifted.dc_offset == pytest.approx(offset, abs=1e-6)
    assert shifted.onset_seconds == clean.onset_seconds
    np.testing.assert_allclose(shifted.samples, clean.samples, atol=1e-5)


def test_an_offset_under_leading_silence_is_removed_too(tmp_path: Path) -> None:
    # The file ends mid-ring (no settled tail), but it starts with 0.2 s at the offset.
    ring = np.sin(2 * np.pi * 300 * np.arange(RATE) / RATE).astype(np.float32) * 0.8
    x = np.concatenate([np.zeros(RATE // 5, np.float32), ring]) + np.float32(0.1)
    sf.write(str(tmp_path / "late.wav"), x, RATE, "FLOAT")
    assert load_sound(tmp_path / "late.wav").dc_offset == pytest.approx(0.1, abs=1e-6)


def test_tones_drifts_and_clicks_are_not_taken_for_an_offset(tmp_path: Path) -> None:
    t = np.arange(RATE) / RATE
    sounds = {
        # A sustained tone, a slow square wave and noise never hold still at their ends.
        "tone": 0.5 * np.sin(2 * np.pi * 110 * t),
        "square": 0.5 * np.sign(np.sin(2 * np.pi * 3 * t + 0.1)),
        "noise": 0.3 * np.random.default_rng(0).standard_normal(RATE),
        # An offset that appears only as the sound dies away is a drift, not one through the
        # sound: removing it would shift the hit (LMMS's bassdrum_acoustic02.ogg).
        "drift": np.concatenate([synth_drum("kick"), np.full(RATE // 2, -0.05)]),
        # Too short to tell a settled level from the sound.
        "click": np.full(RATE // 20, 0.3),
    }
    for name, x in sounds.items():
        sf.write(str(tmp_path / f"{name}.wav"), x.astype(np.float32), RATE, "FLOAT")
        assert load_sound(tmp_path / f"{name}.wav").dc_offset == 0.0, name
