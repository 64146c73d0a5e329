"""One discriminator (critic) step and one generator step, for the toys' small training loops.

The toys need only the core of a GAN step, so they reuse ganlab's pieces (an AdversarialLoss from LOSSES
and a Lipschitz strategy from ganlab.lipschitz) rather than the full training state.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from ganlab.lipschitz import GradientPenalty, Lipschitz, WeightClipping
from ganlab.losses import LOSSES, AdversarialLoss


@dataclass(frozen=True)
class CriticSpec:
    """How one side of a toy trains: its loss, its Lipschitz control and its optimiser."""

    label: str  # legend name: "GAN", "WGAN (clip 0.01)", "WGAN-GP"
    loss: str  # a LOSSES key: "minimax", "non-saturating", "wasserstein"
    lipschitz: Literal["none", "clip", "gp"] = "none"
    clip: float = 0.01  # weight-clipping bound c (seed 003 WGAN Alg. 1: c = 0.01)
    gp_weight: float = 0.1  # gradient-penalty lambda (seed 000 App. A toys: 0.1; seed 003 images: 10)
    optimizer: Literal["adam", "rmsprop"] = "adam"
    lr: float = 1e-4
    betas: tuple[float, float] = (0.5, 0.9)  # Adam only (gan_toy.py, the template seed 000 App. A names)


# seed 003 WGAN Alg. 1: RMSProp, alpha = 5e-5, c = 0.01; gan_toy.py uses Adam(1e-4, 0.5, 0.9) otherwise.
GAN = CriticSpec("GAN", "non-saturating")
WGAN_CLIP = CriticSpec("WGAN (clip)", "wasserstein", "clip", optimizer="rmsprop", lr=5e-5)
WGAN_GP = CriticSpec("WGAN-GP", "wasserstein", "gp")


def adversarial_loss(spec: CriticSpec) -> AdversarialLoss:
    return LOSSES.get(spec.loss, "loss")


def lipschitz(spec: CriticSpec) -> Lipschitz:
    """The Lipschitz hook object `spec` names (ganlab.lipschitz)."""
    if spec.lipschitz == "clip":
        return WeightClipping(spec.clip)
    if spec.lipschitz == "gp":
        return GradientPenalty(spec.gp_weight)
    return Lipschitz()


def optimizer(params: list[nn.Parameter], spec: CriticSpec) -> torch.optim.Optimizer:
    if spec.optimizer == "rmsprop":
        return torch.optim.RMSprop(params, lr=spec.lr)
    return torch.optim.Adam(params, lr=spec.lr, betas=spec.betas)


def critic_step(
    D: nn.Module,
    opt: torch.optim.Optimizer,
    loss: AdversarialLoss,
    control: Lipschitz,
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator | None,
) -> dict[str, Tensor]:
    """One D update on real (B, dim) and fake (B, dim) points: loss + penalty, step, then clip if clipping."""
    real_logits, fake_logits = D(real), D(fake)  # (B,) each
    # Targets 1 for real, 0 for fake; losses without targets ignore them.
    d_loss = loss.discriminator(real_logits, fake_logits, real_logits.new_ones(()), real_logits.new_zeros(()))
    penalty = control.penalty(D, real, fake.detach(), generator)
    opt.zero_grad(set_to_none=True)
    (d_loss + penalty.value).backward()
    opt.step()
    control.after_d_step(D)  # weight clipping lives here (seed 003 Alg. 1 line 7)
    return {"loss_d": d_loss.detach(), "gp": penalty.value.detach()}


def generator_step(D: nn.Module, opt: torch.optim.Optimizer, loss: AdversarialLoss, fake: Tensor) -> dict[str, Tensor]:
    """One G update from fake (B, dim) points still attached to G's graph; D's gradients are discarded."""
    g_loss = loss.generator(D(fake))
    opt.zero_grad(set_to_none=True)
    g_loss.backward()
    opt.step()
    return {"loss_g": g_loss.detach()}
