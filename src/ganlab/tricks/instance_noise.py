"""Instance noise: Gaussian noise on everything D sees, annealed linearly to zero (Sønderby et al. 2016)."""

from __future__ import annotations

import torch
from torch import Tensor

from ganlab.tricks.base import TRICKS, Trick, TrickSpec, given


def annealed_sigma(initial: float, step: int, anneal_steps: int) -> float:
    """sigma_t = sigma_0 * max(0, 1 - t / T)."""
    return initial * max(0.0, 1.0 - step / anneal_steps)


class InstanceNoise(Trick):
    name = "instance_noise"

    def __init__(self, initial: float, anneal_steps: int, generator: torch.Generator) -> None:
        self.initial, self.anneal_steps, self.generator = initial, anneal_steps, generator

    def d_input(self, x: Tensor, step: int) -> Tensor:
        sigma = annealed_sigma(self.initial, step, self.anneal_steps)
        if sigma == 0.0:
            return x
        return x + sigma * torch.randn(x.shape, generator=self.generator, device=x.device, dtype=x.dtype)


TRICKS.add(
    "instance_noise",
    TrickSpec(
        30,
        lambda t, G, steps, rng: InstanceNoise(given(t.instance_noise), t.instance_noise_steps or steps, rng),
        companions=("instance_noise_steps",),
    ),
)
