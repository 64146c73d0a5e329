"""Output shapes for every architecture x resolution x channels x conditioning, and the seed layouts."""

from __future__ import annotations

import itertools

import pytest
import torch
from torch import nn

from ganlab.config.schema import ModelConfig
from ganlab.errors import ConfigError
from ganlab.models import build_models

CASES = list(itertools.product([28, 32, 64], [1, 3], [3, 4, 5], ["none", "dense", "channels", "projection"]))


@pytest.mark.parametrize(("resolution", "channels", "kernel", "condition"), CASES)
def test_dcgan_shapes(resolution: int, channels: int, kernel: int, condition: str) -> None:
    cfg = ModelConfig(
        kernel_size=kernel,
        g_channels=8,
        d_channels=8,
        conditional=condition != "none",
        d_condition="dense" if condition == "none" else condition,
        d_head="dense" if condition == "dense" else "conv",
        d_dense=16,
        g_head="upsample" if kernel == 4 else "conv",
    )
    G, D = build_models(cfg, (channels, resolution, resolution), 10)
    y = torch.randint(0, 10, (3,)) if cfg.conditional else None
    x = G(torch.randn(3, cfg.z_dim), y)
    assert x.shape == (3, channels, resolution, resolution)
    assert x.abs().max() <= 1.0  # tanh output in [-1, 1]
    assert D(x, y).shape == (3,)
    assert D.features(x, y).dim() == 2


@pytest.mark.parametrize("conditional", [False, True])
@pytest.mark.parametrize("shape", [(1, 28, 28), (3, 32, 32), (2,)])
def test_mlp_shapes(shape: tuple[int, ...], conditional: bool) -> None:
    cfg = ModelConfig(
        generator="mlp",
        discriminator="mlp",
        g_hidden=[16, 16],
        d_hidden=[16],
        conditional=conditional,
        d_condition="projection",
    )
    G, D = build_models(cfg, shape, 5)
    y = torch.randint(0, 5, (4,)) if conditional else None
    x = G(torch.randn(4, cfg.z_dim), y)
    assert x.shape == (4, *shape)
    assert D(x, y).shape == (4,)


def test_seed001_dcgan_layout() -> None:
    # seed 001 §3.1.7: dense -> 4x4x256, transposed convs 256, 128, 64 (kernel 5, stride 2), conv -> 3
    G, D = build_models(
        ModelConfig(kernel_size=5, g_channels=64, g_max_channels=256, d_channels=64, d_max_channels=256), (3, 32, 32), 0
    )
    convs = [m for m in G.modules() if isinstance(m, (nn.ConvTranspose2d, nn.Conv2d))]
    assert [m.out_channels for m in convs] == [256, 128, 64, 3]
    assert G.project.out_features == 256 * 4 * 4
    assert [m.out_channels for m in D.modules() if isinstance(m, nn.Conv2d)] == [64, 128, 256]


def test_seed004_generator_layout() -> None:
    # seed 004 §4.1: 100 -> 4x4x1024 -> 8x8x512 -> 16x16x256 -> 32x32x128 -> 3x3 conv -> 32x32x3
    G, _ = build_models(
        ModelConfig(kernel_size=4, g_channels=128, g_max_channels=1024, g_head_kernel=3), (3, 32, 32), 0
    )
    convs = [m for m in G.modules() if isinstance(m, (nn.ConvTranspose2d, nn.Conv2d))]
    assert G.project.out_features == 1024 * 16
    assert [m.out_channels for m in convs] == [512, 256, 128, 3]
    assert convs[-1].kernel_size == (3, 3)


def test_seed000_generator_layout() -> None:
    # seed 000 §4.2: five transposed-conv layers, kernel 4, 128-d noise -> 64x64x3, channels halved each layer
    G, _ = build_models(
        ModelConfig(z_dim=128, kernel_size=4, g_head="upsample", g_channels=64, g_max_channels=512), (3, 64, 64), 0
    )
    convs = [m for m in G.modules() if isinstance(m, nn.ConvTranspose2d)]
    assert G.project.out_features == 512 * 16
    assert [m.out_channels for m in convs] == [256, 128, 64, 3]


def test_unsupported_resolution_is_refused() -> None:
    with pytest.raises(ConfigError, match="model.generator"):
        build_models(ModelConfig(), (1, 30, 30), 0)
    with pytest.raises(ConfigError, match="model.generator"):
        build_models(ModelConfig(), (2,), 0)
