"""Penalties on D's gradient.

Under fp16 autocast the input gradient of the penalty is taken of the loss scaled by the GradScaler's
factor (small gradients would underflow in half precision otherwise) and unscaled in fp32 right after,
as PyTorch's AMP recipe for gradient penalties does; a step whose scaled gradient overflowed is then
skipped by the scaler like any other overflow (`skip_if_nonfinite`).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch import Tensor


def interpolates(
    real: Tensor, fake: Tensor, generator: torch.Generator | None = None, shards: int = 1, shard: int = 0
) -> Tensor:
    """x_hat = eps * x + (1 - eps) * G(z), eps ~ U[0, 1] per sample (seed 003 WGAN-GP Alg. 1 line 6).

    With `shards` > 1 (one training across processes) eps is drawn for the whole global batch and this
    process keeps slice `shard`, so the ranks together use the eps a single process would draw."""
    # Under autocast the fakes come out of G in bf16/fp16 while the real batch is fp32: mix in the wider type.
    dtype = torch.promote_types(real.dtype, fake.dtype)
    n = real.shape[0]
    shape = (n * shards,) + (1,) * (real.dim() - 1)
    eps = torch.rand(shape, generator=generator, device=real.device, dtype=dtype)[shard * n : (shard + 1) * n]
    return torch.lerp(fake.to(dtype), real.to(dtype), eps)  # fake + eps * (real - fake)


def gradient_norms(
    critic: Callable[[Tensor], Tensor],
    points: Tensor,
    create_graph: bool = True,
    grad_scale: Tensor | None = None,
) -> Tensor:
    """||grad_x D(x)||_2 per sample at `points` (B, ...) -> (B,); differentiable when create_graph.

    `grad_scale` (a scalar tensor, the GradScaler's current factor) multiplies D's output before the
    gradient is taken and divides the gradient after, in at least fp32: the same norms, no fp16 underflow.
    """
    points = points.detach().requires_grad_(True)
    out = critic(points)
    wide = torch.promote_types(out.dtype, torch.float32)  # at least fp32 under bf16/fp16 autocast
    total = out.sum(dtype=wide)
    if grad_scale is not None:
        total = total * grad_scale
    (grad,) = torch.autograd.grad(total, points, create_graph=create_graph)
    grad = grad.flatten(1).to(torch.promote_types(grad.dtype, torch.float32))
    if grad_scale is not None:
        grad = grad / grad_scale
    return grad.norm(2, dim=1)


def gradient_penalty(norms: Tensor, weight: float, center: float = 1.0) -> Tensor:
    """lambda * E[(||grad D(x_hat)|| - 1)^2] (seed 000 eq. 12; Gulrajani et al. 2017)."""
    return weight * (norms - center).pow(2).mean()


class _SkipIfNonFinite(torch.autograd.Function):
    """Forward: `value` where `finite`, else 0. Backward: the gradient, or NaN where not `finite`."""

    @staticmethod
    def forward(ctx: Any, value: Tensor, finite: Tensor) -> Tensor:
        ctx.save_for_backward(finite)
        return torch.where(finite, value, torch.zeros_like(value))

    @staticmethod
    def backward(ctx: Any, grad: Tensor) -> tuple[Tensor, None]:
        (finite,) = ctx.saved_tensors
        return torch.where(finite, grad, torch.full_like(grad, float("nan"))), None


def skip_if_nonfinite(value: Tensor, finite: Tensor) -> Tensor:
    """`value` with a finite forward (0 when `finite` is false) whose gradient is NaN then.

    Under a GradScaler this turns an overflow inside the penalty's own input gradient into what the scaler
    already handles, a non-finite parameter gradient: the step is skipped and the scale lowered, while the
    logged penalty stays finite and no host sync is needed to decide.
    """
    return _SkipIfNonFinite.apply(value, finite)
