"""Class coverage / KL, stacked mode ids, and 2-D mixture modes against closed forms and the data layer."""

from __future__ import annotations

import math

import pytest
import torch
from scipy.stats import entropy
from torch.testing import assert_close

from ganlab.data.toy2d import mixture_modes
from ganlab.metrics import modes


def test_class_coverage_threshold_is_a_quarter_of_uniform():
    k = 10
    # 40 samples: the threshold 1/(4K) of 40 is one sample; classes 0..4 get 1 sample, class 5 none.
    classes = torch.tensor([0, 1, 2, 3, 4] + [9] * 35)
    assert_close(modes.class_coverage(classes, k), 6 / 10)
    assert_close(modes.class_coverage(torch.zeros(100, dtype=torch.long), k), 1 / 10)


def test_class_kl_matches_scipy_entropy():
    fake = torch.tensor([0, 0, 1, 2, 2, 2])
    real = torch.tensor([0, 1, 1, 2, 2, 0])
    p, q = torch.tensor([2, 1, 3]) / 6, torch.tensor([2, 2, 2]) / 6
    assert_close(modes.class_kl(fake, real, 3), float(entropy(p, q)))


def test_stacked_mode_ids_read_channels_as_digits():
    channel_classes = torch.tensor([[1, 2, 3], [0, 0, 9], [9, 9, 9]])
    assert modes.stacked_mode_ids(channel_classes).tolist() == [123, 9, 999]


def test_kl_to_uniform_closed_forms():
    assert_close(modes.kl_to_uniform(torch.arange(1000), 1000), 0.0, atol=1e-12, rtol=0)
    assert_close(modes.kl_to_uniform(torch.full((50,), 7), 1000), math.log(1000))
    assert modes.modes_covered(torch.tensor([3, 3, 5]), 1000) == 2


@pytest.mark.parametrize("name", ["8gaussians", "25gaussians"])
def test_mixture_perfect_samples_cover_all_modes(name):
    from ganlab.config.schema import DataConfig
    from ganlab.data import load_dataset

    centers, std = mixture_modes(name)
    points = load_dataset(DataConfig(name=name, points=5000), "test").x
    index, distance = modes.nearest_mode(points, centers)
    assert modes.mixture_modes_covered(index, distance, len(centers), std) == len(centers)
    # P(|x - mu| <= 3 std) for an isotropic 2-D Gaussian is 1 - exp(-9/2); binomial standard error on 5000.
    expected = 1 - math.exp(-4.5)
    assert_close(
        modes.high_quality_share(distance, std), expected, atol=4 * math.sqrt(expected * (1 - expected) / 5000), rtol=0
    )


def test_mixture_one_mode_samples_cover_one_mode():
    centers, std = mixture_modes("25gaussians")
    points = centers[7] + std * torch.randn(2000, 2, generator=torch.Generator().manual_seed(0))
    index, distance = modes.nearest_mode(points, centers)
    assert modes.mixture_modes_covered(index, distance, len(centers), std) == 1


def test_mixture_far_samples_are_not_high_quality():
    centers, std = mixture_modes("8gaussians")
    points = centers * 1.5  # radius 3: a whole unit (50 std) off every mode
    index, distance = modes.nearest_mode(points, centers)
    assert modes.mixture_modes_covered(index, distance, len(centers), std) == 0
    assert modes.high_quality_share(distance, std) == 0.0
