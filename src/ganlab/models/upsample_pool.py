"""The convolutional GAN of seed 001 §2.2: fixed resampling, where the DCGAN of §3.1.7 learns it.

G upsamples by nearest neighbour and then convolves at stride 1; D convolves at stride 1 and then max-pools.
The DCGAN replaces both with learned resampling, transposed and strided convolutions (seed 001 §3.1.1-§3.1.2),
and is otherwise "really similar" (§3.1.7). At 32 pixels, the tables of seed 001 §2.2.1 and §2.2.2 row by row:

    G  z (100) -> dense 4*4*256, BN, ReLU                                 (B, 256, 4, 4)
       -> upsample x2, conv 5x5 stride 1 -> 256, BN, ReLU                 (B, 256, 8, 8)
       -> upsample x2, conv 5x5 stride 1 -> 128, BN, ReLU                 (B, 128, 16, 16)
       -> upsample x2, conv 5x5 stride 1 -> 64, BN, ReLU                  (B, 64, 32, 32)
       -> conv 5x5 stride 1 -> C, tanh                                    (B, C, 32, 32)
    D  x                                                                  (B, C, 32, 32)
       -> conv 5x5 stride 1 -> 64, max-pool 2x2, BN, ReLU                 (B, 64, 16, 16)
       -> conv 5x5 stride 1 -> 128, max-pool 2x2, BN, ReLU                (B, 128, 8, 8)
       -> conv 5x5 stride 1 -> 256, max-pool 2x2, BN, ReLU                (B, 256, 4, 4)
       -> conv 4x4 -> 1: a linear layer on the flattened map              (B,) logits

The table's sigmoid is the loss's (losses take logits). No dropout: the tables have none. Where the tables are
silent, the authors' notebook (GAN.ipynb of the code seed 001 §1 links) decides: G upsamples (nearest) before it
convolves, the convolutions pad to keep the size. The notebook applies ReLU before batch norm; ganlab keeps the
tables' column order (BN, then the activation), as its DCGAN does, so that the two differ only in resampling.

Other resolutions follow the DCGAN's rule (models/dcgan.py): maps start at 4x4 (7x7 for 28 pixels) and double
per block; G's last hidden map and D's first have 64 channels, doubling per halving up to 256. At 28 pixels G
is 7x7x256 -> 14x14x128 -> 28x28x64 -> image, and D is 64 -> 128 -> a linear layer on the 7x7x128 map.

Fixed by the tables: kernel 5, the widths, ReLU in D (model.kernel_size, model.g_/d_channels and
model.d_activation are the DCGAN's). Taken from the config as for the DCGAN: model.z_dim, model.g_norm and
model.d_norm (batch, the tables'; layer or none for a critic under a gradient penalty), the D head
(model.d_head, model.d_dense), conditioning (the label joins z in G, and a dense layer after the convolutions
in D, seed 001 §2.7) and minibatch discrimination (tricks.minibatch_discrimination).
"""

from __future__ import annotations

from typing import cast

import torch
from torch import Tensor, nn

from ganlab.models.dcgan import SameConv2d, base_size
from ganlab.models.layers import (
    ConvDiscriminator,
    MinibatchSpec,
    discriminator_head,
    norm_act,
    one_hot,
)

KERNEL_SIZE = 5  # seed 001 §2.2: every convolution but D's last, at stride 1
FIRST_CHANNELS = 64  # D's first convolution and G's last hidden one (seed 001 §2.2)
MAX_CHANNELS = 256  # the widest map: G's dense layer and first convolution, D's last convolution
POOL = 2  # seed 001 §2.2.2: 2x2 max pooling, stride 2; G upsamples by the same factor
RELU = 0.0  # the negative slope norm_act takes for ReLU: seed 001 §2.2 uses ReLU in G and D


def _stride1_conv(w_in: int, w_out: int, norm: str) -> nn.Conv2d:
    """A 5x5 stride-1 convolution keeping the map's size; no bias before a norm, which would remove it."""
    return nn.Conv2d(w_in, w_out, KERNEL_SIZE, 1, KERNEL_SIZE // 2, bias=norm == "none")


class UpsamplePoolGenerator(nn.Module):
    """z (B, z_dim) [+ one-hot label] -> images (B, C, H, W) in [-1, 1]: dense, then upsampling + 5x5 convs."""

    def __init__(self, z_dim: int, shape: tuple[int, int, int], num_classes: int, *, norm: str) -> None:
        super().__init__()
        out_channels, resolution, _ = shape
        self.z_dim, self.num_classes, self.base = z_dim, num_classes, base_size(resolution)
        n_up = (resolution // self.base).bit_length() - 1
        widths = [min(FIRST_CHANNELS * 2 ** (n_up - i), MAX_CHANNELS) for i in range(n_up + 1)]  # 256, ..., 64
        self.top_channels = widths[0]
        self.project = nn.Linear(z_dim + num_classes, widths[0] * self.base**2)
        self.project_norm, self.project_act = norm_act(norm, widths[0], RELU)  # batch norm, ReLU
        blocks: list[nn.Module] = []
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            blocks += [
                nn.Upsample(scale_factor=POOL, mode="nearest"),
                _stride1_conv(w_in, w_out, norm),
                *norm_act(norm, w_out, RELU),
            ]
        blocks += [SameConv2d(widths[-1], out_channels, KERNEL_SIZE), nn.Tanh()]
        self.blocks = nn.Sequential(*blocks)

    def forward(self, z: Tensor, labels: Tensor | None = None) -> Tensor:
        if self.num_classes:
            assert labels is not None, "a conditional generator needs labels"
            z = torch.cat([z, one_hot(labels, self.num_classes, z.dtype)], 1)
        h = self.project(z).view(len(z), self.top_channels, self.base, self.base)  # (B, 256, 4, 4)
        # in the convolutions' layout, so that a channels_last model's fused batch norm reads channels_last
        if cast(nn.Conv2d, self.blocks[1]).weight.is_contiguous(memory_format=torch.channels_last):
            h = h.contiguous(memory_format=torch.channels_last)
        h = self.project_act(self.project_norm(h))
        return self.blocks(h)  # (B, C, H, W)


class UpsamplePoolDiscriminator(ConvDiscriminator):
    """images (B, C, H, W) -> logits (B,): 5x5 stride-1 convs, each max-pooled, with ReLU; a head on the last map."""

    def __init__(
        self,
        shape: tuple[int, int, int],
        num_classes: int,
        *,
        norm: str,
        head: str,
        dense: int,
        condition: str,
        minibatch: MinibatchSpec | None = None,
    ) -> None:
        super().__init__(num_classes, condition)
        in_channels, resolution, _ = shape
        base = base_size(resolution)
        n_down = (resolution // base).bit_length() - 1
        widths = [in_channels + (num_classes if self.label_channels else 0)]
        widths += [min(FIRST_CHANNELS * 2**i, MAX_CHANNELS) for i in range(n_down)]  # 64, 128, 256
        layers: list[nn.Module] = []
        for w_in, w_out in zip(widths[:-1], widths[1:], strict=True):
            # seed 001 §2.2.2 puts BN and ReLU on the pooling rows: conv, pool, then the norm and its ReLU
            layers += [_stride1_conv(w_in, w_out, norm), nn.MaxPool2d(POOL), *norm_act(norm, w_out, RELU)]
        self.trunk = nn.Sequential(*layers)
        self.feature_dim = widths[-1] * base * base
        self.head = discriminator_head(self.feature_dim, num_classes, condition, head, dense, minibatch, RELU)
