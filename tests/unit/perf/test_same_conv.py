"""The generator's image head (SameConv2d) computes what ZeroPad2d + Conv2d computed, under the same names."""

from __future__ import annotations

import copy

import pytest
import torch
from torch import nn
from torch.testing import assert_close

from ganlab.accel.conv import SameConv2d as FastSameConv2d
from ganlab.models import build_models
from ganlab.models.dcgan import SameConv2d
from ganlab.plugins import load_config


def explicit_same(conv: SameConv2d) -> nn.Sequential:
    k = conv.kernel_size[0]
    ref = nn.Sequential(
        nn.ZeroPad2d(((k - 1) // 2, k // 2, (k - 1) // 2, k // 2)), nn.Conv2d(conv.in_channels, conv.out_channels, k)
    )
    ref[1].load_state_dict(conv.state_dict())
    return ref.to(conv.weight.dtype)


@pytest.mark.parametrize("kernel", [3, 4, 5])
@pytest.mark.parametrize("out_channels", [1, 3, 8])  # the transposed-convolution path (<= 4) and the plain one
@pytest.mark.parametrize("layout", [torch.contiguous_format, torch.channels_last])
@pytest.mark.parametrize("side", [7, 2])  # 2: some taps of a 4- or 5-wide kernel read only padding
@pytest.mark.parametrize("cls", [SameConv2d, FastSameConv2d])  # the model's, and ganlab.accel's
def test_same_conv_matches_explicit_padding_with_gradients(
    kernel: int, out_channels: int, layout: torch.memory_format, side: int, cls: type[SameConv2d]
) -> None:
    torch.manual_seed(kernel)
    conv = cls(5, out_channels, kernel).double().to(memory_format=layout)
    ref = explicit_same(conv)
    x = torch.randn(3, 5, side, side, dtype=torch.float64).contiguous(memory_format=layout).requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    out, expected = conv(x), ref(x_ref)
    assert out.shape == (3, out_channels, side, side)
    assert_close(out, expected)
    g = torch.randn_like(out)
    grads = torch.autograd.grad(out, (x, conv.weight, conv.bias), g)
    ref_grads = torch.autograd.grad(expected, (x_ref, ref[1].weight, ref[1].bias), g)
    for a, b in zip(grads, ref_grads, strict=True):
        assert_close(a, b)


def test_generator_keeps_its_parameter_names_and_output() -> None:
    cfg = load_config("dcgan", {"model.g_channels": 4, "model.z_dim": 6})
    G, _ = build_models(cfg.model, (1, 28, 28), 0)
    G = G.double().eval()
    ref = copy.deepcopy(G)
    ref.blocks[-3] = nn.ZeroPad2d((2, 2, 2, 2))  # kernel 5: what the head was before issue 6
    ref.blocks[-2] = explicit_same(G.blocks[-2])[1]
    assert list(G.state_dict()) == list(ref.state_dict())
    z = torch.randn(4, 6, dtype=torch.float64)
    assert_close(G(z), ref(z))
