"""Fréchet distance against closed forms, an eigenvalue reference, and torch-fidelity's implementation."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.stats import ortho_group
from torch.testing import assert_close
from torch_fidelity.metric_fid import fid_features_to_statistics, fid_statistics_to_metric

from ganlab.errors import MetricError
from ganlab.metrics.frechet import feature_statistics, frechet_distance, frechet_distance_features


def closed_form_commuting(mu1, a, mu2, b) -> float:
    """d^2 for covariances Q diag(a) Q^T and Q diag(b) Q^T: ||mu1 - mu2||^2 + sum (sqrt a - sqrt b)^2."""
    return float(np.sum((mu1 - mu2) ** 2) + np.sum((np.sqrt(a) - np.sqrt(b)) ** 2))


def eigen_reference(mu1, s1, mu2, s2) -> float:
    """d^2 with Tr((S1 S2)^1/2) = sum sqrt(eig(S1^1/2 S2 S1^1/2)), the symmetric PSD form."""
    w, v = np.linalg.eigh(s1)
    root1 = (v * np.sqrt(np.clip(w, 0, None))) @ v.T
    middle = np.linalg.eigvalsh(root1 @ s2 @ root1)
    return float(np.sum((mu1 - mu2) ** 2) + np.trace(s1) + np.trace(s2) - 2 * np.sum(np.sqrt(np.clip(middle, 0, None))))


def test_diagonal_covariances_match_closed_form():
    rng = np.random.default_rng(0)
    mu1, mu2 = rng.normal(size=8), rng.normal(size=8)
    a, b = rng.uniform(0.1, 3, size=8), rng.uniform(0.1, 3, size=8)
    got = frechet_distance(mu1, np.diag(a), mu2, np.diag(b))
    assert_close(got, closed_form_commuting(mu1, a, mu2, b), rtol=1e-10, atol=1e-10)


def test_commuting_covariances_match_closed_form():
    rng = np.random.default_rng(1)
    q = ortho_group.rvs(6, random_state=2)
    a, b = rng.uniform(0.1, 2, size=6), rng.uniform(0.1, 2, size=6)
    mu1, mu2 = rng.normal(size=6), rng.normal(size=6)
    got = frechet_distance(mu1, q @ np.diag(a) @ q.T, mu2, q @ np.diag(b) @ q.T)
    assert_close(got, closed_form_commuting(mu1, a, mu2, b), rtol=1e-8, atol=1e-10)


def test_one_dimensional_gaussians():
    assert_close(frechet_distance(np.array([1.0]), np.array([[4.0]]), np.array([-2.0]), np.array([[1.0]])), 9.0 + 1.0)


def test_identical_statistics_give_zero():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(500, 5))
    stats = feature_statistics(torch.from_numpy(x))
    assert_close(frechet_distance(stats.mu, stats.sigma, stats.mu, stats.sigma), 0.0, atol=1e-9, rtol=0)


def test_general_covariances_match_eigen_reference():
    rng = np.random.default_rng(4)
    x, y = rng.normal(size=(300, 10)) @ rng.normal(size=(10, 10)), rng.normal(size=(300, 10)) + 0.5
    s1, s2 = np.cov(x, rowvar=False), np.cov(y, rowvar=False)
    got = frechet_distance(x.mean(0), s1, y.mean(0), s2)
    assert_close(got, eigen_reference(x.mean(0), s1, y.mean(0), s2), rtol=1e-8, atol=1e-8)


def test_statistics_match_torch_fidelity():
    feats = torch.randn(200, 7, dtype=torch.float64)
    ours, theirs = feature_statistics(feats), fid_features_to_statistics(feats)
    assert_close(torch.from_numpy(ours.mu), torch.from_numpy(theirs["mu"]))
    assert_close(torch.from_numpy(ours.sigma), torch.from_numpy(theirs["sigma"]))


def test_distance_matches_torch_fidelity_on_same_features():
    gen = torch.Generator().manual_seed(5)
    real = torch.randn(400, 16, generator=gen, dtype=torch.float64)
    fake = torch.randn(400, 16, generator=gen, dtype=torch.float64) * 1.3 + 0.2
    theirs = fid_statistics_to_metric(fid_features_to_statistics(fake), fid_features_to_statistics(real), verbose=False)
    assert_close(frechet_distance_features(fake, real), theirs["frechet_inception_distance"], rtol=1e-7, atol=1e-9)


@pytest.mark.parametrize("n", [5, 20])
def test_singular_covariances_are_finite_and_real(n):
    gen = torch.Generator().manual_seed(n)
    # Fewer samples than dimensions: both covariances are rank-deficient, their product singular.
    real, fake = torch.randn(n, 32, generator=gen), torch.randn(n, 32, generator=gen) + 0.1
    s1, s2 = feature_statistics(fake), feature_statistics(real)
    got = frechet_distance(s1.mu, s1.sigma, s2.mu, s2.sigma)
    assert isinstance(got, float) and np.isfinite(got)
    assert_close(got, eigen_reference(s1.mu, s1.sigma, s2.mu, s2.sigma), rtol=1e-3, atol=1e-3)


def test_exactly_zero_covariance_is_stable():
    zero = np.zeros((4, 4))
    assert_close(frechet_distance(np.ones(4), zero, np.zeros(4), zero), 4.0, atol=1e-5, rtol=0)


def test_bad_shapes_raise_metric_error():
    with pytest.raises(MetricError):
        frechet_distance(np.zeros(3), np.eye(3), np.zeros(4), np.eye(4))
    with pytest.raises(MetricError):
        feature_statistics(torch.zeros(1, 3))
