"""Training tricks: each a pure function plus a thin hook object; `build_tricks` turns config into a TrickSet.

Hook tricks (tricks/base.py): label smoothing and noisy labels (labels.py), instance noise, experience replay,
generator weight averaging (ema.py). Tricks that change an objective are read by the step functions
(training/step.py): feature matching (feature_matching.py) and the unrolled discriminator (unrolled.py). Layer
tricks are built into the models (models/layers.py): minibatch discrimination in D, virtual batch norm in G.
Each trick registers in TRICKS (tricks/base.py) its switch, its companion keys, its hook builder and the checks
of which losses and architectures it combines with, run right after a config loads (ganlab.plugins):
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

import importlib
import pkgutil

import torch
from torch import nn

from ganlab.config.schema import TricksConfig
from ganlab.tricks.base import TRICKS, Trick, TrickSet, TrickSpec, chosen_tricks
from ganlab.tricks.feature_matching import feature_matching_loss
from ganlab.tricks.replay import fake_side_loss
from ganlab.tricks.unrolled import look_ahead

# Every module of this package, for the tricks it registers in TRICKS: a new trick is one new module (and its
# config keys in config/schema.py), nothing else.
for _module in pkgutil.iter_modules(__path__):
    importlib.import_module(f"{__name__}.{_module.name}")


def build_tricks(cfg: TricksConfig, G: nn.Module, total_steps: int, generator: torch.Generator) -> TrickSet:
    """The hook objects of the tricks the config turns on, in the order their hooks apply."""
    builders = [TRICKS.get(name).build for name in chosen_tricks(cfg)]
    return TrickSet([build(cfg, G, total_steps, generator) for build in builders if build is not None])


__all__ = [
    "Trick",
    "TrickSet",
    "build_tricks",
    "fake_side_loss",
    "feature_matching_loss",
    "look_ahead",
    "TRICKS",
    "TrickSpec",
    "chosen_tricks",
]
