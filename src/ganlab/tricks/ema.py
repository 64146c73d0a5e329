"""Exponential moving average of the generator's weights, used for samples and evaluation when on."""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from ganlab.tricks.base import TRICKS, Trick, TrickSpec, given


@torch.no_grad()
def ema_update(average: nn.Module, current: nn.Module, decay: float) -> None:
    """theta_avg <- decay * theta_avg + (1 - decay) * theta; buffers (BN statistics) are copied."""
    avg_params: list[Tensor] = list(average.parameters())
    cur_params: list[Tensor] = list(current.parameters())
    torch._foreach_lerp_(avg_params, cur_params, 1.0 - decay)
    for b_avg, b_cur in zip(average.buffers(), current.buffers(), strict=True):
        b_avg.copy_(b_cur)


class GeneratorEMA(Trick):
    name = "ema"

    def __init__(self, G: nn.Module, decay: float) -> None:
        self.decay = decay
        self.average = copy.deepcopy(G).eval().requires_grad_(False)

    def after_g_step(self, G: nn.Module, step: int) -> None:
        ema_update(self.average, G, self.decay)

    def state_tensors(self) -> dict[str, Tensor]:
        return {f"G.{k}": v for k, v in self.average.state_dict().items()}

    def load_state_tensors(self, tensors: dict[str, Tensor]) -> None:
        self.average.load_state_dict({k[2:]: v for k, v in tensors.items() if k.startswith("G.")})


TRICKS.add("ema", TrickSpec(60, lambda t, G, steps, rng: GeneratorEMA(G, given(t.ema))))
