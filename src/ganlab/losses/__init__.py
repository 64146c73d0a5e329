"""Adversarial losses on logits and penalties on the critic's gradient."""

from ganlab.losses.adversarial import LOSSES, AdversarialLoss
from ganlab.losses.penalties import gradient_norms, gradient_penalty, interpolates

__all__ = ["LOSSES", "AdversarialLoss", "gradient_norms", "gradient_penalty", "interpolates"]
