"""Kernel distance (KID, Bińkowski et al. 2018): unbiased MMD^2 with a cubic polynomial kernel over subsets.

k(x, y) = (x . y / d + 1)^3. The unbiased estimator drops the diagonal of the within-set kernels, so its
expectation over draws from one distribution is exactly 0 (single values can be slightly negative).
Subsets are drawn as torch-fidelity draws them (numpy RandomState(seed), fake subset then real subset), so
on the same features and seed the numbers equal torch-fidelity's `kid`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from threadpoolctl import threadpool_limits
from torch import Tensor

from ganlab.errors import MetricError

KID_SUBSETS = 100  # torch-fidelity's defaults
KID_SUBSET_SIZE = 1000
POLY_DEGREE = 3
POLY_COEF0 = 1.0


@dataclass(frozen=True)
class KernelDistance:
    """Mean and std of the per-subset MMD^2 estimates, with the subset size actually used."""

    mean: float
    std: float
    subset_size: int
    subsets: int


def polynomial_kernel(x: np.ndarray, y: np.ndarray, degree: int = POLY_DEGREE, coef0: float = POLY_COEF0) -> np.ndarray:
    """Gram matrix (n, m) of k(x, y) = (x . y / d + coef0)^degree for x (n, d), y (m, d)."""
    return (x @ y.T / x.shape[1] + coef0) ** degree


def mmd2_unbiased(k_xx: np.ndarray, k_xy: np.ndarray, k_yy: np.ndarray) -> float:
    """Unbiased MMD^2 from Gram matrices of two equal-size samples (m, m)."""
    m = len(k_xx)
    within = (k_xx.sum() - np.trace(k_xx) + k_yy.sum() - np.trace(k_yy)) / (m * (m - 1))
    return float(within - 2 * k_xy.sum() / (m * m))


def _numpy(features: Tensor | np.ndarray) -> np.ndarray:
    return features.detach().cpu().numpy() if isinstance(features, Tensor) else np.asarray(features)


def kernel_distance(
    fake_features: Tensor | np.ndarray,
    real_features: Tensor | np.ndarray,
    *,
    subsets: int = KID_SUBSETS,
    subset_size: int = KID_SUBSET_SIZE,
    seed: int = 0,
) -> KernelDistance:
    """KID of fake (N1, D) vs real (N2, D) features; subsets shrink to the smaller set when it is smaller."""
    fake, real = _numpy(fake_features), _numpy(real_features)
    if fake.ndim != 2 or real.ndim != 2 or fake.shape[1] != real.shape[1]:
        raise MetricError(f"kernel distance: features must be (N, D) with equal D, got {fake.shape} and {real.shape}")
    size = min(subset_size, len(fake), len(real))
    if size < 2:
        raise MetricError(f"kernel distance needs at least 2 samples per set, got {len(fake)} and {len(real)}")
    rng = np.random.RandomState(seed)
    estimates = np.empty(subsets)
    # Hundreds of mid-sized products: a multi-threaded BLAS spins against the training loop's threads and can be
    # 10x slower than one thread, so the kernels run on one BLAS thread.
    with threadpool_limits(limits=1, user_api="blas"):
        for i in range(subsets):
            x = fake[rng.choice(len(fake), size, replace=False)]
            y = real[rng.choice(len(real), size, replace=False)]
            estimates[i] = mmd2_unbiased(polynomial_kernel(x, x), polynomial_kernel(x, y), polynomial_kernel(y, y))
    return KernelDistance(mean=float(estimates.mean()), std=float(estimates.std()), subset_size=size, subsets=subsets)
