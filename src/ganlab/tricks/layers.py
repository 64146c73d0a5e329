"""The tricks built into the models (models/layers.py): their switches and checks.

- minibatch discrimination in D (Salimans et al. 2016 §3.2; seed 001 §4.3): any D with `features` (dcgan,
  mlp); not with lipschitz.name=gp, since it couples the samples the penalty treats one by one, like batch norm
  (seed 001 §5.1.2); T is a Linear, so clip and sn reach it;
- virtual batch norm in G (Salimans et al. 2016 §3.4; seed 001 §4.4): the dcgan generator with g_norm=batch,
  whose batch norm it replaces.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganlab.errors import ConfigError
from ganlab.tricks.base import TRICKS, TrickSpec

if TYPE_CHECKING:
    from ganlab.config.schema import Config


def check_minibatch_discrimination(cfg: Config, explicit: frozenset[str]) -> None:
    if cfg.lipschitz.name == "gp":
        raise ConfigError("tricks.minibatch_discrimination", "false with lipschitz.name=gp (it couples samples)", True)
    if cfg.train.batch_size < 2:
        raise ConfigError("train.batch_size", "at least 2 with minibatch discrimination", cfg.train.batch_size)


def check_virtual_batch_norm(cfg: Config, explicit: frozenset[str]) -> None:
    if cfg.model.generator != "dcgan" or cfg.model.g_norm != "batch":
        # seed 001 §4.4: VBN replaces G's batch norm; the MLP generator and g_norm=none have none to replace.
        got = f"model.generator={cfg.model.generator}, model.g_norm={cfg.model.g_norm}"
        raise ConfigError("tricks.virtual_batch_norm", "model.generator=dcgan with model.g_norm=batch", got)


TRICKS.add(
    "minibatch_discrimination",
    TrickSpec(90, companions=("mbd_kernels", "mbd_kernel_dim", "mbd_dense_after")),
    check=check_minibatch_discrimination,
)
TRICKS.add(
    "virtual_batch_norm",
    TrickSpec(100, companions=("vbn_reference_size", "vbn_statistics")),
    check=check_virtual_batch_norm,
)
