"""Several trained DrumNets heard as one: the mean of their class probabilities.

The shipped ensemble (`--model ensemble`) is three highway nets trained by the same recipe with
seeds 0-2 (`make model`): `default`, the first, `default-seed1` and `default-seed2`. It costs
three networks; on sources neither heard, the ensemble of the previous recipe was no more
accurate than its first net alone (BENCHMARKS.md, "Recording chains never heard"), so classify
uses the one net by default and dreaming uses the three (drumnet.generate.dream.dream_ensemble),
whose agreement steers a sound more robustly than one net's.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from drumnet.nets import DrumNet

ENSEMBLE = "ensemble"
MEMBERS = ("default", "default-seed1", "default-seed2")


def check_compatible(nets: Sequence[DrumNet]) -> None:
    """Models used together must share class names and feature settings, so that one
    waveform means the same to each; raises ValueError otherwise."""
    first = nets[0]
    for other in nets[1:]:
        if other.classes != first.classes or other.features != first.features:
            raise ValueError("ensemble models must share class names and feature settings")


class EnsembleNet(nn.Module):
    """Waveforms (B, n_samples) -> log of the members' mean softmax (B, n_classes).

    The output works as logits: its softmax is the mean probability, and a softmax over a
    subset of its columns renormalises that mean over the subset. The STFT is computed once.
    """

    def __init__(self, members: Sequence[DrumNet]):
        super().__init__()
        if not members:
            raise ValueError("an ensemble needs at least one model")
        check_compatible(members)
        first = members[0]
        self.members = nn.ModuleList(members)
        self.name, self.classes, self.features = ENSEMBLE, first.classes, first.features
        self.frontend = first.frontend

    def forward(self, wave: torch.Tensor) -> torch.Tensor:
        spec = self.frontend(wave)
        logp = torch.stack([torch.log_softmax(m.body(spec), dim=1) for m in self.members])
        return torch.logsumexp(logp, dim=0) - math.log(len(self.members))
