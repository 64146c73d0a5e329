"""Checks across keys: registry names exist and the chosen parts can work together.

This is the one central compatibility check: a combination that cannot train, or a key the chosen strategy
would silently ignore, fails here with one line naming the key, before any data is loaded.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from ganlab.config.schema import Config
from ganlab.errors import ConfigError


def _registries() -> dict[str, Any]:
    from ganlab.data import DATASETS
    from ganlab.lipschitz import LIPSCHITZ
    from ganlab.losses import LOSSES
    from ganlab.models import DISCRIMINATORS, GENERATORS

    return {
        "datasets": DATASETS,
        "generators": GENERATORS,
        "discriminators": DISCRIMINATORS,
        "losses": LOSSES,
        "lipschitz": LIPSCHITZ,
    }


def check_registries(cfg: Any, prefix: str = "") -> None:
    """Every field marked with a registry holds a registered name."""
    registries = _registries()
    for f in dataclasses.fields(cfg):
        value = getattr(cfg, f.name)
        if dataclasses.is_dataclass(value):
            check_registries(value, f"{prefix}{f.name}.")
        elif "registry" in f.metadata:
            registries[f.metadata["registry"]].get(value, f"{prefix}{f.name}")


def _differs(cfg: Config, dotted: str, explicit: set[str]) -> bool:
    """True when the user set `dotted` to something other than its default."""
    if dotted not in explicit:
        return False
    section, key = dotted.split(".")
    default = getattr(type(getattr(cfg, section))(), key)
    return getattr(getattr(cfg, section), key) != default


def check_tricks(cfg: Config, explicit: set[str]) -> None:
    """Each trick with the losses and architectures it can work with (seed 001 §4; docs in ganlab.tricks)."""
    from ganlab.losses import LOSSES
    from ganlab.tricks import COMPANION_KEYS

    tricks = cfg.tricks
    for key, owner in COMPANION_KEYS.items():
        if getattr(tricks, owner) in (None, False) and _differs(cfg, f"tricks.{key}", explicit):
            raise ConfigError(
                f"tricks.{key}", f"only with tricks.{owner} on", f"tricks.{owner}={getattr(tricks, owner)}"
            )
    loss = LOSSES.get(cfg.loss.name, "loss.name")
    for key in ("label_smoothing", "fake_label", "noisy_labels"):
        if getattr(tricks, key) is not None and not loss.uses_targets:
            raise ConfigError(
                f"tricks.{key}",
                "a loss with targets (minimax, non-saturating, least-squares)",
                f"loss.name={cfg.loss.name}",
            )
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
    if tricks.replay is not None and tricks.replay_store > cfg.train.batch_size:
        raise ConfigError(
            "tricks.replay_store", f"at most train.batch_size ({cfg.train.batch_size})", tricks.replay_store
        )
    if tricks.replay_list is not None:
        _check_replay_list(cfg, tricks.replay_list, loss.uses_targets)
    if tricks.minibatch_discrimination and cfg.lipschitz.name == "gp":
        # Like batch norm, the layer couples the samples while the penalty treats each one alone (seed 001 §5.1.2).
        raise ConfigError("tricks.minibatch_discrimination", "false with lipschitz.name=gp (it couples samples)", True)
    if tricks.minibatch_discrimination and cfg.train.batch_size < 2:
        raise ConfigError("train.batch_size", "at least 2 with minibatch discrimination", cfg.train.batch_size)
    if tricks.virtual_batch_norm and (cfg.model.generator != "dcgan" or cfg.model.g_norm != "batch"):
        # seed 001 §4.4: VBN replaces G's batch norm; the MLP generator and g_norm=none have none to replace.
        got = f"model.generator={cfg.model.generator}, model.g_norm={cfg.model.g_norm}"
        raise ConfigError("tricks.virtual_batch_norm", "model.generator=dcgan with model.g_norm=batch", got)
    if tricks.unrolled is not None and cfg.lipschitz.name == "gp":
        # The penalty is itself a gradient: differentiating look-ahead steps through it needs third derivatives.
        raise ConfigError("tricks.unrolled", "lipschitz.name none, clip or sn (not gp)", tricks.unrolled)
    if tricks.unrolled is not None and cfg.train.precision == "fp16":
        raise ConfigError(
            "train.precision", "fp32 or bf16 with tricks.unrolled (look-ahead is not loss-scaled)", "fp16"
        )


def _check_replay_list(cfg: Config, size: int, uses_targets: bool) -> None:
    """The list form of experience replay (seed 001 §4.2): its extra D step shows D past fakes alone."""
    key = "tricks.replay_list"
    if cfg.tricks.replay is not None:
        raise ConfigError(key, "null with tricks.replay (one form of experience replay at a time)", size)
    if not uses_targets:  # a critic trained on fakes alone would only push its outputs down
        raise ConfigError(
            key, "a loss with targets (minimax, non-saturating, least-squares)", f"loss.name={cfg.loss.name}"
        )
    if cfg.lipschitz.name == "gp":
        raise ConfigError(
            key, "lipschitz.name none, clip or sn (the replay step has no real batch)", "lipschitz.name=gp"
        )
    if size < 2 and cfg.model.d_norm == "batch":
        raise ConfigError(key, "at least 2 with batch norm in D (the replay step is a batch)", size)


def check_compatibility(cfg: Config, explicit: set[str]) -> None:
    from ganlab.lipschitz import OWN_KEYS

    for key, owner in OWN_KEYS.items():
        if cfg.lipschitz.name != owner and _differs(cfg, f"lipschitz.{key}", explicit):
            raise ConfigError(
                f"lipschitz.{key}", f"only with lipschitz.name={owner}", f"lipschitz.name={cfg.lipschitz.name}"
            )
    check_tricks(cfg, explicit)
    convolutional = cfg.model.discriminator != "mlp"  # dcgan, upsample-pool: d_norm and label channels apply
    if cfg.lipschitz.name == "gp" and convolutional and cfg.model.d_norm == "batch":
        # Batch norm couples the samples while the penalty treats each one alone (seed 001 §5.1.2).
        raise ConfigError("model.d_norm", "layer or none with lipschitz.name=gp (seed 001 §5.1.2)", "batch")
    if cfg.model.conditional and cfg.model.d_condition == "channels" and not convolutional:
        raise ConfigError("model.d_condition", "dense or projection for an MLP discriminator", "channels")
    if cfg.train.batch_size < 2 and (cfg.model.g_norm == "batch" or cfg.model.d_norm == "batch"):
        raise ConfigError("train.batch_size", "at least 2 with batch norm", cfg.train.batch_size)
    from ganlab.config.metric_names import check_metric_name

    for name in cfg.eval.metrics:
        check_metric_name(name, "eval.metrics")
    if cfg.eval.best_metric is not None and cfg.eval.best_metric not in cfg.eval.metrics:
        raise ConfigError(
            "eval.best_metric", f"one of eval.metrics ({', '.join(cfg.eval.metrics)})", cfg.eval.best_metric
        )
