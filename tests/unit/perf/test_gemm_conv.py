"""The im2col + GEMM convolutions (ganlab.accel.conv) compute torch's convolutions: outputs, gradients
and the gradient penalty's double backward, in both memory layouts; they step aside where they do not apply."""

from __future__ import annotations

from dataclasses import replace

import pytest
import torch
import torch.nn.functional as F
from torch import nn
from torch.testing import assert_close

from ganlab.accel import conv as gemm_conv
from ganlab.accel.conv import Conv2d, ConvTranspose2d, SameConv2d
from ganlab.data.base import Dataset
from ganlab.models.dcgan import DOWNSAMPLE, UPSAMPLE
from ganlab.plugins import load_config
from ganlab.training.state import build_state
from ganlab.training.step import d_step, g_step

LAYOUTS = [torch.contiguous_format, torch.channels_last]


def tiny_images(side: int) -> Dataset:
    x = torch.randint(0, 256, (32, 1, side, side), dtype=torch.uint8, generator=torch.Generator().manual_seed(0))
    return Dataset("toy", "image", x, None, 0, "generated")


def took_gemm_name(name: str) -> bool:
    return any(path in name for path in ("Gemm", "Tap", "FewInputs", "FewOutputs"))


def took_gemm(out: torch.Tensor) -> bool:
    return took_gemm_name(type(out.grad_fn).__name__ if out.grad_fn is not None else "")


def graph_nodes(out: torch.Tensor) -> set[str]:
    """Names of the autograd nodes behind `out`."""
    names, seen, todo = set(), set(), [out.grad_fn]
    while todo:
        node = todo.pop()
        if node is not None and id(node) not in seen:
            seen.add(id(node))
            names.add(type(node).__name__)
            todo.extend(next_fn for next_fn, _ in node.next_functions)
    return names


def pair(kind: str, c_in: int, c_out: int, kernel: int, bias: bool, layout) -> tuple[nn.Module, nn.Module]:
    """(ganlab's layer, torch's layer) with the same weights, in float64."""
    torch.manual_seed(kernel * 10 + c_in)
    if kind == "conv":
        new: nn.Module = Conv2d(c_in, c_out, kernel, 2, DOWNSAMPLE[kernel], bias=bias)
        ref: nn.Module = nn.Conv2d(c_in, c_out, kernel, 2, DOWNSAMPLE[kernel], bias=bias)
    else:
        padding, output_padding = UPSAMPLE[kernel]
        new = ConvTranspose2d(c_in, c_out, kernel, 2, padding, output_padding, bias=bias)
        ref = nn.ConvTranspose2d(c_in, c_out, kernel, 2, padding, output_padding, bias=bias)
    ref.load_state_dict(new.state_dict())
    return new.double().to(memory_format=layout), ref.double().to(memory_format=layout)


def same_pair(c_in: int, c_out: int, kernel: int = 4) -> tuple[nn.Module, nn.Module]:
    """(SameConv2d, explicit ZeroPad2d + nn.Conv2d) with the same weights, in float64."""
    torch.manual_seed(c_in)
    new = SameConv2d(c_in, c_out, kernel)
    ref = nn.Sequential(nn.ZeroPad2d(((kernel - 1) // 2, kernel // 2) * 2), nn.Conv2d(c_in, c_out, kernel))
    ref[1].load_state_dict(new.state_dict())
    return new.double(), ref.double()


CASES = [  # (kind, input side): the small side of every case is at most GEMM_MAX_SIDE
    ("conv", 8),  # 8 -> 4, the last map of a 64x64 critic
    ("conv", 7),  # odd input: the last row and column of the padded map are read by no window
    ("conv", 4),
    ("convT", 4),  # 4 -> 8, the first map of a 64x64 generator
    ("convT", 3),
]


@pytest.mark.parametrize(("kind", "side"), CASES)
@pytest.mark.parametrize("kernel", [3, 4, 5])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_gemm_layers_match_torch_with_gradients(kind: str, side: int, kernel: int, bias: bool, layout) -> None:
    new, ref = pair(kind, 6, 5, kernel, bias, layout)
    x = torch.randn(3, 6, side, side, dtype=torch.float64).contiguous(memory_format=layout).requires_grad_(True)
    x_ref = x.detach().clone().requires_grad_(True)
    out, expected = new(x), ref(x_ref)
    assert took_gemm(out)
    assert out.shape == expected.shape
    assert_close(out, expected)
    g = torch.randn_like(expected)
    grads = torch.autograd.grad(out, (x, *new.parameters()), g)
    ref_grads = torch.autograd.grad(expected, (x_ref, *ref.parameters()), g)
    for a, b in zip(grads, ref_grads, strict=True):
        assert a.shape == b.shape
        assert_close(a, b)


@pytest.mark.parametrize("kind", ["conv", "convT"])
def test_frozen_weights_get_no_gradient_and_the_input_gradient_is_right(kind: str) -> None:
    new, ref = pair(kind, 4, 3, 4, True, torch.channels_last)
    new.requires_grad_(False)
    x = torch.randn(2, 4, 4, 4, dtype=torch.float64, requires_grad=True)
    out = new(x)
    (grad_x,) = torch.autograd.grad(out.square().sum(), x)
    (expected,) = torch.autograd.grad(ref(x).square().sum(), x)
    assert_close(grad_x, expected)
    assert all(p.grad is None for p in new.parameters())


@pytest.mark.parametrize(
    ("kind", "c_in", "c_out", "path"),
    [
        ("conv", 6, 5, "_GemmConv2d"),  # 4 -> 2 map
        ("conv", 3, 5, "_FewInputsConv2d"),
        ("convT", 6, 5, "_GemmConvTranspose2d"),  # 4 -> 8 map
        ("convT", 6, 3, "_FewOutputsConvTranspose2d"),
        ("same", 6, 3, "_TapConv2d"),
    ],
)
def test_gradient_penalty_double_backward_matches_torch(kind: str, c_in: int, c_out: int, path: str) -> None:
    """The penalty ||d D(x) / dx||^2 differentiated w.r.t. the weights (WGAN-GP's critic update), on every path."""
    grads = {}
    layers = same_pair(c_in, c_out) if kind == "same" else pair(kind, c_in, c_out, 4, True, torch.channels_last)
    for name, layer in zip(("gemm", "torch"), layers, strict=True):
        x = torch.randn(2, c_in, 4, 4, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
        x.requires_grad_(True)
        out = layer(x)
        if name == "gemm":
            assert type(out.grad_fn).__name__ == f"{path}Backward"
        else:
            assert not took_gemm(out)
        (gx,) = torch.autograd.grad(out.tanh().sum(), x, create_graph=True)
        penalty = (gx.flatten(1).norm(dim=1) - 1).square().mean()
        grads[name] = torch.autograd.grad(penalty, list(layer.parameters()))
    for a, b in zip(grads["gemm"], grads["torch"], strict=True):
        assert_close(a, b)


def test_torch_runs_the_large_maps_autocast_and_unusual_layers() -> None:
    conv = Conv2d(8, 4, 4, 2, 1)
    assert not took_gemm(conv(torch.randn(2, 8, 16, 16)))  # 16 -> 8 with 8 channels: oneDNN is faster there
    assert took_gemm(conv(torch.randn(2, 8, 8, 8)))
    assert took_gemm(Conv2d(3, 4, 4, 2, 1)(torch.randn(2, 3, 16, 16)))  # few input channels: a small patch matrix
    assert not took_gemm(ConvTranspose2d(8, 6, 4, 2, 1)(torch.randn(2, 8, 8, 8)))  # 6 outputs, larger map
    assert "FewOutputs" in type(ConvTranspose2d(8, 3, 4, 2, 1)(torch.randn(2, 8, 8, 8)).grad_fn).__name__
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = conv(torch.randn(2, 8, 8, 8))
    assert not took_gemm(out) and out.dtype == torch.bfloat16
    dilated = Conv2d(8, 4, 3, 2, 1, dilation=2)
    assert not took_gemm(dilated(torch.randn(2, 8, 8, 8)))
    grouped = ConvTranspose2d(4, 4, 4, 2, 1, groups=2)
    assert not took_gemm(grouped(torch.randn(2, 4, 4, 4)))
    assert not took_gemm(conv.half()(torch.randn(2, 8, 8, 8, dtype=torch.float16)))


def _assert_same_maths(new: nn.Module, ref: nn.Module, x: torch.Tensor, path: str) -> None:
    """Output and the input, weight and bias gradients of `new` equal torch's, and `new` took `path`."""
    x = x.requires_grad_(True)
    out, expected = new(x), ref(x)
    assert path in type(out.grad_fn).__name__
    assert out.shape == expected.shape
    assert_close(out, expected)
    g = torch.randn_like(out)
    grads = torch.autograd.grad(out, (x, *new.parameters()), g)
    for a, b in zip(grads, torch.autograd.grad(expected, (x, *ref.parameters()), g), strict=True):
        assert a.shape == b.shape
        assert_close(a, b)


@pytest.mark.parametrize(("channels", "side"), [(1, 28), (3, 64), (3, 9)])
@pytest.mark.parametrize("kernel", [3, 4, 5])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_few_channel_first_layer_matches_torch(channels: int, side: int, kernel: int, bias: bool, layout) -> None:
    """A critic's first layer on 1- or 3-channel images (28 px Fashion-MNIST, 64 px RGB, an odd side): torch's
    forward and weight gradient, the input gradient as GEMM + col2im."""
    new, ref = pair("conv", channels, 8, kernel, bias, layout)
    x = torch.randn(2, channels, side, side, dtype=torch.float64).contiguous(memory_format=layout)
    _assert_same_maths(new, ref, x, "FewInputs")


@pytest.mark.parametrize(("channels", "side"), [(1, 14), (3, 32), (3, 7)])
@pytest.mark.parametrize("kernel", [3, 4, 5])
@pytest.mark.parametrize("bias", [False, True])
@pytest.mark.parametrize("layout", LAYOUTS)
def test_few_channel_image_layer_matches_torch(channels: int, side: int, kernel: int, bias: bool, layout) -> None:
    """A generator's last transposed convolution to 1 or 3 channels (28 px gray, 64 px RGB, an odd side): GEMM +
    col2im forward, torch's backward."""
    new, ref = pair("convT", 6, channels, kernel, bias, layout)
    x = torch.randn(2, 6, side, side, dtype=torch.float64).contiguous(memory_format=layout)
    _assert_same_maths(new, ref, x, "FewOutputs")


@pytest.mark.parametrize("kernel", [3, 4, 5])
@pytest.mark.parametrize("stride", [1, 2, 3])
def test_col2im_is_the_adjoint_of_the_patch_view(kernel: int, stride: int) -> None:
    """<patches(x), c> == <x, col2im(c)> for every kernel/stride pair, the s | k fast form and the tap loop alike."""
    gen = torch.Generator().manual_seed(kernel * 10 + stride)
    b, h, w, c = 2, 11, 9, 3
    oh, ow = (h - kernel) // stride + 1, (w - kernel) // stride + 1
    x = torch.randn(b, h, w, c, dtype=torch.float64, generator=gen)
    cols = torch.randn(b, oh, ow, kernel, kernel, c, dtype=torch.float64, generator=gen)
    lhs = (gemm_conv._patches(x, kernel, stride, oh, ow) * cols).sum()
    folded = gemm_conv._col2im(cols, h, w, stride)
    assert folded.shape == (b, h, w, c)
    assert_close(lhs, (x * folded).sum())


def test_state_dict_is_torchs() -> None:
    assert list(Conv2d(3, 4, 4, 2, 1).state_dict()) == list(nn.Conv2d(3, 4, 4, 2, 1).state_dict())
    assert isinstance(ConvTranspose2d(3, 4, 4, 2, 1), nn.ConvTranspose2d)


@pytest.mark.parametrize("head", ["conv", "upsample"])
def test_dcgan_training_steps_equal_the_torch_only_steps(head: str) -> None:
    """A 16x16 DCGAN trains like torch's (train.gemm_conv=false): last critic map and first generator map 4x4
    (GEMM path), the critic's first layer on 1-channel images, and the image layer (tap head, or transposed conv
    to 1 channel)."""
    cfg = load_config(
        "dcgan",
        {
            "data.resolution": 16,
            "model.g_channels": 8,
            "model.d_channels": 8,
            "model.z_dim": 8,
            "model.g_head": head,
            "model.kernel_size": 4,
            "train.batch_size": 8,
        },
    )
    data = tiny_images(side=16)
    params = {}
    for name, on in (("gemm", True), ("torch", False)):
        state = build_state(replace(cfg, train=replace(cfg.train, gemm_conv=on)), data, torch.device("cpu"))
        for _ in range(3):
            real, labels = state.real_batch()
            d_step(state, real, labels)
            g_step(state, labels)
        params[name] = [p.detach() for p in (*state.G.parameters(), *state.D.parameters())]
        paths = graph_nodes(state.D(state.G(state.noise(2))).sum())
        image_layer = "TapConv2d" if head == "conv" else "FewOutputsConvTranspose2d"
        expected = {"GemmConv2d", "GemmConvTranspose2d", "FewInputsConv2d", image_layer} if name == "gemm" else set()
        assert {p for p in paths if took_gemm_name(p)} == {f"_{p}Backward" for p in expected}
    for a, b in zip(params["gemm"], params["torch"], strict=True):
        assert_close(a, b, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("kernel", [3, 4, 5])
def test_image_head_takes_the_tap_path_in_fp32_and_the_transposed_form_under_autocast(kernel: int) -> None:
    new, ref = same_pair(6, 3, kernel)
    x = torch.randn(2, 6, 9, 9, dtype=torch.float64)
    out = new(x.requires_grad_(True))
    assert "Tap" in type(out.grad_fn).__name__
    new, ref = new.float(), ref.float()
    with torch.autocast("cpu", dtype=torch.bfloat16):
        fast, expected = new(x.float()), ref(x.float())
    assert not took_gemm(fast) and fast.dtype == torch.bfloat16
    assert_close(fast.float(), expected.float(), rtol=2e-2, atol=5e-2)


@pytest.mark.parametrize(
    ("layer", "side"),
    [
        (Conv2d(6, 5, 4, 2, 1), 8),  # small map: _GemmConv2d
        (Conv2d(3, 5, 4, 2, 1), 16),  # few input channels: _FewInputsConv2d
        (ConvTranspose2d(6, 5, 4, 2, 1), 4),  # small map: _GemmConvTranspose2d
        (ConvTranspose2d(6, 3, 4, 2, 1), 8),  # few outputs: _FewOutputsConvTranspose2d
        (SameConv2d(6, 3, 4), 8),  # the tap head
    ],
)
def test_an_in_place_activation_may_follow_every_path(layer: nn.Module, side: int) -> None:
    """The models' activations run in place; autograd refuses that on a custom Function's view output."""
    layer = layer.double()
    x = torch.randn(2, layer.in_channels, side, side, dtype=torch.float64, requires_grad=True)
    out = layer(x)
    assert took_gemm(out) and not out._is_view()
    (grad,) = torch.autograd.grad(F.leaky_relu_(out, 0.2).square().sum(), x)
    if isinstance(layer, SameConv2d):
        expected_out = F.conv2d(F.pad(x, (1, 2, 1, 2)), layer.weight, layer.bias)
    else:
        torch_layer = nn.Conv2d if isinstance(layer, nn.Conv2d) else nn.ConvTranspose2d
        expected_out = torch_layer.forward(layer, x)  # torch's own layer
    (expected,) = torch.autograd.grad(F.leaky_relu(expected_out, 0.2).square().sum(), x)
    assert_close(grad, expected)
