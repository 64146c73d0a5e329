"""Exact Wasserstein-1 between two equal-size samples (POT), to compare with the critic's estimate.

With n points on each side and uniform weights 1/n, the optimal plan of the linear program is a permutation
(Birkhoff-von Neumann), so W1 is the mean cost of an optimal assignment. The ground cost is the Euclidean
distance between flattened samples in the space the model works in (pixels in [-1, 1], or the 2-D plane).
"""

from __future__ import annotations

import numpy as np
from torch import Tensor

from ganlab.errors import MetricError

W1_MAX_SAMPLES = 1000  # the n x n cost matrix and network simplex grow as n^2 and ~n^3


def w1_exact(real: Tensor, fake: Tensor) -> float:
    """Exact W1 between equal-size samples (N, ...) with Euclidean ground cost on the flattened samples."""
    import ot  # POT loads its solvers when first used: only the metric that needs it pays for the import

    if len(real) != len(fake) or len(real) < 1:
        raise MetricError(f"w1_exact needs equal-size non-empty batches, got {len(real)} real and {len(fake)} fake")
    x = real.detach().reshape(len(real), -1).cpu().double().numpy()
    y = fake.detach().reshape(len(fake), -1).cpu().double().numpy()
    cost = ot.dist(x, y, metric="euclidean")  # (N, N)
    weights = np.full(len(x), 1.0 / len(x))
    return float(ot.emd2(weights, weights, cost, numItermax=max(100_000, 50 * len(x) ** 2)))
