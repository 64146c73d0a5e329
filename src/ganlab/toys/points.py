"""2-D point sets for the toys, through ganlab's data layer (ganlab.data.toy2d), and batches drawn from them."""

from __future__ import annotations

import torch
from torch import Tensor

from ganlab.config.schema import DataConfig
from ganlab.data import load_dataset, mixture_modes


def load_points(name: str, points: int, noise: float | None = None) -> Tensor:
    """The training split of toy set `name` ("8gaussians", "25gaussians", "swissroll", "scurve"): (points, 2)."""
    return load_dataset(DataConfig(name=name, points=points, noise=noise), "train").x


def batch_of(points: Tensor, batch: int, generator: torch.Generator) -> Tensor:
    """`batch` rows of points (N, 2) drawn uniformly with replacement: (batch, 2)."""
    return points[torch.randint(len(points), (batch,), generator=generator)]


def centres_of(name: str, noise: float | None = None) -> tuple[Tensor, float]:
    """(centres (M, 2), component std) of a Gaussian-mixture set, as the mode metrics need them."""
    return mixture_modes(name, noise)


def extent(points: Tensor, margin: float) -> float:
    """Half-width of a square window centred at 0 that holds every point with `margin` to spare."""
    return float(points.abs().max()) + margin
