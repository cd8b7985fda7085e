"""classify_paths: labels, restriction, unsure, hostile folders, the index and corrections."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import soxr
import torch
from conftest import BEAT, RATE, synth_drum, synth_pattern

from drumnet.audio.prepare import prepare_waveform
from drumnet.config import FeatureConfig
from drumnet.inference.classifier import DrumClassifier
from drumnet.inference.decision import Decision
from drumnet.inference.pipeline import classify_paths
from drumnet.inference.workers import decoded_chunks
from drumnet.library.duplicates import duplicate_groups
from drumnet.library.embed import embed_paths
from drumnet.library.index import Index
from drumnet.nets import build_model
from drumnet.nets.checkpoint import save_model
from drumnet.taxonomy import CLASSES, LOOP, UNSURE


def random_model_file(folder: Path, name: str = "mlp") -> Path:
    """A random-weight model over all CLASSES, saved as a model file (for mechanics tests)."""
    torch.manual_seed(0)
    return save_model(build_model(name, CLASSES), folder / f"{name}.safetensors")


def train_kick_hat() -> DrumClassifier:
    """An MLP that tells synthesised kicks from hats, trained in a few seconds."""
    torch.manual_seed(0)
    config = FeatureConfig()
    waves, labels = [], []
    for seed in range(16):
        for label, kind in enumerate(("kick", "hat")):
            waves.append(prepare_waveform(synth_drum(kind, seed), RATE, config))
            labels.append(label)
    x, y = torch.from_numpy(np.stack(waves)), torch.tensor(labels)
    model = build_model("mlp", ("kick", "hihat"))
    opt = torch.optim.Adam(model.parameters(), lr=1e-3)
    model.train()
    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # tiny batches: one thread is fastest on a shared machine
    for _ in range(20):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(x), y).backward()
        opt.step()
    torch.set_num_threads(threads)
    return DrumClassifier(model.eval(), {"model_id": "kick-hat-test"}, device="cpu")


@pytest.fixture(scope="module")
def kick_hat() -> DrumClassifier:
    return train_kick_hat()


@pytest.fixture
def library(tmp_path, write_drum) -> Path:
    """tmp_path/lib with 3 kicks and 3 hats in a sub-folder."""
    for i in range(3):
        write_drum(tmp_path / "lib" / "pack" / f"k{i}.wav", "kick", seed=100 + i)
        write_drum(tmp_path / "lib" / "pack" / f"h{i}.wav", "hat", seed=100 + i)
    return tmp_path / "lib"


def labels_by_name(results) -> dict[str, str]:
    return {Path(r.path).name: r.label for r in results}


@pytest.mark.parametrize("workers", [0, 2])
def test_labels_are_right(kick_hat, library, workers):
    results = list(classify_paths(library, kick_hat, workers=workers, batch_size=4))
    assert len(results) == 6 and all(r.ok for r in results)
    for r in results:
        assert r.label == ("kick" if Path(r.path).name.startswith("k") else "hihat")
        assert r.confidence == max(r.scores.values()) > 0.5
        assert sum(r.scores.values()) == pytest.approx(1.0)
    assert [r.path for r in results] == sorted(r.path for r in results)  # discovery order


def _pid_and_rows(waves: np.ndarray) -> tuple[int, int]:
    return os.getpid(), len(waves)


def test_the_workers_run_the_network_when_each_gets_one_thread(library, kick_hat):
    def run(threads):
        chunks = decoded_chunks(
            [library], FeatureConfig(), lambda _: None, 2, 2, threads, _pid_and_rows
        )
        return [decoded[1] for _, decoded in chunks]

    in_workers = run(1)
    assert {rows for _, rows in in_workers} == {2} and len(in_workers) == 3
    assert os.getpid() not in {pid for pid, _ in in_workers}
    assert {pid for pid, _ in run(2)} == {os.getpid()}  # more threads: in this process
    remote = list(classify_paths(library, kick_hat, workers=2, threads=1, batch_size=2))
    here = list(classify_paths(library, kick_hat, workers=0))
    assert [(r.path, r.label, r.warning) for r in remote] == [
        (r.path, r.label, r.warning) for r in here
    ]
    for a, b in zip(remote, here, strict=True):
        assert a.scores == pytest.approx(b.scores, abs=1e-5)


def test_classes_restrict_and_min_confidence(tmp_path, library):
    model = DrumClassifier(build_model("mlp", CLASSES), device="cpu")
    restricted = list(classify_paths(library, model, classes=("snare", "tom"), workers=0))
    assert {r.label for r in restricted} <= {"snare", "tom"}
    assert all(set(r.scores) == {"snare", "tom"} for r in restricted)
    unsure = list(classify_paths(library, model, min_confidence=0.99, workers=0))
    assert {r.label for r in unsure} == {UNSURE}
    with pytest.raises(ValueError, match="no class"):
        classify_paths(library, model, classes=("cowbell",))


def test_decision_renormalises_like_a_restricted_softmax():
    logits = np.array([2.0, 0.5, -1.0])
    full = np.exp(logits) / np.exp(logits).sum()
    scores = dict(zip(("kick", "snare", "hat"), full.tolist()))
    label, conf, sub, corrected = Decision(("snare", "hat")).decide(scores, False, None)
    expected = np.exp(logits[1:]) / np.exp(logits[1:]).sum()
    assert label == "snare" and not corrected
    assert [sub["snare"], sub["hat"]] == pytest.approx(expected.tolist())
    assert conf == pytest.approx(expected[0])


def test_silent_file_is_unsure_with_warning(tmp_path, kick_hat):
    sf.write(str(tmp_path / "silence.wav"), np.zeros(RATE // 2), RATE, subtype="PCM_16")
    (r,) = classify_paths(tmp_path / "silence.wav", kick_hat, workers=0)
    assert r.ok and r.label == UNSURE and r.warning == "silent"
    assert r.to_record()["warning"] == "silent"


def test_a_hit_after_seconds_of_silence_is_heard(tmp_path, kick_hat):
    late = np.zeros(6 * RATE, np.float32)
    late[4 * RATE : 4 * RATE + RATE // 2] = synth_drum("kick")  # after 4 s of silence
    sf.write(str(tmp_path / "late.wav"), late, RATE, subtype="PCM_16")
    sf.write(str(tmp_path / "kick.wav"), synth_drum("kick"), RATE, subtype="PCM_16")
    with Index(tmp_path / "index.sqlite") as index:
        (fresh,) = classify_paths(tmp_path / "late.wav", kick_hat, workers=0, index=index)
        (kick,) = classify_paths(tmp_path / "kick.wav", kick_hat, workers=0)
        assert (fresh.label, fresh.warning) == ("kick", None)
        assert fresh.confidence == pytest.approx(kick.confidence, abs=0.01)
        (cached,) = classify_paths(tmp_path / "late.wav", kick_hat, workers=0, index=index)
        assert cached.cached and cached.to_record() == fresh.to_record()


def test_a_dc_offset_changes_no_answer(tmp_path, kick_hat):
    for kind in ("kick", "hat"):
        hit = np.concatenate([synth_drum(kind), np.zeros(RATE // 4, np.float32)])
        sf.write(str(tmp_path / f"{kind}.wav"), hit, RATE, subtype="FLOAT")
        sf.write(str(tmp_path / f"{kind}-dc.wav"), hit - 0.3, RATE, subtype="FLOAT")
    clean, shifted = (
        classify_paths([tmp_path / f"{k}{s}.wav" for k in ("kick", "hat")], kick_hat, workers=0)
        for s in ("", "-dc")
    )
    for a, b in zip(clean, shifted, strict=True):
        assert (b.label, b.warning) == (a.label, a.warning)
        assert b.confidence == pytest.approx(a.confidence, abs=1e-3)


def test_a_sound_above_the_model_band_is_flagged_also_from_the_index(tmp_path, kick_hat):
    t = np.arange(RATE // 4) / RATE
    sf.write(str(tmp_path / "sizzle.wav"), 0.5 * np.sin(2 * np.pi * 12000 * t), RATE)
    with Index(tmp_path / "index.sqlite") as index:
        (fresh,) = classify_paths(tmp_path / "sizzle.wav", kick_hat, workers=0, index=index)
        (cached,) = classify_paths(tmp_path / "sizzle.wav", kick_hat, workers=0, index=index)
        assert fresh.ok and fresh.warning == "above-band" and fresh.to_record()["warning"]
        assert cached.cached and cached.to_record() == fresh.to_record()


def test_files_swapped_by_name_are_not_answered_from_the_index(tmp_path, kick_hat):
    # One-shots of a pack often share their size and time: only the inode tells them apart.
    kick, hat = tmp_path / "a.wav", tmp_path / "b.wav"
    sf.write(str(kick), synth_drum("kick")[: RATE // 2], RATE, subtype="PCM_16")
    sf.write(str(hat), synth_drum("hat")[: RATE // 2], RATE, subtype="PCM_16")
    for path in (kick, hat):
        os.utime(path, ns=(1_700_000_000 * 10**9, 1_700_000_000 * 10**9))
    with Index(tmp_path / "index.sqlite") as index:
        before = labels_by_name(classify_paths(tmp_path, kick_hat, workers=0, index=index))
        assert before == {"a.wav": "kick", "b.wav": "hihat"}
        list(embed_paths(tmp_path, kick_hat, workers=0, index=index))
        kick.rename(tmp_path / "swap")
        hat.rename(kick)
        (tmp_path / "swap").rename(hat)
        after = list(classify_paths(tmp_path, kick_hat, workers=0, index=index))
        assert labels_by_name(after) == {"a.wav": "hihat", "b.wav": "kick"}
        assert not any(r.cached for r in after) and duplicate_groups([tmp_path], index) == []
        embedded = {Path(e.path).name: e for e in embed_paths(tmp_path, kick_hat, 0, index=index)}
        assert not any(e.cached for e in embedded.values())
        assert embedded["a.wav"].label == "hihat"
        again = list(classify_paths(tmp_path, kick_hat, workers=0, index=index))
        assert all(r.cached for r in again) and labels_by_name(again) == labels_by_name(after)


def test_a_file_below_the_model_rate_is_flagged_also_from_the_index(tmp_path, kick_hat):
    low = soxr.resample(synth_drum("kick"), RATE, 8000)
    sf.write(str(tmp_path / "low.wav"), low, 8000)
    sf.write(str(tmp_path / "full.wav"), synth_drum("kick"), RATE)
    paths = [tmp_path / "low.wav", tmp_path / "full.wav"]
    with Index(tmp_path / "index.sqlite") as index:
        fresh = list(classify_paths(paths, kick_hat, workers=0, index=index))
        assert [r.warning for r in fresh] == ["low-rate", None]
        assert fresh[0].to_record()["warning"] == "low-rate" and fresh[0].label == "kick"
        cached = list(classify_paths(paths, kick_hat, workers=0, index=index))
        assert all(r.cached for r in cached) and cached == [replace(r, cached=True) for r in fresh]


def test_a_loop_is_answered_loop_also_from_the_index_unless_loops_are_off(tmp_path, kick_hat):
    sf.write(str(tmp_path / "beat.wav"), synth_pattern(BEAT, 2.0), RATE, subtype="FLOAT")
    with Index(tmp_path / "index.sqlite") as index:
        (fresh,) = classify_paths(tmp_path / "beat.wav", kick_hat, workers=0, index=index)
        (cached,) = classify_paths(tmp_path / "beat.wav", kick_hat, workers=0, index=index)
        (kept,) = classify_paths(tmp_path / "beat.wav", kick_hat, workers=0, loops=False)
        assert fresh.label == LOOP and fresh.to_record()["warning"] == "multi-hit"
        assert cached.cached and cached.to_record() == fresh.to_record()
        assert kept.label == "kick" and kept.warning == "multi-hit"  # its first second


def test_a_loop_is_a_loop_whatever_the_model_hears_unless_silent_or_corrected():
    decide = Decision(("kick", "other")).decide
    assert decide({"kick": 0.3, "other": 0.7}, False, None, loop=True)[:2] == (LOOP, 0.7)
    assert decide({"kick": 0.7, "other": 0.3}, False, None, loop=True)[0] == LOOP
    assert (
        Decision(("kick", "other"), loops=False).decide(
            {"kick": 0.7, "other": 0.3}, False, None, loop=True
        )[0]
        == "kick"
    )
    assert decide({"kick": 0.7, "other": 0.3}, True, None, loop=True)[0] == UNSURE  # silent
    assert decide({"kick": 0.7, "other": 0.3}, False, "snare", loop=True)[0] == "snare"


def hostile_folder(root: Path, write_drum) -> tuple[set[str], set[str]]:
    """Build a folder of bad and good files; returns (names expected to fail, to succeed)."""
    root.mkdir(parents=True)
    good = {"kick.wav", "inner.wav", "long.wav", "Kïck ドラム.wav"}
    write_drum(root / "kick.wav", "kick")
    write_drum(root / "x.wav" / "inner.wav", "hat")  # a folder named like audio
    write_drum(root / "Kïck ドラム.wav", "kick")
    with sf.SoundFile(str(root / "long.wav"), "w", RATE, 1, "PCM_16") as f:
        for _ in range(60):  # ten minutes, written ten seconds at a time
            f.write(np.random.default_rng(0).uniform(-0.5, 0.5, 10 * RATE))
    (root / "zero.wav").write_bytes(b"")
    (root / "truncated.wav").write_bytes((root / "kick.wav").read_bytes()[:30])
    (root / "random.wav").write_bytes(np.random.default_rng(1).bytes(5000))
    (root / "text.wav").write_text("not audio, just words\n")
    os.symlink(root / "loop_b.wav", root / "loop_a.wav")
    os.symlink(root / "loop_a.wav", root / "loop_b.wav")
    os.symlink(root, root / "x.wav" / "back_up")  # a folder loop
    bad = {"zero.wav", "truncated.wav", "random.wav", "text.wav", "loop_a.wav", "loop_b.wav"}
    locked = write_drum(root / "locked.wav", "kick")
    locked.chmod(0)
    try:
        locked.open("rb").close()
        good.add("locked.wav")  # running as root: permissions do not stop us
    except PermissionError:
        bad.add("locked.wav")
    return bad, good


def test_hostile_folder_completes(tmp_path, write_drum, kick_hat):
    bad, good = hostile_folder(tmp_path / "hostile", write_drum)
    results = list(classify_paths(tmp_path / "hostile", kick_hat, workers=2, batch_size=3))
    names = [Path(r.path).name for r in results]
    assert sorted(names) == sorted(bad | good)  # each file once, the folder loop walked once
    for r in results:
        assert (Path(r.path).name in bad) == (not r.ok), r
        if not r.ok:
            assert "\n" not in r.error and r.error
    assert {Path(r.path).name: r.error for r in results}["zero.wav"] == "empty file (0 bytes)"


def test_named_file_is_tried_whatever_its_extension(tmp_path, kick_hat, write_drum):
    wav = write_drum(tmp_path / "kick.wav", "kick")
    renamed = tmp_path / "kick.sample"
    renamed.write_bytes(wav.read_bytes())
    (r,) = classify_paths([renamed], kick_hat, workers=0)
    assert r.ok and r.label == "kick"
    in_folder = [r.path for r in classify_paths(tmp_path, kick_hat, workers=0)]
    assert in_folder == [str(wav)]  # inside a folder only audio extensions count
    (missing,) = classify_paths([tmp_path / "nope.wav"], kick_hat, workers=0)
    assert missing.error == "no such file or folder"


def test_rescan_skips_decoding_and_sees_changes(tmp_path, library, kick_hat, write_drum):
    with Index(tmp_path / "index.sqlite") as index:
        first = list(classify_paths(library, kick_hat, workers=0, index=index))
        assert not any(r.cached for r in first)
        second = list(classify_paths(library, kick_hat, workers=0, index=index))
        assert all(r.cached for r in second)
        assert [r.to_record() for r in second] == [r.to_record() for r in first]
        changed = write_drum(library / "pack" / "k0.wav", "hat", seed=7)  # new content
        os.utime(changed, ns=(1, 1))  # and an mtime that surely differs
        third = {
            Path(r.path).name: r for r in classify_paths(library, kick_hat, workers=0, index=index)
        }
        assert not third["k0.wav"].cached and third["k0.wav"].label == "hihat"
        assert sum(r.cached for r in third.values()) == 5
        assert index.count() == 6


def test_corrections_and_duplicates(tmp_path, library, kick_hat):
    copy = library / "copy-of-h1.wav"
    copy.write_bytes((library / "pack" / "h1.wav").read_bytes())
    with Index(tmp_path / "index.sqlite") as index:
        index.correct(library / "pack" / "h1.wav", "perc")
        results = {
            Path(r.path).name: r for r in classify_paths(library, kick_hat, workers=0, index=index)
        }
    for name in ("h1.wav", "copy-of-h1.wav"):  # the correction follows the content
        r = results[name]
        assert (r.label, r.confidence, r.corrected) == ("perc", 1.0, True)
        assert r.to_record()["corrected"] is True
    assert results["h1.wav"].duplicate_of == str(copy)  # copy-of-h1 is found first
    assert results["h0.wav"].duplicate_of is None and not results["h0.wav"].corrected


def test_one_path_and_classes_as_a_comma_separated_string(kick_hat, library):
    """predict("a.wav") is a list of one answer, not one per letter of the path; classes
    "kick,snare" are two classes, as on the command line, everywhere the API takes them."""
    kick = library / "pack" / "k0.wav"
    assert kick_hat.predict(str(kick)) == kick_hat.predict([kick]) == ["kick"]
    assert kick_hat.predict_proba(kick).shape == (1, 2)
    assert kick_hat.predict([kick], classes="hihat, kick") == ["kick"]
    np.testing.assert_array_equal(
        kick_hat.predict_proba([kick], classes="hihat,kick"),
        kick_hat.predict_proba([kick], classes=["hihat", "kick"]),
    )
    with pytest.raises(ValueError, match="model has no class snare; it knows kick, hihat"):
        kick_hat.predict([kick], classes="kick,snare")
    (result,) = classify_paths(kick, kick_hat, classes="hihat,kick", workers=0)
    assert set(result.scores) == {"hihat", "kick"}
