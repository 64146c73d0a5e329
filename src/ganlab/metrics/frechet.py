"""Fréchet distance between Gaussians fitted to features, staged as features -> statistics -> distance.

d^2 = ||mu1 - mu2||^2 + Tr(S1 + S2 - 2 (S1 S2)^(1/2))   (Dowson & Landau 1982; Heusel et al. 2017 for FID)

The matrix square root follows the reference TTUR / pytorch-fid recipe with scipy.linalg.sqrtm: when the
product is singular enough that sqrtm returns non-finite values, eps*I is added to both covariances; tiny
imaginary parts from round-off are dropped; a large imaginary part (a real failure) raises MetricError.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np
from scipy import linalg
from torch import Tensor

from ganlab.errors import MetricError

SQRTM_EPS = 1e-6  # diagonal offset added when sqrtm of the raw product is not finite (pytorch-fid's choice)
IMAG_ATOL = 1e-3  # imaginary parts of the root's diagonal below this are round-off (pytorch-fid's choice)


@dataclass(frozen=True)
class GaussianStats:
    """Mean (D,) and covariance (D, D), float64, of a feature set; `count` samples produced them."""

    mu: np.ndarray
    sigma: np.ndarray
    count: int


def feature_statistics(features: Tensor | np.ndarray) -> GaussianStats:
    """Mean and unbiased covariance (float64) of features (N, D), N >= 2."""
    feats = (
        features.detach().cpu().double().numpy() if isinstance(features, Tensor) else np.asarray(features, np.float64)
    )
    if feats.ndim != 2 or len(feats) < 2:
        raise MetricError(f"Fréchet statistics need features of shape (N >= 2, D), got {tuple(feats.shape)}")
    return GaussianStats(
        mu=feats.mean(axis=0), sigma=np.cov(feats, rowvar=False).reshape(feats.shape[1], -1), count=len(feats)
    )


def _sqrtm(matrix: np.ndarray) -> np.ndarray:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # scipy warns on singular input; finiteness is checked by the caller
        return np.asarray(linalg.sqrtm(matrix))


def trace_sqrt_product(sigma1: np.ndarray, sigma2: np.ndarray, eps: float = SQRTM_EPS) -> float:
    """Tr((sigma1 sigma2)^(1/2)) with the standard stabilisation of singular products."""
    covmean = _sqrtm(sigma1 @ sigma2)
    if not np.isfinite(covmean).all():
        offset = np.eye(len(sigma1)) * eps
        covmean = _sqrtm((sigma1 + offset) @ (sigma2 + offset))
    if np.iscomplexobj(covmean):
        if not np.allclose(np.diagonal(covmean).imag, 0, atol=IMAG_ATOL):
            worst = float(np.max(np.abs(covmean.imag)))
            raise MetricError(f"Fréchet distance: matrix square root has an imaginary component of {worst:.3g}")
        covmean = covmean.real
    return float(np.trace(covmean))


def frechet_distance(mu1: np.ndarray, sigma1: np.ndarray, mu2: np.ndarray, sigma2: np.ndarray) -> float:
    """Squared Fréchet distance between N(mu1, sigma1) and N(mu2, sigma2)."""
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise MetricError(
            f"Fréchet distance: mismatched shapes {mu1.shape}, {sigma1.shape}, {mu2.shape}, {sigma2.shape}"
        )
    diff = mu1 - mu2
    distance = diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2 * trace_sqrt_product(sigma1, sigma2)
    return float(distance)


def frechet_distance_stats(stats1: GaussianStats, stats2: GaussianStats) -> float:
    """frechet_distance of two GaussianStats."""
    return frechet_distance(stats1.mu, stats1.sigma, stats2.mu, stats2.sigma)


def frechet_distance_features(features1: Tensor, features2: Tensor) -> float:
    """Fréchet distance between Gaussians fitted to two feature sets (N1, D) and (N2, D)."""
    return frechet_distance_stats(feature_statistics(features1), feature_statistics(features2))
