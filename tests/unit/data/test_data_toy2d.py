"""The 2-D toy sets: fixed seeds per split, mixture geometry and mode frequencies, curve equations."""

from __future__ import annotations

import math

import pytest
import torch

from ganlab.config.schema import DataConfig
from ganlab.data import load_dataset, mixture_modes
from ganlab.errors import ConfigError

N = 100_000


@pytest.mark.parametrize("name, modes, std", [("8gaussians", 8, 0.02), ("25gaussians", 25, 0.05)])
def test_mixture_points_sit_on_their_modes(name: str, modes: int, std: float) -> None:
    data = load_dataset(DataConfig(name=name, points=N))
    centers, modes_std = mixture_modes(name)
    assert data.x.shape == (N, 2) and data.x.dtype == torch.float32 and data.kind == "points"
    assert centers.shape == (modes, 2) and modes_std == std and data.num_classes == modes
    assert data.labels is not None
    offsets = (data.x - centers[data.labels]) / std  # standard normal in 2-D if the labels are the modes
    torch.testing.assert_close(offsets.mean(0), torch.zeros(2), atol=0.02, rtol=0)  # 5 sigma of N draws is 0.016
    torch.testing.assert_close(offsets.std(0), torch.ones(2), atol=0.02, rtol=0)
    nearest = torch.cdist(data.x, centers).min(dim=1).values / std
    # P(radius > 4 sigma) = exp(-8) ~ 3.4e-4 for a 2-D standard normal, and exp(-18) beyond 6 sigma
    assert (nearest <= 4).float().mean().item() >= 1 - 1e-3 and nearest.max().item() <= 6
    frequencies = torch.bincount(data.labels, minlength=modes).float() / N
    torch.testing.assert_close(frequencies, torch.full((modes,), 1 / modes), rtol=0.06, atol=0)


def test_ring_and_grid_geometry() -> None:
    ring, _ = mixture_modes("8gaussians")
    torch.testing.assert_close(ring.norm(dim=1), torch.full((8,), 2.0))
    grid, _ = mixture_modes("25gaussians")
    assert sorted(set(grid[:, 0].tolist())) == [-4.0, -2.0, 0.0, 2.0, 4.0] and len(set(map(tuple, grid.tolist()))) == 25
    assert mixture_modes("8gaussians", noise=0.5)[1] == 0.5
    with pytest.raises(ConfigError, match="data.name"):
        mixture_modes("swissroll")


def test_swissroll_radius_is_its_angle_over_scale() -> None:
    data = load_dataset(DataConfig(name="swissroll", points=2000, noise=0.0))
    radius = data.x.norm(dim=1) * 7.5  # without noise, point = t (cos t, sin t) / 7.5 with t in [1.5 pi, 4.5 pi]
    assert radius.min().item() >= 1.5 * math.pi - 1e-4 and radius.max().item() <= 4.5 * math.pi + 1e-4
    angle = torch.atan2(data.x[:, 1], data.x[:, 0])
    torch.testing.assert_close(torch.remainder(angle - radius, 2 * math.pi).cos(), torch.ones(2000), atol=1e-3, rtol=0)
    assert data.labels is None and data.num_classes == 0


def test_scurve_lies_on_two_unit_half_circles() -> None:
    data = load_dataset(DataConfig(name="scurve", points=2000, noise=0.0))
    x, z = data.x[:, 0], data.x[:, 1]
    # make_s_curve's (x, z): x = sin t, z = sign(t) (cos t - 1), so x^2 + (|z| - 1)^2 = 1
    torch.testing.assert_close(x**2 + (z.abs() - 1) ** 2, torch.ones(2000), atol=1e-5, rtol=0)
    assert data.x.abs().max().item() <= 2.0


def test_scurve_default_noise_is_the_seed_value() -> None:
    clean = load_dataset(DataConfig(name="scurve", points=N, noise=0.0))
    noisy = load_dataset(DataConfig(name="scurve", points=N))
    torch.testing.assert_close((noisy.x - clean.x).std().item(), 0.01, atol=2e-4, rtol=0)  # same draws, noise added


def test_splits_are_fixed_and_different() -> None:
    cfg = DataConfig(name="25gaussians", points=100)
    torch.testing.assert_close(load_dataset(cfg).x, load_dataset(cfg).x)
    assert not torch.equal(load_dataset(cfg).x, load_dataset(cfg, "test").x)
