"""TrainState <-> checkpoint: everything an exact resume needs, nothing pickled."""

from __future__ import annotations

import hashlib
import json
import math
import reprlib
from collections.abc import Callable
from dataclasses import MISSING, fields, is_dataclass
from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import ganlab
from ganlab.config.loading import to_dict
from ganlab.config.schema import Config
from ganlab.errors import CheckpointError
from ganlab.training.checkpoint import load_optimizer, optimizer_tensors, write_checkpoint
from ganlab.training.state import RNG_STREAMS, TrainState

# Keys a resume may change: how long to train, what to log and how to react to a divergence, never what
# is trained. The checkpoint's config digest covers everything else.
RESUMABLE_SECTIONS = ("eval", "log")
RESUMABLE_KEYS = (
    "train.steps",
    "train.checkpoint_every",
    "train.keep_checkpoints",
    "train.threads",
    "train.on_divergence",
    "train.max_rollbacks",
)


def added_at_default(config: Config) -> list[str]:
    """Dotted keys marked `added` in the schema whose value is their default (see `ganlab.config.schema.opt`)."""
    found = []
    for section in fields(config):
        value = getattr(config, section.name)
        if not is_dataclass(value):
            continue
        for key in fields(value):
            if key.metadata.get("added") and getattr(value, key.name) == _default(key):
                found.append(f"{section.name}.{key.name}")
    return found


def _default(key: Any) -> Any:
    return key.default if key.default is not MISSING else key.default_factory()


def training_identity(config: Config) -> dict[str, Any]:
    """The config as plain data without the resumable keys: what must not change across a resume. Keys the
    schema added later are left out at their default, so runs written before they existed still match."""
    data = to_dict(config)
    for dotted in added_at_default(config):
        section, key = dotted.split(".")
        data[section].pop(key, None)
    for section in RESUMABLE_SECTIONS:
        data.pop(section, None)
    for dotted in RESUMABLE_KEYS:
        section, key = dotted.split(".")
        data[section].pop(key, None)
    for key in ("name", "description", "source"):  # labels, not training
        data.pop(key, None)
    return data


def config_digest(config: Config) -> str:
    return hashlib.sha256(json.dumps(training_identity(config), sort_keys=True).encode()).hexdigest()


def save_snapshot(state: TrainState, root: Path, keep: int, loop: dict[str, Any], accum: dict[str, Tensor]) -> Path:
    """Write the whole state at the current step under `root` (see training/checkpoint.py)."""
    opt_g, opt_g_info = optimizer_tensors(state.opt_g)
    opt_d, opt_d_info = optimizer_tensors(state.opt_d)
    sampler_info, epoch_rng = state.sampler.state()
    rng = {name: gen.get_state() for name, gen in state.rng.items()}
    rng["sampler_epoch"] = epoch_rng
    tensors = {"G": state.G.state_dict(), "D": state.D.state_dict(), "opt_g": opt_g, "opt_d": opt_d, "rng": rng}
    tricks = state.tricks.state_tensors()
    if tricks:
        tensors["tricks"] = tricks
    if accum:
        tensors["accum"] = accum
    info = {
        "step": state.step,
        "d_steps": state.d_steps,
        "sampler": sampler_info,
        "opt_g": opt_g_info,
        "opt_d": opt_d_info,
        "scaler_g": state.scaler_g.state_dict(),
        "scaler_d": state.scaler_d.state_dict(),
        "lr_scale": state.lr_scale,
        "rollbacks": state.rollbacks,
        "extra": state.extra,
        "loop": loop,
        "sample_shape": list(state.data.shape),
        "data_kind": state.data.kind,
        "num_classes": state.num_classes,
        "ema": state.tricks.get("ema") is not None,
        "config_sha256": config_digest(state.config),
        "ganlab_version": ganlab.__version__,
        "torch_version": torch.__version__,
    }
    return write_checkpoint(root, state.step, tensors, info, keep)


def restore_snapshot(
    state: TrainState, tensors: dict[str, dict[str, Tensor]], info: dict[str, Any], where: Path
) -> tuple[dict[str, Any], dict[str, Tensor]]:
    """Load a verified checkpoint into `state`; returns (loop info, accumulators)."""
    if info.get("config_sha256") != config_digest(state.config):
        raise CheckpointError(f"checkpoint {where} was written with another config than this run's config.yaml")
    try:
        state.G.load_state_dict(tensors["G"])
        state.D.load_state_dict(tensors["D"])
        load_optimizer(state.opt_g, tensors.get("opt_g", {}), info["opt_g"])
        load_optimizer(state.opt_d, tensors.get("opt_d", {}), info["opt_d"])
        state.tricks.load_state_tensors(tensors.get("tricks", {}))
        rng = tensors["rng"]
        for name in RNG_STREAMS:
            state.rng[name].set_state(rng[name])
        state.sampler.load_state(info["sampler"], rng["sampler_epoch"])
        if info["scaler_g"]:
            state.scaler_g.load_state_dict(info["scaler_g"])
        if info["scaler_d"]:
            state.scaler_d.load_state_dict(info["scaler_d"])
        state.step, state.d_steps = int(info["step"]), int(info["d_steps"])
        state.lr_scale, state.rollbacks = float(info["lr_scale"]), int(info["rollbacks"])
        state.extra = dict(info.get("extra", {}))
        return dict(info.get("loop", {})), dict(tensors.get("accum", {}))
    except (KeyError, RuntimeError, ValueError, TypeError, AttributeError, IndexError) as exc:
        reason = str(exc).splitlines()[0][:160] if str(exc) else type(exc).__name__
        raise CheckpointError(f"checkpoint {where} does not fit this model: {reason}") from None


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _shape(value: Any) -> bool:
    return isinstance(value, list) and len(value) in (1, 3) and all(_whole(v) and v > 0 for v in value)


def _positive(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0


STATE_FIELDS: dict[
    str, tuple[Callable[[Any], bool], str, bool]
] = {  # of the state save_snapshot writes  # key -> (check, what it must be, required)
    "step": (_whole, "a whole number >= 0", True),
    "d_steps": (_whole, "a whole number >= 0", True),
    "rollbacks": (_whole, "a whole number >= 0", True),
    "num_classes": (_whole, "a whole number >= 0", True),
    "sample_shape": (_shape, "a list of 1 or 3 positive whole numbers", True),
    "data_kind": (lambda v: v in ("image", "points"), "'image' or 'points'", True),
    "lr_scale": (_positive, "a positive finite number", True),
    "config_sha256": (lambda v: isinstance(v, str), "a string", True),
    **{key: (lambda v: isinstance(v, dict), "an object", True) for key in ("opt_g", "opt_d", "sampler")},
    **{key: (lambda v: isinstance(v, dict), "an object", True) for key in ("scaler_g", "scaler_d")},
    "ema": (lambda v: isinstance(v, bool), "true or false", False),
    **{key: (lambda v: isinstance(v, dict), "an object", False) for key in ("loop", "extra")},
}


def state_problem(state: dict[str, Any]) -> str | None:
    """What is wrong with a training checkpoint's state (a field missing or of the wrong kind), or None: given to
    `load_latest`, a state that matches its hash but not this shape (forged, or from a foreign tool) makes its
    checkpoint bad like a corrupted one, and the previous good one is used."""
    for key, (check, what, required) in STATE_FIELDS.items():
        if key not in state:
            if required:
                return f"has no '{key}'"
        elif not check(state[key]):
            return f"has '{key}' = {reprlib.repr(state[key])}, expected {what}"
    return None
