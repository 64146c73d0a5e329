"""Which hooks a run gets from its config. Evaluation and diagnostics register here as they are built."""

from __future__ import annotations

from ganlab.config.schema import Config
from ganlab.training.hooks import Hook


def standard_hooks(config: Config, state, train_data, device) -> list[Hook]:  # noqa: ANN001
    """The hooks of a run, in the order the loop calls them."""
    from ganlab.diagnostics import diagnostics_hooks

    hooks: list[Hook] = []
    if config.eval.every:
        from ganlab.training.evaluation_hook import PeriodicEvaluation

        hooks.append(PeriodicEvaluation(config, train_data, device))
    # Periodic evaluation goes before diagnostics: the mode-collapse rule reads the eval rows it writes.
    hooks += diagnostics_hooks(config, device)
    return hooks
