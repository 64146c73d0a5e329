"""w1_exact against scipy's 1-D Wasserstein distance, an assignment solver, and the Gaussian closed form."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.optimize import linear_sum_assignment
from scipy.spatial.distance import cdist
from scipy.stats import wasserstein_distance
from torch.testing import assert_close

from ganlab.errors import MetricError
from ganlab.metrics.wasserstein import w1_exact


def test_one_dimensional_equals_scipy_exactly():
    gen = torch.Generator().manual_seed(0)
    real, fake = torch.randn(300, 1, generator=gen), torch.rand(300, 1, generator=gen) * 3
    assert_close(
        w1_exact(real, fake), wasserstein_distance(real[:, 0].numpy(), fake[:, 0].numpy()), rtol=1e-9, atol=1e-12
    )


def test_equal_sizes_are_an_optimal_assignment():
    gen = torch.Generator().manual_seed(1)
    real, fake = torch.randn(60, 1, 4, 4, generator=gen), torch.randn(60, 1, 4, 4, generator=gen) + 0.5
    cost = cdist(real.flatten(1).double().numpy(), fake.flatten(1).double().numpy())
    rows, cols = linear_sum_assignment(cost)
    assert_close(w1_exact(real, fake), float(cost[rows, cols].mean()), rtol=1e-9, atol=1e-12)


def test_gaussians_of_equal_variance_give_the_mean_shift():
    """W1(N(m1, s^2), N(m2, s^2)) = |m1 - m2|.

    With the shift large against s, sorted samples pair up with y_(i) > x_(i), so the sample W1 is the difference
    of sample means, whose standard error is s * sqrt(2 / n): allow 4 of them.
    """
    n, shift = 2000, 1.5
    gen = torch.Generator().manual_seed(2)
    real, fake = torch.randn(n, 1, generator=gen) * 0.7, torch.randn(n, 1, generator=gen) * 0.7 + shift
    assert_close(w1_exact(real, fake), shift, atol=4 * 0.7 * math.sqrt(2 / n), rtol=0)


def test_identical_batches_give_zero():
    x = torch.randn(50, 2)
    assert_close(w1_exact(x, x[torch.randperm(50)]), 0.0, atol=1e-12, rtol=0)


def test_unequal_sizes_raise():
    with pytest.raises(MetricError):
        w1_exact(torch.zeros(3, 2), torch.zeros(4, 2))
    assert np.isfinite(w1_exact(torch.zeros(1, 2), torch.ones(1, 2)))
