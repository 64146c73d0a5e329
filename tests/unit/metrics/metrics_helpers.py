"""Helpers shared by the metric tests (a module with a unique name, importable next to the tests)."""

from __future__ import annotations

from dataclasses import replace

import torch

from ganlab.data.base import Dataset


def subset(data: Dataset, n: int, seed: int = 0) -> Dataset:
    """n random samples of a dataset, as a Dataset."""
    idx = torch.randperm(len(data), generator=torch.Generator().manual_seed(seed))[:n]
    labels = None if data.labels is None else data.labels[idx]
    if data.index is not None:
        return replace(data, index=data.index[idx], labels=labels)
    return replace(data, x=data.x[idx], labels=labels)


def images(data: Dataset) -> torch.Tensor:
    """All samples of a dataset as float (N, ...) in [-1, 1] (images) or as stored (points)."""
    return data.batch(torch.arange(len(data)))
