"""The study's multilayer perceptron on the flattened STFT tensor."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from drumnet.config import FeatureConfig
from drumnet.nets.layers import InputRepresentation, require


@dataclass(frozen=True)
class MLPConfig:
    hidden: tuple[int, ...] = (256, 128)  # width of each dense layer
    dropout: float = 0.3  # after every hidden layer; regularises a net with ~1M inputs weights
    representation: str = "logmel"  # complex (the study's raw input) | logmag | logmel
    n_mels: int = 64  # mel bands when representation == "logmel"

    def __post_init__(self) -> None:
        require(all(n > 0 for n in self.hidden), "hidden", "widths above 0", list(self.hidden))
        require(0 <= self.dropout < 1, "dropout", "at least 0 and below 1", self.dropout)
        require(self.n_mels > 0, "n_mels", "above 0", self.n_mels)


class MLP(nn.Module):
    """(B, T, F, 2) complex tensor -> logits (B, n_classes).

    Dense -> batch norm -> ELU -> dropout, repeated; a final dense layer gives logits (the
    softmax is applied by the loss in training and by `predict_proba` in use).
    """

    def __init__(self, config: MLPConfig, features: FeatureConfig, n_classes: int):
        super().__init__()
        self.config = config
        self.input = InputRepresentation(features, config.representation, config.n_mels)
        width = self.input.channels * features.n_frames * self.input.n_bins
        layers: list[nn.Module] = [nn.Flatten()]
        for hidden in config.hidden:
            layers += [nn.Linear(width, hidden), nn.BatchNorm1d(hidden), nn.ELU()]
            layers += [nn.Dropout(config.dropout)]
            width = hidden
        self.body = nn.Sequential(*layers)
        self.head = nn.Linear(width, n_classes)

    def stages(self, spec: torch.Tensor) -> list[torch.Tensor]:
        """Activations after the input layer and each hidden layer, for dreaming/style."""
        x = self.input(spec)  # (B, C, T, F')
        outs = [x]
        for layer in self.body:
            x = layer(x)
            if isinstance(layer, nn.ELU):
                outs.append(x)  # (B, hidden)
        return outs

    def forward(self, spec: torch.Tensor) -> torch.Tensor:
        return self.head(self.body(self.input(spec)))  # (B, n_classes)
