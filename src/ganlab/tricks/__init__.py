"""Training tricks: each a pure function plus a thin hook object; `build_tricks` turns config into a TrickSet.

Hook tricks (tricks/base.py): label smoothing and noisy labels (labels.py), instance noise, experience replay,
generator weight averaging (ema.py). Tricks that change an objective are read by the step functions
(training/step.py): feature matching (feature_matching.py) and the unrolled discriminator (unrolled.py). Layer
tricks are built into the models (models/layers.py): minibatch discrimination in D, virtual batch norm in G.
Which tricks combine with which losses and architectures is decided once, in config/checks.py:
- label smoothing, two-sided smoothing, noisy labels: losses with targets only (not wasserstein, hinge);
- minibatch discrimination: any D with `features` (dcgan, mlp), not with lipschitz.name=gp (it couples the
  samples the penalty treats one by one, like batch norm, seed 001 §5.1.2); T is a Linear, so clip/sn reach it;
- virtual batch norm: the dcgan generator with g_norm=batch (it replaces that batch norm);
- unrolled D: Adam or RMSprop D, not gp (third derivatives), not fp16 (no loss scaling in the look-ahead);
  any n_critic (G looks ahead of D however often D trains); the look-ahead trains on G's batch, no replay;
- experience replay as a list (tricks.replay_list, its extra D step sees fakes alone): losses with targets, not
  gp (no real batch to interpolate with), not beside tricks.replay (one form of replay at a time);
- feature matching, instance noise, experience replay as a mixed batch, EMA: any loss and architecture.
"""

from __future__ import annotations

import torch
from torch import nn

from ganlab.config.schema import TricksConfig
from ganlab.tricks.base import Trick, TrickSet
from ganlab.tricks.ema import GeneratorEMA
from ganlab.tricks.feature_matching import feature_matching_loss
from ganlab.tricks.instance_noise import InstanceNoise
from ganlab.tricks.labels import LabelSmoothing, NoisyLabels
from ganlab.tricks.replay import ExperienceReplay, ReplayList, fake_side_loss
from ganlab.tricks.unrolled import look_ahead

# Keys that only mean something with another trick on: setting them while it is off is refused at load.
COMPANION_KEYS = {
    "instance_noise_steps": "instance_noise",
    "replay_size": "replay",
    "replay_store": "replay",
    "mbd_kernels": "minibatch_discrimination",
    "mbd_kernel_dim": "minibatch_discrimination",
    "mbd_dense_after": "minibatch_discrimination",
    "vbn_reference_size": "virtual_batch_norm",
    "vbn_statistics": "virtual_batch_norm",
    "unrolled_second_order": "unrolled",
}


def build_tricks(cfg: TricksConfig, G: nn.Module, total_steps: int, generator: torch.Generator) -> TrickSet:
    """The enabled hook tricks, in the order their hooks apply."""
    tricks: list[Trick] = []
    if cfg.label_smoothing is not None or cfg.fake_label is not None:
        tricks.append(LabelSmoothing(cfg.label_smoothing, cfg.fake_label))
    if cfg.noisy_labels is not None:
        tricks.append(NoisyLabels(cfg.noisy_labels, generator))
    if cfg.instance_noise is not None:
        tricks.append(InstanceNoise(cfg.instance_noise, cfg.instance_noise_steps or total_steps, generator))
    if cfg.replay is not None:
        tricks.append(ExperienceReplay(cfg.replay, cfg.replay_size, cfg.replay_store, generator))
    if cfg.replay_list is not None:
        tricks.append(ReplayList(cfg.replay_list, generator))
    if cfg.ema is not None:
        tricks.append(GeneratorEMA(G, cfg.ema))
    return TrickSet(tricks)


__all__ = [
    "Trick",
    "TrickSet",
    "build_tricks",
    "fake_side_loss",
    "feature_matching_loss",
    "look_ahead",
    "COMPANION_KEYS",
]
