"""The load-time changes `data.subset`, `data.channels` and `data.resolution` make, once, on uint8 tensors."""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ganlab.data.base import Dataset

if TYPE_CHECKING:
    from torch import Tensor

LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma weights, as PIL's convert("L") uses
RESIZE_CHUNK = 2048  # images resized per interpolate call: bounds the float32 copy to a few hundred MB


def first_n(data: Dataset, n: int) -> Dataset:
    """The first `n` samples; index-based sets keep only the base images their first `n` rows use."""
    labels = None if data.labels is None else data.labels[:n]
    if data.index is not None:
        # compact the base so a later resize touches only images that are used
        rows, index = data.index[:n].unique(return_inverse=True)
        return replace(data, x=data.x[rows], index=index, labels=labels)
    return replace(data, x=data.x[:n], labels=labels)


def to_gray(x: Tensor) -> Tensor:
    """uint8 (N, 3, H, W) -> uint8 (N, 1, H, W) by BT.601 luminance, rounded."""
    import torch

    weights = torch.tensor(LUMA).view(1, 3, 1, 1)
    return (x.float() * weights).sum(dim=1, keepdim=True).round_().clamp_(0, 255).to(torch.uint8)


def to_rgb(x: Tensor) -> Tensor:
    """uint8 (N, 1, H, W) -> uint8 (N, 3, H, W) by repeating the channel: a view of the one channel (stride 0
    across channels), so gray data seen as RGB costs no more memory than gray (490 MiB less for Fashion-MNIST
    at 64x64); a batch drawn from it is three real channels (`Dataset.batch` indexes, which copies)."""
    return x.expand(-1, 3, -1, -1)


def resize(x: Tensor, side: int) -> Tensor:
    """uint8 (N, C, H, W) -> uint8 (N, C, side, side): antialiased bilinear on float, in chunks, rounded back."""
    import torch
    import torch.nn.functional as F

    out = torch.empty((len(x), x.shape[1], side, side), dtype=torch.uint8)
    for start in range(0, len(x), RESIZE_CHUNK):
        chunk = x[start : start + RESIZE_CHUNK].float()
        scaled = F.interpolate(chunk, size=(side, side), mode="bilinear", antialias=True, align_corners=False)
        out[start : start + RESIZE_CHUNK] = scaled.round_().clamp_(0, 255).to(torch.uint8)
    return out
