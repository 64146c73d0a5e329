"""The toys' recipes (loss, Lipschitz control, optimiser) and their steps on small MLPs.

The steps are training's own algorithm (ganlab.training.algorithm) without the training state: the same
critic and generator updates, the same loss, Lipschitz and optimiser builders.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import torch
from torch import Tensor, nn

from ganlab.config.schema import LipschitzConfig, OptimizerConfig
from ganlab.lipschitz import Lipschitz, build_lipschitz
from ganlab.losses import LOSSES, AdversarialLoss
from ganlab.training.algorithm import Update, critic_update, generator_update
from ganlab.training.state import make_optimizer


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
    """The Lipschitz control `spec` names, built as training builds it (ganlab.lipschitz)."""
    return build_lipschitz(LipschitzConfig(name=spec.lipschitz, clip=spec.clip, gp_weight=spec.gp_weight))


def optimizer(params: list[nn.Parameter], spec: CriticSpec) -> torch.optim.Optimizer:
    """The optimiser `spec` names, built as training builds it (training.state.make_optimizer), with torch's
    default (per-tensor) Adam."""
    beta1, beta2 = spec.betas
    return make_optimizer(params, OptimizerConfig(spec.optimizer, spec.lr, beta1, beta2), fused=False)


def critic_step(
    D: nn.Module,
    opt: torch.optim.Optimizer,
    loss: AdversarialLoss,
    control: Lipschitz,
    real: Tensor,
    fake: Tensor,
    generator: torch.Generator | None,
) -> dict[str, Tensor]:
    """One D update on real (B, dim) and fake (B, dim) points: training.algorithm.critic_update."""
    step = critic_update(D, D, loss, control, Update(D, opt), real, fake, generator)
    return {"loss_d": step.loss, "gp": step.penalty.value.detach()}


def generator_step(G: nn.Module, D: nn.Module, opt: torch.optim.Optimizer, loss: AdversarialLoss, z: Tensor) -> Tensor:
    """One G update through D on noise z (B, z_dim): training.algorithm.generator_update; returns G's loss."""
    g_loss, _ = generator_update(D, lambda: loss.generator(D(G(z))), Update(G, opt))
    return g_loss
