"""FLOPs of one generator step of the real training step: its critic updates and the G update.

Counted by `torch.utils.flop_counter.FlopCounterMode` (matmuls and convolutions, forward and backward,
the penalty's double backward included) over the real `d_step`/`g_step` on a state built from the config;
elementwise work (activations, norms, the optimizer) is not counted, as usual for FLOP rates.
"""

from __future__ import annotations

from dataclasses import dataclass

from torch.utils.flop_counter import FlopCounterMode

from ganlab.training.state import TrainState
from ganlab.training.step import critic_updates, d_step, g_step

CONV_OPS = ("convolution", "convolution_backward", "_convolution", "convolution_overrideable")


class _GlobalOnly:
    """A stand-in for FlopCounterMode's module tracker that files every count under "Global"."""

    parents = frozenset({"Global"})

    def __enter__(self) -> _GlobalOnly:
        return self

    def __exit__(self, *args: object) -> None:
        return None


class GlobalFlopCounter(FlopCounterMode):
    """FlopCounterMode without its per-module breakdown: the module hooks that breakdown installs break
    `autograd.grad` with respect to a leaf input, which is how the gradient penalty differentiates D."""

    def __init__(self) -> None:
        super().__init__(display=False)
        self.mod_tracker = _GlobalOnly()  # type: ignore[assignment]


@dataclass(frozen=True)
class StepFlops:
    total: int  # FLOPs of one generator step (n_critic D updates + one G update)
    conv: int  # of which convolutions (forward and backward)
    critic_updates: int

    @property
    def conv_share(self) -> float:
        return self.conv / self.total if self.total else 0.0


def _op_name(op: object) -> str:
    return str(op).split("::")[-1].split(".")[-1]  # aten.convolution_backward -> convolution_backward


def flops_per_gen_step(state: TrainState) -> StepFlops:
    """Run one generator step of `state` (it trains: use a throwaway state) under the FLOP counter."""
    n_critic = critic_updates(state.config.train, state.step)
    with GlobalFlopCounter() as counter:
        for _ in range(n_critic):
            real, labels = state.real_batch()
            d_step(state, real, labels)
        g_step(state, labels, real=real)  # the last real batch, as the loop gives it
    counts = counter.get_flop_counts().get("Global", {})
    conv = sum(int(v) for op, v in counts.items() if _op_name(op) in CONV_OPS)
    state.step += 1
    return StepFlops(int(counter.get_total_flops()), conv, n_critic)
