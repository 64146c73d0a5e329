"""Fully connected G and D (seed 000 §4.2: G 512-512-1024-2048-out, D 4096-2048-1024-512-1)."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ganlab.models.layers import ConcatHead, MinibatchHead, MinibatchSpec, ProjectionHead, one_hot


class MLPGenerator(nn.Module):
    """z (B, z_dim) [+ one-hot label] -> (B, *shape); tanh output for images, linear for points."""

    def __init__(self, z_dim: int, shape: tuple[int, ...], hidden: list[int], num_classes: int, tanh: bool) -> None:
        super().__init__()
        self.z_dim, self.shape, self.num_classes = z_dim, shape, num_classes
        widths = [z_dim + num_classes, *hidden]
        layers: list[nn.Module] = []
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(w_in, w_out), nn.ReLU(inplace=True)]  # Linear keeps its input, not its output
        layers.append(nn.Linear(widths[-1], math.prod(shape)))
        if tanh:
            layers.append(nn.Tanh())
        self.net = nn.Sequential(*layers)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.num_classes:
            assert labels is not None, "a conditional generator needs labels"
            z = torch.cat([z, one_hot(labels, self.num_classes, z.dtype)], 1)
        return self.net(z).view(len(z), *self.shape)


class MLPDiscriminator(nn.Module):
    """x (B, *shape) -> logits (B,); LeakyReLU 0.2 between layers (seed 000 §4.2)."""

    def __init__(
        self,
        shape: tuple[int, ...],
        hidden: list[int],
        num_classes: int,
        condition: str,
        minibatch: MinibatchSpec | None = None,
    ) -> None:
        super().__init__()
        self.num_classes = num_classes
        widths = [math.prod(shape), *hidden]
        layers: list[nn.Module] = [nn.Flatten()]
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [nn.Linear(w_in, w_out), nn.LeakyReLU(0.2, inplace=True)]
        self.trunk = nn.Sequential(*layers)
        self.feature_dim = widths[-1]
        self.head: nn.Module
        if minibatch is not None:  # seed 001 §4.3, after the last hidden layer
            self.head = MinibatchHead(self.feature_dim, num_classes, condition, before=None, spec=minibatch)
        elif num_classes and condition == "projection":
            self.head = ProjectionHead(self.feature_dim, num_classes)
        else:
            self.head = ConcatHead(self.feature_dim, num_classes, hidden=None)

    def features(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        """Last hidden layer (B, F): what feature matching compares."""
        return self.trunk(x)

    def classify(self, h: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.head(h, labels)

    def forward(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return self.classify(self.features(x, labels), labels)
