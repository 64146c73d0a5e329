"""Stacked Fashion-MNIST: three random Fashion-MNIST images as the three channels of one sample, 1000 modes.

After Stacked MNIST (Metz et al. 2017, VEEGAN, PacGAN), used to count modes. The samples are kept as an index
(M, 3) into the base images, never materialised; Dataset.batch stacks them on the device.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from ganlab.config.schema import DataConfig
from ganlab.data import idx
from ganlab.data.base import DATASETS, Dataset, Split
from ganlab.data.catalog import INFO, DatasetInfo

if TYPE_CHECKING:
    import torch

NAME = "stacked-fashion-mnist"
BASE = "fashion-mnist"
STACK = 3  # images per sample, one per channel
BASE_CLASSES = idx.NUM_CLASSES
NUM_MODES = BASE_CLASSES**STACK  # mode id = 100*c0 + 10*c1 + c2
SPLIT_SEEDS = {"train": 0, "test": 1}  # fixed: the stacking is part of the data, not of the run's seed


def mode_ids(base_labels: torch.Tensor, index: torch.Tensor) -> torch.Tensor:
    """Mode id (M,) of each stacked sample: its base classes read as base-10 digits, channel 0 first."""
    import torch

    weights = BASE_CLASSES ** torch.arange(STACK - 1, -1, -1)  # (100, 10, 1)
    return (base_labels[index] * weights).sum(dim=1)


@DATASETS.register(NAME)
def load_stacked(cfg: DataConfig, split: Split) -> Dataset:
    """As many stacked samples as the base split has images, drawn with the split's fixed seed."""
    import torch

    base = DATASETS.get(BASE)(replace(cfg, name=BASE), split)
    assert base.labels is not None  # Fashion-MNIST is labelled
    gen = torch.Generator().manual_seed(SPLIT_SEEDS[split])
    index = torch.randint(0, len(base.x), (len(base.x), STACK), generator=gen)  # (M, 3) rows of base.x
    return Dataset(NAME, "image", base.x, mode_ids(base.labels, index), NUM_MODES, base.source, index=index)


INFO.add(NAME, DatasetInfo("image", (STACK, 28, 28), NUM_MODES, idx.HOW[BASE], idx.where(BASE)))
