"""The 2-D toy sets of Gulrajani et al.'s toy code (seed 000 Appendix A): mixtures, Swiss roll, S-curve.

Points are drawn once at load from a torch.Generator with a fixed seed per split, so every run of a config sees
the same data and the test split is an independent draw.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

from ganlab.config.schema import DataConfig
from ganlab.data.base import DATASETS, Dataset, Split
from ganlab.data.catalog import INFO, DatasetInfo, always
from ganlab.errors import ConfigError

if TYPE_CHECKING:
    import torch
    from torch import Tensor

SPLIT_SEEDS = {"train": 0, "test": 1}  # fixed: the data is part of the experiment, not of the run's seed
SOURCE = "generated"
RING_RADIUS, RING_MODES, RING_STD = 2.0, 8, 0.02  # 8gaussians: 8 modes on a circle of radius 2
GRID_VALUES, GRID_STD = (-4.0, -2.0, 0.0, 2.0, 4.0), 0.05  # 25gaussians: the 5 x 5 grid {-4,..,4}^2
SWISS_NOISE, SWISS_SCALE = 0.25, 7.5  # Gulrajani's toy code: make_swiss_roll(noise=0.25)[:, [0, 2]] / 7.5
SCURVE_NOISE = 0.01  # seed 000 Appendix A: "an S-shaped curve with Gaussian noise of standard deviation 0.01"

# (n, noise std, generator) -> (points (n, 2), mode labels (n,) or None)
Sampler = Callable[[int, float, "torch.Generator"], tuple["Tensor", "Tensor | None"]]


def ring_centers() -> Tensor:
    """(8, 2) float32: the 8gaussians modes, at angles 2*pi*k/8 on the circle of radius 2."""
    import torch

    angles = torch.arange(RING_MODES, dtype=torch.float64) * (2 * math.pi / RING_MODES)
    return (RING_RADIUS * torch.stack([angles.cos(), angles.sin()], dim=1)).float()


def grid_centers() -> Tensor:
    """(25, 2) float32: the 25gaussians modes, row-major over the grid {-4, -2, 0, 2, 4}^2."""
    import torch

    values = torch.tensor(GRID_VALUES)
    return torch.cartesian_prod(values, values)


CENTERS: dict[str, tuple[Callable[[], Tensor], float]] = {
    "8gaussians": (ring_centers, RING_STD),
    "25gaussians": (grid_centers, GRID_STD),
}


def mixture_modes(name: str, noise: float | None = None) -> tuple[Tensor, float]:
    """(centers (M, 2) float32, std) of a Gaussian-mixture toy set; `noise` is data.noise when set."""
    if name not in CENTERS:
        raise ConfigError("data.name", f"a Gaussian mixture ({', '.join(CENTERS)})", name)
    centers, std = CENTERS[name]
    return centers(), std if noise is None else noise


def mixture(name: str) -> Sampler:
    """Sampler of a mixture: a uniformly drawn mode plus isotropic Gaussian noise; labels are the mode index."""

    def sample(n: int, std: float, gen: torch.Generator) -> tuple[Tensor, Tensor | None]:
        import torch

        centers = CENTERS[name][0]()
        modes = torch.randint(0, len(centers), (n,), generator=gen)
        return centers[modes] + std * torch.randn(n, 2, generator=gen), modes

    return sample


def swissroll(n: int, std: float, gen: torch.Generator) -> tuple[Tensor, Tensor | None]:
    """sklearn's make_swiss_roll projected on (x, z), noise added before dividing by 7.5 as in Gulrajani's code."""
    import torch

    t = 1.5 * math.pi * (1 + 2 * torch.rand(n, generator=gen))
    points = torch.stack([t * t.cos(), t * t.sin()], dim=1) + std * torch.randn(n, 2, generator=gen)
    return points / SWISS_SCALE, None


def scurve(n: int, std: float, gen: torch.Generator) -> tuple[Tensor, Tensor | None]:
    """sklearn's make_s_curve projected on (x, z): an S spanning [-1, 1] x [-2, 2], plus Gaussian noise."""
    import torch

    t = 3 * math.pi * (torch.rand(n, generator=gen) - 0.5)
    points = torch.stack([t.sin(), t.sign() * (t.cos() - 1)], dim=1)
    return points + std * torch.randn(n, 2, generator=gen), None


SETS: dict[str, tuple[Sampler, float, int]] = {
    "8gaussians": (mixture("8gaussians"), RING_STD, RING_MODES),
    "25gaussians": (mixture("25gaussians"), GRID_STD, len(GRID_VALUES) ** 2),
    "swissroll": (swissroll, SWISS_NOISE, 0),
    "scurve": (scurve, SCURVE_NOISE, 0),
}


def toy_loader(name: str) -> Callable[[DataConfig, Split], Dataset]:
    """The loader of one toy set: `data.points` float32 points (N, 2), drawn once with the split's fixed seed."""

    def load(cfg: DataConfig, split: Split) -> Dataset:
        import torch

        sampler, default_std, num_classes = SETS[name]
        gen = torch.Generator().manual_seed(SPLIT_SEEDS[split])
        std = default_std if cfg.noise is None else cfg.noise
        points, labels = sampler(cfg.points, std, gen)
        return Dataset(name, "points", points.float().contiguous(), labels, num_classes, SOURCE)

    return load


for _name, (_, _std, _classes) in SETS.items():
    DATASETS.add(_name, toy_loader(_name))
    INFO.add(
        _name, DatasetInfo("points", (2,), _classes, "generated at load (data.points, data.noise)", always(SOURCE))
    )
