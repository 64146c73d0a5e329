"""The in-memory dataset every loader returns, and the DATASETS registry.

Images are held once as a uint8 tensor (N, C, H, W) on the training device; batches are drawn by index and
converted to float in [-1, 1] on the device, so no per-image Python work happens in the training loop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Literal

from ganlab.config.schema import DataConfig
from ganlab.registry import Registry

if TYPE_CHECKING:  # torch is imported when data is loaded, not when `ganlab data list` reads the catalogue
    import torch
    from torch import Tensor

Split = Literal["train", "test"]


@dataclass(frozen=True)
class Dataset:
    """A whole split in memory: images as uint8 (N, C, H, W) or 2-D points as float32 (N, D)."""

    name: str
    kind: Literal["image", "points"]
    x: Tensor  # image: uint8 (N, C, H, W); points: float32 (N, D)
    labels: Tensor | None  # int64 (N,), or None when the set has no classes
    num_classes: int  # 0 when unlabelled
    source: str  # where the data came from: a path, "torchvision download", "generated"
    index: Tensor | None = None  # optional (N, K) int64 of rows of x composed into one sample (stacked sets)

    def __len__(self) -> int:
        return len(self.index) if self.index is not None else len(self.x)

    @property
    def shape(self) -> tuple[int, ...]:
        """Shape of one sample as the models see it: (C, H, W) or (D,)."""
        if self.index is not None:
            c, h, w = self.x.shape[1:]
            return (c * self.index.shape[1], h, w)
        return tuple(self.x.shape[1:])

    def batch(self, idx: Tensor) -> Tensor:
        """Samples at `idx` (B,) as float32: images (B, C, H, W) in [-1, 1], points (B, D) as stored."""
        if self.kind == "points":
            return self.x[idx]
        if self.index is not None:
            rows = self.x[self.index[idx]]  # (B, K, C, H, W)
            raw = rows.flatten(1, 2)  # (B, K*C, H, W)
        else:
            raw = self.x[idx]
        return raw.float().div_(127.5).sub_(1.0)

    def batch_labels(self, idx: Tensor) -> Tensor | None:
        return None if self.labels is None else self.labels[idx]

    def to(self, device: torch.device | str) -> Dataset:
        def move(t: Tensor | None) -> Tensor | None:
            return None if t is None else t.to(device)

        x = self.x[:, :1].to(device).expand_as(self.x) if repeated_channels(self.x) else self.x.to(device)
        return replace(self, x=x, labels=move(self.labels), index=move(self.index))


def repeated_channels(x: Tensor) -> bool:
    """Whether images (N, C, H, W) are one channel seen C times (gray as RGB, `transform.to_rgb`): moved to a
    device as the one channel, or `.to()` would write all C."""
    return x.dim() == 4 and x.shape[1] > 1 and x.stride(1) == 0


# A loader takes the data section and a split and returns the whole split (on the CPU).
Loader = Callable[[DataConfig, Split], Dataset]
DATASETS: Registry[Loader] = Registry("dataset")
