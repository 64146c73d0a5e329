"""Evaluation metrics as staged pure functions (features -> statistics -> distance) behind a METRICS registry.

- frechet: Gaussian statistics of features and the Fréchet distance (fd_domain; FID's formula)
- kernel: unbiased polynomial-kernel MMD over subsets (kd_domain; KID's estimator)
- inception: fid, kid, is, precision, recall through torch-fidelity
- classifier, domain: ganlab's own per-dataset classifier (shipped for Fashion-MNIST, else trained once, cached)
- modes: class coverage / KL, stacked-set modes, 2-D mixture modes and high-quality share
- wasserstein: exact W1 between equal-size batches (POT)
- registry, groups, suite: what each metric needs, one feature pass per group, provenance
"""

from __future__ import annotations

from ganlab.metrics.frechet import GaussianStats, feature_statistics, frechet_distance, frechet_distance_stats
from ganlab.metrics.groups import EvalContext
from ganlab.metrics.kernel import KernelDistance, kernel_distance
from ganlab.metrics.registry import METRICS, MetricSpec, higher_is_better, resolve_metric
from ganlab.metrics.suite import MetricSuite, compute_metrics, default_metrics
from ganlab.metrics.wasserstein import w1_exact

__all__ = [
    "METRICS",
    "EvalContext",
    "GaussianStats",
    "KernelDistance",
    "MetricSpec",
    "MetricSuite",
    "compute_metrics",
    "default_metrics",
    "feature_statistics",
    "frechet_distance",
    "frechet_distance_stats",
    "higher_is_better",
    "kernel_distance",
    "resolve_metric",
    "w1_exact",
]
