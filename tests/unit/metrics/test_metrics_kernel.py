"""KID / kd_domain: equal to torch-fidelity on the same features, unbiased, and built from sklearn's kernel."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.metrics.pairwise import polynomial_kernel as sk_polynomial_kernel
from torch.testing import assert_close
from torch_fidelity.metric_kid import kid_features_to_metric, mmd2

from ganlab.metrics.kernel import kernel_distance, mmd2_unbiased, polynomial_kernel


def test_polynomial_kernel_matches_sklearn():
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(30, 12)), rng.normal(size=(20, 12))
    assert_close(polynomial_kernel(x, y), sk_polynomial_kernel(x, y, degree=3, gamma=1 / 12, coef0=1))


def test_mmd2_matches_torch_fidelity():
    rng = np.random.default_rng(1)
    x, y = rng.normal(size=(40, 8)), rng.normal(size=(40, 8)) + 0.3
    k_xx, k_xy, k_yy = polynomial_kernel(x, x), polynomial_kernel(x, y), polynomial_kernel(y, y)
    assert_close(mmd2_unbiased(k_xx, k_xy, k_yy), float(mmd2(k_xx, k_xy, k_yy)))


def test_kernel_distance_equals_torch_fidelity_kid():
    gen = torch.Generator().manual_seed(2)
    fake = torch.randn(300, 16, generator=gen, dtype=torch.float64) + 0.2
    real = torch.randn(250, 16, generator=gen, dtype=torch.float64)
    ours = kernel_distance(fake, real, subsets=20, subset_size=100, seed=7)
    theirs = kid_features_to_metric(fake, real, kid_subsets=20, kid_subset_size=100, rng_seed=7, verbose=False)
    assert_close(ours.mean, theirs["kernel_inception_distance_mean"], rtol=1e-12, atol=1e-14)
    assert_close(ours.std, theirs["kernel_inception_distance_std"], rtol=1e-12, atol=1e-14)


def test_subset_size_shrinks_to_the_smaller_set():
    assert kernel_distance(torch.randn(30, 4), torch.randn(50, 4), subsets=2, subset_size=1000).subset_size == 30


def test_unbiased_mean_over_draws_from_one_distribution_is_zero():
    """Mean of 400 independent estimates on same-distribution pairs is 0 within 3 standard errors."""
    gen = torch.Generator().manual_seed(3)
    draws = 400
    unbiased, biased = np.empty(draws), np.empty(draws)
    for i in range(draws):
        x = torch.randn(20, 5, generator=gen, dtype=torch.float64).numpy()
        y = torch.randn(20, 5, generator=gen, dtype=torch.float64).numpy()
        k_xx, k_xy, k_yy = polynomial_kernel(x, x), polynomial_kernel(x, y), polynomial_kernel(y, y)
        unbiased[i] = mmd2_unbiased(k_xx, k_xy, k_yy)
        biased[i] = k_xx.mean() + k_yy.mean() - 2 * k_xy.mean()  # V-statistic: positive bias
    standard_error = unbiased.std(ddof=1) / np.sqrt(draws)
    assert_close(float(unbiased.mean()), 0.0, atol=3 * standard_error, rtol=0)
    # The test has power: the biased estimator's mean is many standard errors above 0.
    assert biased.mean() > 10 * biased.std(ddof=1) / np.sqrt(draws)


def test_shifted_distribution_gives_positive_distance():
    gen = torch.Generator().manual_seed(4)
    same = kernel_distance(
        torch.randn(400, 8, generator=gen), torch.randn(400, 8, generator=gen), subsets=10, subset_size=200
    )
    shifted = kernel_distance(
        torch.randn(400, 8, generator=gen) + 1, torch.randn(400, 8, generator=gen), subsets=10, subset_size=200
    )
    assert shifted.mean > 20 * max(abs(same.mean), same.std)
