"""The algorithm every GAN in ganlab trains by, one function per line group of the papers' pseudocode.

WGAN-GP's Algorithm 1 (Gulrajani et al., "Improved Training of Wasserstein GANs", 2017), which is Goodfellow
et al.'s Algorithm 1 ("Generative Adversarial Nets", 2014) with n_critic = 1, no penalty and the logistic loss:

    while θ has not converged:                                         iteration
        for t = 1, ..., n_critic:                                      critic_step(t), the caller's:
            sample real x, latent z; x̃ ← G_θ(z)                          its batches
            L ← loss_D(D_w(x), D_w(x̃)) + λ (‖∇D_w(x̂)‖ − 1)²              critic_update
            w ← Adam(∇_w L)  (then clip w to [−c, c] under WGAN)          critic_update (Update, after_d_step)
        sample z
        θ ← Adam(∇_θ loss_G(D_w(G_θ(z))))                              generator_update

The loss (ganlab.losses) and the Lipschitz control (ganlab.lipschitz: none, clip, gp, sn) are arguments, so
this one file is GAN, WGAN, WGAN-GP, SN-GAN and LSGAN. Training (training/step.py) calls it with its tricks,
precision and processes around it; the toys (ganlab.toys) call it on small MLPs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import TypeVar

import torch
from torch import Tensor, nn

from ganlab.lipschitz import Critic, Lipschitz, PenaltyResult
from ganlab.losses import AdversarialLoss
from ganlab.training.device import frozen
from ganlab.training.distributed import SINGLE, World, average_gradients
from ganlab.training.phases import phase

T = TypeVar("T")
U = TypeVar("U")
Outputs = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]  # (real, fake) -> D's outputs on each
Targets = Callable[[Tensor, Tensor], tuple[Tensor, Tensor]]  # D's outputs -> the targets D regresses them to
Precision = Callable[[], AbstractContextManager[None]]  # the forward passes' autocast (a null context in fp32)


@dataclass(frozen=True)
class Update:
    """One player's optimiser step: gradients from a loss (scaled under fp16), averaged over torchrun ranks,
    their global norm when asked, then the step."""

    module: nn.Module
    opt: torch.optim.Optimizer
    scaler: torch.amp.GradScaler | None = None  # the loss scale under fp16; None or disabled otherwise
    world: World = SINGLE

    def __call__(self, loss: Tensor, measure: bool = False) -> Tensor | None:
        """Apply ∇loss; returns the gradients' L2 norm when `measure` (a device tensor: no host sync)."""
        self.opt.zero_grad(set_to_none=True)
        (loss if self.scaler is None else self.scaler.scale(loss)).backward()
        average_gradients(self.module, self.world)  # a no-op in a single process
        norm = gradient_norm(self.module, self.scaler) if measure else None
        with phase("optimizer"):
            if self.scaler is None:
                self.opt.step()
            else:
                self.scaler.step(self.opt)
                self.scaler.update()
        return norm


@dataclass(frozen=True)
class CriticResult:
    loss: Tensor  # loss_D, without the penalty (detached)
    real: Tensor  # D's outputs on the real batch (detached)
    fake: Tensor  # D's outputs on the fake batch (detached)
    penalty: PenaltyResult
    grad_norm: Tensor | None


def plain_targets(real: Tensor, fake: Tensor) -> tuple[Tensor, Tensor]:
    """1 for real, 0 for fake (losses without targets ignore them; label tricks replace them)."""
    return torch.ones_like(real), torch.zeros_like(fake)


def critic_update(
    D: nn.Module,
    critic: Critic,
    loss: AdversarialLoss,
    lipschitz: Lipschitz,
    update: Update,
    real: Tensor,
    fake: Tensor,
    rng: torch.Generator | None,
    outputs: Outputs | None = None,
    targets: Targets = plain_targets,
    precision: Precision = contextlib.nullcontext,
    measure: bool = False,
) -> CriticResult:
    """One update of D (`critic`: x -> D(x), labels bound) on a real and a fake batch (WGAN-GP Alg. 1 lines
    2-7). `outputs` computes D on both batches (default: one pass of `critic` each)."""
    with precision():
        real_out, fake_out = outputs(real, fake) if outputs is not None else (critic(real), critic(fake))
        real_t, fake_t = targets(real_out, fake_out)
        d_loss = loss.discriminator(real_out, fake_out, real_t, fake_t)
        with phase("penalty"):  # the gradient penalty on interpolates of these batches (gp only)
            shards = (update.world.size, update.world.rank)
            penalty = lipschitz.penalty(critic, real, fake, rng, update.scaler, shards)
    grad_norm = update(d_loss + penalty.value, measure)
    with phase("optimizer"):
        lipschitz.after_d_step(D)  # weight clipping lives here (WGAN Alg. 1 line 7)
    return CriticResult(d_loss.detach(), real_out.detach(), fake_out.detach(), penalty, grad_norm)


def generator_update(
    D: nn.Module,
    objective: Callable[[], Tensor],
    update: Update,
    precision: Precision = contextlib.nullcontext,
    measure: bool = False,
) -> tuple[Tensor, Tensor | None]:
    """One update of G (WGAN-GP Alg. 1 lines 9-10): `objective()` draws z and returns G's loss through D,
    which gets no parameter gradients. Returns the loss (detached) and, when `measure`, G's gradient norm."""
    with frozen(D), precision():
        g_loss = objective()
    return g_loss.detach(), update(g_loss, measure)


def iteration(n_critic: int, critic_step: Callable[[int], T], generator_step: Callable[[], U]) -> tuple[list[T], U]:
    """n_critic critic steps, then one generator step (WGAN-GP Alg. 1 lines 1-11)."""
    critic = [critic_step(t) for t in range(n_critic)]
    return critic, generator_step()


def gradient_norm(module: nn.Module, scaler: torch.amp.GradScaler | None = None) -> Tensor:
    """Global L2 norm of the parameter gradients (unscaled under fp16, by the scale tensor: no host sync)."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    norm = torch.linalg.vector_norm(torch.stack(torch._foreach_norm(grads)))
    enabled = scaler is not None and scaler.is_enabled()
    scale = scaler._get_scale_async() if enabled else None  # type: ignore[union-attr]  # get_scale() syncs
    return norm / scale if scale is not None else norm
