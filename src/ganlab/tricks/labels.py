"""Tricks on D's targets: one- and two-sided label smoothing (seed 001 §4.1), noisy labels (seed 001 §4.5)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import torch
from torch import Tensor

from ganlab.errors import ConfigError
from ganlab.tricks.base import TRICKS, Trick, TrickSpec, given, needs_targets

if TYPE_CHECKING:
    from ganlab.config.schema import Config


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


def check_smoothing(cfg: Config, explicit: frozenset[str]) -> None:
    needs_targets("label_smoothing", "fake_label")(cfg, explicit)
    tricks = cfg.tricks
    # ganlab's label_smoothing is the real target itself (seed 001 §4.1's alpha = 0.9), where TF-GAN and torchgan
    # take the amount taken off (0.1): a small value is almost surely the other convention, and would train D
    # to call real images fake.
    if tricks.label_smoothing is not None and tricks.label_smoothing <= 0.5:
        raise ConfigError(
            "tricks.label_smoothing",
            "the real target itself, above 0.5 (e.g. 0.9 = smoothing by 0.1; TF-GAN and torchgan take the amount "
            "0.1 instead)",
            tricks.label_smoothing,
        )
    real_target = 1.0 if tricks.label_smoothing is None else tricks.label_smoothing
    if tricks.fake_label is not None and tricks.fake_label >= real_target:
        raise ConfigError(
            "tricks.fake_label", f"a fake target below the real one ({real_target:g}), e.g. 0.1", tricks.fake_label
        )


TRICKS.add(
    "label_smoothing",
    TrickSpec(
        10,
        lambda t, G, steps, rng: LabelSmoothing(t.label_smoothing, t.fake_label),
        on=lambda t: t.label_smoothing is not None or t.fake_label is not None,  # one-sided, two-sided, or fake only
    ),
    check=check_smoothing,
)
TRICKS.add(
    "noisy_labels",
    TrickSpec(20, lambda t, G, steps, rng: NoisyLabels(given(t.noisy_labels), rng)),
    check=needs_targets("noisy_labels"),
)
