"""Search by sound: embeddings, ranking, the index cache and `drumnet similar` end to end."""

from __future__ import annotations

import csv
import json
import math
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch
import torch.nn.functional as F

import drumnet.inference.workers
from drumnet.audio.prepare import prepare_waveform
from drumnet.cli import main
from drumnet.config import FeatureConfig
from drumnet.features.descriptors import descriptor_names, descriptors
from drumnet.inference.classifier import load_model
from drumnet.library.embed import (
    DESCRIPTOR_STATS,
    DESCRIPTOR_WEIGHT,
    EMBEDDING_KIND,
    descriptor_stats,
    embed_paths,
    embed_query,
    embed_waves,
)
from drumnet.library.index import Index
from drumnet.library.similar import nearest, top_k
from drumnet.nets import build_model
from drumnet.nets.ensemble import MEMBERS
from drumnet.taxonomy import CLASSES
from drumnet.training.synth.drums import synth_drum

RATE = 44100  # Hz
KINDS = ("kick", "snare", "hihat")


def render(kind: str, seed: int) -> np.ndarray:
    return synth_drum(kind, np.random.default_rng([2024, KINDS.index(kind), seed]), RATE)


def write(path: Path, x: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), x, RATE, subtype="PCM_16")
    return path


@pytest.fixture
def lib(tmp_path) -> Path:
    """tmp_path/lib: 5 kicks, 5 snares and 5 hats (some in a sub-folder)."""
    for kind in KINDS:
        for seed in range(5):
            write(
                tmp_path / "lib" / ("sub" if seed % 2 else "") / f"{kind}{seed}.wav",
                render(kind, seed),
            )
    return tmp_path / "lib"


@pytest.fixture
def query(tmp_path) -> Path:
    return write(tmp_path / "query.wav", render("kick", 99))  # a kick the library does not hold


@pytest.fixture(scope="module")
def shipped():
    return load_model()


def waves(n: int = 6) -> np.ndarray:
    config = FeatureConfig()
    sounds = [render(KINDS[i % 3], i) for i in range(n)]
    return np.stack([prepare_waveform(x, RATE, config) for x in sounds])  # (n, n_samples)


def records(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines()]


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exc:  # argparse rejects bad option values itself
        return exc.code


def test_shipped_model_finds_kicks_for_a_kick(lib, query, shipped):
    found = list(embed_paths(lib, shipped, workers=0, threads=1))
    in_workers = list(embed_paths(lib, shipped, workers=2, threads=1))  # forked, one thread
    assert [e.path for e in in_workers] == [e.path for e in found]
    for a, b in zip(in_workers, found, strict=True):
        np.testing.assert_allclose(a.vector, b.vector, atol=1e-5)
    matches = nearest(embed_query(query, shipped), found, top=3)
    kicks = [Path(m.path).name.startswith("kick") for m in matches]
    assert len(matches) == 3 and sum(kicks) >= 2, matches
    assert [m.rank for m in matches] == [1, 2, 3]
    assert matches[0].similarity >= matches[1].similarity >= matches[2].similarity


def beat(seed: int) -> np.ndarray:
    """Kick, hat, kick, hat at 0.5 s steps: a loop that starts with a kick."""
    out = np.zeros(2 * RATE, np.float32)
    for i, kind in enumerate(("kick", "hihat", "kick", "hihat")):
        hit = render(kind, seed * 10 + i)[: RATE // 2]
        out[i * RATE // 2 : i * RATE // 2 + hit.size] += hit
    return 0.9 * out / np.abs(out).max()


def test_a_one_shot_query_finds_no_loops_and_a_loop_query_only_loops(lib, query, shipped):
    beats = [write(lib / f"beat{i}.wav", beat(i)) for i in range(2)]
    with Index(lib.parent / "index.sqlite") as index:
        found = list(embed_paths(lib, shipped, workers=0, index=index))
        assert {e.loop for e in found} == {True, False}
        assert [e.path for e in found if e.loop] == [str(b) for b in beats]
        assert {e.label for e in found if e.loop} == {"loop"}
        for_kick = nearest(embed_query(query, shipped), found, top=20)
        assert len(for_kick) == 15 and not any("beat" in m.path for m in for_kick)
        (other_beat,) = nearest(embed_query(beats[0], shipped), found, top=20)
        assert other_beat.path == str(beats[1])
        again = list(embed_paths(lib, shipped, workers=0, index=index))
        assert all(e.cached for e in again) and [e.loop for e in again] == [e.loop for e in found]


def test_a_correction_decides_loop_or_one_shot(lib, query, shipped):
    beats = [write(lib / f"beat{i}.wav", beat(i)) for i in range(2)]
    one_shot = min(lib.glob("kick*.wav"))
    with Index(lib.parent / "index.sqlite") as index:
        index.correct(beats[0], "kick")  # the detector was wrong: a flam is one kick
        index.correct(one_shot, "loop")  # a loop the detector missed
        found = {Path(e.path).name: e for e in embed_paths(lib, shipped, workers=0, index=index)}
        assert (found["beat0.wav"].loop, found["beat0.wav"].label) == (False, "kick")
        assert (found[one_shot.name].loop, found[one_shot.name].label) == (True, "loop")
        kicks = nearest(embed_query(query, shipped, index), found.values(), 20, classes="kick")
        names = [Path(m.path).name for m in kicks]
        assert "beat0.wav" in names and one_shot.name not in names and "beat1.wav" not in names
        loops = nearest(embed_query(one_shot, shipped, index), found.values(), 20)
        assert sorted(Path(m.path).name for m in loops) == ["beat1.wav"]


def test_cli_network_only_ranks_by_the_network_part_and_keeps_its_own_index_rows(
    lib, query, isolated_cache, capsys
):
    base = ["similar", str(query), str(lib), "--model", "default", "--format", "jsonl"]
    assert main([*base, "--top", "15"]) == 0
    both = records(capsys.readouterr().out)
    assert main([*base, "--top", "15", "--network-only"]) == 0
    alone = records(capsys.readouterr().out)
    clf = load_model("default")
    with Index(isolated_cache / "index.sqlite") as index:
        keys = {k for (k,) in index._db.execute("SELECT DISTINCT model_id FROM embedded")}
    assert keys == {clf.model_id, clf.model_id + EMBEDDING_KIND}
    # The network part alone: the similarity is the cosine of those features, computed here.
    config = clf.feature_config
    x = np.stack(
        [prepare_waveform(sf.read(str(p), dtype="float32")[0], RATE, config)
         for p in (query, Path(alone[0]["path"]))]
    )  # fmt: skip
    v = embed_waves(clf, x, with_descriptors=False)
    assert alone[0]["similarity"] == pytest.approx(float(v[0] @ v[1]), abs=1e-4)
    assert {r["path"] for r in both} == {r["path"] for r in alone}
    assert [r["similarity"] for r in both] != [r["similarity"] for r in alone]


def test_network_only_embeddings_are_not_compared_with_these(lib, shipped):
    """Vectors of the network part alone are stored under the bare model id: such rows must
    be neither read nor mixed (another length) with the full ones."""
    with Index(lib.parent / "index.sqlite") as index:
        found = list(embed_paths(lib, shipped, workers=0, index=index))
        keys = {k for (k,) in index._db.execute("SELECT DISTINCT model_id FROM embedded")}
        assert keys == {shipped.model_id + EMBEDDING_KIND}
        index._db.execute("UPDATE embedded SET model_id = ?", (shipped.model_id,))
        again = list(embed_paths(lib, shipped, workers=0, index=index))
        assert not any(e.cached for e in again)
        assert {e.vector.shape for e in again} == {found[0].vector.shape}


@pytest.mark.parametrize(
    ("name", "dim"), [("highway", 64), ("mlp", 128), ("ensemble", 64 * len(MEMBERS))]
)
def test_embeddings_are_unit_length_deterministic_and_sized(name, dim):
    torch.manual_seed(0)
    model = load_model("ensemble") if name == "ensemble" else build_model(name, CLASSES)
    x = waves()
    dim += len(descriptor_names())  # the network's part, then the sound's descriptors
    first = embed_waves(model, x)
    assert first.shape == (len(x), dim) and first.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(embed_waves(model, x), first)
    # Batch-independent (eval mode: batch norm uses its running statistics)...
    np.testing.assert_allclose(embed_waves(model, x[:1])[0], first[0], rtol=1e-4, atol=1e-5)
    if name != "ensemble":  # ... and the caller's train mode is left as it was.
        assert model.training


def test_ensemble_embedding_joins_its_members():
    ensemble = load_model("ensemble")
    x = waves(3)
    members = [embed_waves(m, x, with_descriptors=False) for m in ensemble.model_.members]
    joined = np.concatenate(members, axis=1) / math.sqrt(len(members))
    np.testing.assert_allclose(
        embed_waves(ensemble, x, with_descriptors=False), joined, rtol=1e-5, atol=1e-6
    )


def test_the_embedding_is_the_network_part_and_the_standardised_descriptors():
    net = build_model("highway", CLASSES)
    x = waves(4)
    mean, std = descriptor_stats(net.features)
    sound = (descriptors(x, net.features) - mean) / std
    sound /= np.linalg.norm(sound, axis=1, keepdims=True)
    w = DESCRIPTOR_WEIGHT
    expect = np.hstack([embed_waves(net, x, with_descriptors=False), w * sound]) / math.hypot(1, w)
    np.testing.assert_allclose(embed_waves(net, x), expect, rtol=1e-4, atol=1e-5)
    # Feature settings the shipped statistics were not measured with: the network part alone.
    other = build_model("highway", CLASSES, features=FeatureConfig(n_fft=512, hop_length=256))
    assert descriptor_stats(other.features) is None
    assert embed_waves(other, x).shape == (4, 64)


def test_the_descriptor_statistics_come_from_the_training_data():
    stats = json.loads(DESCRIPTOR_STATS.read_text())
    assert stats["features"] == FeatureConfig().to_dict()
    assert stats["names"] == descriptor_names() and stats["sounds"] > 4000
    assert all(s > 0 for s in stats["std"]) and np.isfinite(stats["mean"]).all()


@pytest.mark.parametrize("name", ["highway", "mlp"])
def test_embedding_is_the_input_of_the_output_layer(name):
    """The penultimate features, computed by hand from each architecture's layers."""
    torch.manual_seed(0)
    net = build_model(name, CLASSES).eval()
    x = waves(4)
    with torch.no_grad():
        spec = net.frontend(torch.from_numpy(x))
        if name == "highway":
            h = net.body.stages(spec)[-1]  # (B, C, T', F')
            pooled = torch.cat([h.mean(dim=(2, 3)), h.amax(dim=(2, 3))], dim=1)
            features = net.body.classifier[:-1](pooled)  # after the dense layer's BN + ELU
        else:
            features = net.body.body(net.body.input(spec))  # the last hidden layer
    expect = F.normalize(features, dim=1).numpy()
    got = embed_waves(net, x, with_descriptors=False)
    np.testing.assert_allclose(got, expect, rtol=1e-4, atol=1e-6)


def test_top_k_is_a_stable_sort_cut_short():
    ties = np.array([0.5, 0.9, 0.5, 0.9, 0.1, 0.5], dtype=np.float32)
    assert top_k(ties, 4).tolist() == [1, 3, 0, 2]
    assert top_k(ties, 99).tolist() == [1, 3, 0, 2, 5, 4]
    scores = np.random.default_rng(0).integers(0, 5, 1000).astype(np.float32)
    expect = np.argsort(-scores, kind="stable")[:37]
    assert top_k(scores, 37).tolist() == expect.tolist()


def test_cli_excludes_the_query_and_its_copies(lib, query, isolated_cache, capsys):
    (lib / "copy-of-query.wav").write_bytes(query.read_bytes())
    assert run(["similar", str(lib / "kick0.wav"), str(lib), str(query), "--top", "50"]) == 0
    rows = records(capsys.readouterr().out)
    names = [Path(r["path"]).name for r in rows]
    assert "kick0.wav" not in names and len(names) == 15  # 15 + 1 sound in 2 copies - the query
    (both,) = [r for r in rows if Path(r["path"]).name in ("query.wav", "copy-of-query.wav")]
    assert {Path(both["path"]).name, *(Path(p).name for p in both["copies"])} == {
        "query.wav",
        "copy-of-query.wav",
    }  # the same bytes are one match, not two ranks
    assert run(["similar", str(query), str(lib), str(query), "--top", "50"]) == 0
    names = [Path(r["path"]).name for r in records(capsys.readouterr().out)]
    assert len(names) == 15 and "copy-of-query.wav" not in names  # same bytes: the query


def test_cli_bad_files_are_reported_and_the_search_goes_on(lib, query, isolated_cache, capsys):
    (lib / "empty.wav").write_bytes(b"")
    (lib / "sub" / "corrupt.wav").write_bytes(b"RIFF" + bytes(range(256)) * 4)
    assert run(["similar", str(query), str(lib), "--top", "5"]) == 1
    out, err = capsys.readouterr()
    assert len(records(out)) == 5
    lines = err.splitlines()
    assert len(lines) == 2 and all(line.startswith("drumnet similar: ") for line in lines)
    assert "empty.wav: empty file" in err and "corrupt.wav: " in err


def test_cli_second_run_reads_the_index_not_the_files(
    lib, query, isolated_cache, monkeypatch, capsys
):
    decoded = []
    decode_one = drumnet.inference.workers.decode_one
    monkeypatch.setattr(
        drumnet.inference.workers,
        "decode_one",
        lambda path, c: decoded.append(path) or decode_one(path, c),
    )
    argv = ["similar", str(query), str(lib), "--workers", "0"]
    assert run(argv) == 0
    first = capsys.readouterr().out
    assert len(decoded) == 16  # the query and the 15 library files
    decoded.clear()
    assert run(argv) == 0
    assert decoded == [] and capsys.readouterr().out == first
    with Index(isolated_cache / "index.sqlite") as index:
        assert index.embedding_count() == 16
    write(lib / "snare0.wav", render("kick", 7))  # changed: only it is decoded again
    assert run(argv) == 0
    assert decoded == [str(lib / "snare0.wav")]


def test_cli_no_index_writes_no_index(lib, query, isolated_cache, capsys):
    assert run(["similar", str(query), str(lib), "--no-index", "--top", "2"]) == 0
    assert len(records(capsys.readouterr().out)) == 2
    assert not (isolated_cache / "index.sqlite").exists()
    assert not list(lib.rglob("*.sqlite*"))  # never anything inside the library


def test_cli_classes_filter_and_formats(lib, query, isolated_cache, capsys):
    assert run(["similar", str(query), str(lib), "--classes", "hihat,snare", "--top", "50"]) == 0
    rows = records(capsys.readouterr().out)
    assert rows and {r["label"] for r in rows} <= {"hihat", "snare"}
    assert set(rows[0]) == {"rank", "path", "similarity", "label"}
    assert all(-1 <= r["similarity"] <= 1 for r in rows)
    assert [r["rank"] for r in rows] == list(range(1, len(rows) + 1))
    assert run(["similar", str(query), str(lib), "--format", "csv", "--top", "3"]) == 0
    table = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    assert len(table) == 3 and set(table[0]) == {"rank", "similarity", "label", "path", "copies"}
    assert len(table[0]["similarity"].split(".")[1]) == 3  # 3 decimals


@pytest.mark.parametrize(
    "argv",
    [
        ["{empty}", "{lib}"],  # unreadable query
        ["{lib}", "{lib}"],  # a folder as the query
        ["{query}", "/no/such/folder"],  # no PATH exists
        ["{query}", "{lib}", "--top", "0"],
        ["{query}", "{lib}", "--classes", "banjo"],
    ],
)
def test_cli_usage_errors_exit_2(lib, query, tmp_path, isolated_cache, argv, capsys):
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    names = {"lib": lib, "query": query, "empty": empty}
    assert run(["similar", *(a.format(**names) for a in argv)]) == 2
    assert capsys.readouterr().out == ""


def test_cli_classes_may_name_loop(lib, isolated_cache, capsys):
    beats = [write(lib / f"beat{i}.wav", beat(i)) for i in range(3)]
    assert run(["similar", str(beats[0]), str(lib), "--classes", "loop,kick", "--top", "50"]) == 0
    rows = records(capsys.readouterr().out)
    assert sorted(Path(r["path"]).name for r in rows) == ["beat1.wav", "beat2.wav"]
    assert {r["label"] for r in rows} == {"loop"}


def test_cli_says_when_there_is_nothing_to_rank(query, isolated_cache, capsys):
    assert run(["similar", str(query), str(query)]) == 0
    captured = capsys.readouterr()
    assert captured.out == "" and "nothing to rank: no other audio file" in captured.err


def test_cli_a_silent_file_is_left_out_not_failed(lib, query, isolated_cache, capsys):
    write(lib / "silence.wav", np.zeros(RATE, np.float32))
    assert run(["similar", str(query), str(lib), "--top", "50"]) == 0
    captured = capsys.readouterr()
    assert "silence.wav" not in captured.out and "left out 1 silent file" in captured.err
