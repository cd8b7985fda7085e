"""The study's convolutional highway network."""

from __future__ import annotations

import math
from dataclasses import dataclass

import torch
from torch import nn

from drumnet.config import FeatureConfig
from drumnet.nets.layers import HighwayConv, InputRepresentation, MaxPool2x2, require


@dataclass(frozen=True)
class HighwayConfig:
    channels: tuple[int, ...] = (8, 16, 32, 64)  # stage widths; 2x2 pooling between stages
    blocks_per_stage: int = 1  # gated highway convs per stage (2 costs 2x, see BENCHMARKS)
    kernel: int = 3  # conv kernel (time x frequency)
    gate_bias: float = -2.0  # T(x) starts near sigmoid(-2) = 0.12: blocks mostly carry x
    dropout: float = 0.3  # before the dense classifier
    dense: int = 64  # width of the dense layer before the output
    representation: str = "logmel"  # complex | logmag | logmel
    n_mels: int = 32  # mel bands; 32 train 2x faster than 48 and did as well on held-out kits

    def __post_init__(self) -> None:
        widths = list(self.channels)
        require(bool(widths) and min(widths) > 0, "channels", "widths above 0", widths)
        require(self.blocks_per_stage > 0, "blocks_per_stage", "above 0", self.blocks_per_stage)
        # an even kernel's "same" padding would change the shape the highway adds x back to
        require(self.kernel > 0 and self.kernel % 2 == 1, "kernel", "odd", self.kernel)
        require(math.isfinite(self.gate_bias), "gate_bias", "a finite number", self.gate_bias)
        require(0 <= self.dropout < 1, "dropout", "at least 0 and below 1", self.dropout)
        require(self.dense > 0, "dense", "above 0", self.dense)
        require(self.n_mels > 0, "n_mels", "above 0", self.n_mels)


class ConvHighwayNet(nn.Module):
    """(B, T, F, 2) complex tensor -> logits (B, n_classes).

    Input layer -> [1x1 conv to the stage width, highway blocks, 2x2 max pool] per stage ->
    global mean + max pool over time and frequency -> dense, BN, ELU -> logits.
    """

    def __init__(self, config: HighwayConfig, features: FeatureConfig, n_classes: int):
        super().__init__()
        self.config = config
        self.input = InputRepresentation(features, config.representation, config.n_mels)
        stages: list[nn.Module] = []
        width = self.input.channels
        for i, out in enumerate(config.channels):
            blocks = [HighwayConv(out, config.kernel, config.gate_bias)]
            blocks += [
                HighwayConv(out, config.kernel, config.gate_bias)
                for _ in range(config.blocks_per_stage - 1)
            ]
            stem = [nn.Conv2d(width, out, 1, bias=False), nn.BatchNorm2d(out), nn.ELU()]
            pool = [MaxPool2x2()] if i < len(config.channels) - 1 else []
            stages.append(nn.Sequential(*stem, *blocks, *pool))
            width = out
        self.stages_ = nn.ModuleList(stages)
        self.classifier = nn.Sequential(
            nn.Dropout(config.dropout),
            nn.Linear(2 * width, config.dense),
            nn.BatchNorm1d(config.dense),
            nn.ELU(),
            nn.Linear(config.dense, n_classes),
        )

    def stages(self, spec: torch.Tensor) -> list[torch.Tensor]:
        """Activations of the input layer and of every stage, each (B, C, T', F')."""
        x = self.input(spec)
        outs = [x]
        for stage in self.stages_:
            x = stage(x)
            outs.append(x)
        return outs

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        x = self.stages(spec)[-1]  # (B, C, T', F')
        pooled = torch.cat([x.mean(dim=(2, 3)), x.amax(dim=(2, 3))], dim=1)  # (B, 2C)
        return self.classifier(pooled)  # (B, n_classes)
