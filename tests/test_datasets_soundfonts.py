"""SoundFont data sources: GM labels, reserved notes never rendered, renders cached."""

from __future__ import annotations

import shutil

import pytest
import soundfile as sf
from soundfont_fixtures import drum_font, sine, write_sf2

from drumnet.taxonomy import DRUM_CLASSES, OTHER
from drumnet.training.datasets import soundfont_sources as sources
from drumnet.training.datasets.debian import FetchError
from drumnet.training.datasets.manifest import Sample, read_manifest, write_manifest
from drumnet.training.soundfont import sf2
from drumnet.training.soundfont.exclusions import load_exclusions, parse_exclusions
from drumnet.training.soundfont.gm import GM_DRUMS, GM_KEYS, kit_drum
from drumnet.training.soundfont.plan import drum_plan, melodic_plan
from drumnet.training.soundfont.sf2 import SoundFont

GENERALUSER = "GeneralUser-v1.47.sf2"
RESERVED = {(GENERALUSER, 128, None, 60), (GENERALUSER, 128, None, 61)}
RESERVED |= {(GENERALUSER, 128, None, 81), (GENERALUSER, 128, 56, None)}


def full_kit_font(path):
    """Standard: a kick on 36; Percussion: the same kick, a tone on every other key; SFX."""
    samples = [("kick", sine(100, 0.3), 22050, 36, None), ("tone", sine(300, 0.3), 22050, 60, None)]
    instruments = [
        ("kit", [{sf2.KEY_RANGE: (36, 36), sf2.SAMPLE_ID: 0}]),
        ("all", [{sf2.KEY_RANGE: (37, 127), sf2.SAMPLE_ID: 1}]),
        ("piano", [{sf2.SAMPLE_ID: 1}]),
    ]
    presets = [
        ("Standard", 128, 0, [{sf2.INSTRUMENT: 0}]),
        ("Percussion", 128, 1, [{sf2.INSTRUMENT: 1}, {sf2.INSTRUMENT: 0}]),
        ("SFX", 128, 56, [{sf2.INSTRUMENT: 1}]),
        ("Piano", 0, 0, [{sf2.INSTRUMENT: 2}]),
        ("Taiko", 0, 116, [{sf2.INSTRUMENT: 2}]),
    ]
    return write_sf2(path, samples, instruments, presets)


def test_the_packaged_exclusions_cover_the_reserved_list():
    rules = {(r.font, r.bank, r.program, r.key) for r in load_exclusions()}
    assert rules == RESERVED


def test_gm_map():
    assert set(GM_KEYS) == set(GM_DRUMS) == set(range(35, 82))
    assert {d.label for d in GM_DRUMS.values()} - {None} == set(DRUM_CLASSES)
    assert kit_drum(0, 42).sub == "hihat/closed" and kit_drum(0, 46).sub == "hihat/open"
    assert kit_drum(0, 51).sub == "cymbal/ride" and kit_drum(0, 36).label == "kick"
    assert kit_drum(48, 45).label == "perc"  # the Orchestral kit's timpani, not a tom
    assert kit_drum(40, 40).label is None  # the Brush kit's swirl is no one-shot
    assert kit_drum(40, 39).label == "snare" and kit_drum(48, 59).sub == ""  # concert cymbal
    assert kit_drum(0, 71).label is None and kit_drum(0, 90) is None


def test_reserved_notes_are_never_planned(tmp_path):
    font = SoundFont(full_kit_font(tmp_path / GENERALUSER))
    notes, skipped = drum_plan(font, GENERALUSER, "GeneralUser", load_exclusions())
    assert not {n.key for n in notes} & {60, 61, 81}
    assert {n.library for n in notes} == {"GeneralUser/Standard", "GeneralUser/Percussion"}
    reasons = {what: why for why, what in skipped}
    assert (
        "reserved" in reasons["GeneralUser/SFX"]
        and "bongos" in reasons["GeneralUser/Percussion key 60 (Hi Bongo)"]
    )
    # the rules name a font: another font's bongos and SFX kit may be rendered
    other, other_skipped = drum_plan(font, "Other.sf2", "Other", load_exclusions())
    assert {60, 61, 81} <= {n.key for n in other}
    assert not any("reserved" in why for why, _ in other_skipped)


def test_plan_labels_and_leaves_out_repeats(tmp_path):
    font = SoundFont(full_kit_font(tmp_path / "font.sf2"))
    rules = parse_exclusions("font,bank,program,key,why\nfont.sf2,128,1,50,test rule\n")
    notes, skipped = drum_plan(font, "font.sf2", "F", rules)
    kick = [n for n in notes if n.key == 36]
    # one render: the velocities only change the level, and Percussion's 36 is Standard's
    assert [(n.library, n.velocity, n.label) for n in kick] == [("F/Standard", 127, "kick")]
    hats = [n for n in notes if n.key == 42]
    assert [(n.label, n.subclass) for n in hats] == [("hihat", "hihat/closed")]
    assert ("F/Percussion", 50) not in {(n.library, n.key) for n in notes}
    assert ("test rule", "F/Percussion key 50 (High Tom)") in skipped
    assert {71, 72} & {n.key for n in notes} == set()  # whistles: no drum hit
    labels = {n.label for n in notes}
    assert labels <= set(DRUM_CLASSES) and OTHER not in labels


def test_melodic_plan_is_other_without_drum_programs(tmp_path):
    font = SoundFont(full_kit_font(tmp_path / "font.sf2"))
    notes, skipped = melodic_plan(font, "font.sf2", "F", ())
    assert {(n.label, n.library, n.program) for n in notes} == {(OTHER, "F/melodic-piano", 0)}
    assert len({n.key for n in notes}) == 3 and all(0.3 <= n.seconds <= 1.5 for n in notes)
    assert ("a drum or hit among the melodic programs", "F/melodic-percussive: Taiko") in skipped


def test_render_font_writes_wavs_once(tmp_path, monkeypatch):
    path = drum_font(tmp_path / GENERALUSER)
    source = sources.FONT_SOURCES["generaluser"]
    samples, skipped = sources.render_font(path, source, root=tmp_path / "out")
    assert {(s.label, s.subclass, s.library, s.source) for s in samples} == {
        ("kick", "", "GeneralUser/Standard", "generaluser"),
        ("hihat", "hihat/closed", "GeneralUser/Standard", "generaluser"),
    }
    for s in samples:
        x, rate = sf.read(s.path)
        assert rate == 44100 and abs(x).max() == pytest.approx(sources.PEAK, abs=1e-3)
    assert any(what == "GeneralUser/SFX" for _, what in skipped)
    assert read_manifest(tmp_path / "out" / "manifest.csv") == samples

    def no_render(*args, **kwargs):
        raise AssertionError("rendered again")

    monkeypatch.setattr(sources, "render_note", no_render)
    assert sources.render_font(path, source, root=tmp_path / "out") == (samples, skipped)
    monkeypatch.setattr(sources, "RENDER_VERSION", sources.RENDER_VERSION + 1)
    with pytest.raises(AssertionError, match="rendered again"):
        sources.render_font(path, source, root=tmp_path / "out")


def test_a_source_that_cannot_be_had_is_one_skipped_line(tmp_path, monkeypatch, isolated_cache):
    def offline():
        raise FetchError("apt has no package lists")

    broken = tmp_path / "broken.sf2"
    broken.write_bytes(b"RIFF\x04\x00\x00\x00sfbk")
    for locate, why in [(offline, "no package lists"), (lambda: broken, "missing the sdta")]:
        source = sources.FontSource("generaluser", "GeneralUser", locate)
        monkeypatch.setitem(sources.FONT_SOURCES, "generaluser", source)
        samples, skipped = sources.font_samples("generaluser")
        assert samples == [] and len(skipped) == 1
        assert skipped[0][0] == sources.UNAVAILABLE and why in skipped[0][1]


def test_manifest_keeps_subclass_and_reads_old_files(tmp_path):
    sample = Sample("a.wav", "hihat", "kit", "42 Closed Hi-Hat", 0, "generaluser", "hihat/closed")
    write_manifest([sample], tmp_path / "m.csv")
    assert read_manifest(tmp_path / "m.csv") == [sample]
    (tmp_path / "old.csv").write_text(
        "path,label,library,instrument,layer,source\na.wav,kick,k,,0,x\n"
    )
    assert read_manifest(tmp_path / "old.csv") == [Sample("a.wav", "kick", "k", "", 0, "x")]


@pytest.mark.slow
def test_real_generaluser_kits():
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        pytest.skip("apt-get/dpkg-deb not available")
    samples, skipped = sources.font_samples("generaluser")
    assert len(samples) > 200, skipped[:3]
    kits = {s.library for s in samples}
    assert "GeneralUser/Standard" in kits and "GeneralUser/SFX" not in kits
    keys = {int(s.instrument.split()[0]) for s in samples}
    assert not keys & {60, 61, 81} and {s.label for s in samples} == set(DRUM_CLASSES)
    assert {"hihat/open", "hihat/closed", "hihat/pedal", "cymbal/ride"} <= {
        s.subclass for s in samples
    }


def test_data_fetch_skips_a_source_it_cannot_have_with_one_line(monkeypatch, capsys):
    from drumnet.cli import main
    from drumnet.training.datasets import sources as registry

    def offline():
        raise FetchError("apt has no package lists")

    kick = Sample("k.wav", "kick", "OPL3/Drums 0", "36 Bass Drum 1", 0, "opl3")
    monkeypatch.setitem(registry.SOURCES, "hydrogen", offline)
    monkeypatch.setitem(
        registry.SOURCES, "sonivox", lambda: ([], [(sources.UNAVAILABLE, "sonivox: npm not found")])
    )
    monkeypatch.setitem(registry.SOURCES, "opl3", lambda: ([kick], []))
    assert main(["data", "fetch", "--sources", "hydrogen,sonivox,opl3"]) == 1
    out, err = capsys.readouterr()
    assert out.strip() == "opl3: 1 sample, 0 left out"
    assert err.strip().splitlines() == [
        "hydrogen: skipped, cannot be fetched or read (apt has no package lists)",
        "sonivox: skipped, cannot be fetched or read (npm not found)",
    ]


def test_data_info_shows_the_kits_and_sub_labels(tmp_path, monkeypatch, capsys, write_drum):
    from drumnet.cli import main
    from drumnet.training.datasets import sources as registry

    hat = write_drum(tmp_path / "hat.wav", "hat")
    found = [Sample(str(hat), "hihat", "OPL3/Drums 0", "46 Open Hi-Hat", 0, "opl3", "hihat/open")]
    monkeypatch.setitem(registry.SOURCES, "opl3", lambda: (found, []))
    assert main(["data", "info", "--sources", "opl3"]) == 0
    out = capsys.readouterr().out
    assert "OPL3/Drums 0" in out and "sub-labels: hihat/open 1" in out
