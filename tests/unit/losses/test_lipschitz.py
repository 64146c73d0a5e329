"""Weight clipping bounds and spectral norm against torch.linalg.svdvals."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from ganlab.config.schema import LipschitzConfig, ModelConfig
from ganlab.lipschitz import build_lipschitz
from ganlab.models import build_models


def test_clipping_bounds_every_parameter_after_a_step() -> None:
    _, D = build_models(ModelConfig(d_norm="none"), (1, 28, 28), 0)
    clip = build_lipschitz(LipschitzConfig(name="clip", clip=0.01))
    opt = torch.optim.SGD(D.parameters(), lr=10.0)  # a huge step pushes many weights past the bound
    D(torch.randn(8, 1, 28, 28)).mean().backward()
    opt.step()
    assert max(p.abs().max().item() for p in D.parameters()) > 0.01
    clip.after_d_step(D)
    values = torch.cat([p.detach().flatten() for p in D.parameters()])
    assert values.abs().max().item() <= 0.01
    assert (values.abs() == 0.01).float().mean() > 0.1  # weights pile up at the bound (seed 002 Fig. 5)


@pytest.mark.parametrize("discriminator", ["dcgan", "mlp"])
def test_spectral_norm_makes_each_layer_norm_one(discriminator: str) -> None:
    cfg = ModelConfig(discriminator=discriminator, d_norm="none", d_hidden=[64, 32], d_channels=16)
    torch.manual_seed(0)
    _, D = build_models(cfg, (1, 28, 28), 0)
    D = build_lipschitz(LipschitzConfig(name="sn")).prepare(D)
    for _ in range(60):  # power iteration converges over forward passes in train mode
        D(torch.randn(4, 1, 28, 28))
    layers = [m for m in D.modules() if isinstance(m, (nn.Conv2d, nn.Linear))]
    assert layers
    for layer in layers:
        sigma = torch.linalg.svdvals(layer.weight.detach().flatten(1))[0]
        torch.testing.assert_close(sigma, torch.tensor(1.0), rtol=1e-3, atol=1e-3)
