"""Unrolled discriminator (Metz et al. 2017): G's update answers the discriminator k optimizer steps ahead.

theta_D^0 = theta_D and theta_D^{k+1} = theta_D^k + update(theta_D^k) with D's own optimizer rule and state;
G then minimises its loss against D(.; theta_D^K). The look-ahead is functional (`torch.func.functional_call`
on detached copies of D's parameters, cloned buffers and cloned optimizer moments), so D's real parameters,
buffers (batch-norm statistics, spectral-norm vectors) and optimizer state are left exactly as they were.

With `second_order` the look-ahead is differentiated through (create_graph), which is what lets G anticipate
D's reaction (Metz et al. 2017 §2.2); without it G sees D^K as a fixed network (cheaper). The adaptive
denominators of Adam and RMSprop are held constant in that backward pass: their square root has an infinite
derivative where a gradient is zero.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

import torch
from torch import Tensor, nn
from torch.func import functional_call

from ganlab.errors import ConfigError
from ganlab.tricks.base import TRICKS, TrickSpec

if TYPE_CHECKING:
    from ganlab.config.schema import Config

Params = dict[str, Tensor]
DLossFn = Callable[[Tensor, Tensor], Tensor]  # (real_logits, fake_logits) -> D's loss (targets bound)


class Discriminator(Protocol):
    """What G's step needs of D: its output and its features (nn.Module D or the look-ahead D)."""

    def __call__(self, x: Tensor, labels: Tensor | None = None) -> Tensor: ...

    def features(self, x: Tensor, labels: Tensor | None = None) -> Tensor: ...


class _Call(nn.Module):
    """Calls one method of D, so that functional_call can reach `features` as well as `forward`."""

    def __init__(self, D: nn.Module, method: str) -> None:
        super().__init__()
        self.D, self.method = D, method

    def forward(self, x: Tensor, labels: Tensor | None) -> Tensor:
        return getattr(self.D, self.method)(x, labels)


class LookAheadD:
    """D with the look-ahead parameters: callable like D, with `features` like D."""

    def __init__(self, D: nn.Module, params: Params, buffers: Params) -> None:
        self._forward, self._features = _Call(D, "forward"), _Call(D, "features")
        self.tensors = {f"D.{k}": v for k, v in {**params, **buffers}.items()}

    def __call__(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return functional_call(self._forward, self.tensors, (x, labels))

    def features(self, x: Tensor, labels: Tensor | None = None) -> Tensor:
        return functional_call(self._features, self.tensors, (x, labels))


def adam_update(
    param: Tensor, grad: Tensor, moments: dict[str, Tensor], step: int, group: dict[str, Any]
) -> tuple[Tensor, dict[str, Tensor]]:
    """torch.optim.Adam's update (no weight decay, no amsgrad) as a pure function; returns (param, moments)."""
    beta1, beta2 = group["betas"]
    exp_avg = torch.lerp(moments["exp_avg"], grad, 1 - beta1)
    exp_avg_sq = moments["exp_avg_sq"] * beta2 + (1 - beta2) * grad.detach() * grad.detach()
    bias1, bias2 = 1 - beta1**step, 1 - beta2**step
    denom = exp_avg_sq.sqrt() / math.sqrt(bias2) + group["eps"]
    return param - group["lr"] / bias1 * exp_avg / denom, {"exp_avg": exp_avg, "exp_avg_sq": exp_avg_sq}


def rmsprop_update(
    param: Tensor, grad: Tensor, moments: dict[str, Tensor], step: int, group: dict[str, Any]
) -> tuple[Tensor, dict[str, Tensor]]:
    """torch.optim.RMSprop's update (not centred, no momentum) as a pure function; returns (param, moments)."""
    square_avg = moments["square_avg"] * group["alpha"] + (1 - group["alpha"]) * grad.detach() * grad.detach()
    return param - group["lr"] * grad / (square_avg.sqrt() + group["eps"]), {"square_avg": square_avg}


def _initial_moments(opt: torch.optim.Optimizer, p: Tensor) -> tuple[dict[str, Tensor], int]:
    """A copy of the optimizer's moments of parameter p (zeros before its first step) and its step count."""
    kept = opt.state.get(p, {})
    names = ("exp_avg", "exp_avg_sq") if isinstance(opt, torch.optim.Adam) else ("square_avg",)
    moments = {n: kept[n].detach().clone() if n in kept else torch.zeros_like(p) for n in names}
    return moments, int(kept["step"]) if "step" in kept else 0


def look_ahead(
    D: nn.Module,
    opt: torch.optim.Optimizer,
    d_loss: DLossFn,
    real: Tensor,
    fake: Tensor,
    labels: Tensor | None,
    steps: int,
    second_order: bool,
    clip: float | None = None,
) -> LookAheadD:
    """D after `steps` updates on (real, fake) with opt's rule and a copy of its state; D and opt are untouched."""
    if not isinstance(opt, (torch.optim.Adam, torch.optim.RMSprop)):
        raise TypeError(f"unrolled D supports Adam and RMSprop, not {type(opt).__name__}")
    update = adam_update if isinstance(opt, torch.optim.Adam) else rmsprop_update
    group = opt.param_groups[0]
    named = dict(D.named_parameters())
    start = {name: _initial_moments(opt, p) for name, p in named.items()}
    moments = {name: m for name, (m, _) in start.items()}
    params = {name: p.detach().requires_grad_(True) for name, p in named.items()}
    buffers = {name: b.clone() for name, b in D.named_buffers()}
    fake = fake if second_order else fake.detach()
    for k in range(steps):
        critic = LookAheadD(D, params, buffers)
        loss = d_loss(critic(real, labels).float(), critic(fake, labels).float())
        grads = torch.autograd.grad(loss, list(params.values()), create_graph=second_order, allow_unused=True)
        new_params: Params = {}
        for (name, p), g in zip(params.items(), grads, strict=True):
            g = torch.zeros_like(p) if g is None else g
            p, moments[name] = update(p, g, moments[name], start[name][1] + k + 1, group)
            p = p if clip is None else p.clamp(-clip, clip)  # WGAN's clipping is part of D's update
            new_params[name] = p if second_order else p.detach().requires_grad_(True)
        params = new_params
    if not second_order:
        params = {name: p.detach() for name, p in params.items()}  # constants for G's backward pass
    return LookAheadD(D, params, buffers)


def check_unrolled(cfg: Config, explicit: frozenset[str]) -> None:
    if cfg.lipschitz.name == "gp":
        # The penalty is itself a gradient: differentiating look-ahead steps through it needs third derivatives.
        raise ConfigError("tricks.unrolled", "lipschitz.name none, clip or sn (not gp)", cfg.tricks.unrolled)
    if cfg.train.precision == "fp16":
        raise ConfigError(
            "train.precision", "fp32 or bf16 with tricks.unrolled (look-ahead is not loss-scaled)", "fp16"
        )


# G's objective (training/objective.py), no hook
TRICKS.add("unrolled", TrickSpec(80, companions=("unrolled_second_order",)), check=check_unrolled)
