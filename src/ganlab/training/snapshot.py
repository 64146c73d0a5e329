"""TrainState <-> checkpoint: everything an exact resume needs, nothing pickled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import torch
from torch import Tensor

import ganlab
from ganlab.errors import CheckpointError
from ganlab.rundir.checkpoint import load_optimizer, optimizer_tensors, write_checkpoint
from ganlab.rundir.state import config_digest
from ganlab.training.state import RNG_STREAMS, TrainState


def save_snapshot(state: TrainState, root: Path, keep: int, loop: dict[str, Any], accum: dict[str, Tensor]) -> Path:
    """Write the whole state at the current step under `root` (see ganlab.rundir.checkpoint)."""
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
