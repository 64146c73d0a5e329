"""Training-health scalars: small functions of the models and a batch, measured only at log steps.

Each leaves the models exactly as it found them: a forward pass in training mode would move batch-norm
running statistics and spectral-norm power-iteration vectors, so `buffers_kept` restores every buffer.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import Tensor, nn

from ganlab.losses.penalties import gradient_norms, interpolates


@contextmanager
def buffers_kept(*modules: nn.Module) -> Iterator[None]:
    """Every buffer of `modules` holds the same values after the block as before it."""
    saved = [[b.detach().clone() for b in m.buffers()] for m in modules]
    try:
        yield
    finally:
        with torch.no_grad():
            for module, values in zip(modules, saved, strict=True):
                for buffer, value in zip(module.buffers(), values, strict=True):
                    buffer.copy_(value)


def critic_gradient_norm(
    critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor, generator: torch.Generator | None
) -> Tensor:
    """Mean ||grad_x D(x_hat)|| on random interpolates of real and fake: an empirical Lipschitz estimate of D,
    measured where WGAN-GP penalises it (seed 003), for any Lipschitz strategy; no parameter gradients."""
    points = interpolates(real, fake.detach(), generator)
    return gradient_norms(critic, points, create_graph=False).mean().detach()


@torch.no_grad()
def clipped_share(params: Sequence[Tensor], bound: float) -> Tensor:
    """Share of D's weights sitting at the clipping bound +-c (seed 002 Fig. 5: clipping piles them there)."""
    at_bound = torch.stack([(p.detach().abs() >= bound).sum() for p in params]).sum()
    return at_bound.float() / max(sum(p.numel() for p in params), 1)


@torch.no_grad()
def critic_estimate(critic: Callable[[Tensor], Tensor], real: Tensor, fake: Tensor) -> Tensor:
    """E[D(x)] - E[D(G(z))] on the given batches: the critic's Wasserstein estimate, without any penalty."""
    return critic(real).float().mean() - critic(fake).float().mean()
