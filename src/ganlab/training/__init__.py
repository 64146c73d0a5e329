"""Training: `train(config, out, resume, device)` runs one model into a run directory and returns its Run.

This package knows nothing of evaluation or diagnostics: they are hooks, and `ganlab.compose` (the composition
root, behind `ganlab.train`, the CLI and the studies) gives each run the hooks its config asks for.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import torch

from ganlab.config.loading import dump_yaml
from ganlab.config.schema import Config
from ganlab.errors import ConfigError, Diverged, Interrupted
from ganlab.plugins import load_config
from ganlab.progress import Mode
from ganlab.rundir.checkpoint import has_checkpoints
from ganlab.rundir.layout import RunDir
from ganlab.rundir.state import RESUMABLE_KEYS, RESUMABLE_SECTIONS, training_identity
from ganlab.training.device import resolve_device
from ganlab.training.distributed import SINGLE, World, device_for, finish, world_from_env
from ganlab.training.divergence import divergence_detail, rollback
from ganlab.training.hooks import Hook
from ganlab.training.loop import Loop
from ganlab.training.state import build_state

if TYPE_CHECKING:
    from ganlab.data.base import Dataset
    from ganlab.rundir.run import Run
    from ganlab.training.state import TrainState


def default_out(config: Config) -> Path:
    return Path("runs") / f"{config.name}-{time.strftime('%Y%m%d-%H%M%S')}"


def _first_difference(a: Any, b: Any, prefix: str = "") -> tuple[str, Any] | None:
    if isinstance(a, dict) and isinstance(b, dict):
        for key in a:
            found = _first_difference(a[key], b.get(key), f"{prefix}{key}.")
            if found is not None:
                return found
        return None
    return None if a == b else (prefix.rstrip("."), b)


def _check_resume_config(stored: Config, given: Config) -> Config:
    """The given config when it differs from the stored one only in resumable keys; ConfigError otherwise."""
    found = _first_difference(training_identity(stored), training_identity(given))
    if found is not None:
        raise ConfigError(
            found[0],
            f"the value this run was started with (only {', '.join(RESUMABLE_KEYS)}, "
            f"{' and '.join(f'{s}.*' for s in RESUMABLE_SECTIONS)} may change on --resume)",
            found[1],
        )
    return given


# The hooks a config asks for, made once the state and the training data exist (ganlab.compose.standard_hooks).
HookFactory = Callable[[Config, "TrainState", "Dataset", torch.device], list[Hook]]


def train(
    config: Config,
    out: str | Path | None = None,
    resume: bool = False,
    device: str = "auto",
    hooks: Sequence[Hook] | None = None,
    progress: bool | Mode = True,
    standard: HookFactory | None = None,
) -> Run:
    """Train one model into `out` (a new run directory, or an existing one with resume=True).

    `standard` makes the config's own hooks (evaluation, diagnostics) once the state is built; `hooks` run
    after them. `ganlab.train` passes `ganlab.compose.standard_hooks`; without it nothing is evaluated.

    `progress`: True shows where the training is on stderr (a bar on a terminal, a line every 15 s in a log
    file or a notebook), "bar" or "lines" force one form, False is silent.

    With resume=True a run directory that holds no run yet (a first attempt killed before it wrote its
    config) is started from step 0, so the same command line can be re-issued after any crash.
    """
    from ganlab.rundir.run import load_run

    world = world_from_env()
    dev = device_for(world, resolve_device(device))
    run = RunDir((Path(out) if out is not None else default_out(config)).expanduser().resolve())
    if not world.is_main:
        return _follow(config, run, resume, dev, world, standard)
    messages: list[str] = []
    if resume and run.config.is_file():
        config = _check_resume_config(load_config(run.config), config)
    elif resume and not run.holds_run():
        messages.append(f"no run in {run.path} yet: starting it from step 0")
    created = run.make()
    run.acquire()  # before any check: a second writer is told who holds the run
    try:
        run.check_start(resume)
        loop = _prepare(config, run, resume, dev, hooks, progress, messages, world, standard)
        _fit(loop)
    except BaseException:
        if created and not run.config.is_file():
            run.discard()  # failed before anything was written: leave no empty run directory behind
        raise
    finally:
        run.release()
    finish(world)
    return load_run(run.path, messages=loop.messages)


def _follow(
    config: Config, main: RunDir, resume: bool, dev: torch.device, world: World, standard: HookFactory | None
) -> Run:
    """A torchrun rank > 0: the same steps on its shard of every batch, gradients averaged with rank 0's;
    it writes nothing of the run (its own logs go to a temporary directory) and reads rank 0's checkpoint
    on resume."""
    import tempfile

    from ganlab.rundir.run import load_run

    if resume and main.config.is_file():
        config = _check_resume_config(load_config(main.config), config)
    with tempfile.TemporaryDirectory(prefix=f"ganlab-rank{world.rank}-") as tmp:
        run = RunDir(Path(tmp))
        run.make()
        loop = _prepare(config, run, False, dev, [], False, [], world, standard)
        if resume and has_checkpoints(main.checkpoints):
            loop.restore(main.checkpoints)
            loop.saved_step = -1  # its own checkpoints start afresh in the temporary directory
        _fit(loop)
    finish(world)
    return load_run(main.path)


def _prepare(
    config: Config,
    run: RunDir,
    resume: bool,
    dev: torch.device,
    hooks: Sequence[Hook] | None,
    progress: bool | Mode,
    messages: list[str],
    world: World = SINGLE,
    standard: HookFactory | None = None,
) -> Loop:
    """Data, state and loop; restored from the last good checkpoint on resume. Writes config.yaml last,
    after everything that can refuse the run has passed."""
    from ganlab.data import load_dataset

    if config.train.threads:
        torch.set_num_threads(config.train.threads)
    if dev.type == "cuda":
        torch.backends.cudnn.benchmark = True  # fixed shapes: let cuDNN pick the fastest kernels
    data = load_dataset(config.data, "train").to(dev)
    state = build_state(config, data, dev, world)
    # The caller's hooks run last; a torchrun follower gets its standard hooks from the factory (which gives it
    # only what every rank measures in the step) and none of the caller's.
    all_hooks = [*(standard(config, state, data, dev) if standard else []), *(hooks or ())]
    loop = Loop(state, run, all_hooks, progress=progress)
    loop.messages.extend(messages)
    if resume and has_checkpoints(run.checkpoints):
        loop.restore()  # refuses (nothing written) when no checkpoint verifies
    elif resume:
        if run.config.is_file():
            loop.messages.append(f"no complete checkpoint in {run.checkpoints} yet: starting from step 0")
        run.truncate_logs(0, warn=loop.messages.append)
    run.remove_leftovers()
    run.write_config(dump_yaml(config))
    return loop


def _fit(loop: Loop) -> None:
    cfg = loop.state.config.train
    while True:
        try:
            summary = loop.fit()
            loop.run.write_summary(summary)
            return
        except Diverged as diverged:
            exc = diverged
            if cfg.on_divergence == "rollback" and loop.state.rollbacks < cfg.max_rollbacks:
                try:
                    rollback(loop, exc)
                    continue
                except Diverged as no_checkpoint:
                    exc = no_checkpoint
            detail = "; ".join(filter(None, [exc.detail, divergence_detail(loop, exc)]))
            loop.run.write_summary(loop.summary("diverged", diverged_at=exc.step, diverged_on=exc.what))
            raise Diverged(exc.step, exc.what, detail) from None
        except Interrupted:
            loop.run.write_summary(loop.summary("interrupted"))
            raise
        except OSError as exc:  # a full disk, say: record it if the disk still takes a small file
            with contextlib.suppress(OSError):
                loop.run.write_summary(loop.summary("failed", error=f"{exc.strerror or exc}"))
            raise


__all__ = ["train", "Hook", "HookFactory", "default_out"]
