"""`--engine ray`: the same answers as local classify, from a local two-worker Ray cluster, into
the same index; an actor that dies costs only its batch; without Ray, one line says how to
install it."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from conftest import BEAT, KINDS, RATE, synth_pattern

from drumnet.cli import main
from drumnet.inference.pipeline import classify_paths
from drumnet.library.index import Index

ray = pytest.importorskip("ray")

from drumnet.inference.ray_engine import ClassifyActor, RayEngine, connect

MODEL = "default"  # one net: the ensemble would triple each actor's start-up for no more cover
BATCH = 4  # files per chunk: a dozen files make several batches, one of them partial


@pytest.fixture(scope="module")
def cluster():
    """A local two-CPU Ray cluster for this module's tests, shut down after them."""
    started = connect(None, cpus=2)
    yield
    if started:
        ray.shutdown()


@pytest.fixture
def library(tmp_path, write_drum) -> Path:
    """Eleven hits, a loop, a silent file, a broken file and a file that is not audio."""
    root = tmp_path / "lib"
    for i in range(11):
        write_drum(root / f"{KINDS[i % 4]}-{i:02d}.wav", KINDS[i % 4], seed=i)
    sf.write(str(root / "loop.wav"), synth_pattern(BEAT), RATE, subtype="PCM_16")
    sf.write(str(root / "silence.wav"), np.zeros(RATE // 2), RATE, subtype="PCM_16")
    (root / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVE")
    (root / "notes.txt").write_text("not audio")
    return root


def local(paths, **kwargs) -> list:
    """Local classify, the network on one thread, as each of Ray's one-CPU actors runs it."""
    return list(classify_paths(paths, MODEL, workers=0, threads=1, batch_size=BATCH, **kwargs))


def on_ray(paths, engine: RayEngine | None = None, **kwargs) -> list:
    engine = engine or RayEngine(workers=2)
    return list(classify_paths(paths, MODEL, batch_size=BATCH, engine=engine, **kwargs))


def test_ray_gives_the_local_answers_in_the_local_order(cluster, library):
    # One actor: each of its blocks then holds two chunks, each decoded and heard apart.
    here, there = local([library]), on_ray([library], RayEngine(workers=1))
    assert [r.to_record() for r in there] == [r.to_record() for r in here]
    assert there == here  # hashes, sizes, duplicates and the `cached` flag too
    by_name = {Path(r.path).name: r for r in there}
    assert by_name["broken.wav"].error and by_name["silence.wav"].warning == "silent"
    assert by_name["loop.wav"].label == "loop" and by_name["kick-00.wav"].label == "kick"


def test_ray_answers_land_in_the_index_and_only_unknown_files_go_to_the_cluster(
    cluster, library, tmp_path
):
    with Index(tmp_path / "index.sqlite") as index:
        first = local([library / "kick-00.wav", library / "snare-01.wav"], index=index)
        mixed = on_ray([library], index=index)
        again = local([library], index=index)
    known = {r.path for r in first}
    assert all(r.cached == (r.path in known) for r in mixed if r.ok)
    # What Ray answered is stored: a re-scan is free (a silent file is always heard again).
    assert all(r.cached for r in again if r.ok and r.warning != "silent")
    strip = [{**r.to_record(), "cached": None} for r in again]
    assert strip == [{**r.to_record(), "cached": None} for r in mixed]


def test_an_actor_that_dies_costs_only_its_batch(cluster, library, tmp_path):
    marker = tmp_path / "died-once"

    class DiesOnce(ClassifyActor):
        """Kills its own process on its first batch, the first time any actor gets one."""

        def __call__(self, batch):
            if not marker.exists():
                marker.touch()
                os._exit(1)
            return super().__call__(batch)

    there = on_ray([library], RayEngine(workers=2, actor=DiesOnce))
    assert marker.exists()
    assert there == local([library])


def test_cli_classify_and_organize_with_engine_ray(cluster, library, tmp_path, capsys):
    argv = ["classify", str(library), "--model", MODEL, "--no-index", "--format", "jsonl"]
    assert main([*argv, "--engine", "ray"]) == 1  # the broken file
    there = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main([*argv, "--workers", "0", "--threads", "1"]) == 1
    here = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert {r["path"]: r.get("label") for r in there} == {r["path"]: r.get("label") for r in here}
    assert len(there) == 14

    dest = tmp_path / "sorted"
    organize = ["organize", str(library), str(dest), "--model", MODEL, "--no-index"]
    assert main([*organize, "--engine", "ray"]) == 1  # the broken file is not placed
    assert sorted(p.name for p in (dest / "kick").iterdir()) == [
        "kick-00.wav",
        "kick-04.wav",
        "kick-08.wav",
    ]
    assert (dest / "loop" / "loop.wav").exists()


def test_without_ray_engine_ray_says_how_to_install_it(library, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "ray", None)  # `import ray` now fails
    assert main(["classify", str(library), "--engine", "ray", "--no-index"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "pip install 'drumnet[ray]'" in err[0]


def test_address_without_engine_ray_is_a_usage_error(library, capsys):
    assert main(["classify", str(library), "--address", "auto", "--no-index"]) == 2
    assert "--engine ray" in capsys.readouterr().err
