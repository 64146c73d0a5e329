"""Training: `train(config, out, resume, device)` runs one model into a run directory and returns its Run."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import torch

from ganlab.config.loading import dump_yaml, load_config
from ganlab.config.schema import Config
from ganlab.errors import ConfigError, Diverged, Interrupted
from ganlab.train.device import resolve_device
from ganlab.train.hooks import Hook
from ganlab.train.loop import Loop, rollback
from ganlab.train.run_dir import RunDir
from ganlab.train.state import build_state

if TYPE_CHECKING:
    from ganlab.run import Run

# Keys a resume may change: how long to train and what to log, never what is trained.
RESUMABLE_SECTIONS = ("eval", "log")
RESUMABLE_KEYS = ("train.steps", "train.checkpoint_every", "train.keep_checkpoints", "train.threads")


def default_out(config: Config) -> Path:
    return Path("runs") / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _check_resume_config(stored: Config, given: Config) -> Config:
    """The stored config, with the resumable keys taken from `given`; other differences are refused."""
    from ganlab.config.loading import to_dict

    a, b = to_dict(stored), to_dict(given)
    differing = [
        f"{section}.{key}"
        for section in a
        if isinstance(a[section], dict) and section not in RESUMABLE_SECTIONS
        for key in a[section]
        if a[section][key] != b[section][key] and f"{section}.{key}" not in RESUMABLE_KEYS
    ]
    if differing:
        raise ConfigError(
            differing[0],
            "the value this run was started with (only train.steps, eval.* and log.* may change on --resume)",
            b[differing[0].split(".")[0]][differing[0].split(".")[1]],
        )
    return given


def make_hooks(config: Config, state, train_data, device) -> list[Hook]:  # noqa: ANN001
    """The standard hooks for a config: periodic evaluation, diagnostics (each registered by its module)."""
    from ganlab.train.standard_hooks import standard_hooks

    return standard_hooks(config, state, train_data, device)


def train(
    config: Config,
    out: str | Path | None = None,
    resume: bool = False,
    device: str = "auto",
    hooks: Sequence[Hook] | None = None,
    progress: bool = False,
) -> Run:
    """Train one model into `out` (a new run directory, or an existing one with resume=True)."""
    from ganlab.data import load_dataset
    from ganlab.run import load_run

    dev = resolve_device(device)
    run = RunDir(Path(out) if out is not None else default_out(config))
    if resume and run.config.is_file():
        config = _check_resume_config(load_config(run.config), config)
    run.create(resume)
    run.acquire()
    try:
        if config.train.threads:
            torch.set_num_threads(config.train.threads)
        if dev.type == "cuda":
            torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels
        data = load_dataset(config.data, "train").to(dev)
        state = build_state(config, data, dev)
        all_hooks = list(hooks) if hooks is not None else make_hooks(config, state, data, dev)
        loop = Loop(state, run, all_hooks, progress=progress)
        if resume and run.checkpoints.exists():
            loop.restore()
        else:
            run.config.write_text(dump_yaml(config), encoding="utf-8")
        _fit(loop)
    finally:
        run.release()
    return load_run(run.path, messages=loop.messages)


def _fit(loop: Loop) -> None:
    cfg = loop.state.config.train
    while True:
        try:
            summary = loop.fit()
            loop.run.write_summary(summary)
            return
        except Diverged as exc:
            if cfg.on_divergence == "rollback" and loop.state.rollbacks < cfg.max_rollbacks:
                rollback(loop, exc)
                continue
            loop.run.write_summary(loop.summary("diverged", diverged_at=exc.step, diverged_on=exc.what))
            raise
        except Interrupted:
            loop.run.write_summary(loop.summary("interrupted"))
            raise


__all__ = ["train", "Hook", "default_out"]
