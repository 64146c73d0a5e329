"""The small ReLU MLPs the toy experiments train: configurable depth and width, no normalisation.

Seed 000 App. A describes its toy networks as "N layers of MLP with ReLU nonlinearity and 512 units and
without batch normalization", built on igul222/improved_wgan_training's gan_toy.py, whose "4-layer"
discriminator is 3 hidden ReLU layers of 512 units and a linear output. We read "N layers" the same way:
N linear layers, that is N - 1 hidden ReLU layers and one linear output (`layers=N` below).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn


class MLP(nn.Module):
    """x (B, in_dim) -> (B, out_dim), or (B,) when out_dim is 1 (a critic's scores)."""

    def __init__(self, in_dim: int, out_dim: int, width: int, layers: int, generator: torch.Generator) -> None:
        super().__init__()
        if layers < 1:
            raise ValueError(f"an MLP needs at least one linear layer, got layers={layers}")
        widths = [in_dim] + [width] * (layers - 1) + [out_dim]
        self.linears = nn.ModuleList(nn.Linear(a, b) for a, b in zip(widths[:-1], widths[1:], strict=True))
        self.out_dim = out_dim
        he_init(self, generator)

    def forward(self, x: Tensor) -> Tensor:
        out = self.activations(x)[-1]
        return out.squeeze(-1) if self.out_dim == 1 else out

    def activations(self, x: Tensor) -> list[Tensor]:
        """The output of every linear layer, before its ReLU: [(B, width)] * (layers - 1) + [(B, out_dim)]."""
        outputs: list[Tensor] = []
        h = x
        for i, linear in enumerate(self.linears):
            h = linear(h)
            outputs.append(h)
            if i < len(self.linears) - 1:
                h = torch.relu(h)
        return outputs


@torch.no_grad()
def he_init(net: nn.Module, generator: torch.Generator) -> None:
    """He-normal weights and zero biases, as gan_toy.py's `initialization='he'` (seed 000 App. A's template)."""
    for module in net.modules():
        if isinstance(module, nn.Linear):
            nn.init.kaiming_normal_(module.weight, nonlinearity="relu", generator=generator)
            nn.init.zeros_(module.bias)


def flat_weights(net: nn.Module) -> Tensor:
    """Every weight matrix of `net` (biases excluded) as one detached vector: what the histograms show."""
    return torch.cat([m.weight.detach().flatten() for m in net.modules() if isinstance(m, nn.Linear)])
