"""Training tricks: each a pure function plus a thin hook object; `build_tricks` turns config into a TrickSet."""

from __future__ import annotations

import torch
from torch import nn

from ganlab.config.schema import TricksConfig
from ganlab.tricks.base import Trick, TrickSet
from ganlab.tricks.ema import GeneratorEMA
from ganlab.tricks.instance_noise import InstanceNoise
from ganlab.tricks.labels import LabelSmoothing, NoisyLabels


def build_tricks(cfg: TricksConfig, G: nn.Module, total_steps: int, generator: torch.Generator) -> TrickSet:
    """The enabled tricks, in the order their hooks apply."""
    tricks: list[Trick] = []
    if cfg.label_smoothing is not None or cfg.fake_label is not None:
        tricks.append(LabelSmoothing(cfg.label_smoothing, cfg.fake_label))
    if cfg.noisy_labels is not None:
        tricks.append(NoisyLabels(cfg.noisy_labels, generator))
    if cfg.instance_noise is not None:
        tricks.append(InstanceNoise(cfg.instance_noise, cfg.instance_noise_steps or total_steps, generator))
    if cfg.ema is not None:
        tricks.append(GeneratorEMA(G, cfg.ema))
    return TrickSet(tricks)


__all__ = ["Trick", "TrickSet", "build_tricks"]
