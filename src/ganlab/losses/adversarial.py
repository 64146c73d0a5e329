"""Adversarial losses as pure functions of logits.

Every loss takes D's raw outputs (logits, or critic values) and, for the losses that have them, the targets
D is trained towards; label tricks change the targets, never the loss. Shapes: logits (B,) or (B, 1);
targets broadcastable to them. All return a scalar tensor, the mean over the batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

import torch
import torch.nn.functional as F
from torch import Tensor

from ganlab.registry import Registry


class DLoss(Protocol):
    def __call__(
        self, real_logits: Tensor, fake_logits: Tensor, real_target: Tensor, fake_target: Tensor
    ) -> Tensor: ...


class GLoss(Protocol):
    def __call__(self, fake_logits: Tensor) -> Tensor: ...


# What D's output is under a loss: a logit (sigmoid gives the probability that x is real), an unbounded critic
# value (its mean gap between real and fake estimates a distance), or a score regressed to targets (LSGAN).
Output = Literal["logit", "critic", "score"]


@dataclass(frozen=True)
class AdversarialLoss:
    """The two sides of one objective, what D's output means under it, and whether D's targets mean anything
    to it. Code outside losses/ asks these, never the loss's name."""

    name: str
    discriminator: DLoss
    generator: GLoss
    uses_targets: bool  # label smoothing / noisy labels apply only where D regresses to targets
    output: Output

    @property
    def is_critic(self) -> bool:
        """D's output is a critic value: E[D(x)] - E[D(G(z))] is its distance estimate (seed 001 §5.1)."""
        return self.output == "critic"

    def readout(self, outputs: Tensor) -> Tensor:
        """What users read as D(x): a probability for a logit, the raw output otherwise."""
        return torch.sigmoid(outputs) if self.output == "logit" else outputs


LOSSES: Registry[AdversarialLoss] = Registry("loss")


def d_logistic_loss(real_logits: Tensor, fake_logits: Tensor, real_target: Tensor, fake_target: Tensor) -> Tensor:
    """-E[t log D(x) + (1-t) log(1-D(x))] on real and fake: binary cross-entropy with targets (seed 000 eq. 1)."""
    real = F.binary_cross_entropy_with_logits(real_logits, real_target.expand_as(real_logits))
    fake = F.binary_cross_entropy_with_logits(fake_logits, fake_target.expand_as(fake_logits))
    return real + fake


def g_minimax_loss(fake_logits: Tensor) -> Tensor:
    """E[log(1 - D(G(z)))]: the original saturating cost, whose gradient vanishes as D wins (seed 003)."""
    return -F.softplus(fake_logits).mean()  # log(1 - sigmoid(l)) = -softplus(l)


def g_nonsaturating_loss(fake_logits: Tensor) -> Tensor:
    """E[-log D(G(z))]: the -log D trick (seed 001 §2.3.2, Alg. 1)."""
    return F.softplus(-fake_logits).mean()  # -log sigmoid(l) = softplus(-l)


def d_wasserstein_loss(real_logits: Tensor, fake_logits: Tensor, real_target: Tensor, fake_target: Tensor) -> Tensor:
    """E[f(G(z))] - E[f(x)]: minus the critic's estimate of W1 (seed 003 Alg. 1, seed 001 §5.1.1)."""
    return fake_logits.mean() - real_logits.mean()


def g_wasserstein_loss(fake_logits: Tensor) -> Tensor:
    """-E[f(G(z))] (seed 001 §5.1.1)."""
    return -fake_logits.mean()


def d_hinge_loss(real_logits: Tensor, fake_logits: Tensor, real_target: Tensor, fake_target: Tensor) -> Tensor:
    """E[max(0, 1 - D(x))] + E[max(0, 1 + D(G(z)))] (Lim & Ye 2017; Miyato et al. 2018)."""
    return F.relu(1.0 - real_logits).mean() + F.relu(1.0 + fake_logits).mean()


def d_least_squares_loss(real_logits: Tensor, fake_logits: Tensor, real_target: Tensor, fake_target: Tensor) -> Tensor:
    """1/2 E[(D(x) - a)^2] + 1/2 E[(D(G(z)) - b)^2] with a=1, b=0 by default (Mao et al. 2017, LSGAN)."""
    real = (real_logits - real_target).pow(2).mean()
    fake = (fake_logits - fake_target).pow(2).mean()
    return 0.5 * (real + fake)


def g_least_squares_loss(fake_logits: Tensor) -> Tensor:
    """1/2 E[(D(G(z)) - c)^2] with c = 1 (LSGAN)."""
    return 0.5 * (fake_logits - 1.0).pow(2).mean()


LOSSES.add("minimax", AdversarialLoss("minimax", d_logistic_loss, g_minimax_loss, uses_targets=True, output="logit"))
LOSSES.add(
    "non-saturating",
    AdversarialLoss("non-saturating", d_logistic_loss, g_nonsaturating_loss, uses_targets=True, output="logit"),
)
LOSSES.add(
    "wasserstein",
    AdversarialLoss("wasserstein", d_wasserstein_loss, g_wasserstein_loss, uses_targets=False, output="critic"),
)
LOSSES.add("hinge", AdversarialLoss("hinge", d_hinge_loss, g_wasserstein_loss, uses_targets=False, output="critic"))
LOSSES.add(
    "least-squares",
    AdversarialLoss("least-squares", d_least_squares_loss, g_least_squares_loss, uses_targets=True, output="score"),
)
