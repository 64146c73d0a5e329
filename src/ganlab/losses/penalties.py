"""Penalties on D's gradient."""

from __future__ import annotations

from collections.abc import Callable

import torch
from torch import Tensor


def interpolates(real: Tensor, fake: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """x_hat = eps * x + (1 - eps) * G(z), eps ~ U[0, 1] per sample (seed 003 WGAN-GP Alg. 1 line 6)."""
    shape = (real.shape[0],) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device=real.device, dtype=real.dtype)
    return torch.lerp(fake, real, eps)  # fake + eps * (real - fake)


def gradient_norms(critic: Callable[[Tensor], Tensor], points: Tensor, create_graph: bool = True) -> Tensor:
    """||grad_x D(x)||_2 per sample at `points` (B, ...) -> (B,); differentiable when create_graph."""
    points = points.detach().requires_grad_(True)
    out = critic(points)
    (grad,) = torch.autograd.grad(out.sum(), points, create_graph=create_graph)
    # At least fp32: under bf16/fp16 autocast the squared sum would lose the penalty's precision.
    return grad.flatten(1).to(torch.promote_types(grad.dtype, torch.float32)).norm(2, dim=1)


def gradient_penalty(norms: Tensor, weight: float, center: float = 1.0) -> Tensor:
    """lambda * E[(||grad D(x_hat)|| - 1)^2] (seed 000 eq. 12; Gulrajani et al. 2017)."""
    return weight * (norms - center).pow(2).mean()
