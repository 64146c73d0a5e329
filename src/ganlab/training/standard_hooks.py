"""Which hooks a run gets from its config. Evaluation and diagnostics register here as they are built."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ganlab.config.schema import Config
from ganlab.training.hooks import Hook

if TYPE_CHECKING:
    import torch

    from ganlab.data.base import Dataset
    from ganlab.training.state import TrainState


def standard_hooks(config: Config, state: TrainState, train_data: Dataset, device: torch.device) -> list[Hook]:
    """The hooks of a run, in the order the loop calls them."""
    from ganlab.diagnostics import diagnostics_hooks

    hooks: list[Hook] = []
    if config.eval.every:
        from ganlab.training.evaluation_hook import PeriodicEvaluation

        hooks.append(PeriodicEvaluation(config, train_data, device))
    # Periodic evaluation goes before diagnostics: the mode-collapse rule reads the eval rows it writes.
    hooks += diagnostics_hooks(config, device)
    return hooks
