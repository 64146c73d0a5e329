"""DCGAN generator and discriminator, with resolution, channels and kernel size as parameters.

Feature maps start at 4x4 (7x7 for 28-pixel images) and double per layer. Widths double per halving of
resolution, capped: with g_channels=64, g_max_channels=256 and 32 pixels this is seed 001 §3.1.7's
4x4x256 -> 8x8x256 -> 16x16x128 -> 32x32x64 -> conv -> 32x32xC; with g_channels=128 and a 3x3 head it is
seed 004 §4.1's 1024-512-256-128; with g_head=upsample and 64 pixels, seed 000 §4.2's five-layer generator.
"""

from __future__ import annotations

from typing import cast

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ganlab.models.layers import (
    ConvDiscriminator,
    MinibatchSpec,
    discriminator_head,
    norm_act,
    one_hot,
)

# (kernel, padding, output_padding) making a stride-2 transposed conv exactly double its input.
UPSAMPLE = {3: (1, 1), 4: (1, 0), 5: (2, 1)}
# padding making a stride-2 conv exactly halve an even input.
DOWNSAMPLE = {3: 1, 4: 1, 5: 2}
# D's activation (model.d_activation) as the negative slope norm_act takes: LeakyReLU 0.2 (seed 001 §3.1.5),
# or ReLU, seed 004 §4.1's discriminator ("a batch normalization layer, and a ReLu layer").
ACTIVATION_SLOPES = {"leaky_relu": 0.2, "relu": 0.0}


def base_size(resolution: int) -> int:
    """Side of the smallest feature map: halve while even and above 7 (32 -> 4, 28 -> 7, 64 -> 4)."""
    size = resolution
    while size % 2 == 0 and size > 7:
        size //= 2
    return size


def supported_resolution(resolution: int) -> bool:
    return resolution >= 8 and base_size(resolution) in (4, 7)


class SameConv2d(nn.Conv2d):
    """Stride-1 convolution whose output has its input's size: zero padding (k - 1) // 2 before, k // 2 after.

    The same maths as ZeroPad2d + Conv2d without the padded copy of the input: pad k // 2 on both sides, then
    drop the extra leading row and column of an even kernel. (`ganlab.accel` swaps in a faster image head.)
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int) -> None:
        super().__init__(in_channels, out_channels, kernel_size)

    def padding_sides(self) -> tuple[int, int]:
        """(before, after): (k - 1) // 2 and k // 2."""
        k = self.kernel_size[0]
        return (k - 1) // 2, k // 2

    def forward(self, x: Tensor) -> Tensor:  # (B, C_in, H, W) -> (B, C_out, H, W)
        lo, hi = self.padding_sides()
        out = F.conv2d(x, self.weight, self.bias, padding=hi)
        trim = hi - lo
        return out[..., trim:, trim:] if trim else out


def _layout(x: Tensor) -> torch.memory_format:
    return torch.channels_last if x.is_contiguous(memory_format=torch.channels_last) else torch.contiguous_format


class DCGANGenerator(nn.Module):
    """z (B, z_dim) [+ one-hot label] -> images (B, C, H, W) in [-1, 1].

    With reference_size R > 0, batch norm is virtual batch norm (seed 001 §4.4): a fixed reference batch of R
    noise vectors (and labels, "a reference condition defined at the same time", seed 001 §4.4) is drawn at
    construction, kept as buffers, and run through the network in front of every batch; `vbn_statistics` is
    what the live samples are normalised with (models/layers.py VirtualBatchNorm2d).
    """

    reference_z: Tensor  # (R, z_dim) buffer, with virtual batch norm
    reference_labels: Tensor  # (R,) buffer, with virtual batch norm in a conditional G

    def __init__(
        self,
        z_dim: int,
        shape: tuple[int, int, int],
        num_classes: int,
        *,
        channels: int,
        max_channels: int,
        kernel_size: int,
        norm: str,
        head: str,
        head_kernel: int,
        reference_size: int = 0,
        vbn_statistics: str = "sample",
    ) -> None:
        super().__init__()
        out_channels, resolution, _ = shape
        self.z_dim, self.num_classes, self.base = z_dim, num_classes, base_size(resolution)
        n_up = (resolution // self.base).bit_length() - 1
        n_maps = n_up + 1 if head == "conv" else n_up  # maps before the image
        widths = [min(channels * 2 ** (n_maps - 1 - i), max_channels) for i in range(n_maps)]
        self.top_channels = widths[0]
        self.project = nn.Linear(z_dim + num_classes, widths[0] * self.base**2)
        # batch norm and ReLU of the projection (`ganlab.accel` fuses such a *_norm, *_act pair on the CPU)
        self.project_norm, self.project_act = norm_act(norm, widths[0], 0.0, reference_size, vbn_statistics)
        padding, output_padding = UPSAMPLE[kernel_size]
        blocks: list[nn.Module] = []
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            blocks += [
                nn.ConvTranspose2d(w_in, w_out, kernel_size, 2, padding, output_padding, bias=norm == "none"),
                *norm_act(norm, w_out, 0.0, reference_size, vbn_statistics),  # norm, ReLU: see DCGANDiscriminator
            ]
        if head == "conv":
            # "same" padding (k/2 - 1, k/2 for even kernels) inside the conv; the Identity keeps the layer
            # indices, hence the parameter names, of the explicit ZeroPad2d this replaced.
            blocks += [nn.Identity(), SameConv2d(widths[-1], out_channels, head_kernel)]
        else:
            blocks.append(nn.ConvTranspose2d(widths[-1], out_channels, kernel_size, 2, padding, output_padding))
        blocks.append(nn.Tanh())
        self.blocks = nn.Sequential(*blocks)
        self.reference_size = reference_size
        if reference_size:
            self.register_buffer("reference_z", torch.randn(reference_size, z_dim))
        if reference_size and num_classes:  # a balanced reference condition
            self.register_buffer("reference_labels", torch.arange(reference_size) % num_classes)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.reference_size:  # the reference batch goes first; its outputs are dropped at the end
            z = torch.cat([self.reference_z.to(z.dtype), z])
        if self.num_classes:
            assert labels is not None, "a conditional generator needs labels"
            if self.reference_size:
                labels = torch.cat([self.reference_labels, labels])
            z = torch.cat([z, one_hot(labels, self.num_classes, z.dtype)], 1)
        h = self.project(z).view(len(z), self.top_channels, self.base, self.base)  # (B, C0, 4, 4)
        # in the convolutions' layout: a channels_last model's batch norm and first (transposed) convolution
        # then read channels_last, faster on that block than reordering NCHW (benchmarks/README.md)
        h = h.contiguous(memory_format=_layout(cast(nn.Conv2d, self.blocks[0]).weight))
        h = self.project_act(self.project_norm(h))
        return self.blocks(h)[self.reference_size :]


class DCGANDiscriminator(ConvDiscriminator):
    """images (B, C, H, W) -> logits (B,): stride-2 convs with LeakyReLU 0.2 (or ReLU), then a head on the last map."""

    def __init__(
        self,
        shape: tuple[int, int, int],
        num_classes: int,
        *,
        channels: int,
        max_channels: int,
        kernel_size: int,
        norm: str,
        head: str,
        dense: int,
        condition: str,
        minibatch: MinibatchSpec | None = None,
        activation: str = "leaky_relu",
    ) -> None:
        super().__init__(num_classes, condition)
        in_channels, resolution, _ = shape
        slope = ACTIVATION_SLOPES[activation]
        base = base_size(resolution)
        n_down = (resolution // base).bit_length() - 1
        widths = [in_channels + (num_classes if self.label_channels else 0)]
        widths += [min(channels * 2**i, max_channels) for i in range(n_down)]
        layers: list[nn.Module] = []
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            layers += [
                nn.Conv2d(w_in, w_out, kernel_size, 2, DOWNSAMPLE[kernel_size], bias=norm == "none"),
                # the norm, then LeakyReLU 0.2 (ReLU with activation=relu), in place: the norms and convolutions
                # keep their input, not their output, for the backward, so the activation may overwrite it (one
                # map fewer per layer); `ganlab.accel` fuses a batch norm with it on the CPU
                *norm_act(norm, w_out, slope),
            ]
        self.trunk = nn.Sequential(*layers)
        self.feature_dim = widths[-1] * base * base
        self.head = discriminator_head(self.feature_dim, num_classes, condition, head, dense, minibatch, slope)
