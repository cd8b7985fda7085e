"""Data-parallel training: one process per rank, DistributedDataParallel, torch's own launcher.

`drumnet train --nproc N` starts N ranks here through torch's elastic launcher; under
`torchrun` (one machine or several) each process finds its rank in the environment (RANK,
WORLD_SIZE, LOCAL_RANK) instead. Every rank loads the data and draws the same order of
samples each epoch; rank r takes batches r, r + N, r + 2N... of it (DistributedSampler's
idea at batch grain, so `--batch-size` is per rank and an epoch takes 1/N of the steps).
Gradients are averaged by DDP, batch-norm statistics are averaged after every epoch, and at
the end a checksum of every rank's weights must agree. Rank 0 alone writes files.

Batch norm: SyncBatchNorm on GPUs. On CPU torch has none (SyncBatchNorm runs on GPUs only), so
each rank normalises over its own batch, exactly as one process does over a batch of that size;
the running statistics are then averaged over the ranks, so every replica ends the same.
docs/scale.md.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import sys
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist
from torch import nn


@dataclass(frozen=True)
class Replicas:
    """This process's place among the ranks (one rank alone when not distributed)."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    local_world_size: int = 1

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def writer(self) -> bool:
        """Rank 0 writes the model, the history and the reports."""
        return self.rank == 0

    def device(self, wanted: str | None) -> str:
        """`wanted`, else this rank's GPU when there are GPUs, else the CPU."""
        if wanted:
            return wanted
        if torch.cuda.is_available():
            return f"cuda:{self.local_rank}" if self.distributed else "cuda"
        return "cpu"

    def threads(self) -> int:
        """Torch threads per rank: this machine's cores shared out among its ranks."""
        return max(1, (os.cpu_count() or 1) // self.local_world_size)

    def wrap(self, model: nn.Module) -> nn.Module:
        """The module to train: `model` itself, or DDP over it (sharing its parameters)."""
        if not self.distributed:
            return model
        from torch.nn.parallel import DistributedDataParallel

        on_gpu = next(model.parameters()).device.type == "cuda"
        if on_gpu:  # in place; SyncBatchNorm keeps BatchNorm's state names, the file loads as usual
            model = nn.SyncBatchNorm.convert_sync_batchnorm(model)
        return DistributedDataParallel(model, device_ids=[self.local_rank] if on_gpu else None)

    def generators(self, seed: int) -> tuple[torch.Generator, torch.Generator]:
        """(order, augmentation) generators: the order is the same on every rank, the
        augmentation differs; one generator serves both in a single process, as it always has."""
        order = torch.Generator().manual_seed(seed)
        if not self.distributed:
            return order, order
        return order, torch.Generator().manual_seed(seed + 1_000_003 * (self.rank + 1))

    def my_batches(self, batches: list) -> list:
        """This rank's share of the epoch's batches; every rank gets as many (the rest waits
        for the next epoch's order)."""
        if not self.distributed:
            return batches
        usable = len(batches) // self.world_size * self.world_size
        return batches[self.rank : usable : self.world_size]

    def total(self, *values: float) -> list[float]:
        """Each value summed over the ranks."""
        if not self.distributed:
            return list(values)
        t = torch.tensor(values, dtype=torch.float64)
        dist.all_reduce(t)
        return t.tolist()

    def agree(self, flag: bool) -> bool:
        """Rank 0's `flag` on every rank (when to stop must not differ between ranks)."""
        if not self.distributed:
            return flag
        t = torch.tensor([int(flag)])
        dist.broadcast(t, src=0)
        return bool(t.item())

    def average_buffers(self, model: nn.Module) -> None:
        """Batch norm's running statistics averaged over the ranks (each saw other batches)."""
        if not self.distributed:
            return
        for buf in model.buffers():
            if buf.is_floating_point():
                dist.all_reduce(buf)
                buf /= self.world_size

    def identical(self, model: nn.Module) -> bool:
        """Whether every rank holds the very same weights and buffers (a checksum each)."""
        if not self.distributed:
            return True
        digest = hashlib.blake2b(digest_size=8)
        for name, value in sorted(model.state_dict().items()):
            digest.update(name.encode())
            digest.update(value.detach().cpu().contiguous().numpy().tobytes())
        mine = torch.tensor([int.from_bytes(digest.digest(), "little", signed=True)])
        every = [torch.zeros_like(mine) for _ in range(self.world_size)]
        dist.all_gather(every, mine)
        return all(int(t) == int(mine) for t in every)

    def describe(self) -> dict[str, Any] | None:
        """How the model was trained, for its file's metadata (None: one process)."""
        if not self.distributed:
            return None
        return {"world_size": self.world_size, "backend": dist.get_backend()}


def current() -> Replicas:
    """This process's ranks: from the process group when one is set up, else one rank."""
    if not (dist.is_available() and dist.is_initialized()):
        return Replicas()
    local = int(os.environ.get("LOCAL_WORLD_SIZE") or dist.get_world_size())
    local_rank = int(os.environ.get("LOCAL_RANK") or dist.get_rank())
    return Replicas(dist.get_rank(), dist.get_world_size(), local_rank, local)


def from_environment() -> Replicas | None:
    """The ranks torchrun (or `launch`) described in the environment; None outside one."""
    if "WORLD_SIZE" not in os.environ or "RANK" not in os.environ:
        return None
    world = int(os.environ["WORLD_SIZE"])
    local = int(os.environ.get("LOCAL_WORLD_SIZE") or world)
    return Replicas(int(os.environ["RANK"]), world, int(os.environ.get("LOCAL_RANK", "0")), local)


@contextlib.contextmanager
def process_group(replicas: Replicas) -> Iterator[None]:
    """The process group for `replicas` (nccl on GPUs, else gloo), destroyed afterwards;
    stdout is silent on every rank but 0, so that messages and reports appear once."""
    backend = "nccl" if torch.cuda.is_available() else "gloo"
    if backend == "nccl":
        torch.cuda.set_device(replicas.local_rank)
    dist.init_process_group(backend)  # MASTER_ADDR, MASTER_PORT, RANK, WORLD_SIZE: from env
    quiet = open(os.devnull, "w") if not replicas.writer else None  # noqa: SIM115
    try:
        with contextlib.redirect_stdout(quiet) if quiet else contextlib.nullcontext():
            yield
        # every rank leaves together: gloo aborts a rank ("terminate called without an
        # active exception") that tears its group down while a peer is still writing
        dist.barrier()
    finally:
        dist.destroy_process_group()
        if quiet:
            quiet.close()


def launch(entry: Callable[..., int], args: Any, nproc: int) -> int:
    """Run `entry(args)` in `nproc` ranks on this machine through torch's elastic launcher
    (what `torchrun --standalone --nproc-per-node N` does); returns rank 0's exit status."""
    from torch.distributed.launcher.api import LaunchConfig, elastic_launch

    config = LaunchConfig(
        min_nodes=1,
        max_nodes=1,
        nproc_per_node=nproc,
        run_id=f"drumnet-{uuid.uuid4().hex[:12]}",
        rdzv_backend="c10d",
        rdzv_endpoint="127.0.0.1:0",  # a free port
        max_restarts=0,
        monitor_interval=0.5,
        start_method="spawn",
    )
    sys.stdout.flush()
    return int(elastic_launch(config, entry)(args)[0])
