"""Tricks on D's targets: one- and two-sided label smoothing (seed 001 §4.1), noisy labels (seed 001 §4.5)."""

from __future__ import annotations

import torch
from torch import Tensor

from ganlab.tricks.base import Trick


def smooth_targets(
    real_t: Tensor, fake_t: Tensor, real_value: float | None, fake_value: float | None
) -> tuple[Tensor, Tensor]:
    """Replace the real target 1 by alpha and/or the fake target 0 by beta."""
    if real_value is not None:
        real_t = torch.full_like(real_t, real_value)
    if fake_value is not None:
        fake_t = torch.full_like(fake_t, fake_value)
    return real_t, fake_t


def flip_targets(real_t: Tensor, fake_t: Tensor, share: float, generator: torch.Generator) -> tuple[Tensor, Tensor]:
    """Swap the real and fake targets of a random `share` of the samples on each side (seed 001 §4.5)."""
    flip_real = torch.rand(real_t.shape, generator=generator, device=real_t.device) < share
    flip_fake = torch.rand(fake_t.shape, generator=generator, device=fake_t.device) < share
    # A flipped real sample is labelled with the fake target and vice versa, whatever their smoothed values.
    real_value, fake_value = real_t.max(), fake_t.min()
    return torch.where(flip_real, fake_value, real_t), torch.where(flip_fake, real_value, fake_t)


class LabelSmoothing(Trick):
    name = "label_smoothing"

    def __init__(self, real_value: float | None, fake_value: float | None) -> None:
        self.real_value, self.fake_value = real_value, fake_value

    def targets(self, real_t: Tensor, fake_t: Tensor, step: int) -> tuple[Tensor, Tensor]:
        return smooth_targets(real_t, fake_t, self.real_value, self.fake_value)


class NoisyLabels(Trick):
    name = "noisy_labels"

    def __init__(self, share: float, generator: torch.Generator) -> None:
        self.share, self.generator = share, generator

    def targets(self, real_t: Tensor, fake_t: Tensor, step: int) -> tuple[Tensor, Tensor]:
        return flip_targets(real_t, fake_t, self.share, self.generator)
