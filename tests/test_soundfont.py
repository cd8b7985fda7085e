"""The SoundFont reader and note renderer, on tiny fonts written in the test."""

from __future__ import annotations

import numpy as np
import pytest
from soundfont_fixtures import drum_font, sine, write_sf2

from drumnet.training.soundfont import sf2
from drumnet.training.soundfont.render import NoSound, RenderConfig, render_note
from drumnet.training.soundfont.sf2 import SoundFont, SoundFontError

RATE = 44100


def frequency(x: np.ndarray, rate: int = RATE) -> float:
    """The strongest frequency of x (Hz), to a fraction of a hertz (zero-padded FFT)."""
    n = 1 << 18
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)), n))
    return float(np.argmax(spectrum) * rate / n)


def rms(x: np.ndarray) -> float:
    return float(np.sqrt(np.mean(np.square(x, dtype=np.float64))))


def tone_font(tmp_path, instrument_zone: dict | None = None, preset_zone: dict | None = None):
    """Bank 0 program 0: a looped 441 Hz sine (root key 69) with extra zone generators."""
    zone = {sf2.SAMPLE_MODES: 1, **(instrument_zone or {}), sf2.SAMPLE_ID: 0}
    return SoundFont(
        write_sf2(
            tmp_path / "tone.sf2",
            [("tone", sine(441, 0.5), 22050, 69, (1000, 3500))],
            [("tone", [zone])],
            [("Tone", 0, 0, [{**(preset_zone or {}), sf2.INSTRUMENT: 0}])],
        )
    )


def test_reads_the_hierarchy(tmp_path):
    font = SoundFont(drum_font(tmp_path / "kit.sf2"))
    assert [(p.name, p.bank, p.program) for p in font.presets] == [
        ("Standard", 128, 0),
        ("SFX", 128, 56),
        ("Sine", 0, 0),
    ]
    assert [s.name for s in font.samples] == ["kick", "hat", "tone"]
    assert font.samples[1].original_pitch == 42 and font.samples[0].sample_rate == 22050
    assert len(font.data) == 3 * 11025 + 3 * 46


def test_key_picks_the_zone(tmp_path):
    font = SoundFont(drum_font(tmp_path / "kit.sf2"))
    kick = render_note(font, 128, 0, 36, 127)
    hat = render_note(font, 128, 0, 42, 127)
    assert frequency(kick) == pytest.approx(100, abs=0.5)
    assert frequency(hat) == pytest.approx(2000, abs=2)
    # unlooped, at its root key: the sample's 0.5 s, resampled to 44.1 kHz
    assert len(kick) / RATE == pytest.approx(0.5, abs=0.01)
    with pytest.raises(NoSound, match="key 50"):
        render_note(font, 128, 0, 50, 127)
    with pytest.raises(KeyError):
        render_note(font, 128, 99, 36, 127)


@pytest.mark.parametrize(
    ("key", "zone", "expected"),
    [
        (69, {}, 441.0),
        (81, {}, 882.0),  # an octave up
        (57, {}, 220.5),
        (69, {sf2.OVERRIDING_ROOT_KEY: 57}, 882.0),  # the sample now counts as key 57
        (69, {sf2.COARSE_TUNE: 2}, 441.0 * 2 ** (2 / 12)),
        (69, {sf2.FINE_TUNE: -50}, 441.0 * 2 ** (-0.5 / 12)),
        (81, {sf2.SCALE_TUNING: 0}, 441.0),  # no key tracking
        (81, {sf2.SCALE_TUNING: 50}, 441.0 * 2**0.5),
    ],
)
def test_pitch_follows_root_key_and_tuning(tmp_path, key, zone, expected):
    font = tone_font(tmp_path, zone)
    x = render_note(font, 0, 0, key, 127, RenderConfig(note_seconds=0.5))
    assert frequency(x[2000:20000]) == pytest.approx(expected, rel=2e-3)


def test_preset_tuning_adds_to_the_instrument(tmp_path):
    font = tone_font(tmp_path, {sf2.COARSE_TUNE: 1}, {sf2.COARSE_TUNE: 1})
    x = render_note(font, 0, 0, 69, 127, RenderConfig(note_seconds=0.5))
    assert frequency(x[2000:20000]) == pytest.approx(441.0 * 2 ** (2 / 12), rel=2e-3)


def test_attenuation_and_velocity_scale_the_level(tmp_path):
    config = RenderConfig(note_seconds=0.3)
    plain = render_note(tone_font(tmp_path), 0, 0, 69, 127, config)
    quieter = render_note(tone_font(tmp_path, {sf2.ATTENUATION: 60}), 0, 0, 69, 127, config)
    both = render_note(
        tone_font(tmp_path, {sf2.ATTENUATION: 60}, {sf2.ATTENUATION: 60}), 0, 0, 69, 127, config
    )
    soft = render_note(tone_font(tmp_path), 0, 0, 69, 64, config)
    span = slice(1000, 10000)
    assert rms(quieter[span]) / rms(plain[span]) == pytest.approx(10 ** (-6 / 20), rel=0.01)
    assert rms(both[span]) / rms(plain[span]) == pytest.approx(10 ** (-12 / 20), rel=0.01)
    # the default velocity curve: 40 dB per decade of velocity below 127
    assert rms(soft[span]) / rms(plain[span]) == pytest.approx((64 / 127) ** 2, rel=0.01)


def test_loop_holds_the_note_then_release_ends_it(tmp_path):
    font = tone_font(tmp_path, {sf2.RELEASE_VOL: 0})  # 0 timecents: 1 s for 100 dB
    x = render_note(font, 0, 0, 69, 127, RenderConfig(note_seconds=1.2))
    # held past the 0.5 s sample by its loop; then 80 dB of release (to the trim) in 0.8 s
    assert len(x) / RATE == pytest.approx(1.2 + 0.8, abs=0.02)
    held, tail = rms(x[int(1.0 * RATE) : int(1.1 * RATE)]), rms(x[int(1.6 * RATE) :])
    assert held > 0.3 and tail < held / 10


def test_attack_and_start_offset(tmp_path):
    font = tone_font(tmp_path, {sf2.ATTACK_VOL: -2400})  # 0.25 s linear attack
    x = render_note(font, 0, 0, 69, 127, RenderConfig(note_seconds=0.5))
    first, later = rms(x[: int(0.05 * RATE)]), rms(x[int(0.3 * RATE) : int(0.4 * RATE)])
    assert first < later / 5
    kit = write_sf2(
        tmp_path / "short.sf2",
        [("kick", sine(100, 0.5), 22050, 60, None)],
        [("kit", [{sf2.START_OFFSET: 5512, sf2.SAMPLE_ID: 0}])],
        [("Kit", 128, 0, [{sf2.INSTRUMENT: 0}])],
    )
    x = render_note(SoundFont(kit), 128, 0, 60, 127)
    assert len(x) / RATE == pytest.approx(0.25, abs=0.01)  # a quarter second skipped


def test_stereo_pair_mixes_to_mono(tmp_path):
    left, right = sine(300, 0.3), sine(300, 0.3)
    font = write_sf2(
        tmp_path / "stereo.sf2",
        [("L", left, 22050, 60, None, 4), ("R", right, 22050, 60, None, 2)],
        [("pair", [{sf2.SAMPLE_ID: 0}, {sf2.SAMPLE_ID: 1}]), ("one", [{sf2.SAMPLE_ID: 0}])],
        [("Pair", 128, 0, [{sf2.INSTRUMENT: 0}]), ("One", 128, 1, [{sf2.INSTRUMENT: 1}])],
    )
    font = SoundFont(font)
    pair, one = render_note(font, 128, 0, 60, 127), render_note(font, 128, 1, 60, 127)
    assert rms(pair) / rms(one) == pytest.approx(2.0, rel=0.01)


def test_broken_files_raise_a_clear_error(tmp_path):
    good = drum_font(tmp_path / "kit.sf2").read_bytes()
    cut = tmp_path / "cut.sf2"
    cut.write_bytes(good[: len(good) // 2])
    with pytest.raises(SoundFontError, match="cut.sf2.*(truncated|missing)"):
        SoundFont(cut)
    text = tmp_path / "notes.sf2"
    text.write_text("not a soundfont")
    with pytest.raises(SoundFontError, match="not a SoundFont 2 file"):
        SoundFont(text)
    damaged = bytearray(good)
    at = good.index(b"shdr")  # a sample header pointing far past the data
    damaged[at + 8 + 20 : at + 8 + 28] = np.array([0, 10**9], "<u4").tobytes()
    (tmp_path / "damaged.sf2").write_bytes(bytes(damaged))
    with pytest.raises(SoundFontError, match="outside the data"):
        SoundFont(tmp_path / "damaged.sf2")
    with pytest.raises(SoundFontError, match="cannot be read"):
        SoundFont(tmp_path / "missing.sf2")


def test_pitching_down_adds_no_images_above_the_band(tmp_path):
    font = write_sf2(
        tmp_path / "hat.sf2",
        [("hat", sine(2000, 0.5), 22050, 42, None)],
        [("hat", [{sf2.SAMPLE_ID: 0}])],
        [("Hat", 128, 0, [{sf2.INSTRUMENT: 0}])],
    )
    x = render_note(SoundFont(font), 128, 0, 30, 127)  # an octave down: 1 kHz
    x = x[: int(0.4 * RATE)] * np.hanning(int(0.4 * RATE))
    spectrum = 20 * np.log10(np.abs(np.fft.rfft(x)) + 1e-12)
    freqs = np.fft.rfftfreq(len(x), 1 / RATE)
    assert frequency(x) == pytest.approx(1000, abs=2)
    # the sample (22,050 Hz) read at half speed holds nothing above 5.5 kHz; linear
    # interpolation alone leaves an image at 10 kHz only about 40 dB down
    assert spectrum[freqs > 6000].max() < spectrum.max() - 70
