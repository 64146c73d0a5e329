"""Gradient penalty against finite differences and against an independent torch.func computation."""

from __future__ import annotations

import torch
from torch import nn
from torch.func import functional_call, grad, vmap
from torch.testing import assert_close

from ganlab.lipschitz import GradientPenalty
from ganlab.losses.penalties import gradient_norms, gradient_penalty, interpolates


def tiny_critic() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(3, 5), nn.Tanh(), nn.Linear(5, 1)).double()


def finite_difference_norms(f: nn.Module, x: torch.Tensor, h: float = 1e-6) -> torch.Tensor:
    grads = torch.zeros_like(x)
    for i in range(x.shape[1]):
        step = torch.zeros_like(x)
        step[:, i] = h
        grads[:, i] = (f(x + step) - f(x - step)).squeeze(1) / (2 * h)
    return grads.norm(dim=1)


def test_gradient_norms_match_finite_differences() -> None:
    D = tiny_critic()
    x = torch.randn(7, 3, dtype=torch.float64, generator=torch.Generator().manual_seed(1))
    assert_close(gradient_norms(lambda p: D(p).squeeze(1), x), finite_difference_norms(D, x), rtol=1e-6, atol=1e-8)


def test_penalty_and_its_parameter_gradient_match_torch_func() -> None:
    D = tiny_critic()
    gen = torch.Generator().manual_seed(2)
    real, fake = (
        torch.randn(6, 3, dtype=torch.float64, generator=gen),
        torch.randn(6, 3, dtype=torch.float64, generator=gen),
    )
    x_hat = interpolates(real, fake, torch.Generator().manual_seed(3))
    ours = (
        GradientPenalty(10.0).penalty(lambda p: D(p).squeeze(1), x_hat, x_hat, None).value
    )  # eps irrelevant: real == fake
    params = dict(D.named_parameters())

    def reference(p: dict[str, torch.Tensor]) -> torch.Tensor:
        per_sample = vmap(grad(lambda xi: functional_call(D, p, (xi[None],)).squeeze()))(x_hat)
        return 10.0 * ((per_sample.norm(dim=1) - 1) ** 2).mean()

    assert_close(ours, reference(params))
    # The last bias does not change grad_x D, so its penalty gradient is zero (None from autograd).
    ours_grads = torch.autograd.grad(ours, list(params.values()), allow_unused=True, materialize_grads=True)
    ref_grads = torch.autograd.grad(reference(params), list(params.values()), allow_unused=True, materialize_grads=True)
    for a, b in zip(ours_grads, ref_grads, strict=True):
        assert_close(a, b)
    assert any(g.abs().sum() > 0 for g in ours_grads)


def test_interpolates_lie_on_the_segments() -> None:
    gen = torch.Generator().manual_seed(4)
    real, fake = torch.randn(50, 2, 4, 4, generator=gen), torch.randn(50, 2, 4, 4, generator=gen)
    x_hat = interpolates(real, fake, torch.Generator().manual_seed(5))
    # x_hat = fake + eps (real - fake) with one eps in [0, 1] per sample
    eps = ((x_hat - fake) / (real - fake)).flatten(1)
    assert_close(eps, eps[:, :1].expand_as(eps))
    assert bool(((eps >= 0) & (eps <= 1)).all())


def test_penalty_is_zero_for_a_unit_slope_linear_critic() -> None:
    w = torch.tensor([[0.6, 0.8]])  # ||w|| = 1: a 1-Lipschitz linear function with gradient norm 1 everywhere
    norms = gradient_norms(lambda x: (x @ w.T).squeeze(1), torch.randn(9, 2))
    assert_close(gradient_penalty(norms, 10.0), torch.tensor(0.0))
