"""`drumnet train --nproc 2`: data-parallel training on the CPU (gloo), two ranks started by
torch's elastic launcher (or torchrun), on a tiny synthesised data set; the model loads like
any other."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
import torch

from drumnet import load_model
from drumnet.cli import main
from drumnet.nets.checkpoint import read_metadata
from drumnet.training.distributed import Replicas, current, from_environment, launch, process_group


def test_one_epoch_on_two_ranks_writes_one_model_that_loads(
    tmp_path, write_drum, isolated_cache, monkeypatch
):
    monkeypatch.chdir(tmp_path)
    for kind, drum in (("kick", "kick"), ("snare", "snare")):
        for i in range(4):
            write_drum(tmp_path / "data" / kind / f"{i}.wav", drum, seed=i)
    out = tmp_path / "run" / "model.safetensors"
    tiny = ["--model", "mlp", "--set", "hidden=[8]", "--epochs", "1", "--batch-size", "4"]
    argv = ["train", "--data", str(tmp_path / "data"), *tiny, "--split", "none", "--nproc", "2"]
    assert main([*argv, "--out", str(out)]) == 0
    meta = read_metadata(out)
    # fit's checksums of both ranks' weights and batch-norm statistics agreed, or it raised
    assert meta["distributed"] == {"world_size": 2, "backend": "gloo", "replicas_identical": True}
    assert meta["epochs"] == 1 and meta["classes"] == ["kick", "snare"]
    history = (out.parent / "history-none.jsonl").read_text().splitlines()
    assert len(history) == 1  # rank 0 alone wrote it
    clf = load_model(out)
    assert clf.predict_proba(tmp_path / "data" / "kick" / "0.wav").shape == (1, 2)
    assert sorted(p.name for p in out.parent.iterdir()) == [
        "history-none.jsonl",
        "history.csv",
        "model.safetensors",
        "summary.json",
    ]


def _checksums_tell_replicas_apart(_: object) -> int:
    """One rank: 10 when the replicas agree at first, + 1 if they still agree after rank 1
    changes one weight (so 10 is the right answer)."""
    with process_group(from_environment()):
        replicas = current()
        torch.manual_seed(0)
        net = torch.nn.Sequential(torch.nn.Linear(3, 2), torch.nn.BatchNorm1d(2))
        before = replicas.identical(net)
        if replicas.rank == 1:
            with torch.no_grad():
                net[0].weight[0, 0] += 1e-6
        return 10 * before + replicas.identical(net)


def test_the_replica_checksum_sees_one_changed_weight():
    assert launch(_checksums_tell_replicas_apart, None, 2) == 10


def test_each_rank_takes_every_other_batch_and_as_many():
    batches = [np.array([i]) for i in range(7)]
    zero, one = Replicas(0, 2).my_batches(batches), Replicas(1, 2).my_batches(batches)
    assert [int(b[0]) for b in zero] == [0, 2, 4] and [int(b[0]) for b in one] == [1, 3, 5]
    assert Replicas().my_batches(batches) == batches


def test_one_rank_draws_order_and_augmentation_from_one_generator_as_before():
    order, augment = Replicas().generators(3)
    assert order is augment
    a, b = Replicas(0, 2).generators(3), Replicas(1, 2).generators(3)
    assert torch.equal(torch.randperm(9, generator=a[0]), torch.randperm(9, generator=b[0]))
    assert not torch.equal(torch.rand(4, generator=a[1]), torch.rand(4, generator=b[1]))


@pytest.mark.slow
def test_the_same_command_runs_under_torchrun(tmp_path, write_drum, isolated_cache):
    for kind in ("kick", "snare"):
        for i in range(4):
            write_drum(tmp_path / "data" / kind / f"{i}.wav", kind, seed=i)
    out = tmp_path / "run" / "model.safetensors"
    torchrun = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node",
        "2",
    ]
    train = ["-m", "drumnet", "train", "--data", str(tmp_path / "data"), "--model", "mlp"]
    train += ["--set", "hidden=[8]", "--epochs", "1", "--batch-size", "4", "--split", "none"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run(
        [*torchrun, *train, "--out", str(out)],
        check=False,
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("model: ") == 1  # rank 0 alone speaks
    assert read_metadata(out)["distributed"]["world_size"] == 2
    assert load_model(out).classes_ == ("kick", "snare")
