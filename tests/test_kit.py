"""Kits: the suggestion (hats by decay, toms by pitch, one pack), the export (SFZ regions on GM
keys, a drumkit.xml Hydrogen's XSD accepts, originals untouched, nothing overwritten or left
half-written) and `drumnet kit` end to end."""

from __future__ import annotations

import errno
import hashlib
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from library_fixtures import write_library

from drumnet.cli import main
from drumnet.library import kit_export
from drumnet.library.kit import PAD_BY_NAME, Candidate, parse_picks, suggest_kit
from drumnet.library.kit_export import KitError, export_kit

RATE = 44100  # Hz


def tone(path: Path, hz: float, decay: float, seconds: float = 2.0) -> str:
    """A decaying sine: `decay` is its time constant in seconds."""
    t = np.arange(int(RATE * seconds)) / RATE
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), 0.8 * np.sin(2 * np.pi * hz * t) * np.exp(-t / decay), RATE)
    return str(path)


def noise(path: Path, decay: float, seed: int = 0) -> str:
    rng = np.random.default_rng(seed)
    t = np.arange(int(RATE * 1.5)) / RATE
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), 0.5 * rng.uniform(-1, 1, t.size) * np.exp(-t / decay), RATE)
    return str(path)


def digest(path: str | Path) -> str:
    return hashlib.blake2b(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def pads(tmp_path) -> dict[str, str]:
    src = tmp_path / "src"
    return {
        "kick": tone(src / "Pack" / "BD 01.wav", 55, 0.15),
        "snare": noise(src / "Pack" / "snare.wav", 0.1),
        "closed-hat": noise(src / "Pack" / "hat a.wav", 0.01, 1),
        "open-hat": noise(src / "Pack" / "hat b.wav", 0.3, 2),
        "tom-low": tone(src / "Other" / "tom.wav", 90, 0.3),
    }


def test_sfz_regions_point_at_copied_files_on_gm_keys(pads, tmp_path):
    before = {p: digest(p) for p in pads.values()}
    done = export_kit(pads, tmp_path / "kit", ["sfz"], "My Kit")
    sfz = (tmp_path / "kit" / "My_Kit.sfz").read_text()
    regions = re.findall(
        r"<region> sample=(\S+) lokey=(\d+) hikey=(\d+) pitch_keycenter=(\d+)", sfz
    )
    assert len(regions) == len(pads)
    by_file = {sample: int(key) for sample, key, hi, centre in regions if key == hi == centre}
    for pad, source in pads.items():
        sample = done.samples[pad]
        assert by_file[sample] == PAD_BY_NAME[pad].key
        assert digest(tmp_path / "kit" / sample) == before[source]  # a copy, byte for byte
    assert sfz.count("group=1 off_by=1") == 2  # the hats choke each other
    assert {p: digest(p) for p in pads.values()} == before  # originals untouched
    assert not (tmp_path / "kit" / "drumkit.xml").exists()
    assert done.samples["kick"] == "kick-BD_01.wav"  # no spaces: SFZ reads to the next opcode


@pytest.fixture(scope="session")
def drumkit_xsd() -> Path:
    """Hydrogen's drumkit.xsd from Debian's hydrogen-data, fetched into the cache once."""
    from drumnet.training.datasets.debian import FetchError, fetch_packages

    try:
        root = fetch_packages(["hydrogen-data"])
    except FetchError as exc:
        pytest.skip(f"cannot fetch Hydrogen's drumkit.xsd: {exc}")
    xsd = root / "usr/share/hydrogen/data/xsd/drumkit.xsd"
    if not xsd.is_file():
        pytest.skip(f"hydrogen-data holds no {xsd}")
    return xsd


def test_drumkit_xml_validates_against_hydrogens_xsd(pads, tmp_path, drumkit_xsd):
    import xmlschema

    done = export_kit(pads, tmp_path / "kit", ["hydrogen"], 'Kit <&> "quoted"')
    xml = tmp_path / "kit" / "drumkit.xml"
    schema = xmlschema.XMLSchema(str(drumkit_xsd))
    schema.validate(str(xml))
    ns = {"h": kit_export.HYDROGEN_NS}
    root = ET.parse(xml).getroot()
    assert root.findtext("h:name", namespaces=ns) == 'Kit <&> "quoted"'
    instruments = root.findall("h:instrumentList/h:instrument", ns)
    names = [
        i.findtext("h:instrumentComponent/h:layer/h:filename", namespaces=ns) for i in instruments
    ]
    assert sorted(names) == sorted(done.samples.values())
    assert all((tmp_path / "kit" / n).is_file() for n in names)
    notes = {
        i.findtext("h:name", namespaces=ns): i.findtext("h:midiOutNote", namespaces=ns)
        for i in instruments
    }
    assert notes["Kick"] == "36" and notes["Open Hat"] == "46" and notes["Low Tom"] == "41"


def test_nothing_is_overwritten(pads, tmp_path):
    out = tmp_path / "kit"
    out.mkdir()
    (out / "kick-BD_01.wav").write_bytes(b"mine")
    done = export_kit(pads, out)
    assert (out / "kick-BD_01.wav").read_bytes() == b"mine"
    assert done.samples["kick"] == "kick-BD_01-2.wav"
    listing = sorted(os.listdir(out))
    with pytest.raises(KitError, match="already holds"):
        export_kit(pads, out)
    assert sorted(os.listdir(out)) == listing


def test_a_full_disk_leaves_nothing_half_written(pads, tmp_path, monkeypatch):
    out = tmp_path / "kit"
    real_link, calls = os.link, []

    def link(src, dst, *args, **kwargs):
        calls.append(dst)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device")
        return real_link(src, dst, *args, **kwargs)

    monkeypatch.setattr(kit_export.os, "link", link)
    with pytest.raises(KitError, match="No space left on device") as caught:
        export_kit(pads, out)
    assert "\n" not in str(caught.value)
    assert os.listdir(out) == []  # what was published is taken back, temporaries removed


def test_an_unwritable_folder_is_one_line_and_exit_1(pads, tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(KitError, match="cannot create"):
        export_kit(pads, blocker / "kit")
    picks = [f"--pick={pad}={path}" for pad, path in pads.items()]
    assert main(["kit", "--out", str(blocker / "kit"), *picks]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("drumnet kit: cannot create")


def test_picks_and_their_errors(tmp_path):
    assert parse_picks(["kick=a.wav", "hat=b.wav", "Open_Hat=c.wav"]) == {
        "kick": "a.wav",
        "closed-hat": "b.wav",
        "open-hat": "c.wav",
    }
    for bad in ("banjo=a.wav", "kick", "kick="):
        with pytest.raises(ValueError):
            parse_picks([bad])
    assert main(["kit", "--out", str(tmp_path / "k"), "--pick", "banjo=x.wav"]) == 2
    bad_model = tmp_path / "bad.safetensors"
    bad_model.write_bytes(b"not a model")
    assert (
        main(["kit", str(tmp_path), "--out", str(tmp_path / "k"), "--model", str(bad_model)]) == 2
    )
    assert main(["kit", str(tmp_path / "nowhere"), "--out", str(tmp_path / "k")]) == 2
    assert not (tmp_path / "k").exists()


def test_suggest_tells_hats_by_decay_and_toms_by_pitch(tmp_path):
    lib = tmp_path / "lib"
    short = noise(lib / "Pack" / "hh1.wav", 0.01, 1)
    long = noise(lib / "Pack" / "hh2.wav", 0.3, 2)
    low = tone(lib / "Pack" / "t1.wav", 80, 0.3)
    mid = tone(lib / "Pack" / "t2.wav", 140, 0.3)
    high = tone(lib / "Pack" / "t3.wav", 220, 0.3)
    hats = [Candidate(long, "hihat", 0.95), Candidate(short, "hihat", 0.9)]
    toms = [Candidate(p, "tom", c) for p, c in ((high, 0.9), (low, 0.8), (mid, 0.7))]
    kit = suggest_kit([*hats, *toms])
    assert kit["closed-hat"].path == short and kit["open-hat"].path == long
    assert [kit[p].path for p in ("tom-low", "tom-mid", "tom-high")] == [low, mid, high]
    named = noise(lib / "Pack" / "OH long.wav", 0.01, 3)  # its name says open, not its decay
    kit = suggest_kit([Candidate(named, "hihat", 0.99), Candidate(short, "hihat", 0.5)])
    assert kit["open-hat"].path == named and kit["closed-hat"].path == short


def test_suggest_prefers_one_pack_and_close_sounds(tmp_path):
    a, b = tmp_path / "Pack A", tmp_path / "Pack B"
    kicks = [Candidate(str(a / "k.wav"), "kick", 0.90), Candidate(str(b / "k.wav"), "kick", 0.95)]
    snares = [Candidate(str(a / "s.wav"), "snare", 0.9), Candidate(str(b / "s.wav"), "snare", 0.8)]
    claps = [Candidate(str(a / "c.wav"), "clap", 0.9)]
    kit = suggest_kit([*kicks, *snares, *claps])
    assert all(os.path.dirname(c.path) == str(a) for c in kit.values())  # A holds 3 classes
    north, east = np.array([1.0, 0.0], np.float32), np.array([0.0, 1.0], np.float32)
    fixed = {"kick": Candidate(str(a / "k.wav"), "kick", 1.0, north)}
    near = Candidate(str(tmp_path / "x" / "near.wav"), "snare", 0.80, north)
    far = Candidate(str(tmp_path / "y" / "far.wav"), "snare", 0.85, east)
    assert suggest_kit([near, far], fixed)["snare"] is near
    assert suggest_kit([near, far], fixed)["kick"] is fixed["kick"]


@pytest.mark.slow
def test_drumnet_kit_end_to_end(tmp_path, isolated_cache, capsys):
    lib = write_library(tmp_path / "lib")
    before = {p: digest(p) for p in lib.rglob("*.wav")}
    out = tmp_path / "kit"
    kick = lib / "Pack B" / "kick_1.wav"
    args = ["kit", str(lib), "--out", str(out), "--model", "default", "--workers", "0"]
    assert main([*args, "--pick", f"kick={kick}"]) == 1  # broken.wav: one line, exit 1
    captured = capsys.readouterr()
    assert captured.err.count("\n") == 1 and "broken.wav" in captured.err
    lines = dict(line.split(None, 1) for line in captured.out.splitlines() if "<-" in line)
    assert lines["kick"].endswith(f"<- {kick}")
    assert {"snare", "closed-hat", "crash"} <= set(lines)
    assert (out / "drumnet_kit.sfz").is_file() and (out / "drumkit.xml").is_file()
    assert {p: digest(p) for p in lib.rglob("*.wav")} == before
