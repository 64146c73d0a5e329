"""The composition root: where training meets evaluation and diagnostics.

`ganlab.training` runs a loop with whatever hooks it is given and imports neither evaluation nor diagnostics;
this module gives each run the hooks its config asks for. `ganlab.train`, the CLI and the studies train
through `train` here.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from ganlab.config.schema import Config
from ganlab.progress import Mode

if TYPE_CHECKING:
    import torch

    from ganlab.data.base import Dataset
    from ganlab.rundir.run import Run
    from ganlab.training.hooks import Hook
    from ganlab.training.state import TrainState


def standard_hooks(config: Config, state: TrainState, train_data: Dataset, device: torch.device) -> list[Hook]:
    """The hooks of a run, in the order the loop calls them: periodic evaluation (eval.every), the diagnostics
    (log.diagnostics, log.hist_every), then the thread tuner (train.adaptive_threads). A torchrun follower gets
    only the measurements taken inside the training step, which every rank must log alike, and the tuner (ranks
    sharing a machine see each other as load)."""
    from ganlab.diagnostics import diagnostics_hooks, step_probes
    from ganlab.training.threads import thread_tuner

    tuner = thread_tuner(config.train, device)
    if not state.world.is_main:
        return step_probes(config) + ([] if tuner is None else [tuner])
    hooks: list[Hook] = []
    if config.eval.every:
        from ganlab.evaluation.hook import PeriodicEvaluation

        hooks.append(PeriodicEvaluation(config, train_data, device))
    # Periodic evaluation goes before diagnostics: the mode-collapse rule reads the eval rows it writes.
    hooks += diagnostics_hooks(config, device)
    return hooks if tuner is None else [*hooks, tuner]  # last: the others' time is theirs, not the training's


def train(
    config: Config,
    out: str | Path | None = None,
    resume: bool = False,
    device: str = "auto",
    hooks: Sequence[Hook] | None = None,
    progress: bool | Mode = True,
) -> Run:
    """Train one model into `out` (a new run directory, or an existing one with resume=True), evaluated and
    diagnosed as its config asks; `hooks` run after the standard ones. See `ganlab.training.train`."""
    from ganlab.training import train as train_loop

    return train_loop(config, out, resume, device, hooks, progress, standard=standard_hooks)


__all__ = ["train", "standard_hooks"]
