"""Small layers shared by the architectures: conditioning and normalisation choices."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def one_hot(labels: Tensor, num_classes: int, dtype: torch.dtype) -> Tensor:
    """(B,) int64 -> (B, K) float one-hot."""
    return F.one_hot(labels, num_classes).to(dtype)


def label_channels(labels: Tensor, num_classes: int, like: Tensor) -> Tensor:
    """One-hot labels as K constant image channels (B, K, H, W) (seed 001 §5.5)."""
    b, _, h, w = like.shape
    return one_hot(labels, num_classes, like.dtype)[:, :, None, None].expand(b, num_classes, h, w)


def norm_2d(kind: str, channels: int) -> nn.Module:
    """batch -> BatchNorm2d; layer -> LayerNorm over (C, H, W) with per-channel affine; none -> identity."""
    if kind == "batch":
        return nn.BatchNorm2d(channels)
    if kind == "layer":
        return nn.GroupNorm(1, channels)  # one group = layer norm over C, H, W (seed 001 §5.1.2)
    return nn.Identity()


class ProjectionHead(nn.Module):
    """logit = w.h + b + <E[y], h> (Miyato & Koyama 2018): the label enters as an inner product."""

    def __init__(self, features: int, num_classes: int) -> None:
        super().__init__()
        self.linear = nn.Linear(features, 1)
        self.embed = nn.Embedding(num_classes, features)
        nn.init.normal_(self.embed.weight, 0.0, 0.02)

    def forward(self, h: Tensor, labels: Tensor) -> Tensor:  # h (B, F), labels (B,) -> (B,)
        return self.linear(h).squeeze(1) + (self.embed(labels) * h).sum(1)


class ConcatHead(nn.Module):
    """logit = MLP([h, onehot(y)]): the label concatenated to a dense layer (seed 001 §2.7, §3.3)."""

    def __init__(self, features: int, num_classes: int, hidden: int | None) -> None:
        super().__init__()
        self.num_classes = num_classes
        width = features + num_classes
        layers: list[nn.Module] = []
        if hidden is not None:
            layers += [nn.Linear(width, hidden), nn.LeakyReLU(0.2)]
            width = hidden
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, h: Tensor, labels: Tensor | None) -> Tensor:  # h (B, F) -> (B,)
        if self.num_classes:
            assert labels is not None
            h = torch.cat([h, one_hot(labels, self.num_classes, h.dtype)], 1)
        return self.net(h).squeeze(1)


def dcgan_init(module: nn.Module) -> None:
    """Weights ~ N(0, 0.02), BN scale ~ N(1, 0.02), biases 0 (Radford et al. 2016, the DCGAN paper)."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d, nn.Linear)):
        nn.init.normal_(module.weight, 0.0, 0.02)
        if module.bias is not None:
            nn.init.zeros_(module.bias)
    elif isinstance(module, (nn.BatchNorm2d, nn.BatchNorm1d, nn.GroupNorm)):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)
