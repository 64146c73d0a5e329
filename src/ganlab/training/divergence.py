"""Divergence: a non-finite loss, gradient or weight, caught at the step it appears without a host sync.

Every step folds the finiteness of its losses and of the G and D gradients into a small device tensor
holding the first bad step of each kind (a few tiny kernels, no `.item()`); the loop reads it together
with the logged means, in the one host sync a log step already makes, and checks the weights there too.
Under fp16 the gradient check is left to the GradScaler, for which an inf gradient is a skipped step, not
a divergence.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor, nn

from ganlab.errors import CheckpointError, Diverged
from ganlab.rundir.checkpoint import step_dirs

if TYPE_CHECKING:
    from ganlab.training.loop import Loop

KINDS = ("loss", "gradient of G", "gradient of D")
LR_FACTOR = 0.5  # each rollback halves both learning rates (issue 5)


def _grad_norm_sum(module: nn.Module) -> Tensor:
    """Sum of the per-parameter gradient norms: non-finite iff some gradient entry is (or overflows)."""
    grads = [p.grad for p in module.parameters() if p.grad is not None]
    if not grads:
        return torch.zeros((), device=next(module.parameters()).device)
    return torch.stack(torch._foreach_norm(grads)).sum().float()


class DivergenceWatch:
    """The first generator step at which each of KINDS was non-finite (-1: not yet), on the device."""

    def __init__(self, device: torch.device, check_grads: bool) -> None:
        self.check_grads = check_grads
        self.first = torch.full((len(KINDS),), -1, dtype=torch.int64, device=device)

    def observe(self, losses: list[Tensor], G: nn.Module, D: nn.Module, step: int) -> None:
        """Fold in generator step `step` (1-based, as in metrics.jsonl): its losses and final gradients."""
        loss = torch.stack([v.float() for v in losses]).sum()
        grads = [_grad_norm_sum(G), _grad_norm_sum(D)] if self.check_grads else [loss.new_zeros(()), loss.new_zeros(())]
        bad = ~torch.isfinite(torch.stack([loss, *grads]))
        self.first = torch.where((self.first < 0) & bad, step, self.first)

    def reset(self) -> None:
        self.first.fill_(-1)


def weights_finite(modules: list[nn.Module]) -> Tensor:
    """(len(modules),) 1.0 where every weight of the module is finite, else 0.0; on the device."""
    flags = []
    for module in modules:
        params = [p.detach() for p in module.parameters()]
        flags.append(torch.isfinite(torch.stack(torch._foreach_norm(params))).all())
    return torch.stack(flags).double()


def raise_if_diverged(first_bad: list[float], weights_ok: list[float], means: dict[str, float], step: int) -> None:
    """Diverged for the earliest non-finite kind, else for a non-finite weight; nothing when all is finite."""
    seen = [(int(s), kind) for s, kind in zip(first_bad, KINDS, strict=True) if s >= 0]
    if seen:
        at, kind = min(seen)
        if kind == "loss":
            bad = [k for k, v in means.items() if v != v or v in (float("inf"), float("-inf"))]
            kind = ", ".join(bad) if bad else "a loss"
        else:
            kind = f"the {kind}"
        raise Diverged(at, kind)
    for ok, name in zip(weights_ok, ("G", "D"), strict=True):
        if not ok:
            raise Diverged(step, f"a weight of {name}")


def rollback(loop: Loop, error: Diverged) -> None:
    """Back to the last good checkpoint with the learning rates halved (train.on_divergence=rollback)."""
    cfg = loop.state.config.train
    count, scale = loop.state.rollbacks + 1, loop.state.lr_scale * LR_FACTOR  # the checkpoint holds older values
    try:
        loop.restore()
    except CheckpointError as exc:
        raise Diverged(error.step, error.what, f"no checkpoint to roll back to ({exc})") from None
    loop.state.rollbacks, loop.state.lr_scale = count, scale
    loop.apply_lr_scale()
    loop.messages.append(
        f"{error}; rolled back to step {loop.state.step} with learning rates x{scale:g} "
        f"(rollback {count} of at most {cfg.max_rollbacks})"
    )


def divergence_detail(loop: Loop, error: Diverged) -> str:
    """What the user reads after the one line: rollbacks tried, where the summary and the good checkpoint are."""
    cfg, state = loop.state.config.train, loop.state
    parts = []
    if cfg.on_divergence == "rollback":
        parts.append(
            f"gave up after {state.rollbacks} rollback(s) (train.max_rollbacks={cfg.max_rollbacks}), "
            f"learning rates x{state.lr_scale:g}"
        )
    good = step_dirs(loop.run.checkpoints)
    if good:
        parts.append(f"last good checkpoint {good[-1][1].name} kept")
    parts.append(f"summary in {loop.run.summary}")
    if cfg.on_divergence == "stop":
        parts.append("resume with --resume --set train.on_divergence=rollback to retry with halved learning rates")
    return "; ".join(parts)
