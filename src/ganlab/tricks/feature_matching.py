"""Feature matching (Salimans et al. 2016 §3.1): G matches the statistics of an intermediate layer of D.

Instead of maximising D's output, G minimises ||E_x f(x) - E_z f(G(z))||_2^2 with f = D.features, the last
hidden layer before D's head. D keeps training as usual; only G's objective changes.
"""

from __future__ import annotations

from torch import Tensor

from ganlab.tricks.base import TRICKS, TrickSpec


def feature_matching_loss(real_features: Tensor, fake_features: Tensor) -> Tensor:
    """||mean_i f(x_i) - mean_j f(G(z_j))||_2^2 of features (B, F) -> scalar."""
    return (real_features.float().mean(0) - fake_features.float().mean(0)).pow(2).sum()


TRICKS.add("feature_matching", TrickSpec(70))  # G's objective (training/objective.py), no hook
